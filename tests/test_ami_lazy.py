"""Events whose headers are parsed when first asked for (Event.unparsed) are the events an
eager parse gives: same name, time, headers, repeats and reader counters, whatever the
chunking, and the same after a pickle (daemon checkpoints)."""
from __future__ import annotations

import dataclasses
import pickle

from cdr_agent.ami.event import Event, parse_lines
from cdr_agent.ami.reader import AmiReader

ODD = (
    b"Asterisk Call Manager/5.0.1\r\nResponse: Success\r\n\r\n"
    b"Event: AGIExecStart\r\nTimestamp: 1795463070.123456\r\nCommand: GET FULL VARIABLE \"${X}\"\r\n\r\n"
    b"Event: A\r\nX:1\r\nNoColon\r\n\r\n"
    b"Event: B\r\n: empty key\r\n\r\n"
    b"Event: C\r\nTimestamp:  12.5\r\nK: v: w\r\nK: again\r\n\r\n"
    b"Event: E\r\nA:B: c\r\nTimestamp:x: 5\r\n\r\n"
    b"Event: F\r\nTimestamp: nan\r\nbare\nLF: x\r\n\r\n"
    b"Event: G\r\nk: \xff\xfe\r\n\r\n"
    b"Event: H\r\nTimestamp: 7\r\nLast: \r\n\r\n"
)


def _read(data: bytes, size: int) -> tuple[list[tuple], dict, str | None]:
    reader = AmiReader("s")
    events = [e for i in range(0, len(data), size) for e in reader.feed(data[i:i + size])] + reader.close()
    return [(e.name, e.headers, e.repeats, e.time, e.seq) for e in events], dataclasses.asdict(reader.stats), reader.banner


def test_any_chunking_reads_the_same() -> None:
    whole = _read(ODD * 3, 1 << 20)
    assert [name for name, *_ in whole[0]][:3] == ["", "AGIExecStart", "A"]
    assert whole[1]["skipped_lines"] == 9 and whole[1]["undecodable"] == 3 and whole[2] == "Asterisk Call Manager/5.0.1"
    for size in (1, 2, 7, 64, 4096):
        assert _read(ODD * 3, size) == whole


def test_unparsed_is_the_eager_event() -> None:
    text = "Event: C\r\nTimestamp: 12.5\r\nK: v: w\r\nK: again"
    lazy = Event.unparsed("C", text, "\r\n", 4, 12.5, "s")
    headers, repeats, odd = parse_lines(text.split("\r\n"))
    eager = Event("C", headers, 4, 12.5, "s", repeats)
    assert not odd and lazy == eager and repr(lazy) == repr(eager)
    assert pickle.loads(pickle.dumps(Event.unparsed("C", text, "\r\n", 4, 12.5, "s"))) == eager
    assert lazy.getall("K") == ["v: w", "again"] and lazy.source is None

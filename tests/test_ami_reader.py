"""AmiReader: recorded traces, arbitrary chunking, encodings, garbage and oversize input."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from cdr_agent.ami.event import Event
from cdr_agent.ami.reader import AmiReader, read_file

TRACES = Path(__file__).parent / "fixtures" / "traces"
AMI_LOGS = sorted(TRACES.glob("**/ami.log"))
SMALL_LOG = TRACES / "05_caller_cancel" / "ami.log"


def feed_all(data: bytes, sizes=None, **kw) -> tuple[list[Event], AmiReader]:
    """Feed `data` in pieces of the given sizes (cycled), or in one piece."""
    reader = AmiReader(**kw)
    events: list[Event] = []
    if sizes is None:
        events += reader.feed(data)
    else:
        i = k = 0
        while i < len(data):
            n = sizes[k % len(sizes)]
            events += reader.feed(data[i:i + n])
            i += n
            k += 1
    events += reader.close()
    return events, reader


def as_tuples(events: list[Event]) -> list[tuple]:
    return [(e.name, e.headers, e.seq, e.time, e.server, e.repeats) for e in events]


def msg(*lines: str, eol: str = "\r\n") -> bytes:
    return (eol.join(lines) + eol + eol).encode()


# -- recorded traces -----------------------------------------------------------------------

def test_fixtures_present():
    assert len(AMI_LOGS) >= 20


@pytest.mark.parametrize("path", AMI_LOGS, ids=lambda p: str(p.relative_to(TRACES).parent))
def test_trace_parses_cleanly(path: Path):
    data = path.read_bytes()
    events, reader = feed_all(data, server="a")
    event_lines = sum(1 for line in data.split(b"\r\n") if line.startswith(b"Event:"))
    names = [e for e in events if e.name]
    assert len(names) == event_lines == reader.stats.events
    s = reader.stats
    assert (s.skipped_lines, s.oversize, s.undecodable, s.unknown) == (0, 0, 0, 0)
    assert s.banner == 1 and reader.banner.startswith("Asterisk Call Manager/")
    # greeting glued to the Login response
    first = events[0]
    assert first.name == "" and first.headers["Response"] == "Success"
    assert first.headers["ActionID"] == "lab-1" and "Asterisk Call Manager/" not in str(first.headers)
    assert events[-1].headers.get("Response") == "Goodbye"
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert all(e.server == "a" for e in events)
    # timestampevents=yes: every event after FullyBooted carries a Timestamp
    assert all(isinstance(e.time, float) for e in names if "Timestamp" in e.headers)
    assert sum(e.time is not None for e in names) >= len(names) - 1


def test_read_file_matches_feed():
    path = TRACES / "19_concurrent_load" / "ami.log"
    events, _ = feed_all(path.read_bytes(), server="x")
    assert as_tuples(list(read_file(str(path), server="x", chunk_size=100_000))) == as_tuples(events)


# -- chunking ------------------------------------------------------------------------------

@pytest.mark.parametrize("sizes", [[7], [4096], [65536], [3, 1, 400, 2, 9000]], ids=str)
def test_chunking_all_traces(sizes):
    for path in AMI_LOGS:
        data = path.read_bytes()
        assert as_tuples(feed_all(data, sizes)[0]) == as_tuples(feed_all(data)[0]), path


def test_one_byte_chunks():
    data = SMALL_LOG.read_bytes()
    assert as_tuples(feed_all(data, [1])[0]) == as_tuples(feed_all(data)[0])


def test_random_chunk_sizes():
    rng = random.Random(1234)
    data = b"".join(p.read_bytes() for p in AMI_LOGS[:4])
    whole = as_tuples(feed_all(data)[0])
    for _ in range(5):
        sizes = [rng.choice([1, 2, 3, rng.randint(1, 200), rng.randint(1, 70000)]) for _ in range(500)]
        assert as_tuples(feed_all(data, sizes)[0]) == whole


# -- encoding ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["Müller", "山田", "Zoë 😀 O'Brien"])
def test_utf8_split_at_every_byte(name: str):
    data = msg("Event: Newchannel", f"CallerIDName: {name}", "Uniqueid: 1.1")
    for cut in range(len(data) + 1):
        reader = AmiReader()
        events = reader.feed(data[:cut]) + reader.feed(data[cut:]) + reader.close()
        assert len(events) == 1, cut
        assert events[0].headers["CallerIDName"] == name
        assert reader.stats.undecodable == 0


def test_undecodable_bytes_kept_with_replacement():
    events, reader = feed_all(b"Event: X\r\nCallerIDName: M\xfcller\r\n\r\nEvent: Y\r\n\r\n")
    assert [e.name for e in events] == ["X", "Y"]
    assert events[0].headers["CallerIDName"] == "M\ufffdller"
    assert reader.stats.undecodable == 1


def test_caller_name_verbatim():
    name = "\"Bobby'); DROP TABLE calls;--\" <100> 😀 a: b \\ %s"
    events, _ = feed_all(msg("Event: Newchannel", f"CallerIDName: {name}", "Exten: 100"))
    assert events[0].headers["CallerIDName"] == name


# -- line endings and header syntax --------------------------------------------------------

def test_lf_only_stream():
    crlf = SMALL_LOG.read_bytes()
    lf = crlf.replace(b"\r\n", b"\n")
    expected = as_tuples(feed_all(crlf)[0])
    for sizes in (None, [1], [7], [4096]):
        events, reader = feed_all(lf, sizes)
        assert as_tuples(events) == expected
        assert reader.stats.skipped_lines == 0


def test_mixed_line_endings():
    data = (b"Event: A\r\nK: 1\r\n\r\n"
            b"Event: B\nK: 2\n\n"
            b"Event: C\r\nK: 3\n\r\n"
            b"Event: D\nK: 4\r\n\n"
            b"Event: E\r\nK: 5\nL: 6\r\n\r\n")
    for sizes in (None, [1], [5]):
        events, reader = feed_all(data, sizes)
        assert [(e.name, e.headers["K"]) for e in events] == [
            ("A", "1"), ("B", "2"), ("C", "3"), ("D", "4"), ("E", "5")]
        assert events[-1].headers["L"] == "6"
        assert reader.stats.skipped_lines == 0


def test_empty_values_kept_including_last():
    events, _ = feed_all(msg("Event: Newchannel", "AccountCode: ", "Language: en", "Linkedid: "))
    h = events[0].headers
    assert h["AccountCode"] == "" and h["Linkedid"] == ""
    events, _ = feed_all(b"Event: X\r\nAccountCode:\r\n\r\n")
    assert events[0].headers["AccountCode"] == ""


def test_last_message_without_blank_line_flushed_on_close():
    reader = AmiReader()
    assert reader.feed(b"Event: X\r\nAccountCode: ") == []
    events = reader.close()
    assert events[0].name == "X" and events[0].headers["AccountCode"] == ""
    assert reader.close() == []


def test_repeated_keys():
    events, _ = feed_all(msg("Event: VarSet", "ChanVariable: A=1", "Channel: x",
                             "ChanVariable: B=", "ChanVariable: C=3"))
    e = events[0]
    assert e.headers["ChanVariable"] == "A=1"
    assert e.repeats == {"ChanVariable": ["A=1", "B=", "C=3"]}
    assert e.getall("ChanVariable") == ["A=1", "B=", "C=3"] and e.getall("Channel") == ["x"]


def test_value_with_colon_space_and_key_without_space():
    events, reader = feed_all(msg("Event: Newexten", "AppData: a: b: c", "Extension:100",
                                  "Data:x: y", "Time: 12:30:00"))
    h = events[0].headers
    assert h["AppData"] == "a: b: c"
    assert h["Extension"] == "100"
    assert h["Data"] == "x: y"
    assert h["Time"] == "12:30:00"
    assert reader.stats.skipped_lines == 0


def test_line_without_colon_counted_and_skipped():
    logged = []

    class Log:
        def warning(self, event, **kw):
            logged.append(event)

    events, reader = feed_all(msg("Event: X", "garbage line", "K: v") * 1000, log=Log())
    assert len(events) == 1000 and events[0].headers == {"Event": "X", "K": "v"}
    assert reader.stats.skipped_lines == 1000
    assert 0 < len(logged) <= 15  # rate-limited, not one line per defect


def test_responses_and_unknown_messages():
    events, reader = feed_all(msg("Response: Success", "ActionID: 1") + msg("Foo: bar")
                              + msg("Event: X"))
    assert [(e.name, e.seq) for e in events] == [("", 1), ("X", 2)]
    s = reader.stats
    assert (s.messages, s.responses, s.events, s.unknown) == (2, 1, 1, 1)


def test_no_timestamp_gives_none_and_increasing_seq():
    data = b"".join(msg(f"Event: E{i}", "Channel: x") for i in range(50))
    events, _ = feed_all(data, [13])
    assert all(e.time is None for e in events)
    assert [e.seq for e in events] == list(range(1, 51))


def test_timestamp_parsed_or_none():
    events, _ = feed_all(msg("Event: A", "Timestamp: 1795462985.849433")
                         + msg("Event: B", "Timestamp: soon") + msg("Event: C", "Timestamp: nan"))
    assert events[0].time == pytest.approx(1795462985.849433)
    assert events[1].time is None and events[2].time is None


def test_banner_alone_and_extra_blank_lines():
    reader = AmiReader()
    events = reader.feed(b"Asterisk Call Manager/6.0.0\r\n\r\n\r\n\r\nEvent: X\r\n\r\n\r\n") + reader.close()
    assert [e.name for e in events] == ["X"]
    assert reader.banner == "Asterisk Call Manager/6.0.0" and reader.stats.skipped_lines == 0


# -- hostile input -------------------------------------------------------------------------

class QuietLog:
    def warning(self, event, **kw):
        pass


def test_random_bytes_never_raise_and_chunking_does_not_matter():
    rng = random.Random(42)
    alphabets = [b"\r\n:: ABCxyz\xc3\xa9\xff\x00", b"\r\n\r\n: A", bytes(range(256))]
    for _ in range(400):
        if rng.random() < 0.3:
            blob = rng.randbytes(rng.randint(0, 3000))
        else:
            alphabet = rng.choice(alphabets)
            blob = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 3000)))
        limit = rng.choice([4, 16, 512, 65536])
        sizes = [rng.randint(1, rng.choice([3, 300])) for _ in range(20)]
        events, chunked = feed_all(blob, sizes, max_message_bytes=limit, log=QuietLog())
        assert all(isinstance(e, Event) for e in events)
        whole, single = feed_all(blob, max_message_bytes=limit, log=QuietLog())
        assert as_tuples(events) == as_tuples(whole)
        assert chunked.stats == single.stats


def test_oversize_line_bounded_buffer_then_recovers():
    limit = 64 * 1024
    reader = AmiReader(max_message_bytes=limit)
    events = reader.feed(msg("Event: Before"))
    huge = b"Event: Huge\r\nData: " + b"x" * (1 << 20)
    for i in range(0, len(huge), 64 * 1024):
        events += reader.feed(huge[i:i + 64 * 1024])
        assert len(reader._pending) <= limit + 3
    events += reader.feed(b"\r\n\r\n" + msg("Event: After", "K: v"))
    events += reader.close()
    assert [e.name for e in events] == ["Before", "After"]
    assert reader.stats.oversize == 1
    assert events[1].seq == 2


def test_oversize_no_newline_ever():
    reader = AmiReader(max_message_bytes=1000)
    for _ in range(1000):
        assert reader.feed(b"y" * 4096) == []
        assert len(reader._pending) <= 1000
    assert reader.stats.oversize == 1
    assert reader.close() == []


def test_oversize_same_result_in_one_feed():
    data = msg("Event: A") + msg("Event: Big", "Data: " + "z" * 5000) + msg("Event: B")
    for sizes in (None, [1], [100], [2000]):
        events, reader = feed_all(data, sizes, max_message_bytes=1000)
        assert [e.name for e in events] == ["A", "B"] and reader.stats.oversize == 1


def test_message_counter_counts_blank_lines_split_across_reads() -> None:
    from cdr_agent.ami.count import MessageCounter

    stream = b"Asterisk Call Manager/5.0.0\r\n" + b"".join(
        f"Event: Newchannel\r\nUniqueid: {i}\r\n\r\n".encode() for i in range(50))
    for size in (1, 2, 3, 4, 7, 1000):
        counter = MessageCounter()
        for i in range(0, len(stream), size):
            counter.feed(stream[i:i + size])
        assert counter.messages == 50, size

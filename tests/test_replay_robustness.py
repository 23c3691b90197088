"""Replays are idempotent, cut streams keep what finished, bad input never crashes."""
from __future__ import annotations

import random

from sqlalchemy import func, select

from cdr_agent.calltree.document import to_document
from cdr_agent.ingest import Ingest
from cdr_agent.replay import ingest_bytes, read_events, replay_path
from cdr_agent.store import queries
from cdr_agent.store.tables import attempts, calls, legs
from cdr_agent.store.engine import open_engine
from cdr_agent.store.sink import WritingSink
from cdr_agent.store.writer import CallWriter
from tracekit import TRACES

LOAD = TRACES / "19_concurrent_load"


def _counts(engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one() for t in (calls, legs, attempts))


def test_replaying_twice_leaves_the_same_rows(db_url) -> None:
    engine = open_engine(db_url)
    for _ in range(2):
        ingest = Ingest(WritingSink(CallWriter(engine)))
        replay_path(ingest, LOAD, "a")
        ingest.close()
        if _ == 0:
            first = [queries.load_document(engine, r["call_id"]) for r in queries.list_calls(engine)]
            first_counts = _counts(engine)
    again = [queries.load_document(engine, r["call_id"]) for r in queries.list_calls(engine)]
    assert first_counts[0] == 20
    assert _counts(engine) == first_counts
    assert again == first


def test_stored_document_equals_built_document(db_url) -> None:
    engine = open_engine(db_url)
    ingest = Ingest()
    replay_path(ingest, TRACES / "08_attended_transfer", "a")
    ingest.close()
    [call] = ingest.finished
    CallWriter(engine).write([call])
    assert queries.load_document(engine, call.call_id) == to_document(call)


def test_cut_stream_keeps_finished_calls_and_open_ones_in_progress(tmp_path) -> None:
    data = (LOAD / "ami.log").read_bytes()
    cut = data[: len(data) * 2 // 3]
    engine = open_engine(f"sqlite:///{tmp_path / 'cut.sqlite'}")
    stats = ingest_bytes([cut], "a", engine)
    rows = queries.list_calls(engine)
    statuses = [r["status"] for r in rows]
    assert stats.calls_finished > 0 and stats.calls_open > 0
    assert statuses.count("complete") == stats.calls_finished
    assert statuses.count("in_progress") == stats.calls_open
    assert len(rows) == 20  # every call had started by then


def _stream(*messages: str) -> bytes:
    return "".join(m.replace("\n", "\r\n") + "\r\n" for m in messages).encode()


# A raw newline cannot travel inside an AMI header (it ends the line); its escaped form can.
HOSTILE = "O'Brien \"the\"\\n 'x'); DROP TABLE calls;-- 😀 山田 Müller" + "x" * 2048


def test_bad_input_is_counted_never_fatal(tmp_path) -> None:
    rng = random.Random(7)
    good = (TRACES / "01_basic_answered" / "ami.log").read_bytes()
    garbage = bytes(rng.randrange(256) for _ in range(50_000))
    stream = b"".join([
        garbage, b"\r\n\r\n",
        b"X" * (1 << 20), b"\r\n\r\n",  # a 1 MB line
        _stream("Event: SomethingNew\nFoo: bar\n"),  # unknown event
        _stream("Event: Hangup\nChannel: SIP/x-1\nCause: 16\n"),  # no Uniqueid
        _stream("Event: DialEnd\nDestUniqueid: 9.9\nDialStatus: ANSWER\n"),  # unknown dest
        _stream(f"Event: Newchannel\nChannel: PJSIP/evil-1\nUniqueid: 5.1\nLinkedid: 5.1\n"
                f"CallerIDNum: 100\nCallerIDName: {HOSTILE}\nTimestamp: 1795460000.000001\n"),
        _stream("Event: Hangup\nChannel: PJSIP/evil-1\nUniqueid: 5.1\nLinkedid: 5.1\nCause: 16\n"
                "Timestamp: 1795460001.5\n"),
        good,
    ])
    engine = open_engine(f"sqlite:///{tmp_path / 'bad.sqlite'}")
    stats = ingest_bytes([stream[i:i + 4096] for i in range(0, len(stream), 4096)], "a", engine)
    assert stats.reader.get("oversize", 0) >= 1
    assert sum(stats.skipped.values()) >= 2
    assert not stats.failures
    evil = [r for r in queries.list_calls(engine) if r["caller_num"] == "100" and r["caller_name"] == HOSTILE]
    assert len(evil) == 1
    doc = queries.load_document(engine, evil[0]["call_id"])
    assert doc["legs"][0]["caller"]["name"] == HOSTILE
    assert len(queries.list_calls(engine)) == 2  # the evil call and the basic call after the garbage


def test_stream_without_timestamps_builds_the_same_tree() -> None:
    data = (TRACES / "06_blind_transfer" / "ami.log").read_bytes()
    stripped = b"\r\n".join(line for line in data.split(b"\r\n") if not line.startswith(b"Timestamp: "))
    timed = Ingest()
    timed.events(read_events([data], "a"))
    timed.close()
    untimed = Ingest()
    untimed.events(read_events([stripped], "a"))
    untimed.close()
    [with_time], [without] = timed.finished, untimed.finished
    shape = lambda c: [(a.via, a.outcome, a.from_leg, a.to_leg) for a in c.attempts]  # noqa: E731
    assert shape(with_time) == shape(without)
    assert [(t.kind, t.completed, t.target_leg) for t in without.transfers] == [
        (t.kind, t.completed, t.target_leg) for t in with_time.transfers]
    assert without.started_at is None and without.status == "complete"


def test_two_servers_share_one_database(db_url) -> None:
    engine = open_engine(db_url)
    ingest = Ingest(WritingSink(CallWriter(engine)))
    replay_path(ingest, TRACES / "20_two_servers", "ignored")
    ingest.close()
    rows = queries.list_calls(engine)
    assert sorted(r["server"] for r in rows) == ["server_a", "server_b"]
    docs = [queries.load_document(engine, r["call_id"]) for r in rows]
    uniqueids = [sorted(leg["uniqueid"] for leg in d["legs"]) for d in docs]
    assert uniqueids[0] == uniqueids[1]  # same Asterisk ids on both servers...
    assert not {l["leg_id"] for l in docs[0]["legs"]} & {l["leg_id"] for l in docs[1]["legs"]}  # ...not ours

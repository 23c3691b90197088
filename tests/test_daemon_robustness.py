"""The daemon in-process (its supervisor on a thread): hostile input, a failing event, a refused
login and the hosted FastAGI server, on SQLite and PostgreSQL."""
from __future__ import annotations

import asyncio
import os
import random
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest
import structlog
from fakeami import FakeAmi, Pause, fresh_logging, headers, recording_messages  # noqa: F401 - fixture
from test_daemon import offline, stored
from tracekit import TRACES

from cdr_agent.ami.journal import DATA, records
from cdr_agent.calltree import builder
from cdr_agent.calltree.document import to_document
from cdr_agent.daemon.config import parse
from cdr_agent.daemon.notify import Notifier
from cdr_agent.daemon.supervisor import Supervisor
from cdr_agent.ingest import Ingest
from cdr_agent.replay import read_events, replay_path

SECRET = "pa55-" + os.urandom(6).hex()  # never in logs; unknown to daemons of other runs
NAME = "Müller 山田"

pytestmark = pytest.mark.usefixtures("fresh_logging")


def trace(name: str) -> list[bytes]:
    return recording_messages((TRACES / name / "ami.log").read_bytes())


class Running:
    """A Supervisor on its own thread and event loop, as `cdr-agent daemon` runs it."""

    def __init__(self, tmp: Path, db_url: str, fake: FakeAmi, **sections: Any) -> None:
        config = {"database": db_url, "journal": {"directory": "journal", "checkpoint_interval": 0.2},
                  "ami": [{"server": "a", "port": fake.port, "username": "recorder", "secret": SECRET}],
                  "watchdog": {"ping_interval": 1.0, "ping_timeout": 2.0, "login_timeout": 2.0,
                               "reconnect_min": 0.05, "reconnect_max": 0.3},
                  "store": {"flush_interval": 0.05}, **sections}
        self.tmp, self.fake = tmp, fake
        self.supervisor = Supervisor(parse(config, base=tmp), Notifier({}))
        self.thread = threading.Thread(target=lambda: asyncio.run(self.supervisor.run()), daemon=True)

    def __enter__(self) -> "Running":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.supervisor.request_stop()
        self.thread.join(30)
        assert not self.thread.is_alive() and self.supervisor.exit_code == 0

    def snapshot(self) -> dict[str, Any]:
        pipeline = self.supervisor.pipeline
        return dict(pipeline.snapshot) if pipeline else {}

    def wait(self, what: str, ok: Callable[["Running"], bool], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not ok(self):
            assert time.monotonic() < deadline, f"{what}: not reached; {self.snapshot()}"
            time.sleep(0.02)

    def caught_up(self) -> None:
        self.fake.wait_until(lambda f: f.finished)
        sup = self.supervisor
        self.wait("caught up", lambda r: sup.bytes_received["a"] == r.fake.bytes_sent
                  and sup.backlog(r.snapshot()) == 0 and r.snapshot().get("calls_waiting") == 0)


@pytest.fixture
def fake_of():
    started: list[FakeAmi] = []

    def make(messages: list[bytes], **kw: Any) -> FakeAmi:
        started.append(FakeAmi(messages, secret=SECRET, **kw).start())
        return started[-1]

    yield make
    for fake in started:
        fake.stop()


def hostile_stream() -> list[bytes]:
    """Good calls around malformed frames, a caller name in two scripts, and an event that
    makes its handler raise."""
    rng = random.Random(4)
    renamed = [m.replace(b"CallerIDName: Alice", f"CallerIDName: {NAME}".encode()) for m in trace("02_basic_callee_hangup")]
    return trace("01_basic_answered") + [
        b"this line has no colon\r\nnor: does it end well\r\n\r\n",
        bytes(rng.randrange(1, 256) for _ in range(3000)).replace(b"\r\n\r\n", b"") + b"\r\n\r\n",
        b"Event: Huge\r\nPayload: " + b"x" * 100_000 + b"\r\n\r\n",  # over the reader's 64 KiB limit
        b"Event: UserEvent\r\nUserEvent: Boom\r\nTimestamp: 1795462993.0\r\n\r\n",
    ] + renamed + trace("05_caller_cancel")


def test_hostile_input_is_logged_counted_and_capture_goes_on(db_url: str, tmp_path: Path, fake_of, monkeypatch) -> None:
    def boom(state: Any, ev: Any) -> None:
        if ev.headers.get("UserEvent") == "Boom":
            raise RuntimeError("handler bug")

    monkeypatch.setitem(builder.HANDLERS, "UserEvent", boom)
    messages = hostile_stream()
    fake = fake_of(messages, split_utf8=20)  # 20 messages sent as two TCP segments cut inside a character
    with structlog.testing.capture_logs() as logs, Running(tmp_path, db_url, fake) as daemon:
        daemon.caught_up()
        snap = daemon.snapshot()
        assert daemon.supervisor.pipeline.is_alive()
    assert snap["failed_events"] == 1 and snap["skipped_frames"] >= 3
    got = stored(db_url)
    assert got == offline({"a": messages}) and len(got) == 3
    assert [d["caller"]["name"] for d in got.values()].count(NAME) == 1
    assert any(e["event"] == "event_failed" and "handler bug" in str(e["reasons"]) for e in logs)
    assert any(e["event"] == "ami_message_oversize" for e in logs)
    torn = 0
    for r in records(tmp_path / "journal"):
        if r.kind == DATA:
            try:
                r.payload.decode("utf-8")
            except UnicodeDecodeError:
                torn += 1
    assert torn >= 1, "some read ended inside a multi-byte character"


def test_a_refused_login_backs_off_and_never_logs_the_secret(tmp_path: Path, fake_of) -> None:
    fake = FakeAmi(trace("01_basic_answered"), secret="another-secret").start()
    try:
        with structlog.testing.capture_logs() as logs, Running(tmp_path, f"sqlite:///{tmp_path / 'x.sqlite'}", fake):
            fake.wait_until(lambda f: sum(e["event"] == "ami_reconnect_wait" for e in logs) >= 4)
    finally:
        fake.stop()
    waits = [e for e in logs if e["event"] == "ami_reconnect_wait"]
    assert waits and all(w["reason"] == "login refused: Authentication failed" for w in waits)
    assert waits[3]["delay_s"] > waits[0]["delay_s"]  # backoff: 0.05-0.1 s, then doubling
    assert SECRET not in repr(logs)


def _markers(messages: list[bytes]) -> list[tuple[int, int]]:
    """(index, seq) of each CdrTraceAgi UserEvent: where the lab's AGI ran."""
    out = []
    for i, m in enumerate(messages):
        h = headers(m)
        if h.get("Event") == "UserEvent" and h.get("UserEvent") == "CdrTraceAgi":
            out.append((i, int(h["Seq"])))
    return out


def test_hosted_fastagi_observations_join_the_ami_calls(db_url: str, tmp_path: Path, fake_of) -> None:
    import json

    from cdr_agent.agi.recorded import RecordedSession, play_fastagi

    names = ("03_noanswer_failover", "12_queue_timeout")
    keys = ["FAILOVER", "DIALTIMEOUT", "QEXIT"]
    messages = [m for name in names for m in trace(name)]
    agi = {json.loads(line)["seq"]: json.loads(line) for name in names
           for line in (TRACES / name / "agi.jsonl").read_text().splitlines()}
    markers = _markers(messages)
    fake = fake_of(messages, plan={i: Pause() for i, _ in markers})
    fastagi = {"listen": "127.0.0.1:0", "server": "a", "user_keys": keys}
    with Running(tmp_path, db_url, fake, fastagi=fastagi) as daemon:
        daemon.wait("FastAGI listening", lambda r: r.supervisor.fastagi_listen is not None)
        port = daemon.supervisor.fastagi_listen.port
        for n, (index, seq) in enumerate(markers, 1):
            fake.wait_until(lambda f: f.paused and f.pos == index)
            script = "transfer" if agi[seq]["script_args"][0] == "transfer" else "dial-result"
            asyncio.run(play_fastagi("127.0.0.1", port, RecordedSession.from_line(agi[seq]), script))
            daemon.wait("observation applied", lambda r: r.snapshot().get("observations") == n)
            fake.resume()
        daemon.caught_up()
    ingest = Ingest(agi_user_keys=tuple(keys))
    for name in names:
        replay_path(ingest, TRACES / name, "a")
    still_open = ingest.close()
    expected = {c.call_id: to_document(c) for c in ingest.finished + still_open}
    got = stored(db_url)
    assert got == expected
    assert sorted((d["user_data"] for d in got.values()), key=str) == [{"FAILOVER": "202", "DIALTIMEOUT": "4"},
                                                                       {"QEXIT": "202"}]


def test_the_classic_scripts_spool_is_drained_into_the_ami_calls(db_url: str, tmp_path: Path, fake_of) -> None:
    """Spool files of the calls' AGI runs, read after the calls ended: each observation is
    journaled once, adds its user data to its AMI call, and its file is deleted; an unreadable
    file moves to bad/; the journal replays to the same database."""
    from test_agi_traces import recorded_observations

    from cdr_agent.agi.spool import Spool
    from cdr_agent.cli import main

    names = ("03_noanswer_failover", "12_queue_timeout")
    keys = ("FAILOVER", "DIALTIMEOUT", "QEXIT")
    fake = fake_of([m for name in names for m in trace(name)])
    spool = Spool(tmp_path / "spool")
    observations = [o for name in names for o in recorded_observations(TRACES / name, "a", keys)]
    with Running(tmp_path, db_url, fake, spool={"directory": "spool", "interval": 0.05}) as daemon:
        daemon.caught_up()
        for obs in observations:
            spool.put(obs)
        spool.put(observations[0])  # journaled again after a stop between journal and delete
        (Path(spool.new) / "00000000000000000000-1-bad.json").write_text("{not json")
        daemon.wait("spool drained", lambda r: not spool.pending()
                    and r.snapshot().get("observations") == len(observations))
        daemon.caught_up()
        snap = daemon.snapshot()
    assert snap["duplicate_observations"] == 1 and snap["unplaced_observations"] == 0
    assert spool.rejected_files() == ["00000000000000000000-1-bad.json"]
    ingest = Ingest(agi_user_keys=keys)
    for name in names:
        replay_path(ingest, TRACES / name, "a")
    expected = {c.call_id: to_document(c) for c in ingest.finished + ingest.close()}
    got = stored(db_url)
    assert got == expected
    assert sorted((d["user_data"] for d in got.values()), key=str) == [{"FAILOVER": "202", "DIALTIMEOUT": "4"},
                                                                       {"QEXIT": "202"}]
    replayed = f"sqlite:///{tmp_path / 'replayed.sqlite'}"
    assert main(["replay", str(tmp_path / "journal"), "--db", replayed]) == 0
    assert stored(replayed) == expected


def test_agent_presence_is_captured_by_the_daemon_as_by_replay(db_url: str, tmp_path: Path, fake_of) -> None:
    """Log-ins and pauses (QueueMember* events of a generated call centre) reach
    stat_agent_sessions from the live daemon exactly as from `cdr-agent replay`."""
    from sqlalchemy import select

    from cdr_agent.callgen.config import default_scenario
    from cdr_agent.callgen.stream import CallGenerator
    from cdr_agent.replay import storing_ingest
    from cdr_agent.store import open_engine
    from cdr_agent.store.stats_tables import stat_agent_sessions

    scenario = default_scenario(150, queues=3, agents=8, seed=5, server="a")
    stream = b"".join(CallGenerator(scenario).chunks())
    fake = fake_of(recording_messages(stream))
    with Running(tmp_path, db_url, fake) as daemon:
        daemon.caught_up()

    def sessions(url: str) -> list[tuple]:
        engine = open_engine(url)
        try:
            with engine.connect() as conn:
                return sorted(tuple(r) for r in conn.execute(select(stat_agent_sessions)))
        finally:
            engine.dispose()

    reference = f"sqlite:///{tmp_path / 'replayed.sqlite'}"
    engine = open_engine(reference)
    ingest = storing_ingest(engine)
    ingest.events(read_events([stream], "a"))
    ingest.close()
    engine.dispose()
    live, offline_rows = sessions(db_url), sessions(reference)
    assert {r[4] for r in live} == {"login", "pause"}
    assert live == offline_rows


def test_a_call_the_database_refuses_is_kept_aside_and_the_rest_stored(db_url: str, tmp_path: Path) -> None:
    import copy
    import json

    from cdr_agent.ami.journal import JournalWriter
    from cdr_agent.daemon.pipeline import Pipeline

    ingest = Ingest()
    replay_path(ingest, TRACES / "15_conference", "a")
    good = list({c.call_id: c for c in ingest.finished + ingest.close()}.values())  # restores: last wins
    bad = copy.deepcopy(good[0])
    bad.call_id = "ffffffff-0000-5000-8000-000000000000"
    bad.legs.append(copy.deepcopy(bad.legs[0]))  # a leg twice: the database refuses the rows
    config = parse({"database": db_url, "journal": {"directory": "journal"},
                    "ami": [{"server": "a", "username": "u", "secret": "s"}]}, base=tmp_path)
    journal = JournalWriter(config.journal.directory)
    pipeline = Pipeline(config, journal)
    pipeline._outbox = [bad, *good]  # noqa: SLF001 - what the pipeline holds when it writes a batch
    assert pipeline._store()  # noqa: SLF001
    journal.close()
    assert pipeline.rejected == 1 and not pipeline._outbox  # noqa: SLF001
    assert set(stored(db_url)) == {c.call_id for c in good}
    [kept] = (tmp_path / "journal" / "rejected.jsonl").read_text().splitlines()
    assert json.loads(kept)["call"]["call_id"] == bad.call_id

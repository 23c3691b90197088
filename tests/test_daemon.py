"""The daemon, run as `cdr-agent daemon` against fake AMI servers on 127.0.0.1, on SQLite and
PostgreSQL: live capture equals offline replay; a cut link, a frozen AMI, a SIGKILL and a
database outage each leave every call stored exactly once, with the calls that crossed a gap
flagged."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Optional

import pytest
from fakeami import Cut, FakeAmi, Freeze, Pause, free_port, recording_messages, scrape
from test_daemon_feed import LOAD, build, channel_list, data, rec
from sipkit import SIP_TRACE_NAMES, SIP_TRACES
from tracekit import TRACES, TRACE_NAMES, without_times

from cdr_agent.ami.journal import CONNECT
from cdr_agent.calltree.document import to_document
from cdr_agent.ingest import Ingest, replay_journal
from cdr_agent.replay import read_events
from cdr_agent.store import iter_documents, open_engine

ROOT = Path(__file__).resolve().parents[1]
SECRET = "s3cret-" + os.urandom(6).hex()  # a daemon left over from another run cannot log in
# Backoff in tenths of seconds. The watchdog is relaxed (a false "frozen" on a loaded machine
# would add a gap) except where a frozen AMI is the point.
RELAXED = "ping_interval = 1.0\nping_timeout = 2.0\nlogin_timeout = 2.0\n"
EAGER = "ping_interval = 0.2\nping_timeout = 0.5\nlogin_timeout = 0.5\n"
FAST = """connect_timeout = 1.0
reconnect_min = 0.05
reconnect_max = 0.3
[store]
flush_interval = 0.05
stop_timeout = 15
"""
# The figures (AMI frozen 30 s, database down 20 s); the tests default to a few seconds.
FREEZE_S = float(os.environ.get("CDR_TEST_FREEZE_S", "2.5"))
OUTAGE_S = float(os.environ.get("CDR_TEST_OUTAGE_S", "2"))


class Daemon:
    """`cdr-agent daemon` in a child process, watched through its metrics endpoint."""

    started: list["Daemon"] = []

    def __init__(self, tmp: Path, db_url: str, fakes: dict[str, FakeAmi], watchdog: str = RELAXED) -> None:
        self.tmp, self.fakes = tmp, fakes
        self.metrics_port = free_port()
        amis = "".join(f'[[ami]]\nserver = "{name}"\nport = {fake.port}\nusername = "recorder"\n'
                       f'secret_file = "ami.secret"\n' for name, fake in fakes.items())
        (tmp / "ami.secret").write_text(SECRET + "\n")
        self.config = tmp / "daemon.toml"
        self.config.write_text(f'database = "{db_url}"\n{amis}[metrics]\nlisten = "127.0.0.1:{self.metrics_port}"\n'
                               f'[watchdog]\n{watchdog}{FAST}\n[journal]\ndirectory = "journal"\n'
                               f'checkpoint_interval = 0.2\nfsync_interval = 0.2\n')
        self.log_path = tmp / "daemon.log"
        self.proc: Optional[subprocess.Popen] = None

    def start(self, env: Optional[dict[str, str]] = None) -> "Daemon":
        self.sent_before = {name: fake.bytes_sent for name, fake in self.fakes.items()}  # a restart counts anew
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen([sys.executable, "-m", "cdr_agent.cli", "daemon", "--config", str(self.config)],
                                     cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        log.close()
        Daemon.started.append(self)
        return self

    def metrics(self) -> dict[str, float]:
        return scrape(self.metrics_port, timeout=2)

    def wait(self, what: str, ok: Callable[[dict[str, float]], bool], timeout: float = 40.0) -> dict[str, float]:
        deadline = time.monotonic() + timeout
        while True:
            m = self.metrics()
            if m and ok(m):
                return m
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"daemon: {what} not reached (exit {self.proc.poll()}); metrics {m}\n"
                                     + self.log_path.read_text()[-3000:])
            time.sleep(0.05)

    def received_all(self) -> dict[str, float]:
        """Wait until every fake has played its whole timeline and everything is stored."""
        for fake in self.fakes.values():
            fake.wait_until(lambda f: f.finished, 60)
        return self.caught_up()

    def caught_up(self) -> dict[str, float]:
        return self.wait("caught up", lambda m: all(
            m.get(f'cdr_agent_ami_bytes_total{{server="{name}"}}') == fake.bytes_sent - self.sent_before[name]
            for name, fake in self.fakes.items())
            and m["cdr_agent_journal_backlog_bytes"] == 0 and m["cdr_agent_calls_waiting"] == 0)

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(60)

    def kill(self) -> int:
        self.proc.send_signal(signal.SIGKILL)
        return self.proc.wait(10)

    def log(self) -> list[dict]:
        return [json.loads(line) for line in self.log_path.read_text().splitlines() if line.startswith("{")]


@pytest.fixture(autouse=True)
def no_daemon_left_behind():
    """A failed test must not leave its daemon running (it would reconnect for ever)."""
    yield
    for daemon in Daemon.started:
        if daemon.proc is not None and daemon.proc.poll() is None:
            daemon.kill()
    Daemon.started.clear()


@pytest.fixture
def fakes():
    started: list[FakeAmi] = []

    def make(messages: list[bytes], **kw) -> FakeAmi:
        fake = FakeAmi(messages, username="recorder", secret=SECRET, **kw).start()
        started.append(fake)
        return fake

    yield make
    for fake in started:
        fake.stop()


def stored(db_url: str) -> dict[str, dict]:
    engine = open_engine(db_url)
    try:
        return {d["call_id"]: d for d in iter_documents(engine)}
    finally:
        engine.dispose()


def offline(streams: dict[str, list[bytes]]) -> dict[str, dict]:
    """`cdr-agent replay` of the same bytes, server by server."""
    ingest = Ingest()
    for server, messages in streams.items():
        ingest.events(read_events([b"".join(messages)], server))
    still_open = ingest.close()
    return {c.call_id: to_document(c) for c in ingest.finished + still_open}


def systemd_listener(path: Path) -> list[str]:
    """What systemd would read on $NOTIFY_SOCKET, collected by a thread, as lines."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    said: list[str] = []

    def listen() -> None:
        with sock:
            while True:
                said.extend(sock.recv(4096).decode().splitlines())

    threading.Thread(target=listen, daemon=True).start()
    return said


def single_traces() -> list[bytes]:
    return [m for name in TRACE_NAMES if name != "20_two_servers"
            for m in recording_messages((TRACES / name / "ami.log").read_bytes())]


def test_live_capture_of_every_trace_equals_offline_replay(db_url: str, tmp_path: Path, fakes) -> None:
    streams = {"a": single_traces()}
    for server in ("server_a", "server_b"):
        streams[server] = recording_messages((TRACES / "20_two_servers" / server / "ami.log").read_bytes())
    said = systemd_listener(tmp_path / "notify")
    daemon = Daemon(tmp_path, db_url, {name: fakes(msgs) for name, msgs in streams.items()})
    daemon.start(env={"NOTIFY_SOCKET": str(tmp_path / "notify"), "WATCHDOG_USEC": "300000"})
    m = daemon.received_all()
    expected = offline(streams)
    assert m["cdr_agent_open_calls"] == 0 and len(expected) == 43
    assert m["cdr_agent_calls_stored_total"] == len(expected) + m["cdr_agent_calls_restored_total"]
    for server, messages in streams.items():  # the capture side's own count: what was sent, and the answers
        assert m[f'cdr_agent_ami_messages_total{{server="{server}"}}'] >= len(messages)
    assert daemon.stop() == 0
    assert stored(db_url) == expected

    time.sleep(0.2)
    assert said[0].startswith("STATUS=") and "READY=1" in said and "STOPPING=1" in said
    assert said.index("READY=1") < said.index("STOPPING=1") and "WATCHDOG=1" in said
    assert SECRET not in daemon.log_path.read_text()
    assert {e["event"] for e in daemon.log()} >= {"daemon_starting", "ami_logged_in", "daemon_stopped"}


def test_live_capture_of_the_sip_recordings_equals_offline_replay(db_url: str, tmp_path: Path, fakes) -> None:
    """A manager without timestampevents (the production recordings): the daemon stores the
    trees a replay of the file builds, its times being when it read the events."""
    streams = {"voipgrid": [m for name in SIP_TRACE_NAMES
                            for m in recording_messages((SIP_TRACES / name / "ami.log").read_bytes())]}
    daemon = Daemon(tmp_path, db_url, {"voipgrid": fakes(streams["voipgrid"])}).start()
    daemon.received_all()
    expected = offline(streams)
    assert daemon.stop() == 0
    got = stored(db_url)
    assert len(got) == len(expected) == 30
    assert {k: without_times(d) for k, d in got.items()} == {k: without_times(d) for k, d in expected.items()}
    assert {d["time_source"] for d in got.values()} == {"arrival"} and {d["time_source"] for d in expected.values()} == {"none"}
    assert all(d["started_at"] and d["ended_at"] for d in got.values())


def journal_replayed(journal: Path) -> dict[str, dict]:
    """What `cdr-agent replay` of the daemon's journal builds."""
    ingest = Ingest()
    replay_journal(ingest, journal)
    return {c.call_id: to_document(c) for c in ingest.finished + ingest.close()}


PACE = float(os.environ.get("CDR_TEST_PACE", "400"))  # events per second per AMI, as a busy PBX sends


@pytest.mark.slow
def test_live_capture_at_a_realistic_pace_equals_replay(db_url: str, tmp_path: Path, fakes) -> None:
    """Every lab and production recording streamed at a PBX's pace, not all at once: calls
    change after they finished (a conference member leaves later) and are stored again, so
    the database holds what the offline replay builds, field for field; the production
    recordings (no timestamps) get the daemon's arrival times and equal it but for times. A
    replay of the daemon's journal rebuilds its database exactly."""
    lab = single_traces()
    sip = [m for name in SIP_TRACE_NAMES for m in recording_messages((SIP_TRACES / name / "ami.log").read_bytes())]
    daemon = Daemon(tmp_path, db_url, {"a": fakes(lab, rate=PACE), "voipgrid": fakes(sip, rate=PACE)}).start()
    m = daemon.received_all()
    assert daemon.stop() == 0
    got = stored(db_url)
    timed, untimed = offline({"a": lab}), offline({"voipgrid": sip})
    assert {k: d for k, d in got.items() if d["server"] == "a"} == timed
    assert {k: without_times(d) for k, d in got.items() if d["server"] == "voipgrid"} == {
        k: without_times(d) for k, d in untimed.items()}
    assert m["cdr_agent_calls_restored_total"] >= 2  # the conference's early leavers' calls
    assert journal_replayed(tmp_path / "journal") == got


@pytest.mark.slow
def test_link_cut_and_frozen_ami_flag_what_crossed_the_gap(db_url: str, tmp_path: Path, fakes) -> None:
    # mid-call: a cut with nothing lost, AMI frozen (socket open, no byte), a cut losing 300 messages
    plan = {1500: Cut(), 3000: Freeze(FREEZE_S), 4500: Cut(lose=300)}
    fake = fakes(LOAD, plan=plan)
    daemon = Daemon(tmp_path, db_url, {"a": fake}, watchdog=EAGER).start()
    m = daemon.received_all()
    assert daemon.stop() == 0
    assert fake.logins == 4 and m['cdr_agent_reconnects_total{server="a"}'] >= 3
    expected, _ = build([rec(CONNECT, b"{}"), data(LOAD[:1500]),
                         rec(CONNECT, b"{}"), channel_list(LOAD[:1500]), data(LOAD[1500:3000]),
                         rec(CONNECT, b"{}"), channel_list(LOAD[:3000]), data(LOAD[3000:4500]),
                         rec(CONNECT, b"{}"), channel_list(LOAD[:4800]), data(LOAD[4800:])])
    got = stored(db_url)
    assert got == expected
    assert len(got) == 20 and sum("gap" in d["flags"] for d in got.values()) >= 15
    frozen = [e for e in daemon.log() if e["event"] == "ami_session_ended" and "frozen" in e["reason"]]
    assert frozen, "the watchdog saw the frozen AMI"


@pytest.mark.slow
def test_sigkill_mid_call_then_restart_loses_and_duplicates_nothing(db_url: str, tmp_path: Path, fakes) -> None:
    fake = fakes(LOAD, plan={2000: Pause()})
    daemon = Daemon(tmp_path, db_url, {"a": fake}).start()
    fake.wait_until(lambda f: f.paused)
    daemon.caught_up()
    time.sleep(0.3)  # a checkpoint falls due (every 0.2 s): the restart resumes from it
    assert daemon.kill() == -signal.SIGKILL
    assert (tmp_path / "journal" / "checkpoint.json").exists()
    daemon.start()
    fake.wait_until(lambda f: f.logins == 2 and f.channel_lists == 2)
    fake.resume()
    daemon.received_all()
    assert daemon.stop() == 0
    expected, _ = build([rec(CONNECT, b"{}"), data(LOAD[:2000]), rec(CONNECT, b"{}"), channel_list(LOAD[:2000]),
                         data(LOAD[2000:])])
    assert stored(db_url) == expected
    assert sum(d["flags"] == ["gap"] for d in expected.values()) == 19
    assert any(e["event"] == "resuming" for e in daemon.log())


STOPS = int(os.environ.get("CDR_TEST_STOPS", "12"))


@pytest.mark.slow
def test_sigterm_stops_under_load_never_fail_the_last_checkpoint(tmp_path: Path, fakes) -> None:
    """SIGTERM while events pour in (the journal is being appended, synced and checkpointed):
    every stop exits 0 with its last checkpoint written, and the calls come out whole. The
    journal's close/sync race itself is run 200 times in tests/test_journal.py."""
    db_url = f"sqlite:///{tmp_path / 'stops.sqlite'}"
    fake = fakes(LOAD, rate=len(LOAD) / (STOPS * 0.6))  # the stream lasts about as long as the stops
    daemon = Daemon(tmp_path, db_url, {"a": fake})
    for round_ in range(STOPS):
        daemon.start()
        fake.wait_until(lambda f: f.logins > round_, 20)  # running: its SIGTERM handler is in place
        time.sleep(0.3)  # under load: appends, syncs and checkpoints (every 0.2 s) under way
        assert daemon.stop() == 0, f"round {round_}"
    daemon.start()
    daemon.received_all()
    assert daemon.stop() == 0
    events = [e["event"] for e in daemon.log()]
    assert "checkpoint_failed" not in events and events.count("pipeline_stopped") == STOPS + 1
    assert {d["call_id"] for d in stored(db_url).values()} >= {d for d in offline({"a": LOAD})}


class Outage:
    """Takes the database away and gives it back: SQLite locked by another writer, or a
    PostgreSQL of our own (port 54339, not the suite's server) stopped and started."""

    PG_PORT = "54339"

    def __init__(self, backend: str, tmp: Path) -> None:
        self.backend = backend
        if backend == "sqlite":
            self.path = tmp / "outage.sqlite"
            self.url = f"sqlite:///{self.path}?timeout=0.05"
            self.lock = None
        else:
            self.url = self._pg("start").strip()
            engine = open_engine(self.url, create=False)
            from sqlalchemy import text
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            engine.dispose()

    def _pg(self, command: str) -> str:
        out = subprocess.run(["bash", str(ROOT / "scripts" / "postgres.sh"), command], capture_output=True, text=True,
                             env={**os.environ, "CDR_PG_PORT": self.PG_PORT}, check=True)
        return out.stdout

    def begin(self) -> None:
        if self.backend == "sqlite":
            import sqlite3
            self.lock = sqlite3.connect(self.path, isolation_level=None)
            self.lock.execute("BEGIN EXCLUSIVE")
        else:
            self._pg("stop")

    def end(self) -> None:
        if self.backend == "sqlite":
            self.lock.execute("ROLLBACK")
            self.lock.close()
        else:
            self._pg("start")

    def close(self) -> None:
        if self.backend == "postgresql":
            self._pg("stop")  # our own server: not left running after the test


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_database_outage_the_journal_grows_and_catches_up(backend: str, tmp_path: Path, fakes) -> None:
    if backend == "postgresql":
        from conftest import pg_url_or_skip
        pg_url_or_skip()
    outage = Outage(backend, tmp_path)
    fake = fakes(LOAD, plan={1000: Pause()})
    daemon = Daemon(tmp_path, outage.url, {"a": fake}).start()
    fake.wait_until(lambda f: f.paused)
    before = daemon.caught_up()
    outage.begin()
    try:
        fake.resume()  # traffic goes on while the database is away
        fake.wait_until(lambda f: f.finished)
        # The capture goes on, and so does building: the calls that finished meanwhile wait.
        during = daemon.wait("built while the database is away", lambda m: m["cdr_agent_database_errors_total"] > 0
                             and m['cdr_agent_ami_bytes_total{server="a"}'] == fake.bytes_sent
                             and m["cdr_agent_calls_stored_total"] + m["cdr_agent_calls_waiting"] == 20)
        assert during['cdr_agent_ami_connected{server="a"}'] == 1  # AMI still read: the journal grows
        assert during["cdr_agent_calls_stored_total"] < 20 and during["cdr_agent_database_up"] == 0
        assert during['cdr_agent_ami_messages_total{server="a"}'] >= len(LOAD)  # received
        assert during["cdr_agent_events_total"] > before["cdr_agent_events_total"]  # built
        assert during["cdr_agent_open_calls"] == 0 and during["cdr_agent_journal_backlog_bytes"] == 0
        time.sleep(OUTAGE_S)
    finally:
        outage.end()
    after = daemon.caught_up()
    assert after["cdr_agent_calls_stored_total"] >= 20 > before["cdr_agent_calls_stored_total"]
    assert daemon.stop() == 0
    try:
        assert stored(outage.url) == offline({"a": LOAD})  # no AMI gap: exactly the offline calls
    finally:
        outage.close()

"""FastAGI serves the same handlers over TCP, and survives clients that are not Asterisk."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cdr_agent.agi.fastagi import FastAgiStats, serve_fastagi
from cdr_agent.agi.observation import Observation
from cdr_agent.agi.recorded import RecordedSession, play_fastagi
from cdr_agent.agi.spool import Spool
from cdr_agent.store import iter_documents, open_engine
from test_agi_scripts import REPO, agi_env
from test_agi_traces import SOURCES, USER_KEYS, agi_documents, check_agi_trees, recorded_observations, sessions

HOST = "127.0.0.1"


def fastagi_script(line: dict) -> str:
    return "transfer" if line["script_args"][0] == "transfer" else "dial-result"


async def _serve(handle, stats=None, deadline_s=5.0, user_keys=USER_KEYS, server_name="a"):
    server = await serve_fastagi(HOST, 0, handle, server_name=server_name, deadline_s=deadline_s,
                                 user_keys=user_keys, stats=stats)
    return server, server.sockets[0].getsockname()[1]


async def _play_all(port: int, folder: Path) -> None:
    for line in sessions(folder):
        await play_fastagi(HOST, port, RecordedSession.from_line(line), fastagi_script(line))


@pytest.mark.parametrize("name,folder,server", SOURCES, ids=[s[0] for s in SOURCES])
def test_recorded_sessions_over_fastagi(name: str, folder: Path, server: str) -> None:
    got: list[Observation] = []

    async def main() -> None:
        srv, port = await _serve(got.append, server_name=server)
        async with srv:
            await _play_all(port, folder)

    asyncio.run(main())
    recorded = recorded_observations(folder, server, USER_KEYS)
    assert [(o.label, o.uniqueid, o.channel, o.linkedid, o.user_data) for o in got] == [
        (o.label, o.uniqueid, o.channel, o.linkedid, o.user_data) for o in recorded]
    for mine, line in zip(got, sessions(folder)):
        assert all(mine.variables[k] == (line["vars"].get(k) or "") for k in mine.variables)
    check_agi_trees(name, folder, agi_documents(got), timed=False)


async def _connect_and_close(port: int) -> None:
    _, w = await asyncio.open_connection(HOST, port)
    w.close()


async def _garbage(port: int, payload: bytes, hold: bool) -> bytes:
    r, w = await asyncio.open_connection(HOST, port)
    w.write(payload)
    await w.drain()
    if not hold:
        w.close()
        return b""
    got = await asyncio.wait_for(r.read(), 5)  # the server must hang up on us
    w.close()
    return got


def test_flood_of_bad_clients_does_not_stop_real_sessions() -> None:
    """Port scans, garbage, clients that never send the blank line or stop mid-session,
    while a trace's real sessions run: every real session is served, every bad client is
    cut (by EOF or the deadline), and the server still serves afterwards."""
    got: list[Observation] = []
    stats = FastAgiStats()
    folder = SOURCES[6][1]  # 07_blind_transfer_noanswer: three sessions
    env = RecordedSession.from_line(sessions(folder)[0]).env_bytes("dial-result")

    async def main() -> None:
        srv, port = await _serve(got.append, stats, deadline_s=1.0)  # the silent clients wait it out
        async with srv:
            bad = [_connect_and_close(port) for _ in range(300)]
            bad += [_garbage(port, os.urandom(512), hold=False) for _ in range(50)]
            bad += [_garbage(port, b"agi_network: yes\nagi_uniqueid: 1.1\n", hold=True) for _ in range(20)]  # no blank line
            bad += [_garbage(port, b"x" * 100_000, hold=True) for _ in range(5)]  # one endless line
            bad += [_garbage(port, env, hold=False) for _ in range(20)]  # env, then gone before answering
            await asyncio.gather(_play_all(port, folder), *bad)
            await _play_all(port, folder)
            await asyncio.sleep(0.05)

    asyncio.run(main())  # a client the server never hung up on would fail it (wait_for)
    real = [o for o in got if o.variables]
    expected = [(line["env"]["agi_uniqueid"], line["vars"]["DIALSTATUS"]) for line in sessions(folder)] * 2
    assert [(o.uniqueid, o.variables["DIALSTATUS"]) for o in real] == expected
    half = [o for o in got if not o.variables]  # gone before answering: recorded as far as known
    assert len(half) == 20 and {o.uniqueid for o in half} == {sessions(folder)[0]["env"]["agi_uniqueid"]}
    assert stats.sessions == 2 * 3 + 300 + 50 + 20 + 5 + 20
    assert stats.dropped == 300 + 50 + 20 + 5 and stats.partial == 20


def test_deadline_cuts_a_silent_peer_without_freezing_others() -> None:
    got: list[Observation] = []
    line = sessions(SOURCES[1][1])[0]

    async def main() -> tuple[bytes, float]:
        srv, port = await _serve(got.append, deadline_s=1.0)
        async with srv:
            r, w = await asyncio.open_connection(HOST, port)
            w.write(RecordedSession.from_line(line).env_bytes("dial-result"))
            await w.drain()
            command = await r.readline()  # the server asks, we never answer
            await play_fastagi(HOST, port, RecordedSession.from_line(line), "dial-result")
            served_meanwhile = len(got)
            rest = await asyncio.wait_for(r.read(), 5)  # then it hangs up on us
            w.close()
            return command + rest, served_meanwhile

    data, served_meanwhile = asyncio.run(main())
    assert data.startswith(b"GET FULL VARIABLE")
    assert served_meanwhile == 1  # the other session completed while this one waited
    assert len(got) == 2 and got[1].variables == {}  # the silent one: recorded with what was known


def test_hangup_notice_and_dead_channel_mid_session() -> None:
    """Asterisk says HANGUP before answering (the reads go on), or refuses with 511 (the
    session ends): both are recorded, as far as they got."""
    stats = FastAgiStats()
    got: list[Observation] = []
    line = sessions(SOURCES[1][1])[0]

    async def one(prefix: str, reply: str | None) -> None:
        r, w = await asyncio.open_connection(HOST, port)
        session = RecordedSession.from_line(line)
        w.write(b"a line that is not one\n" + session.env_bytes("dial-result"))
        first = True
        while command := (await asyncio.wait_for(r.readline(), 5)).decode():
            answer = reply if reply is not None and first else session.answer(command)
            w.write(((prefix if first else "") + answer).encode())
            first = False
        w.close()

    async def main() -> None:
        nonlocal port
        srv, port = await _serve(got.append, stats)
        async with srv:
            await one("HANGUP\n", None)
            await one("", "511 Command Not Permitted on a dead channel or intercepted\n")

    port = 0
    asyncio.run(main())
    assert got[0].variables["DIALSTATUS"] == "ANSWER" and got[1].variables == {}
    assert (stats.hung_up, stats.garbage_lines, stats.partial) == (1, 2, 1)


def test_handler_errors_are_counted_and_serving_goes_on() -> None:
    stats = FastAgiStats()
    seen: list[Observation] = []

    def handle(obs: Observation) -> None:
        seen.append(obs)
        if len(seen) == 1:
            raise RuntimeError("queue full")

    async def main() -> None:
        srv, port = await _serve(handle, stats)
        async with srv:
            await _play_all(port, SOURCES[1][1])

    asyncio.run(main())
    assert stats.handler_errors == 1 and len(seen) == len(sessions(SOURCES[1][1])) == stats.observations


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _run_cli_server(tmp_path: Path, db: str) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = agi_env(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "cdr_agent.cli", "fastagi", "--listen", f"{HOST}:{port}", "--db", db],
                            env=env, cwd=REPO, stderr=subprocess.PIPE, text=True)
    for _ in range(200):
        try:
            socket.create_connection((HOST, port), timeout=0.1).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("cdr-agent fastagi did not start: " + (proc.stderr.read() if proc.stderr else ""))


def _stop(proc: subprocess.Popen) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    return proc.returncode, err


def test_cdr_agent_fastagi_stores_calls(tmp_path: Path) -> None:
    name, folder, _ = SOURCES[5]  # 06_blind_transfer
    db = f"sqlite:///{tmp_path / 'fastagi.sqlite'}"
    proc, port = _run_cli_server(tmp_path, db)
    asyncio.run(_play_all(port, folder))
    code, err = _stop(proc)
    assert code == 0, err
    assert '"event": "fastagi_stopped"' in err and '"stored": 2' in err
    engine = open_engine(db)
    try:
        check_agi_trees(name, folder, list(iter_documents(engine)), timed=False)
    finally:
        engine.dispose()


def test_cdr_agent_fastagi_spools_while_the_database_is_down(tmp_path: Path) -> None:
    """The database is unreachable: sessions are served, observations spooled; a later
    import stores each once."""
    name, folder, _ = SOURCES[5]
    proc, port = _run_cli_server(tmp_path, f"postgresql+psycopg://nobody@{HOST}:{_free_port()}/none?connect_timeout=1")
    asyncio.run(_play_all(port, folder))
    code, err = _stop(proc)
    assert code == 0, err
    assert '"spooled": 2' in err
    spool = Spool(tmp_path / "spool")
    assert len(spool.pending()) == 2
    from cdr_agent.cli import main

    db = f"sqlite:///{tmp_path / 'later.sqlite'}"
    assert main(["spool", "import", "--db", db, "--spool", spool.root]) == 0
    assert main(["spool", "import", "--db", db, "--spool", spool.root]) == 0
    engine = open_engine(db)
    try:
        check_agi_trees(name, folder, list(iter_documents(engine)), timed=False)
    finally:
        engine.dispose()
    assert spool.pending() == []

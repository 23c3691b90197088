"""The real `agi-bin/` scripts, run as Asterisk runs them, on every recorded AGI session.

Each session's environment goes to the script's stdin and every command it sends is
answered from the session's recorded variables. The spooled observations must say what the
recording says; imported into the database they must give the AGI-only trees (checked for
structure against truth.json; the script's clock is today's, so ring times are not compared).
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from cdr_agent.agi.importer import ObservationStore, import_spool
from cdr_agent.agi.observation import Observation
from cdr_agent.agi.recorded import RecordedSession, play_classic
from cdr_agent.agi.session import names_to_read
from cdr_agent.agi.spool import Spool
from cdr_agent.store import iter_documents, open_engine
from test_agi_traces import SOURCES, USER_KEYS, agi_documents, check_agi_trees, recorded_observations, sessions

REPO = Path(__file__).resolve().parents[1]
AGI_BIN = REPO / "agi-bin"


def script_for(session: dict) -> Path:
    return AGI_BIN / ("cdr-agent-transfer" if session["script_args"][0] == "transfer" else "cdr-agent-dial-result")


def agi_env(tmp: Path, server: str = "a", user_keys: tuple[str, ...] = USER_KEYS, extra: str = "",
            spool: Path | None = None) -> dict[str, str]:
    """Environment for a script run: its settings file (spool under `tmp`) and our package.
    The deadline is generous (a busy test machine must not cut sessions short); the deadline
    test sets its own in `extra` (the last value of a key wins)."""
    tmp.mkdir(parents=True, exist_ok=True)
    conf = tmp / "agi.conf"
    conf.write_text(f"[agi]\nserver = {server}\nspool = {spool or tmp / 'spool'}\n"
                    f"user_variables = {' '.join(user_keys)}\ndeadline_ms = 5000\n{extra}")
    return dict(os.environ, CDR_AGENT_AGI_CONFIG=str(conf), PYTHONPATH=str(REPO))


def run_script(script: Path, session: RecordedSession, env: dict[str, str], **kw):
    return play_classic([sys.executable, str(script)], session, env, **kw)


def spooled(tmp: Path) -> list[Observation]:
    spool = Spool(tmp / "spool")
    return [obs for obs in (spool.read(p) for p in spool.pending()) if obs is not None]


@pytest.fixture(scope="module")
def script_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every recorded session through the real scripts, once: source name -> its folder
    (settings file + spool)."""
    out = {}
    for name, folder, server in SOURCES:
        tmp = tmp_path_factory.mktemp(name.replace("/", "_"))
        env = agi_env(tmp, server)
        for line in sessions(folder):
            played = run_script(script_for(line), RecordedSession.from_line(line), env)
            assert played.returncode == 0 and played.stderr == "", (name, line["seq"], played.stderr)
            assert played.commands and all(c.startswith("GET FULL VARIABLE ") for c in played.commands)
        out[name] = tmp
    return out


@pytest.mark.parametrize("name,folder,server", SOURCES, ids=[s[0] for s in SOURCES])
def test_scripts_observe_what_the_recording_holds(script_runs, name: str, folder: Path, server: str) -> None:
    ours = spooled(script_runs[name])
    recorded = recorded_observations(folder, server, USER_KEYS)
    assert len(ours) == len(recorded)
    names = names_to_read(USER_KEYS)
    for mine, theirs, line in zip(ours, recorded, sessions(folder)):
        assert (mine.server, mine.label, mine.uniqueid, mine.channel, mine.linkedid, mine.user_data) == (
            theirs.server, theirs.label, theirs.uniqueid, theirs.channel, theirs.linkedid, theirs.user_data)
        assert mine.variables == {n: line["vars"].get(n) or "" for n in names}
        assert mine.obs_id and mine.time is not None


@pytest.mark.parametrize("name,folder,server", SOURCES, ids=[s[0] for s in SOURCES])
def test_spooled_sessions_import_into_agi_only_trees(script_runs, tmp_path, name, folder, server) -> None:
    spool_dir = tmp_path / "spool"
    shutil.copytree(script_runs[name] / "spool", spool_dir)
    engine = open_engine(f"sqlite:///{tmp_path / 'agi.sqlite'}")
    try:
        stats = import_spool(Spool(spool_dir), ObservationStore(engine))
        stored = list(iter_documents(engine))
    finally:
        engine.dispose()
    assert stats.observations == len(sessions(folder)) and stats.duplicates == 0
    assert Spool(spool_dir).pending() == []
    expected = agi_documents(spooled(script_runs[name]))
    assert sorted(stored, key=lambda d: d["call_id"]) == sorted(expected, key=lambda d: d["call_id"])
    check_agi_trees(name, folder, stored, timed=False)


def test_import_on_each_backend_is_idempotent(script_runs, db_url: str, tmp_path) -> None:
    """Every trace's spool imported into one database (SQLite and PostgreSQL), then the same
    files again (a crash after commit, before the files were deleted): nothing twice."""
    engine = open_engine(db_url)
    try:
        store = ObservationStore(engine)
        for name, _, _ in SOURCES:
            shutil.copytree(script_runs[name] / "spool", tmp_path / name, dirs_exist_ok=True)
            shutil.copytree(script_runs[name] / "spool", tmp_path / f"again-{name}", dirs_exist_ok=True)
        first = [import_spool(Spool(tmp_path / name), store) for name, _, _ in SOURCES]
        docs = sorted(iter_documents(engine), key=lambda d: d["call_id"])
        again = [import_spool(Spool(tmp_path / f"again-{name}"), store) for name, _, _ in SOURCES]
        assert sorted(iter_documents(engine), key=lambda d: d["call_id"]) == docs
    finally:
        engine.dispose()
    assert sum(s.observations for s in first) == sum(len(sessions(f)) for _, f, _ in SOURCES)
    assert sum(s.observations for s in again) == 0
    assert sum(s.duplicates for s in again) == sum(s.observations for s in first)
    expected = sum(len(agi_documents(spooled(script_runs[name]))) for name, _, _ in SOURCES)
    assert len(docs) == expected
    servers = {d["server"] for d in docs}
    assert {"a", "server_a", "server_b"} <= servers

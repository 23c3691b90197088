"""The spool and the import: nothing lost, nothing stored twice."""
from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import func, select

from cdr_agent.agi.importer import ObservationStore, import_spool
from cdr_agent.agi.observation import Observation
from cdr_agent.agi.sink import StoringHandler
from cdr_agent.agi.spool import Spool
from cdr_agent.cli import main
from cdr_agent.store import iter_documents, open_engine
from cdr_agent.store.agi_tables import agi_observations
from test_agi_traces import SOURCES, agi_documents, check_agi_trees, recorded_observations

BLIND = SOURCES[5]  # 06_blind_transfer: the transferee's TRANSFER_CONTEXT run, then its hangup
ATTENDED = SOURCES[7]  # 08_attended_transfer: three runs on two channels


def _docs(engine) -> list[dict]:
    return sorted(iter_documents(engine), key=lambda d: d["call_id"])


def _stored_rows(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(agi_observations)).scalar_one()


def test_database_down_then_back(tmp_path: Path, db_url: str) -> None:
    """The database refuses: observations go to the spool; once it is back, the import
    stores each once, and a second look at the same files stores nothing again."""
    name, folder, server = BLIND
    observations = recorded_observations(folder, server)
    dead = open_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1", create=False)
    spool = Spool(tmp_path / "spool")
    handler = StoringHandler(ObservationStore(dead), spool, retry_s=3600).start()
    for obs in observations:
        handler(obs)
    handler.close()
    assert handler.stats.spooled == len(observations) and handler.stats.stored == 0
    backup = tmp_path / "copy"
    shutil.copytree(spool.root, backup)

    engine = open_engine(db_url)
    try:
        store = ObservationStore(engine)
        assert import_spool(spool, store).observations == len(observations)
        docs = _docs(engine)
        again = import_spool(Spool(backup), store)  # the same files once more (crash before unlink)
        assert (again.observations, again.duplicates) == (0, len(observations))
        assert _docs(engine) == docs and _stored_rows(engine) == len(observations)
    finally:
        engine.dispose()
    check_agi_trees(name, folder, docs, timed=True)
    assert spool.pending() == []


def test_live_handler_stores_and_catches_up(tmp_path: Path) -> None:
    name, folder, server = ATTENDED
    observations = recorded_observations(folder, server)
    spool = Spool(tmp_path / "spool")
    spool.put(observations[0])  # left over from an outage
    engine = open_engine(f"sqlite:///{tmp_path / 'live.sqlite'}")
    try:
        handler = StoringHandler(ObservationStore(engine), spool, retry_s=0.01).start()
        for obs in observations[1:]:
            handler(obs)
        handler.close()
        docs = _docs(engine)
    finally:
        engine.dispose()
    assert handler.stats.stored == len(observations) - 1 and handler.stats.imported == 1
    assert spool.pending() == []
    check_agi_trees(name, folder, docs, timed=True)


def test_late_observation_rebuilds_the_call(tmp_path: Path) -> None:
    """Runs imported one by one, newest first (a spool drained late, two importers): each
    import rebuilds the group; the calls of an earlier partial build are replaced, none left."""
    name, folder, server = ATTENDED
    observations = recorded_observations(folder, server)
    engine = open_engine(f"sqlite:///{tmp_path / 'late.sqlite'}")
    try:
        store = ObservationStore(engine)
        removed = sum(store.add([obs]).calls_removed for obs in reversed(observations))
        docs = _docs(engine)
    finally:
        engine.dispose()
    assert removed >= 1  # the first partial call had another first leg, hence another id
    assert docs == sorted(agi_documents(observations), key=lambda d: d["call_id"])
    check_agi_trees(name, folder, docs, timed=True)


def test_unreadable_spool_files_are_set_aside(tmp_path: Path) -> None:
    _, folder, server = BLIND
    spool = Spool(tmp_path / "spool")
    for obs in recorded_observations(folder, server):
        spool.put(obs)
    Path(spool.new, "00000000000000000001-bad.json").write_text("{not json")
    Path(spool.new, "00000000000000000002-bad.json").write_text('{"format": 1, "server": 5}')
    Path(spool.new, "00000000000000000003-bad.json").write_bytes(b"\xff\xfe")
    engine = open_engine(f"sqlite:///{tmp_path / 'bad.sqlite'}")
    try:
        stats = import_spool(spool, ObservationStore(engine))
    finally:
        engine.dispose()
    assert (stats.observations, stats.rejected) == (2, 3)
    assert spool.pending() == [] and len(spool.rejected_files()) == 3


def test_observation_survives_the_spool_verbatim(tmp_path: Path) -> None:
    obs = Observation.from_agi("pbx", {"agi_uniqueid": "1.2", "agi_channel": "PJSIP/1-0", "agi_arg_1": "hangup"},
                               {"CALLERID(name)": "Zoë \"x\"\n😀", "X": None, "CAMPAIGN": "c"}, 12.5, ("CAMPAIGN",))
    spool = Spool(tmp_path)
    path = spool.put(obs)
    assert spool.read(path) == obs and spool.rejected == 0
    spool.done(path)
    spool.done(path)  # twice is fine
    assert spool.pending() == []


def test_spool_cli(tmp_path: Path, capsys) -> None:
    _, folder, server = BLIND
    spool = Spool(tmp_path / "spool")
    for obs in recorded_observations(folder, server):
        spool.put(obs)
    assert main(["spool", "status", "--spool", spool.root]) == 0
    assert "2 waiting, 0 rejected" in capsys.readouterr().out
    db = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    assert main(["spool", "import", "--spool", spool.root, "--db", db]) == 0
    assert "2 observations stored (0 already there, 0 unreadable) -> 1 calls written" in capsys.readouterr().out
    assert main(["spool", "import", "--spool", spool.root,
                 "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"]) == 0  # nothing to do
    spool.put(recorded_observations(folder, server)[0])
    assert main(["spool", "import", "--spool", spool.root,
                 "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"]) == 2  # a database problem
    assert "files kept" in capsys.readouterr().err and len(spool.pending()) == 1

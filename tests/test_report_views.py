"""The reporting views say what the call trees and the statistics tables say, on every database."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, func, select, text

from collections import Counter

from cdr_agent.calltree.direction import INBOUND, OUTBOUND, Trunks
from cdr_agent.replay import replay_path, storing_ingest
from cdr_agent.store import iter_calls, list_calls, open_engine
from cdr_agent.store.stats_tables import stat_agent_sessions, stat_queue_calls
from tracekit import TRACE_NAMES, TRACES

SIP = Path(__file__).parent / "fixtures" / "traces-sip"
README = Path(__file__).parents[1] / "README.md"


def readme_queries() -> list[str]:
    """The dashboard queries of the README's "Reporting from SQL" section, as written there."""
    section = README.read_text(encoding="utf-8").split("## Reporting from SQL", 1)[1].split("\n## ", 1)[0]
    return [block.split("```", 1)[0] for block in section.split("```sql\n")[1:]]


def _store_all(engine: Engine) -> None:
    for path in [TRACES / n for n in TRACE_NAMES] + sorted(p / "ami.log" for p in SIP.iterdir() if p.is_dir()):
        ingest = storing_ingest(engine)
        replay_path(ingest, path, "a")
        ingest.close()


def _rows(engine: Engine, sql: str) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text(sql))]


def test_report_views(db_url: str) -> None:
    engine = open_engine(db_url)
    try:
        _store_all(engine)
        listing = {c["call_id"]: c for c in list_calls(engine)}
        calls = {r["call_id"]: r for r in _rows(engine, "SELECT * FROM report_calls")}
        assert calls.keys() == listing.keys()
        for call_id, row in calls.items():
            ours = listing[call_id]
            # The SQL rule is the summary's rule (store/summary.py disposition), call by call.
            assert row["disposition"] == ours["disposition"], (call_id, ours["dialed"])
            assert bool(row["answered"]) == ours["answered"]
            if row["first_answer_at"] is not None and row["ring_s"] is not None:
                assert 0 <= row["ring_s"] <= row["duration_s"] + 0.001
        assert {r["disposition"] for r in calls.values()} >= {"answered", "abandoned", "no answer", "busy"}

        with engine.connect() as conn:
            stat_rows = conn.scalar(select(func.count()).select_from(stat_queue_calls))
            sessions = conn.scalar(select(func.count()).select_from(stat_agent_sessions))
        queue = _rows(engine, "SELECT queue, status, agent, wait_s, talk_s FROM report_queue_calls")
        assert len(queue) == stat_rows > 0
        assert all(r["agent"] for r in queue if r["status"] == "answered")
        agents = _rows(engine, "SELECT agent, kind, started_at, ended_at, duration_s FROM report_agent_sessions")
        assert len(agents) == sessions
        assert all((r["duration_s"] is None) == (r["ended_at"] is None) for r in agents)

        service_level, per_trunk = readme_queries()
        hours = _rows(engine, service_level)
        assert sum(h["offered"] for h in hours) == len(queue)
        assert all(0 <= float(h["service_level_pct"]) <= 100 for h in hours)
        if engine.dialect.name == "sqlite":
            return  # the trunk query uses regexp_replace: PostgreSQL and MariaDB
        assert _rows(engine, per_trunk) == []  # no channel of the recordings is named *trunk*
        # The SIP recordings' trunk is SIP/voipgrid-*: as an admin's pattern, a LIKE pattern
        # from direction.py (they have no times: the date condition goes).
        trunks = Trunks(("SIP/voipgrid-*",))
        like = trunks.like_patterns()[0]
        got = _rows(engine, per_trunk.replace("'%trunk%'", f"'{like}'")
                    .replace("  AND c.started_at >= '2026-11-23 00:00:00'\n", ""))
        stored = list(iter_calls(engine))
        for direction in (INBOUND, OUTBOUND):
            expected = Counter(trunks.trunk_of(c) for c in stored if trunks.direction(c) == direction)
            assert {r["trunk"]: r["calls"] for r in got if r["direction"] == direction} == expected, direction
    finally:
        engine.dispose()

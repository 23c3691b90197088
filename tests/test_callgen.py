"""The call generator: its streams build the call trees its truth describes, and the
statistics filled from them equal the truth, counter for counter."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from cdr_agent.callgen.config import default_scenario
from cdr_agent.callgen.stream import CallGenerator
from cdr_agent.calltree.document import iso, to_document
from cdr_agent.calltree.state import make_id
from cdr_agent.cli import main
from cdr_agent.ingest import Ingest
from cdr_agent.replay import read_events, storing_ingest
from cdr_agent.stats.fill import fill
from cdr_agent.store.stats_tables import (
    stat_agent_hourly,
    stat_agent_presence_hourly,
    stat_queue_calls,
    stat_queue_hourly,
)
from cdr_agent.store.engine import open_engine

NOW = 1795000000.0  # 2026-11-18: after every generated stream below


def build(generator: CallGenerator) -> dict[str, object]:
    """Call trees of a generated stream, in memory, by call id."""
    ingest = Ingest()
    ingest.events(read_events(generator.chunks(), generator.sc.server, ingest.stats))
    assert not ingest.close(), "every generated call ends"
    assert not ingest.stats.failures and not ingest.stats.skipped
    return {call.call_id: call for call in ingest.finished}


def store_and_fill(generator: CallGenerator, engine: Engine) -> None:
    ingest = storing_ingest(engine)
    ingest.events(read_events(generator.chunks(), generator.sc.server, ingest.stats))
    ingest.close()
    assert not ingest.stats.failures and not ingest.stats.skipped
    fill(engine, now=NOW)


def _table(engine: Engine, table, keys: tuple[str, ...]) -> dict[tuple, dict]:
    out = {}
    with engine.connect() as conn:
        for row in conn.execute(select(table)):
            values = dict(row._mapping)
            values["hour"] = iso(values["hour"])
            key = tuple(values.pop(k) for k in keys)
            values.pop("server")
            out[key] = {k: round(v, 3) if isinstance(v, float) else v for k, v in values.items()}
    return out


def _truth(rows: list[dict], keys: tuple[str, ...]) -> dict[tuple, dict]:
    return {tuple(r[k] for k in keys): {k: v for k, v in r.items() if k not in keys} for r in rows}


def assert_matches_truth(engine: Engine, generator: CallGenerator) -> None:
    """Every hourly counter, and every per-call row when the truth kept them."""
    truth = generator.truth
    for table, keys, expected in (
        (stat_queue_hourly, ("hour", "queue"), truth.queue_rows()),
        (stat_agent_hourly, ("hour", "queue", "agent"), truth.agent_rows()),
        (stat_agent_presence_hourly, ("hour", "agent"), truth.presence_rows()),
    ):
        ours, want = _table(engine, table, keys), _truth(expected, keys)
        assert set(ours) == set(want), table.name
        wrong = [(k, ours[k], want[k]) for k in want if ours[k] != want[k]]
        assert not wrong, (table.name, len(wrong), wrong[:3])
    if truth.keep_visits:
        _assert_visits(engine, generator)


def _assert_visits(engine: Engine, generator: CallGenerator) -> None:
    with engine.connect() as conn:
        got = conn.execute(select(stat_queue_calls).order_by(stat_queue_calls.c.entered_at)).all()
    ours: dict[str, list] = {}
    for row in got:
        ours.setdefault(row.call_id, []).append(row)
    server = generator.sc.server
    expected: dict[str, list] = {}
    for v in generator.truth.visits:
        expected.setdefault(make_id("call", server, v.caller_uniqueid), []).append(v)
    assert set(ours) == set(expected)
    fields = ("queue", "hour", "status", "agent", "wait_s", "ring_s", "talk_s")
    for call_id, visits in expected.items():
        mine = [tuple(getattr(r, f) for f in fields) for r in ours[call_id]]
        assert mine == [tuple(getattr(v, f) for f in fields) for v in visits], call_id


def test_same_seed_same_stream() -> None:
    small = default_scenario(150, queues=3, agents=8)
    first, again = b"".join(CallGenerator(small).chunks()), b"".join(CallGenerator(small).chunks())
    assert first == again
    other = b"".join(CallGenerator(default_scenario(150, queues=3, agents=8, seed=2)).chunks())
    assert other != first
    assert first.startswith(b"Asterisk Call Manager/") and first.endswith(b"\r\n\r\n")


def test_trees_are_what_the_generator_simulated() -> None:
    generator = CallGenerator(default_scenario(1500, queues=4, agents=12), keep_visits=True)
    calls = build(generator)
    server = generator.sc.server
    seen = Counter()
    for v in generator.truth.visits:
        call = calls[make_id("call", server, v.caller_uniqueid)]
        (app,) = [a for a in call.apps if a.app == "queue" and a.name == v.queue and a.entered_at // 3600 * 3600 == v.hour
                  and round(a.wait_s, 3) == v.wait_s]
        rings = [a for a in call.attempts if a.app_id == app.app_id]
        assert len(rings) == v.agents_rung
        outcomes = Counter(a.outcome for a in rings)
        assert (outcomes["NOANSWER"], outcomes["BUSY"]) == (v.ring_no_answer, v.rejected)
        answered = [a for a in rings if a.outcome == "ANSWER"]
        assert [a.agent for a in answered] == ([v.agent] if v.agent else [])
        transfers = [t for t in call.transfers if answered and t.transferer_leg == answered[0].to_leg and t.completed]
        assert bool(transfers) == (v.status == "transferred")
        assert app.result == ("answered" if v.status == "transferred" else v.status)
        seen.update(outcomes)
        seen[v.status] += 1
    # The stream exercises what the statistics must tell apart.
    for kind in ("ANSWER", "NOANSWER", "BUSY", "CANCEL", "answered", "transferred", "abandoned", "timeout"):
        assert seen[kind] > 0, kind


def test_full_and_compact_streams_give_the_same_trees() -> None:
    scenario = default_scenario(300, queues=4, agents=10, seed=3)
    compact, full = build(CallGenerator(scenario)), build(CallGenerator(scenario, full=True))
    assert len(full) == 300
    assert {k: to_document(c) for k, c in compact.items()} == {k: to_document(c) for k, c in full.items()}


def test_statistics_equal_the_truth(engine: Engine) -> None:
    generator = CallGenerator(default_scenario(2000, queues=5, agents=15, seed=4), keep_visits=True)
    store_and_fill(generator, engine)
    assert_matches_truth(engine, generator)


@pytest.mark.slow
def test_100k_calls_over_10_queues_and_50_agents(tmp_path: Path) -> None:
    """The issue's acceptance test (SQLite: the same SQL runs on PostgreSQL in the test above)."""
    generator = CallGenerator(default_scenario(100_000, queues=10, agents=50, seed=5), keep_visits=True)
    engine = open_engine(f"sqlite:///{tmp_path / 'big.sqlite'}")
    store_and_fill(generator, engine)
    totals = generator.truth.totals()
    assert totals["calls"] == 100_000 and len(totals["by_queue"]) == 10
    assert len({row["agent"] for row in generator.truth.agent_rows()}) == 50
    for status in ("answered", "transferred", "abandoned", "timeout"):
        assert totals["by_status"][status] > 100, status
    assert_matches_truth(engine, generator)


def test_cli_writes_a_trace_folder_that_replays(tmp_path: Path, capsys) -> None:
    out, db = tmp_path / "gen", f"sqlite:///{tmp_path / 'cli.sqlite'}"
    assert main(["callgen", "--calls", "120", "--queues", "2", "--agents", "5", "--out", str(out)]) == 0
    assert "120 calls" in capsys.readouterr().out
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    assert truth["totals"]["calls"] == 120 and truth["queue_hours"]
    assert main(["replay", str(out), "--server", "callgen", "--db", db]) == 0
    assert "120 calls stored" in capsys.readouterr().out
    assert main(["callgen", "--calls", "10", "--queues", "40", "--out", str(out)]) == 2

"""`stats fill`: complete hours only, safe to run again, late calls refilled, windows rebuilt."""
from __future__ import annotations

from sqlalchemy import Engine, select

from cdr_agent.callgen.config import default_scenario
from cdr_agent.callgen.stream import CallGenerator
from cdr_agent.ingest import Ingest
from cdr_agent.replay import read_events
from cdr_agent.stats.fill import fill, filled_until
from cdr_agent.stats.recorder import PresenceRecorder
from cdr_agent.store.stats_tables import (
    stat_agent_calls,
    stat_agent_hourly,
    stat_agent_presence_hourly,
    stat_queue_calls,
    stat_queue_hourly,
)
from cdr_agent.store.writer import CallWriter
from test_callgen import NOW, assert_matches_truth

HOUR = 3600.0
TABLES = (stat_queue_calls, stat_agent_calls, stat_queue_hourly, stat_agent_hourly, stat_agent_presence_hourly)


def generated(engine: Engine, calls: int = 400) -> tuple[CallGenerator, list]:
    """A small call centre's stream: presence stored, calls built but not stored yet."""
    generator = CallGenerator(default_scenario(calls, queues=3, agents=10, seed=7), keep_visits=True)
    ingest = Ingest(sink=PresenceRecorder(engine))
    ingest.events(read_events(generator.chunks(), generator.sc.server))
    ingest.close()
    return generator, sorted(ingest.finished, key=lambda c: c.started_at)


def dump(engine: Engine) -> dict[str, list]:
    with engine.connect() as conn:
        return {t.name: sorted(map(tuple, conn.execute(select(t)))) for t in TABLES}


def test_running_hour_is_left_for_the_next_fill(engine: Engine) -> None:
    generator, calls = generated(engine)
    CallWriter(engine).write(calls)
    start = generator.sc.start
    first = fill(engine, now=start + 1.5 * HOUR)
    assert first.last == start and filled_until(engine) == start + HOUR
    assert first.queue_calls == sum(a.app == "queue" for c in calls if c.started_at < start + HOUR for a in c.apps)
    with engine.connect() as conn:
        hours = set(conn.scalars(select(stat_queue_hourly.c.hour)))
    assert hours == {start}, "hour start+1h is still running: no counters for it yet"
    second = fill(engine, now=NOW)
    assert second.first == start + HOUR and not second.refilled
    assert_matches_truth(engine, generator)


def test_fill_again_and_rebuild_change_nothing(engine: Engine) -> None:
    generator, calls = generated(engine)
    CallWriter(engine).write(calls)
    fill(engine, now=NOW)
    before = dump(engine)
    assert fill(engine, now=NOW).hours == 0
    start = generator.sc.start
    rebuilt = fill(engine, start - HOUR, start + 6 * HOUR, now=NOW)
    assert rebuilt.hours == 7
    assert dump(engine) == before
    one_more = fill(engine, now=NOW + HOUR)
    assert (one_more.hours, one_more.first) == (1, NOW // HOUR * HOUR), "incremental: only the new hour"


def test_late_calls_refill_their_hour(engine: Engine) -> None:
    generator, calls = generated(engine)
    start = generator.sc.start
    late = [c for c in calls if start + HOUR <= c.started_at < start + 2 * HOUR][:5]
    writer = CallWriter(engine)
    writer.write([c for c in calls if c not in late])
    fill(engine, now=start + 3 * HOUR)
    writer.write(late)  # a call that ran past the hour, or a capture catching up
    result = fill(engine, now=NOW)
    assert result.refilled == [start + HOUR]
    assert_matches_truth(engine, generator)


def test_changes_older_than_the_lookback_need_a_rebuild(engine: Engine) -> None:
    generator, calls = generated(engine)
    start = generator.sc.start
    late = [c for c in calls if c.started_at < start + HOUR][:3]
    writer = CallWriter(engine)
    writer.write([c for c in calls if c not in late])
    fill(engine, now=NOW)
    writer.write(late)
    assert fill(engine, now=NOW).refilled == []
    with engine.connect() as conn:
        offered = sum(conn.scalars(select(stat_queue_hourly.c.offered)))
    unseen = sum(a.app == "queue" for c in late for a in c.apps)
    assert offered == generator.truth.totals()["queue_visits"] - unseen > 0, "the late calls are not counted yet"
    fill(engine, start, start + HOUR, now=NOW)
    assert_matches_truth(engine, generator)


def test_calls_in_progress_wait_until_they_end(engine: Engine) -> None:
    generator, calls = generated(engine, calls=60)
    first = calls[0]
    first.status, ended_at = "in_progress", first.ended_at
    writer = CallWriter(engine)
    writer.write(calls)
    fill(engine, now=generator.sc.start + 3 * HOUR)
    with engine.connect() as conn:
        ids = set(conn.scalars(select(stat_queue_calls.c.call_id)))
    assert first.call_id not in ids and len(ids) == 59
    first.status, first.ended_at = "complete", ended_at
    writer.write([first])
    assert fill(engine, now=generator.sc.start + 3 * HOUR + HOUR).refilled == [generator.sc.start]
    assert_matches_truth(engine, generator)


def test_empty_database_has_nothing_to_fill(engine: Engine) -> None:
    result = fill(engine, now=NOW)
    assert (result.hours, result.queue_calls) == (0, 0) and filled_until(engine) is None


def test_a_later_rebuild_leaves_no_unfilled_hours_behind(engine: Engine) -> None:
    generator, calls = generated(engine)
    CallWriter(engine).write(calls)
    start = generator.sc.start
    first = fill(engine, start + 2 * HOUR, start + 3 * HOUR, now=NOW)
    assert first.first == start - HOUR, "filled from the first data, not from --start"
    fill(engine, now=NOW)
    assert_matches_truth(engine, generator)


def test_rederive_rebuilds_the_per_call_rows_from_the_stored_trees(engine: Engine) -> None:
    """A database whose calls were stored before the per-call tables existed (or by a version
    that counted differently) gets them from its call trees, and the same statistics."""
    generator, calls = generated(engine)
    CallWriter(engine).write(calls)
    fill(engine, now=NOW)
    before = dump(engine)
    with engine.begin() as conn:
        conn.execute(stat_queue_calls.delete())
        conn.execute(stat_agent_calls.update().values(rung=99))  # wrong: replaced, not added to
    result = fill(engine, now=NOW, rederive=True)
    assert result.rederived == len(calls) and result.first == generator.sc.start - HOUR
    assert dump(engine) == before
    assert_matches_truth(engine, generator)


def test_rederive_of_a_window_touches_only_its_calls(engine: Engine) -> None:
    generator, calls = generated(engine)
    CallWriter(engine).write(calls)
    start = generator.sc.start
    with engine.begin() as conn:
        conn.execute(stat_queue_calls.delete())
    in_window = [c for c in calls if start + HOUR <= c.started_at < start + 2 * HOUR]
    result = fill(engine, start + HOUR, start + 2 * HOUR, now=NOW, rederive=True)
    assert result.rederived == len(in_window) > 0
    with engine.connect() as conn:
        stored = set(conn.scalars(select(stat_queue_calls.c.call_id)))
    assert stored == {c.call_id for c in in_window if any(a.app == "queue" for a in c.apps)}

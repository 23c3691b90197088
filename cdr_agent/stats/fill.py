"""`stats fill`: bring the statistics tables up to date with the stored call trees.

The unit of work is an hour of call starts. A fill takes complete hours only (an hour still
running is left for the next fill), one transaction per chunk of hours, so readers see an
hour before or after, never half; it is safe to run again and to interrupt.

Incremental by default: from the last filled hour to the last complete one. Calls are
stored when they end, so an hour already filled can still gain calls (a call that ran over
the hour, a capture that caught up late). Each fill remembers how many settled calls each
hour had; hours within `lookback` whose count has changed since are filled again. Older
changes need an explicit rebuild: `--start/--end` refills a window whatever was done before.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import Engine, func, select, true
from sqlalchemy.engine import Connection

from ..store.stats_tables import (
    stat_agent_hourly,
    stat_agent_presence_hourly,
    stat_agent_sessions,
    stat_fill_hours,
    stat_queue_hourly,
)
from ..store.tables import calls
from . import derive
from .presence import hourly_presence
from .recorder import load_sessions
from .sql import HOUR_S, ceil_hour, floor_hour, hours

DEFAULT_LOOKBACK_H = 3
# Hours per transaction when catching up or rebuilding: a month, so that a chunk's fixed
# costs (a hash join reads a whole table on PostgreSQL) are spread over many calls.
DEFAULT_CHUNK_H = 744
_PG_SETTINGS = {"jit": "off", "random_page_cost": "1.1", "work_mem": "64MB"}
_SQLITE_CACHE = "PRAGMA cache_size = -262144"  # negative: in KiB, so 256 MiB


@dataclass
class FillResult:
    hours: int = 0  # hours of call starts filled
    queue_calls: int = 0  # per-call queue rows written
    first: Optional[float] = None
    last: Optional[float] = None  # start of the last hour filled
    refilled: list[float] = field(default_factory=list)  # hours filled again (their calls changed)


def fill(
    engine: Engine,
    start: Optional[float] = None,
    end: Optional[float] = None,
    *,
    now: Optional[float] = None,
    lookback_h: int = DEFAULT_LOOKBACK_H,
    chunk_h: int = DEFAULT_CHUNK_H,
) -> FillResult:
    """Fill the complete hours due (or those of [start, end) when either is given)."""
    cutoff = floor_hour(time.time() if now is None else now)  # start of the running hour
    result = FillResult()
    with engine.connect() as conn:
        windows = list(_windows(conn, start, end, cutoff, lookback_h, result))
    for lo, hi in windows:
        for chunk_lo in range(int(lo), int(hi), chunk_h * HOUR_S):
            chunk = (float(chunk_lo), min(hi, float(chunk_lo + chunk_h * HOUR_S)))
            with engine.begin() as conn:
                result.queue_calls += _fill_chunk(conn, *chunk, cutoff)
            result.hours += int((chunk[1] - chunk[0]) // HOUR_S)
            result.first = chunk[0] if result.first is None else min(result.first, chunk[0])
            result.last = chunk[1] - HOUR_S if result.last is None else max(result.last, chunk[1] - HOUR_S)
    return result


def _windows(
    conn: Connection, start: Optional[float], end: Optional[float], cutoff: float, lookback_h: int,
    result: FillResult,
) -> Iterator[tuple[float, float]]:
    """[lo, hi) ranges of hours to fill, in order.

    Hours are filled without holes: a rebuild window that starts after the last filled hour
    is extended back to it (or to the first data, before any fill).
    """
    filled = conn.scalar(select(func.max(stat_fill_hours.c.hour)))
    until = filled + HOUR_S if filled is not None else _first_hour(conn)
    if until is None:
        return
    if start is not None or end is not None:
        lo = min(floor_hour(start), until) if start is not None else _first_hour(conn)
        hi = min(ceil_hour(end), cutoff) if end is not None else cutoff
        if lo is not None and lo < hi:
            yield lo, hi
        return
    if filled is not None:
        result.refilled = _changed_hours(conn, max(until - lookback_h * HOUR_S, 0.0), until)
    for hour in result.refilled:
        yield hour, hour + HOUR_S
    if until < cutoff:
        yield until, cutoff


def _first_hour(conn: Connection) -> Optional[float]:
    """The hour of the first call or agent session stored."""
    firsts = [
        conn.scalar(select(func.min(calls.c.started_at))),
        conn.scalar(select(func.min(stat_agent_sessions.c.started_at))),
    ]
    known = [t for t in firsts if t is not None]
    return floor_hour(min(known)) if known else None


def _changed_hours(conn: Connection, lo: float, hi: float) -> list[float]:
    """Filled hours in [lo, hi) whose settled call count is not what the last fill saw."""
    seen = dict(
        conn.execute(
            select(stat_fill_hours.c.hour, stat_fill_hours.c.calls).where(
                stat_fill_hours.c.hour >= lo, stat_fill_hours.c.hour < hi
            )
        ).all()
    )
    now = dict(conn.execute(derive.settled_calls_per_hour(lo, hi)).all())
    return [h for h in hours(lo, hi) if seen.get(h, 0) != now.get(h, 0)]


def _fill_chunk(conn: Connection, lo: float, hi: float, cutoff: float) -> int:
    """Refill the calls started in [lo, hi) and every hourly row they touch. Returns the
    number of per-call queue rows written."""
    with _tuned(conn):
        return _refill(conn, lo, hi, cutoff)


@contextmanager
def _tuned(conn: Connection) -> Iterator[None]:
    """Session settings for the statements of one chunk, undone afterwards."""
    if conn.dialect.name == "postgresql":
        # JIT compiling costs more than these queries; a window of hours is read best through
        # the indexes, which the planner underrates when tables are large and cached (it would
        # scan every table: a fill would cost the size of the store, not the window); and the
        # sorts and hashes of a chunk's rows should stay in memory. Local: this transaction.
        conn.execute(select(*(func.set_config(k, v, true()) for k, v in _PG_SETTINGS.items())))
        yield
    elif conn.dialect.name == "sqlite":
        # The default page cache (2 MB) thrashes on the per-call probes of calls, apps and
        # attempts by uuid: a larger one for the fill, then the connection's own again.
        # (A PRAGMA takes no bound parameter: the value restored is SQLite's own integer.)
        kept = int(conn.exec_driver_sql("PRAGMA cache_size").scalar())
        conn.exec_driver_sql(_SQLITE_CACHE)
        try:
            yield
        finally:
            conn.exec_driver_sql(f"PRAGMA cache_size = {kept:d}")
    else:
        yield


def _refill(conn: Connection, lo: float, hi: float, cutoff: float) -> int:
    """The statements of one chunk: per-call rows first, then the hourly rows from them."""
    touched = set(conn.scalars(derive.queue_call_hours(lo, hi)))
    conn.execute(derive.delete_queue_calls(lo, hi))
    insert = derive.insert_queue_calls(lo, hi)
    written = conn.execute(insert, execution_options={"preserve_rowcount": True}).rowcount
    touched |= set(conn.scalars(derive.queue_call_hours(lo, hi)))
    touched |= set(hours(lo, hi))
    # Hours from the running one on are left for the fill that covers them.
    for h_lo, h_hi in _runs(sorted(h for h in touched if h < cutoff)):
        for table, insert in (
            (stat_queue_hourly, derive.insert_queue_hourly),
            (stat_agent_hourly, derive.insert_agent_hourly),
        ):
            conn.execute(derive.delete_hours(table, h_lo, h_hi))
            conn.execute(insert(h_lo, h_hi))
    _fill_presence(conn, lo, hi)
    _remember(conn, lo, hi)
    return written


def _runs(sorted_hours: list[float]) -> Iterator[tuple[float, float]]:
    """Consecutive hours as [lo, hi) ranges."""
    run_lo = prev = None
    for h in sorted_hours:
        if prev is not None and h != prev + HOUR_S:
            yield run_lo, prev + HOUR_S
            run_lo = None
        run_lo = h if run_lo is None else run_lo
        prev = h
    if prev is not None:
        yield run_lo, prev + HOUR_S


def _fill_presence(conn: Connection, lo: float, hi: float) -> None:
    figures = hourly_presence(load_sessions(conn, lo, hi), lo, hi)
    conn.execute(derive.delete_hours(stat_agent_presence_hourly, lo, hi))
    if figures:
        conn.execute(
            stat_agent_presence_hourly.insert(),
            [{"hour": h, "server": server, "agent": agent, **f} for (h, server, agent), f in figures.items()],
        )


def _remember(conn: Connection, lo: float, hi: float) -> None:
    counts = dict(conn.execute(derive.settled_calls_per_hour(lo, hi)).all())
    conn.execute(derive.delete_hours(stat_fill_hours, lo, hi))
    stamp = time.time()
    conn.execute(
        stat_fill_hours.insert(),
        [{"hour": h, "calls": counts.get(h, 0), "filled_at": stamp} for h in hours(lo, hi)],
    )


def filled_until(engine: Engine) -> Optional[float]:
    """End of the last filled hour, or None before the first fill."""
    with engine.connect() as conn:
        last = conn.scalar(select(func.max(stat_fill_hours.c.hour)))
    return None if last is None else last + HOUR_S

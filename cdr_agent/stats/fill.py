"""`stats fill`: bring the hourly statistics up to date with the stored call trees.

The per-call rows are written with each call (store/percall.py); a fill adds them up by
hour. `rederive` first derives the per-call rows again from the stored trees (calls stored
before an upgrade that counts differently, or before the per-call tables existed).

The unit of work is an hour of call starts. A fill takes complete hours only (an hour still
running is left for the next fill), one transaction per chunk of hours, so readers see an
hour before or after, never half; it is safe to run again and to interrupt.

Incremental by default: from the last filled hour to the last complete one. Calls are
stored when they end, so an hour already filled can still gain calls (a call that ran over
the hour, a capture that caught up late). Each fill remembers how many queue visits the
finished calls started in each hour had; hours within `lookback` whose count has changed since
are filled again. Older changes need an explicit rebuild: `--start/--end` refills a window
whatever was done before.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Optional

from sqlalchemy import Engine, func, select, true
from sqlalchemy.engine import Connection

from ..store.queries import iter_calls
from ..store.stats_tables import (
    stat_agent_hourly,
    stat_agent_presence_hourly,
    stat_agent_sessions,
    stat_fill_hours,
    stat_queue_hourly,
)
from ..store.tables import calls
from ..store.writer import CallWriter, insert_rows
from . import derive
from ..hours import HOUR_S, ceil_hour, floor_hour, hours
from .presence import hourly_presence
from .recorder import load_spans

DEFAULT_LOOKBACK_H = 3
# Hours per transaction when catching up or rebuilding: a month, so that a chunk's fixed
# costs are spread over many calls.
DEFAULT_CHUNK_H = 744
_PG_SETTINGS = {"jit": "off", "work_mem": "64MB"}


@dataclass
class FillResult:
    hours: int = 0  # hours of call starts filled
    queue_calls: int = 0  # queue visits of the calls started in the hours filled
    first: Optional[float] = None
    last: Optional[float] = None  # start of the last hour filled
    refilled: list[float] = field(default_factory=list)  # hours filled again (their calls changed)
    rederived: int = 0  # calls whose per-call rows were derived again


def fill(
    engine: Engine,
    start: Optional[float] = None,
    end: Optional[float] = None,
    *,
    now: Optional[float] = None,
    lookback_h: int = DEFAULT_LOOKBACK_H,
    chunk_h: int = DEFAULT_CHUNK_H,
    rederive: bool = False,
    progress: Optional[Callable[[int], object]] = None,
) -> FillResult:
    """Fill the complete hours due (or those of [start, end) when either is given).

    With `rederive`, the per-call rows of the calls started in [start, end) (every call when
    neither is given) are derived again first, and their hours rebuilt; `progress(n)` is told
    each batch of n calls done.
    """
    cutoff = floor_hour(time.time() if now is None else now)  # start of the running hour
    result = FillResult()
    if rederive:
        result.rederived = rederive_calls(engine, start, end, progress=progress)
    with engine.connect() as conn:
        if rederive and start is None:
            start = _first_hour(conn)
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


def rederive_calls(engine: Engine, start: Optional[float], end: Optional[float], batch: int = 500,
                   progress: Optional[Callable[[int], object]] = None) -> int:
    """Write the per-call rows of the stored calls started in the hours of [start, end) again."""
    since = floor_hour(start) if start is not None else None
    until = ceil_hour(end) if end is not None else None
    writer, done, pending = CallWriter(engine), 0, []
    for call in iter_calls(engine, since, until, chunk=batch):
        pending.append(call)
        if len(pending) == batch:
            done += writer.rederive(pending)
            pending = []
            if progress is not None:
                progress(batch)
    return done + writer.rederive(pending)


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
    """Filled hours in [lo, hi) whose queue visits are not what the last fill saw."""
    seen = dict(
        conn.execute(
            select(stat_fill_hours.c.hour, stat_fill_hours.c.queue_visits).where(
                stat_fill_hours.c.hour >= lo, stat_fill_hours.c.hour < hi
            )
        ).all()
    )
    now = _per_call_hour(conn.execute(derive.queue_visits(lo, hi)).all())
    return [h for h in hours(lo, hi) if seen.get(h, 0) != now.get(h, 0)]


def _per_call_hour(visits: list[Any]) -> dict[float, int]:
    """Queue visits by hour of call start, from `derive.queue_visits` rows."""
    out: dict[float, int] = {}
    for call_hour, _, n in visits:
        out[call_hour] = out.get(call_hour, 0) + n
    return out


def _fill_chunk(conn: Connection, lo: float, hi: float, cutoff: float) -> int:
    """Refill every hourly row the calls started in [lo, hi) touch. Returns the number of
    queue visits of those calls."""
    if conn.dialect.name == "postgresql":
        # JIT compiling costs more than these aggregates save, and a month of agent visits
        # hashes into ~26 MB (1M calls in 1,400 hours, bench/stats_fill.py): past the default
        # 4 MB `work_mem` the hash aggregate would spill to disk. Local to this transaction.
        conn.execute(select(*(func.set_config(k, v, true()) for k, v in _PG_SETTINGS.items())))
    return _refill(conn, lo, hi, cutoff)


def _refill(conn: Connection, lo: float, hi: float, cutoff: float) -> int:
    """The statements of one chunk: the hourly rows the calls started in [lo, hi) touch,
    added up from their per-call rows. Returns the number of queue visits of those calls."""
    visits = conn.execute(derive.queue_visits(lo, hi)).all()
    touched = {entered for _, entered, _ in visits} | set(hours(lo, hi))
    # Hours from the running one on are left for the fill that covers them.
    for h_lo, h_hi in _runs(sorted(h for h in touched if h < cutoff)):
        for table, insert in (
            (stat_queue_hourly, derive.insert_queue_hourly),
            (stat_agent_hourly, derive.insert_agent_hourly),
        ):
            conn.execute(derive.delete_hours(table, h_lo, h_hi))
            conn.execute(insert(h_lo, h_hi))
    _fill_presence(conn, lo, hi)
    _remember(conn, lo, hi, _per_call_hour(visits))
    return sum(n for _, _, n in visits)


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
    figures = hourly_presence(load_spans(conn, lo, hi), lo, hi)
    conn.execute(derive.delete_hours(stat_agent_presence_hourly, lo, hi))
    rows = [{"hour": h, "server": server, "agent": agent, **f} for (h, server, agent), f in figures.items()]
    insert_rows(conn, stat_agent_presence_hourly, rows)


def _remember(conn: Connection, lo: float, hi: float, visits: dict[float, int]) -> None:
    conn.execute(derive.delete_hours(stat_fill_hours, lo, hi))
    stamp = time.time()
    rows = [{"hour": h, "queue_visits": visits.get(h, 0), "filled_at": stamp} for h in hours(lo, hi)]
    insert_rows(conn, stat_fill_hours, rows)


def first_hour(engine: Engine) -> Optional[float]:
    """The hour of the first call or agent session stored (None: nothing stored)."""
    with engine.connect() as conn:
        return _first_hour(conn)


def filled_until(engine: Engine) -> Optional[float]:
    """End of the last filled hour, or None before the first fill."""
    with engine.connect() as conn:
        last = conn.scalar(select(func.max(stat_fill_hours.c.hour)))
    return None if last is None else last + HOUR_S

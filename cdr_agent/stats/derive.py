"""The hourly statistics as set-based SQL over the per-call statistics rows.

One statement per table: the rows are added up and written by the database (INSERT ...
SELECT), never fetched into Python. Every statement covers a window of hours and reads only
that window (the per-call tables are keyed by hour first), so the cost of a fill follows the
size of the window, not of the tables (see bench/stats_fill.py). What a call counts as is
decided when it is written (store/percall.py).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Delete, Insert, Select, and_, case, delete, func, select
from sqlalchemy.sql.elements import ColumnElement

from ..calltree.vocab import ANSWERED, QUEUE_STATUSES, SL_THRESHOLDS, sl_column
from ..store.stats_tables import stat_agent_calls, stat_agent_hourly, stat_queue_calls, stat_queue_hourly


def _n(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """How many rows of the group meet `condition`."""
    return func.sum(case((condition, 1), else_=0))


def _total(condition: ColumnElement[bool], value: ColumnElement[Any]) -> ColumnElement[float]:
    return func.sum(case((condition, func.coalesce(value, 0.0)), else_=0.0))


def _most(condition: ColumnElement[bool], value: ColumnElement[Any]) -> ColumnElement[float]:
    return func.coalesce(func.max(case((condition, value))), 0.0)


def queue_visits(lo: float, hi: float) -> Select[Any]:
    """(hour of call start, hour entered, visits) for the queue visits of the calls started
    in [lo, hi): which hourly rows they touch, and what a fill remembers it saw."""
    c = stat_queue_calls.c
    return (
        select(c.call_hour, c.hour, func.count())
        .where(c.call_hour >= lo, c.call_hour < hi)
        .group_by(c.call_hour, c.hour)
    )


def insert_queue_hourly(lo: float, hi: float) -> Insert:
    q = stat_queue_calls.c
    answered = q.status.in_(ANSWERED)
    abandoned = q.status == "abandoned"
    figures: dict[str, ColumnElement[Any]] = {
        "hour": q.hour, "server": q.server, "queue": q.queue, "offered": func.count(),
    }
    for status in QUEUE_STATUSES:
        figures[status] = _n(answered if status == "answered" else q.status == status)
    figures.update(
        wait_s=func.sum(func.coalesce(q.wait_s, 0.0)),
        wait_max_s=func.coalesce(func.max(q.wait_s), 0.0),
        answered_wait_s=_total(answered, q.wait_s),
        answered_wait_max_s=_most(answered, q.wait_s),
        abandoned_wait_s=_total(abandoned, q.wait_s),
        abandoned_wait_max_s=_most(abandoned, q.wait_s),
        talk_s=_total(answered, q.talk_s),
    )
    for seconds in SL_THRESHOLDS:
        figures[sl_column(seconds)] = _n(and_(answered, q.wait_s <= seconds))
    rows = (
        select(*figures.values())
        .where(q.hour >= lo, q.hour < hi)
        .group_by(q.hour, q.server, q.queue)
    )
    return stat_queue_hourly.insert().from_select(list(figures), rows)


def insert_agent_hourly(lo: float, hi: float) -> Insert:
    """Agent figures per hour of queue entry: the visits' per-agent rows in [lo, hi)."""
    a = stat_agent_calls.c
    keys = (a.hour, a.server, a.queue, a.agent)
    sums = [c.name for c in stat_agent_hourly.c if not c.primary_key]
    figures = {c.name: c for c in keys} | {name: func.sum(a[name]) for name in sums}
    rows = select(*figures.values()).where(a.hour >= lo, a.hour < hi).group_by(*keys)
    return stat_agent_hourly.insert().from_select(list(figures), rows)


def delete_hours(table: Any, lo: float, hi: float) -> Delete:
    return delete(table).where(table.c.hour >= lo, table.c.hour < hi)

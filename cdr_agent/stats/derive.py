"""The statistics as set-based SQL over the call-tree tables.

One statement per table: the rows are computed and written by the database (INSERT ...
SELECT), never fetched into Python. Every statement covers a window of hours and reads only
that window through indexes, so the cost of a fill follows the size of the window, not of
the tables (see bench/stats_fill.py).

What the call tree gives, per queue visit (apps.app = 'queue'): the queue's result, entry and
exit times and wait; its attempts (via 'queue', app_id = the visit) with the agent, outcome,
ring and talk; the call's transfers. Derived here:
- `transferred`: the visit was answered and the agent transferred the caller (blind or
  attended, completed) from a leg the visit's answered attempts reached (the leg the queue
  rang, or the phone a Local member dialled). An exit status of its own, counted as answered.
- `exited`: any queue result that is not one of the statuses we count by name.
- agent rejections: DIALSTATUS BUSY / CONGESTION / CHANUNAVAIL on a queue attempt (app_queue
  itself reports a busy member as RINGNOANSWER with RingTime 0).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Delete, Insert, Select, and_, case, delete, exists, func, select, true
from sqlalchemy.sql.elements import ColumnElement

from ..calltree.model import IN_PROGRESS
from ..store.stats_tables import (
    QUEUE_STATUSES,
    SL_THRESHOLDS,
    sl_column,
    stat_agent_hourly,
    stat_queue_calls,
    stat_queue_hourly,
)
from ..store.tables import apps, attempts, calls, transfers
from .sql import hour_of

REJECTED = ("BUSY", "CONGESTION", "CHANUNAVAIL")
ANSWERED = ("answered", "transferred")
# Queue results of the call tree that are statuses as they are.
_TREE_STATUSES = tuple(s for s in QUEUE_STATUSES if s not in ("transferred", "exited"))


def _n(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """How many rows of the group meet `condition`."""
    return func.sum(case((condition, 1), else_=0))


def _total(condition: ColumnElement[bool], value: ColumnElement[Any]) -> ColumnElement[float]:
    return func.sum(case((condition, func.coalesce(value, 0.0)), else_=0.0))


def _most(condition: ColumnElement[bool], value: ColumnElement[Any]) -> ColumnElement[float]:
    return func.coalesce(func.max(case((condition, value))), 0.0)


def settled_calls(lo: float, hi: float) -> list[ColumnElement[bool]]:
    """Calls that started in [lo, hi) and are finished (their queue results are settled)."""
    return [calls.c.started_at >= lo, calls.c.started_at < hi, calls.c.status != IN_PROGRESS]


def insert_queue_calls(lo: float, hi: float) -> Insert:
    """Per-call rows of the calls started in [lo, hi): their queue visits, each with the
    attempt that answered it (the first: behind a Local member, its hop to the phone is a
    second ANSWER of the same visit, without an agent).

    No GROUP BY: grouped on the key of `apps`, SQLite would scan every visit stored to spare a
    sort; joined flat it reads the window through the started_at index, like a plain report.
    """
    ans, earlier = attempts.alias("ans"), attempts.alias("earlier")
    first_answer = ~exists().where(
        earlier.c.call_id == ans.c.call_id, earlier.c.app_id == ans.c.app_id,
        earlier.c.outcome == "ANSWER", earlier.c.seq < ans.c.seq,
    )
    answered = apps.c.result == "answered"
    # Who transfers may be the leg the queue rang or, behind a Local member, the phone that
    # leg dialled: any answered attempt of the visit. Nested, transfers first: most calls
    # have none, so one probe of `transfers` settles the visit (flat, SQLite probed attempts
    # first and PostgreSQL hashed every transfer and attempt stored, for each chunk).
    reached = attempts.alias("reached")
    by_reached = exists().where(
        reached.c.call_id == transfers.c.call_id,
        reached.c.to_leg == transfers.c.transferer_leg,
        reached.c.app_id == apps.c.app_id,
        reached.c.outcome == "ANSWER",
    ).correlate_except(reached)
    transferred = exists().where(
        transfers.c.call_id == apps.c.call_id, transfers.c.completed == true(), by_reached
    )
    status = case(
        (and_(answered, transferred), "transferred"),
        (apps.c.result.in_(_TREE_STATUSES), apps.c.result),
        else_="exited",
    )
    q = stat_queue_calls.c
    columns = {
        q.call_id: apps.c.call_id,
        q.app_id: apps.c.app_id,
        q.call_started_at: calls.c.started_at,
        q.hour: hour_of(func.coalesce(apps.c.entered_at, calls.c.started_at)),
        q.server: calls.c.server,
        q.queue: func.coalesce(apps.c.name, ""),
        q.status: status,
        q.agent: ans.c.agent,
        q.entered_at: apps.c.entered_at,
        q.left_at: apps.c.left_at,
        q.wait_s: apps.c.wait_s,
        q.ring_s: ans.c.ring_s,
        q.talk_s: ans.c.talk_s,
    }
    rows = (
        select(*columns.values())
        .select_from(
            calls.join(apps, apps.c.call_id == calls.c.call_id).outerjoin(
                ans,
                and_(ans.c.call_id == apps.c.call_id, ans.c.app_id == apps.c.app_id,
                     ans.c.outcome == "ANSWER", first_answer),
            )
        )
        .where(*settled_calls(lo, hi), apps.c.app == "queue")
    )
    return stat_queue_calls.insert().from_select(list(columns), rows)


def delete_queue_calls(lo: float, hi: float) -> Delete:
    c = stat_queue_calls.c
    return delete(stat_queue_calls).where(c.call_started_at >= lo, c.call_started_at < hi)


def queue_call_hours(lo: float, hi: float) -> Select[Any]:
    """Hours in which the calls started in [lo, hi) entered their queues."""
    c = stat_queue_calls.c
    return select(c.hour).distinct().where(c.call_started_at >= lo, c.call_started_at < hi)


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
    """Agent figures per hour of queue entry: every queue attempt of the visits in [lo, hi)."""
    q = stat_queue_calls.c
    att = attempts.alias("att")
    answer = att.c.outcome == "ANSWER"
    figures: dict[str, ColumnElement[Any]] = {
        "hour": q.hour,
        "server": q.server,
        "queue": q.queue,
        "agent": att.c.agent,
        "rung": func.count(),
        "answered": _n(answer),
        "ring_no_answer": _n(att.c.outcome == "NOANSWER"),
        "rejected": _n(att.c.outcome.in_(REJECTED)),
        "transferred": _n(and_(answer, q.status == "transferred")),
        "ring_s": func.sum(func.coalesce(att.c.ring_s, 0.0)),
        "talk_s": _total(answer, att.c.talk_s),
    }
    rows = (
        select(*figures.values())
        .select_from(
            stat_queue_calls.join(att, and_(att.c.call_id == q.call_id, att.c.app_id == q.app_id))
        )
        .where(q.hour >= lo, q.hour < hi, att.c.agent.is_not(None))
        .group_by(q.hour, q.server, q.queue, att.c.agent)
    )
    return stat_agent_hourly.insert().from_select(list(figures), rows)


def delete_hours(table: Any, lo: float, hi: float) -> Delete:
    return delete(table).where(table.c.hour >= lo, table.c.hour < hi)


def settled_calls_per_hour(lo: float, hi: float) -> Select[Any]:
    """(hour, settled calls started in it) for [lo, hi): what a fill remembers it saw."""
    hour = hour_of(calls.c.started_at)
    return select(hour, func.count()).where(*settled_calls(lo, hi)).group_by(hour)

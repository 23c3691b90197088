"""Per-call statistics rows: the store's own derived tables, a pure function of one call tree.

They are written with the call (store/writer.py), in the same transaction, so the hourly
fill (stats/fill.py) only adds rows up and never re-reads attempts or transfers
(bench/stats_fill.py). They live in the store, not in `stats`, because the writer needs
them and the store may not import a reader: every writer of calls (replay, daemon, AGI
import) then keeps them in step with the tree without being told to.

What a queue visit (an `AppContext` with app 'queue') gives:
- `stat_queue_calls`: one row per visit, with the attempt that answered it (the first: behind
  a Local member, its hop to the phone is a second ANSWER of the same visit, without an
  agent) and its exit status: the tree's own queue result, or `transferred` when the visit
  was answered and the agent transferred the caller (blind or attended, completed) from a leg
  the visit's answered attempts reached (the leg the queue rang, or the phone a Local member
  dialled), or `exited` for any result that is not a status we count by name.
- `stat_agent_calls`: one row per visit per agent rung, adding up that agent's attempts.
  Rejections are DIALSTATUS BUSY / CONGESTION / CHANUNAVAIL (app_queue itself reports a busy
  member as RINGNOANSWER with RingTime 0).

A call still in progress gives no rows: its queue results are not settled. Nor does a call
without a start time (the fill works by hour of call start).
"""
from __future__ import annotations

from typing import Any, Optional

from ..calltree.model import AppContext, Attempt, Call
from ..calltree.vocab import ANSWER, IN_PROGRESS, NOANSWER, QUEUE_STATUSES, REJECTED
from ..hours import floor_hour
from .stats_tables import stat_agent_calls, stat_queue_calls

# Queue results of the call tree that are statuses as they are.
_TREE_STATUSES = frozenset(s for s in QUEUE_STATUSES if s not in ("transferred", "exited"))

Row = dict[str, Any]


def stat_rows(call: Call) -> dict[str, list[Row]]:
    """The statistics rows of one call, keyed by table name."""
    queue_rows: list[Row] = []
    agent_rows: list[Row] = []
    out = {stat_queue_calls.name: queue_rows, stat_agent_calls.name: agent_rows}
    if call.status == IN_PROGRESS or call.started_at is None:
        return out
    for visit in call.apps:
        if visit.app != "queue":
            continue
        rung = [a for a in call.attempts if a.app_id == visit.app_id]
        status = _status(call, visit, rung)
        hour = floor_hour(visit.entered_at if visit.entered_at is not None else call.started_at)
        key = {"hour": hour, "call_id": call.call_id, "app_id": visit.app_id}
        where = {"server": call.server, "queue": visit.name or ""}
        queue_rows.append(_queue_row(call, visit, rung, status, key | where))
        agent_rows.extend(_agent_rows(rung, status == "transferred", key, where))
    return out


def _status(call: Call, visit: AppContext, rung: list[Attempt]) -> str:
    if visit.result == "answered":
        reached = {a.to_leg for a in rung if a.outcome == ANSWER and a.to_leg is not None}
        if any(t.completed and t.transferer_leg in reached for t in call.transfers):
            return "transferred"
    return visit.result if visit.result in _TREE_STATUSES else "exited"


def _queue_row(call: Call, visit: AppContext, rung: list[Attempt], status: str, key: Row) -> Row:
    answer: Optional[Attempt] = next((a for a in rung if a.outcome == ANSWER), None)
    return key | {
        "call_hour": floor_hour(call.started_at),
        "status": status,
        "agent": answer.agent if answer else None,
        "entered_at": visit.entered_at,
        "left_at": visit.left_at,
        "wait_s": visit.wait_s,
        "ring_s": answer.ring_s if answer else None,
        "talk_s": answer.talk_s if answer else None,
    }


def _agent_rows(rung: list[Attempt], transferred: bool, key: Row, where: Row) -> list[Row]:
    """One row per agent of the visit, in the order they were first rung."""
    by_agent: dict[str, Row] = {}
    for a in rung:
        if a.agent is None:  # a Local member's hop to the phone: the agent is its ;1 attempt
            continue
        row = by_agent.get(a.agent)
        if row is None:
            row = by_agent[a.agent] = key | {"agent": a.agent} | where | {
                "rung": 0, "answered": 0, "ring_no_answer": 0, "rejected": 0, "transferred": 0,
                "ring_s": 0.0, "talk_s": 0.0,
            }
        answered = a.outcome == ANSWER
        row["rung"] += 1
        row["answered"] += answered
        row["ring_no_answer"] += a.outcome == NOANSWER
        row["rejected"] += a.outcome in REJECTED
        row["transferred"] += answered and transferred
        row["ring_s"] += a.ring_s or 0.0
        row["talk_s"] += (a.talk_s or 0.0) if answered else 0.0
    return list(by_agent.values())

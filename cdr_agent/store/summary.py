"""What a call-centre engineer reads first about a call, from its tree: the queue and agent,
the caller's wait, the disposition and who hung up.

Pure functions of a `Call`: the listing (store/queries.py) and `show` (render.py) say the same.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..calltree.model import Attempt, Call, Leg
from ..calltree.vocab import ANSWER, IN_PROGRESS, NOANSWER

# How a call ended for the caller, in the order they are decided.
ANSWERED, ABANDONED, NO_ANSWER, BUSY, FAILED, RUNNING = (
    "answered", "abandoned", "no answer", "busy", "failed", "in progress")
DISPOSITIONS = (ANSWERED, ABANDONED, NO_ANSWER, BUSY, FAILED, RUNNING)
_FAILED = ("CONGESTION", "CHANUNAVAIL")
# Who hung up: the caller's side, the side that answered (the agent of a queue), or nobody's
# known (no end times, or both at the same moment).
CALLER, CALLEE = "caller", "callee"


@dataclass(frozen=True)
class Summary:
    queue: Optional[str]  # the first queue the caller waited in
    agent: Optional[str]  # the queue member who answered (the last one, after a transfer)
    wait_s: Optional[float]  # the caller's time in queues, all visits
    disposition: str
    hung_up_by: Optional[str]  # CALLER, CALLEE, or None when the stream cannot tell


def summarize(call: Call) -> Summary:
    queues = [a for a in call.apps if a.app == "queue"]
    waits = [a.wait_s for a in queues if a.wait_s is not None]
    answered = [a for a in call.attempts if a.outcome == ANSWER and a.via != "originate"]
    agent = next((a.agent for a in reversed(answered) if a.agent), None)
    return Summary(
        queue=queues[0].name if queues else None,
        agent=agent,
        wait_s=round(sum(waits), 3) if waits else None,
        disposition=disposition(call),
        hung_up_by=hung_up_by(call, answered[-1] if answered and call.answered else None),
    )


def disposition(call: Call) -> str:
    """answered (the caller reached a person); abandoned (the caller gave up: left a queue or
    hung up while it rang); busy, no answer, failed (what the phones rung said, in that order
    of precedence); in progress while the call runs."""
    if call.answered:
        return ANSWERED
    if call.status == IN_PROGRESS:
        return RUNNING
    outcomes = {a.outcome for a in call.attempts if a.via != "originate"}
    if any(a.result == "abandoned" for a in call.apps if a.app == "queue") or "CANCEL" in outcomes:
        return ABANDONED
    if "BUSY" in outcomes:
        return BUSY
    if NOANSWER in outcomes or any(a.result == "timeout" for a in call.apps if a.app == "queue"):
        return NO_ANSWER
    if outcomes & set(_FAILED):
        return FAILED
    return ABANDONED if call.apps else NO_ANSWER


def hung_up_by(call: Call, answered: Optional[Attempt]) -> Optional[str]:
    """The side whose leg ended first: the caller's (the call's first leg) or the answering
    party's; unknown without end times or when they ended at the same moment."""
    legs = {leg.leg_id: leg for leg in call.legs}
    if not call.legs:
        return None
    caller = call.legs[0]
    if answered is None:
        return CALLER if disposition(call) == ABANDONED else None
    callee: Optional[Leg] = legs.get(answered.to_leg or "")
    if callee is None or caller.ended_at is None or callee.ended_at is None or caller.ended_at == callee.ended_at:
        return None
    return CALLER if caller.ended_at < callee.ended_at else CALLEE

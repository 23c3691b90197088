"""Queues: the caller's stay (join/leave/abandon) and the member attempts made for it.

app_queue's own words are not always the truth: a member still ringing when the queue's
timeout fires is reported as RINGNOANSWER, and a queue timeout is reported as an abandon.
The result is settled when the call ends, from everything that was seen.
"""
from __future__ import annotations

from typing import Optional

from ..ami.event import Event
from .dials import answer, close, end_unanswered, find_open, open_attempt
from .state import BuildState, CallState, LegState, QueueVisit

# QUEUESTATUS (set by Queue() when it returns) -> our result word.
STATUS_RESULT = {
    "TIMEOUT": "timeout",
    "FULL": "full",
    "JOINEMPTY": "joinempty",
    "LEAVEEMPTY": "leaveempty",
    "JOINUNAVAIL": "joinempty",
    "LEAVEUNAVAIL": "leaveempty",
    "CONTINUE": "continue",
}
# Events a dialplan writes with QueueLog(queue,uniqueid,agent,EVENT[,info]) when it sends a
# caller elsewhere instead of into the queue (XiVO/Wazo: a closed schedule, and the diversions
# on the waiting calls / agents ratio and on the expected wait) -> our result word.
QUEUE_LOG_RESULT = {
    "CLOSED": "closed",
    "DIVERT_CA_RATIO": "divert_ca_ratio",
    "DIVERT_HOLDTIME": "divert_waittime",
}
_SAME_MOMENT_S = 0.1


def on_caller_join(b: BuildState, ev: Event) -> None:
    st = b.leg(ev)
    if st is None:
        b.skip("QueueCallerJoin without channel")
        return
    app = st.call.add_app("queue", ev.headers.get("Queue"), st, ev.time)
    position = ev.headers.get("Position", "")
    app.position = int(position) if position.isdigit() else None
    st.queue = st.last_queue = QueueVisit(app, st)
    st.queue_entry = None
    st.call.queues.append(st.queue)


def on_queue_log(b: BuildState, ev: Event) -> None:
    """The dialplan ran QueueLog(): a diversion or a closed queue is a stay of its own that
    never reached the queue (no wait, no agent); other QueueLog events are not ours to read."""
    args = [a.strip() for a in (ev.headers.get("AppData") or "").split(",")]
    result = QUEUE_LOG_RESULT.get(args[3].upper()) if len(args) > 3 else None
    if result is None:
        return
    st = b.leg(ev)
    if st is None:
        return
    app = st.call.add_app("queue", args[0] or None, st, ev.time)
    app.left_at, app.result = ev.time, result


def queue_status(st: LegState, status: str, at: Optional[float]) -> None:
    """QUEUESTATUS, set when Queue() returns. Without a QueueCallerJoin before it, the caller
    never got in (full, joinempty...): that stay is recorded too, with no wait."""
    visit = st.queue or st.last_queue
    if st.queue is None and st.queue_entry is not None:
        name, entered = st.queue_entry
        app = st.call.add_app("queue", name or None, st, entered)
        app.left_at = at
        visit = st.last_queue = QueueVisit(app, st)
        st.call.queues.append(visit)
        st.queue_entry = None
    if visit is not None:
        visit.status = status


def on_caller_abandon(b: BuildState, ev: Event) -> None:
    st = b.leg(ev, create=False)
    if st is not None and st.queue is not None:
        st.queue.abandoned_at = ev.time


def on_caller_leave(b: BuildState, ev: Event) -> None:
    st = b.leg(ev, create=False)
    if st is not None and st.queue is not None:
        if st.queue.app.left_at is None:
            st.queue.app.left_at = ev.time
        st.queue = None


def _member_attempt(b: BuildState, ev: Event, create: bool):
    caller, dest = b.leg(ev, create=create), b.leg(ev, "Dest", create=create)
    if caller is None or dest is None:
        return caller, None
    attempt = dest.dialled_by if dest.dialled_by is not None else find_open(caller, dest)
    if attempt is None and create:
        attempt = open_attempt(b, caller, dest, ev, via="queue")
    if attempt is not None:
        attempt.via = "queue"
        attempt.agent = ev.headers.get("MemberName") or ev.headers.get("Interface")
    return caller, attempt


def on_agent_called(b: BuildState, ev: Event) -> None:
    _member_attempt(b, ev, create=True)


def on_agent_ring_no_answer(b: BuildState, ev: Event) -> None:
    caller, attempt = _member_attempt(b, ev, create=False)
    if attempt is not None:
        end_unanswered(caller, attempt, "NOANSWER", ev.time)


def on_agent_connect(b: BuildState, ev: Event) -> None:
    caller, attempt = _member_attempt(b, ev, create=True)
    if attempt is not None:
        answer(b, attempt, ev.time)
        close(caller, attempt, ev.time)
    visit = caller.queue or caller.last_queue if caller is not None else None
    if visit is not None:
        visit.connected = True
        visit.app.left_at = ev.time
        visit.app.data["holdtime"] = ev.headers.get("HoldTime", "")


def on_agent_complete(b: BuildState, ev: Event) -> None:
    caller = b.leg(ev, create=False)
    visit = caller.last_queue if caller is not None else None
    if visit is not None:
        visit.app.data["complete_reason"] = ev.headers.get("Reason", "")


def settle(call: CallState) -> None:
    for visit in call.queues:
        _settle_visit(call, visit)


def _settle_visit(call: CallState, visit: QueueVisit) -> None:
    app = visit.app
    if app.result is not None:
        return
    if visit.connected:
        app.result = "answered"
        return
    left = visit.abandoned_at or app.left_at
    gone = [t for t in (visit.leg.leg.ended_at, visit.leg.peer.leg.ended_at if visit.leg.peer else None) if t]
    if visit.status in STATUS_RESULT:
        app.result = STATUS_RESULT[visit.status]
    elif left is not None and gone and min(gone) <= left + _SAME_MOMENT_S:
        app.result = "abandoned"
    elif left is None:
        app.result = "abandoned" if gone else None
    else:
        app.result = "exit"
    if app.result in ("timeout", "leaveempty") and left is not None:
        # The queue gave up while a member was still ringing: that ring was cut, not unanswered.
        for attempt in call.call.attempts:
            if (
                attempt.app_id == app.app_id
                and attempt.outcome == "NOANSWER"
                and attempt.ended_at is not None
                and abs(attempt.ended_at - left) <= _SAME_MOMENT_S
            ):
                attempt.outcome = "CANCEL"

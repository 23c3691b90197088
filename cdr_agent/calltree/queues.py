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
    """The caller left without an agent (hung up; app_queue says so of a timeout too). A
    stream filtered of QueueCallerJoin still tells the stay here: it is made from this event."""
    st = b.leg(ev, create=False)
    if st is None:
        return
    if st.queue is None:
        h = ev.headers
        hold = _number(h.get("HoldTime"))
        entered = ev.time - hold if ev.time is not None and hold is not None else None
        app = st.call.add_app("queue", h.get("Queue"), st, entered)
        app.position = _number(h.get("OriginalPosition") or h.get("Position"))
        st.queue = st.last_queue = QueueVisit(app, st)
        st.call.queues.append(st.queue)
    _leave(st.queue, ev.time)


def on_caller_leave(b: BuildState, ev: Event) -> None:
    st = b.leg(ev, create=False)
    if st is not None and st.queue is not None:
        _leave(st.queue, ev.time)
        st.queue = None


def _leave(visit: QueueVisit, at: Optional[float]) -> None:
    if not visit.left:
        visit.left, visit.app.left_at = True, at


def _number(text: Optional[str]) -> Optional[int]:
    return int(text) if text and text.isdigit() else None


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
        visit.connected = visit.left = True
        visit.app.left_at = ev.time
        visit.app.data["holdtime"] = ev.headers.get("HoldTime", "")


def on_agent_complete(b: BuildState, ev: Event) -> None:
    caller = b.leg(ev, create=False)
    visit = caller.last_queue if caller is not None else None
    if visit is not None:
        visit.app.data["complete_reason"] = ev.headers.get("Reason", "")


def settle(call: CallState) -> None:
    for visit in call.queues:
        _settle_visit(visit)


def _settle_visit(visit: QueueVisit) -> None:
    """By the order of events, never by their times: a caller whose own next act after the
    queue was hanging up abandoned it; one whose dialplan went on left it (exit), unless
    QUEUESTATUS says why Queue() returned."""
    app = visit.app
    if app.result is not None:
        return
    caller = visit.leg
    gone = caller.hung_up or (caller.peer is not None and caller.peer.hung_up)
    if visit.connected:
        app.result = "answered"
    elif visit.status in STATUS_RESULT:
        app.result = STATUS_RESULT[visit.status]
    elif visit.left:
        app.result = "exit" if visit.went_on or not gone else "abandoned"
    else:
        app.result = "abandoned" if gone else None
    if app.result in ("timeout", "leaveempty"):
        # The queue gave up while a member was still ringing: that ring was cut, not
        # unanswered. Where the stream has times, a ring that ended before (the retry wait
        # between rings) is told apart; without them the last round is taken as cut.
        for attempt in visit.last_no_answers:
            at, left = attempt.ended_at, app.left_at
            if attempt.outcome == "NOANSWER" and (at is None or left is None or abs(at - left) <= _SAME_MOMENT_S):
                attempt.outcome = "CANCEL"

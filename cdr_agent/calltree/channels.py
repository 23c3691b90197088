"""Channel life: creation, state, caller id, Local pairs, dialplan position, hang-up."""
from __future__ import annotations

from ..ami.event import Event
from .dials import end_unanswered, outcome_from_cause
from .conclude import conclude
from .contexts import leave as leave_context, on_dialplan
from .dialapp import dial_ended, dial_started
from .queues import on_queue_log, queue_status
from .state import BuildState, LegState, mark_up, party

# Dialplan applications that wait for the caller's digits: where an IVR is.
IVR_APPS = frozenset({"Read", "Background", "BackGround", "WaitExten"})


def on_newchannel(b: BuildState, ev: Event) -> None:
    if b.leg(ev, create=False) is not None:
        b.skip("Newchannel for a live uniqueid")
        return
    if b.add_leg(ev) is None:
        b.skip("Newchannel without Uniqueid")
        return
    mark_up(b.leg(ev, create=False), ev)


def on_newstate(b: BuildState, ev: Event) -> None:
    st = b.leg(ev)
    if st is not None:
        mark_up(st, ev)


def on_new_callerid(b: BuildState, ev: Event) -> None:
    st = b.leg(ev)
    if st is not None:
        st.leg.caller = party(ev.headers.get("CallerIDNum"), ev.headers.get("CallerIDName"))


def on_new_connected_line(b: BuildState, ev: Event) -> None:
    st = b.leg(ev)
    if st is not None:
        st.leg.connected = party(ev.headers.get("ConnectedLineNum"), ev.headers.get("ConnectedLineName"))


def on_local_bridge(b: BuildState, ev: Event) -> None:
    one, two = b.leg(ev, "LocalOne", create=False), b.leg(ev, "LocalTwo", create=False)
    if one is not None and two is not None and one.peer is None:
        b.pair_local(one, two)


def on_newexten(b: BuildState, ev: Event) -> None:
    """Follow the dialplan only where it tells what events do not: IVRs (entered at a
    digit-reading application, left when the channel moves to another extension), Queue()
    calls the caller may never join, and QueueLog() diversions."""
    h = ev.headers
    app = h.get("Application")
    st = b.leg(ev, create=False)
    if st is not None:
        if st.last_queue is not None and h.get("Exten") != "h":
            st.dialplan_went_on()
        on_dialplan(b, st, ev)
    if app == "Dial" and st is not None:  # it starts when it clears DIALSTATUS (on_varset)
        st.dial_args = h.get("AppData")
    if app == "Queue":  # Queue() may return without the caller ever joining (full, joinempty)
        st = st or b.leg(ev)
        if st is not None:
            st.queue_entry = ((h.get("AppData") or "").split(",", 1)[0], ev.time)
        return
    if app == "QueueLog":
        on_queue_log(b, ev)
        return
    if app in IVR_APPS:
        st = st or b.leg(ev)
        if st is None:
            return
        if st.ivr is None:
            st.ivr = st.call.add_app("ivr", h.get("Exten"), st, ev.time)
            st.ivr.data["context"] = h.get("Context") or ""
        if app == "Read":  # Read(variable,...): the caller's choice arrives as a VarSet of it
            st.ivr.data["variable"] = (h.get("AppData") or "").split(",", 1)[0]
        return
    if st is not None and st.ivr is not None:
        exten = h.get("Exten")
        if exten != st.ivr.name or h.get("Context") != st.ivr.data.get("context"):
            _leave_ivr(st, "hangup" if exten == "h" else "exit", ev.time)


def _leave_ivr(st: LegState, result: str, at) -> None:
    st.ivr.left_at, st.ivr.result = at, result
    st.ivr = None


def on_varset(b: BuildState, ev: Event) -> None:
    h = ev.headers
    name = h.get("Variable")
    if name == "QUEUESTATUS":
        st = b.leg(ev, create=False)
        if st is not None:
            queue_status(st, h.get("Value") or "", ev.time)
        return
    st = b.leg(ev, create=False)
    if name == "DIALSTATUS":  # Dial() clears it when it starts, sets it when it returns
        if st is None:
            return
        if h.get("Value"):
            dial_ended(st, h.get("Value"), ev.time)
        elif st.dial_args is not None:
            dial_started(st, st.dial_args, ev.time, b.legs_made)
            st.dial_args = None
        return
    if st is not None and st.ivr is not None and name == st.ivr.data.get("variable"):
        st.ivr.data["choice"] = h.get("Value") or ""


def on_hangup_request(b: BuildState, ev: Event) -> None:
    """Hang-up has begun: the dialplan it still runs (`h`, hangup handlers) is cleanup."""
    st = b.leg(ev, create=False)
    if st is not None:
        st.hanging_up = True


def on_hangup(b: BuildState, ev: Event) -> None:
    st = b.leg(ev, create=False)
    if st is None:
        b.skip("Hangup for an unknown channel")
        return
    leg = st.leg
    if st.hung_up:
        return
    mark_up(st, ev)  # answered at some point, if nothing said so before (filtered stream)
    st.hung_up, leg.ended_at = True, ev.time
    cause = ev.headers.get("Cause", "")
    leg.hangup_cause = int(cause) if cause.isdigit() else None
    b.leave_bridge(st)
    rang = st.dialled_by
    if rang is not None and rang.outcome is None:  # rang out without a DialEnd (filtered stream)
        caller = next((s for s in st.call.legs.values() if rang in s.open_attempts), None)
        end_unanswered(caller, rang, outcome_from_cause(leg.hangup_cause), ev.time)
    for attempt in list(st.open_attempts):  # caller gone while its attempts ring
        end_unanswered(st, attempt, "CANCEL", ev.time)
    for leg_id in (leg.leg_id, leg.local_peer):
        for attempt in b.talking.pop(leg_id, ()):
            if attempt.ended_at is None:
                attempt.ended_at = ev.time
    if st.ivr is not None:
        _leave_ivr(st, "hangup", ev.time)
    leave_context(st, ev.time, hung_up=True)
    st.dialling = None  # a Dial() it ran and no DIALSTATUS told how it ended: nothing to add
    st.call.live -= 1
    if st.call.live <= 0:
        conclude(b, st.call)

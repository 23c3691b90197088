"""Dial attempts: DialBegin/DialEnd, and the attempt bookkeeping other families share."""
from __future__ import annotations

from typing import Optional

from ..ami.event import Event
from .model import Attempt
from .dialapp import dial_rang
from .hops import party_behind
from .state import BuildState, CallState, LegState, answer_once

# Hangup causes -> DIALSTATUS, for a ringing leg that vanished without a DialEnd.
_CAUSE_OUTCOME = {17: "BUSY", 18: "NOANSWER", 19: "NOANSWER", 21: "CHANUNAVAIL", 34: "CONGESTION", 1: "CHANUNAVAIL"}


def open_attempt(
    b: BuildState, caller: LegState, dest: LegState, ev: Event, via: Optional[str] = None
) -> Attempt:
    party, hop = party_behind(caller)
    one = hop.peer if hop is not None and hop.is_local_two else None
    rang = one.dialled_by if one is not None else None
    if via is None and rang is not None and rang.via != "originate" and rang.outcome is None and rang.to_leg == one.leg.leg_id:
        # A Local hop (queue member, follow-me, a PBX's routing) dials on: the attempt that
        # rang its ;1 half now rings what the ;2 half dials, through any number of hops.
        # The first hop stays in view. One ring, one attempt.
        rang.to_leg = dest.leg.leg_id
        rang.hop_leg = rang.hop_leg or hop.leg.leg_id
        caller.open_attempts.append(rang)
        dest.dialled_by = rang
        return rang
    app_id = None
    forward, caller.forwarding = caller.forwarding, False
    if via == "queue" or (via is None and caller.queue is not None):
        via, app_id = "queue", caller.queue.app.app_id if caller.queue is not None else None
        if caller.queue is not None:
            caller.queue.last_no_answers = []  # a new round of rings
    elif via is None and caller.park_return is not None:  # a parked call timed out, rings back
        via, app_id, caller.park_return = "park", caller.park_return.app_id, None
    elif via is None:
        if caller.pending_transfer is not None or (caller.peer is not None and caller.peer.consult_of is not None):
            via = "transfer"
        elif forward or (rang is not None and rang.outcome not in (None, "ANSWER")):
            # Dial's 302 forward, or the dialled party's own hop ringing elsewhere after its
            # phone did not answer (forward on no answer / busy): the call was forwarded.
            via = "forward"
        elif rang is not None and rang.via != "originate":
            via, app_id = rang.via, rang.app_id  # the Local hop goes on with the attempt that rang it
        else:
            via, app_id = _dial_or_ringgroup(caller, ev)
    attempt = Attempt(
        seq=0,
        from_leg=party.leg.leg_id,
        to_leg=dest.leg.leg_id,
        dialstring=ev.headers.get("DialString"),
        via=via,
        began_at=ev.time,
        app_id=app_id,
        hop_leg=hop.leg.leg_id if hop is not None else None,
    )
    caller.call.add_attempt(attempt)
    caller.open_attempts.append(attempt)
    dest.dialled_by = attempt
    transfer = caller.pending_transfer
    if transfer is not None and transfer.target_leg is None:
        transfer.target_leg = dest.leg.leg_id
    return attempt


def _dial_or_ringgroup(caller: LegState, ev: Event) -> tuple[str, Optional[str]]:
    """A second destination rung while the first still rings is one Dial() with several
    destinations: a ring group, whose siblings are re-labelled."""
    if caller.ringgroup is not None and caller.ringgroup.data.get("context"):  # a mapped ring-group context
        return "ringgroup", caller.ringgroup.app_id
    siblings = [a for a in caller.open_attempts if a.via in ("dial", "ringgroup")]
    if not siblings:
        return "dial", None
    if caller.ringgroup is None:
        caller.ringgroup = caller.call.add_app("ringgroup", ev.headers.get("Exten"), caller, siblings[0].began_at)
    for sibling in siblings:
        sibling.via, sibling.app_id = "ringgroup", caller.ringgroup.app_id
    return "ringgroup", caller.ringgroup.app_id


def find_open(caller: LegState, dest: LegState) -> Optional[Attempt]:
    """The ringing attempt from `caller` to `dest` (or to the Local hop `dest` leads to)."""
    hop = dest.peer.leg.leg_id if dest.peer is not None else None
    for attempt in caller.open_attempts:
        if attempt.to_leg == dest.leg.leg_id or (hop is not None and attempt.hop_leg == hop):
            return attempt
    return None


def answer(b: BuildState, attempt: Attempt, at: Optional[float]) -> None:
    if attempt.outcome is not None:
        return
    attempt.outcome, attempt.answered_at = "ANSWER", at
    b.talk(attempt)


def unanswer(b: BuildState, attempt: Attempt, outcome: str, at: Optional[float]) -> None:
    attempt.outcome, attempt.answered_at, attempt.ended_at = outcome, None, at
    for leg_id in (attempt.from_leg, attempt.to_leg):
        talking = b.talking.get(leg_id or "")
        if talking is not None and attempt in talking:
            talking.remove(attempt)


def end_unanswered(caller: Optional[LegState], attempt: Attempt, outcome: str, at: Optional[float]) -> None:
    if attempt.outcome is not None:
        return
    attempt.outcome, attempt.ended_at = outcome, at
    if caller is not None:
        visit = caller.queue
        if outcome == "NOANSWER" and visit is not None and attempt.app_id == visit.app.app_id:
            visit.last_no_answers.append(attempt)  # a ring a queue timeout may have cut
        close(caller, attempt, at)


def close(caller: LegState, attempt: Attempt, at: Optional[float]) -> None:
    """The attempt no longer rings: forget it as open; settle the ring group it was part of."""
    if attempt in caller.open_attempts:
        caller.open_attempts.remove(attempt)
    group = caller.ringgroup
    if group is not None and group.app_id == attempt.app_id and not caller.open_attempts and not group.data.get("context"):
        group.left_at = at
        group.result = group_result(caller.call, group.app_id)
        caller.ringgroup = None
    if not caller.open_attempts:
        caller.pending_transfer = None


def group_result(call: CallState, app_id: str) -> Optional[str]:
    """A ring group's result: `answered` if any of its attempts was, else the last outcome."""
    outcomes = [a.outcome for a in call.call.attempts if a.app_id == app_id]
    if "ANSWER" in outcomes:
        return "answered"
    last = outcomes[-1] if outcomes else None
    return last.lower() if last else None


def outcome_from_cause(cause: Optional[int]) -> str:
    return _CAUSE_OUTCOME.get(cause or 0, "CANCEL")


def on_dial_begin(b: BuildState, ev: Event) -> None:
    known = b.leg(ev, "Dest", create=False)
    dest = known or b.leg(ev, "Dest")
    if dest is None:
        b.skip("DialBegin without DestUniqueid")
        return
    caller = b.leg(ev)
    if caller is None:  # Originate: the PBX rings a channel on nobody's behalf
        attempt = Attempt(0, None, dest.leg.leg_id, ev.headers.get("DialString"), "originate", ev.time)
        dest.call.add_attempt(attempt)
        dest.dialled_by = attempt
        return
    if caller.last_queue is not None:
        caller.dialplan_went_on()
    dial_rang(caller, dest.leg.channel, ev.headers.get("DialString"))
    attempt = find_open(caller, dest)
    if attempt is not None:  # AgentCalled (or the Pickup event) came first
        attempt.dialstring = ev.headers.get("DialString")
        return
    if known is not None and known.leg.answered and not known.is_local_one:
        pickup(b, caller, known, ev)
        return
    if known is not None and caller.pending_transfer is not None and known.dialled_by is not None:
        take_over(b, caller, known, ev)
        return
    open_attempt(b, caller, dest, ev)


def pickup(b: BuildState, caller: LegState, picker: LegState, ev: Event) -> Attempt:
    """A Dial() whose new destination is a channel already up is a pickup (SIP Replaces,
    Pickup(), a directed pickup code): Asterisk swaps the picker in for the ringing phone.
    The picker's own call joins this one; its attempt is `via=pickup`."""
    if picker.call is not caller.call:
        b.merge(picker.call, into=caller.call)
    return open_attempt(b, caller, picker, ev, via="pickup")


def on_pickup(b: BuildState, ev: Event) -> None:
    """Asterisk's Pickup event (the picker, and the ringing `Target`): the picker answers
    the call that rang the target. The DialEnd/DialBegin app_dial sends for the swap then
    find this attempt."""
    picker, target = b.leg(ev, create=False), b.leg(ev, "Target", create=False)
    rang = target.dialled_by if target is not None else None
    if picker is None or rang is None:
        b.skip("Pickup of a channel we did not see rung")
        return
    dialers = [s for s in target.call.legs.values() if rang in s.open_attempts]
    if not dialers or find_open(max(dialers, key=lambda s: s.ordinal), picker) is not None:
        return
    attempt = pickup(b, max(dialers, key=lambda s: s.ordinal), picker, ev)
    answer_once(picker, ev.time)
    answer(b, attempt, ev.time)


def take_over(b: BuildState, caller: LegState, dest: LegState, ev: Event) -> None:
    """A transferee that dials a channel already being rung: a blonde transfer handed it
    the transferer's ringing Dial(). What that Dial still rings is now rung for the transferee
    (`via=transfer`); the transferer's attempts keep the outcome Asterisk gave them."""
    transfer = caller.pending_transfer
    hop = dest.peer.leg.leg_id if dest.peer is not None else None
    rung = [a for a in caller.call.call.attempts
            if (a.hop_leg == hop or a is dest.dialled_by) and a.outcome in (None, "NOANSWER", "CANCEL")
            and a.via != "originate"]
    rung = rung or [dest.dialled_by]
    for old in rung:
        new = caller.call.add_attempt(Attempt(
            0, caller.leg.leg_id, old.to_leg, ev.headers.get("DialString"), "transfer", ev.time, hop_leg=old.hop_leg,
        ))
        caller.open_attempts.append(new)
        for st in caller.call.legs.values():
            st.open_attempts = [new if a is old else a for a in st.open_attempts]
            if st.dialled_by is old:
                st.dialled_by = new
        if transfer is not None and transfer.target_leg is None:
            transfer.target_leg = old.to_leg


def on_dial_end(b: BuildState, ev: Event) -> None:
    dest = b.leg(ev, "Dest", create=False)
    if dest is None:
        b.skip("DialEnd for an unknown destination")
        return
    caller = b.leg(ev, create=False)
    attempt = find_open(caller, dest) if caller is not None else dest.dialled_by
    if attempt is None:
        return
    status = ev.headers.get("DialStatus") or "UNKNOWN"
    if ev.headers.get("Forward") and caller is not None:
        caller.forwarding = True  # a 302: this Dial() rings the new destination next
    if attempt.outcome is not None:
        # app_queue sends NOANSWER then CANCEL for one ring: the first one is the truth. But
        # the caller's own Dial() through a Local hop has the last word on an answer: a far
        # end that picked up and was not connected (call acceptance, answered elsewhere) did
        # not take the call.
        if caller is not None and attempt.from_leg == caller.leg.leg_id and attempt.to_leg != dest.leg.leg_id:
            if attempt.outcome == "ANSWER" and status != "ANSWER":
                unanswer(b, attempt, status, ev.time)
            close(caller, attempt, ev.time)
        return
    if status == "ANSWER":
        answer_once(dest, ev.time)  # where Newstate is filtered out
        answer(b, attempt, ev.time)
        if caller is not None:
            close(caller, attempt, ev.time)
    else:
        end_unanswered(caller, attempt, status, ev.time)

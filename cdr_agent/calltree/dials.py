"""Dial attempts: DialBegin/DialEnd, and the attempt bookkeeping other families share."""
from __future__ import annotations

from typing import Optional

from ..ami.event import Event
from .model import Attempt
from .state import BuildState, LegState, answer_once

# Hangup causes -> DIALSTATUS, for a ringing leg that vanished without a DialEnd.
_CAUSE_OUTCOME = {17: "BUSY", 18: "NOANSWER", 19: "NOANSWER", 21: "CHANUNAVAIL", 34: "CONGESTION", 1: "CHANUNAVAIL"}


def party_behind(caller: LegState) -> tuple[LegState, Optional[LegState]]:
    """Who really places a call that a Local `;2` half dials: the leg that rang its `;1`
    half, or the leg bridged with it (an attended-transfer consultation). Returns the party
    and the Local hop (None when the caller dials for itself)."""
    one = caller.peer if caller.is_local_two else None
    if one is None:
        return caller, None
    rang = one.dialled_by
    if rang is not None and rang.from_leg is not None:
        behind = one.call.legs.get(rang.from_leg)
        if behind is not None:
            return behind, caller
    if one.bridge is not None:
        for member in one.call.legs.values():
            if member is not one and member.bridge == one.bridge:
                return member, caller
    return caller, None


def open_attempt(
    b: BuildState, caller: LegState, dest: LegState, ev: Event, via: Optional[str] = None
) -> Attempt:
    party, hop = party_behind(caller)
    rang = hop.peer.dialled_by if hop is not None and hop.peer is not None else None
    if via is None and rang is not None and rang.via != "originate" and rang.hop_leg is None and rang.outcome is None:
        # A Local hop (queue member, follow-me) dials on: the attempt that rang its ;1 half
        # now rings what the ;2 half dials, and keeps the hop in view. One ring, one attempt.
        rang.to_leg, rang.hop_leg = dest.leg.leg_id, hop.leg.leg_id
        caller.open_attempts.append(rang)
        dest.dialled_by = rang
        return rang
    app_id = None
    if via == "queue" or (via is None and caller.queue is not None):
        via, app_id = "queue", caller.queue.app.app_id if caller.queue is not None else None
    elif via is None:
        if caller.pending_transfer is not None or (caller.peer is not None and caller.peer.consult_of is not None):
            via = "transfer"
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


def end_unanswered(caller: Optional[LegState], attempt: Attempt, outcome: str, at: Optional[float]) -> None:
    if attempt.outcome is not None:
        return
    attempt.outcome, attempt.ended_at = outcome, at
    if caller is not None:
        close(caller, attempt, at)


def close(caller: LegState, attempt: Attempt, at: Optional[float]) -> None:
    """The attempt no longer rings: forget it as open; settle the ring group it was part of."""
    if attempt in caller.open_attempts:
        caller.open_attempts.remove(attempt)
    group = caller.ringgroup
    if group is not None and group.app_id == attempt.app_id and not caller.open_attempts:
        group.left_at = at
        outcomes = [a.outcome for a in caller.call.call.attempts if a.app_id == group.app_id]
        group.result = "answered" if "ANSWER" in outcomes else (outcomes[-1] or "").lower() or None
        caller.ringgroup = None
    if not caller.open_attempts:
        caller.pending_transfer = None


def outcome_from_cause(cause: Optional[int]) -> str:
    return _CAUSE_OUTCOME.get(cause or 0, "CANCEL")


def on_dial_begin(b: BuildState, ev: Event) -> None:
    dest = b.leg(ev, "Dest")
    if dest is None:
        b.skip("DialBegin without DestUniqueid")
        return
    caller = b.leg(ev)
    if caller is None:  # Originate: the PBX rings a channel on nobody's behalf
        attempt = Attempt(0, None, dest.leg.leg_id, ev.headers.get("DialString"), "originate", ev.time)
        dest.call.add_attempt(attempt)
        dest.dialled_by = attempt
        return
    attempt = find_open(caller, dest)
    if attempt is not None:  # AgentCalled came first
        attempt.dialstring = ev.headers.get("DialString")
        return
    open_attempt(b, caller, dest, ev)


def on_dial_end(b: BuildState, ev: Event) -> None:
    dest = b.leg(ev, "Dest", create=False)
    if dest is None:
        b.skip("DialEnd for an unknown destination")
        return
    caller = b.leg(ev, create=False)
    attempt = find_open(caller, dest) if caller is not None else dest.dialled_by
    if attempt is None or attempt.outcome is not None:
        return  # app_queue sends NOANSWER then CANCEL for one ring: the first one is the truth
    status = ev.headers.get("DialStatus") or "UNKNOWN"
    if status == "ANSWER":
        answer_once(dest, ev.time)  # where Newstate is filtered out
        answer(b, attempt, ev.time)
        if caller is not None:
            close(caller, attempt, ev.time)
    else:
        end_unanswered(caller, attempt, status, ev.time)

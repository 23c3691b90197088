"""Dial attempts: DialBegin/DialEnd, and the attempt bookkeeping other families share."""
from __future__ import annotations

from typing import Optional

from ..ami.event import Event
from .model import Attempt
from .state import BuildState, LegState

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
    app = None
    if via is None:
        if caller.pending_transfer is not None or (caller.peer is not None and caller.peer.consult_of is not None):
            via = "transfer"
        elif caller.queue is not None:
            via, app = "queue", caller.queue.app
        elif rang is not None and rang.via != "originate":
            via = rang.via  # the Local hop goes on with the attempt that rang it
        else:
            via = "dial"
            siblings = [a for a in caller.open_attempts if a.via in ("dial", "ringgroup")]
            if siblings:
                via = "ringgroup"
                if caller.ringgroup is None:
                    caller.ringgroup = caller.call.add_app("ringgroup", ev.headers.get("Exten"), caller, siblings[0].began_at)
                for sibling in siblings:
                    sibling.via, sibling.app_id = "ringgroup", caller.ringgroup.app_id
                app = caller.ringgroup
    elif via == "queue" and caller.queue is not None:
        app = caller.queue.app
    attempt = Attempt(
        seq=0,
        from_leg=party.leg.leg_id,
        to_leg=dest.leg.leg_id,
        dialstring=ev.headers.get("DialString"),
        via=via,
        began_at=ev.time,
        app_id=app.app_id if app is not None else (rang.app_id if rang is not None and via == rang.via else None),
        hop_leg=hop.leg.leg_id if hop is not None else None,
    )
    caller.call.add_attempt(attempt)
    caller.open_attempts.append(attempt)
    dest.dialled_by = attempt
    transfer = caller.pending_transfer
    if transfer is not None and transfer.target_leg is None:
        transfer.target_leg = dest.leg.leg_id
    return attempt


def find_open(caller: LegState, dest: LegState) -> Optional[Attempt]:
    for attempt in caller.open_attempts:
        if attempt.to_leg == dest.leg.leg_id:
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
        answer(b, attempt, ev.time)
        if caller is not None:
            close(caller, attempt, ev.time)
    else:
        end_unanswered(caller, attempt, status, ev.time)

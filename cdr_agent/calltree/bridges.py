"""Bridges, and what moves parties between them: blind and attended transfers, conferences."""
from __future__ import annotations

from typing import Optional

from ..ami.event import Event
from .model import Attempt, Conference, ConferenceMember, Transfer
from .hops import stands_for
from .state import Bridge, BuildState, Consultation, LegState, mark_up


def on_bridge_enter(b: BuildState, ev: Event) -> None:
    st, bridge = b.leg(ev), b.bridge(ev)
    if st is None or bridge is None:
        b.skip("BridgeEnter without channel or bridge")
        return
    mark_up(st, ev)  # a bridged channel is answered, even where Newstate is filtered out
    b.leave_bridge(st)
    st.bridge = bridge.bridge_id
    bridge.members.append(st)
    consultation = b.consultations.get(st.leg.leg_id)
    if consultation is not None and bridge.bridge_id == consultation.held_bridge:
        _end_consultation(b, consultation, completed=False, at=ev.time)  # back to the held party
    elif consultation is None:
        _maybe_consult(b, st, bridge, ev)


def on_bridge_leave(b: BuildState, ev: Event) -> None:
    st = b.leg(ev, create=False)
    if st is not None:
        b.leave_bridge(st)


def on_bridge_destroy(b: BuildState, ev: Event) -> None:
    b.bridges.pop((ev.server, ev.headers.get("BridgeUniqueid", "")), None)


def _maybe_consult(b: BuildState, st: LegState, bridge: Bridge, ev: Event) -> None:
    """A talking party that steps out of its bridge into a fresh one with a channel nobody
    dialled (the atxfer feature's `Local/<exten>@<TRANSFER_CONTEXT>`) starts an attended
    transfer: the party left behind is the transferee."""
    if bridge.kind != "basic" or st.left_bridge is None:
        return
    held = b.bridges.get((st.server, st.left_bridge))
    if held is None or not held.members:
        return
    # The feature's channel is new (made after the transferer's own) and a `;1` or a plain
    # channel: a Local `;2` half met in a bridge is plumbing being optimised away.
    target = next(
        (m for m in bridge.members
         if m is not st and m.dialled_by is None and m.consult_of is None and not m.is_local_two),
        None,
    )
    if target is None or target.ordinal < st.ordinal:
        return
    transfer = st.call.add_transfer(
        Transfer(
            seq=0,
            kind="attended",
            transferer_leg=st.leg.leg_id,
            transferee_leg=held.members[0].leg.leg_id,
            at=ev.time,
            target_leg=target.leg.leg_id,
            target_exten=target.leg.exten,
            target_context=target.leg.context,
        )
    )
    consultation = Consultation(transfer, st, held.bridge_id, target)
    b.consultations[st.leg.leg_id] = consultation
    target.consult_of = consultation


def _end_consultation(b: BuildState, consultation: Consultation, completed: bool, at: Optional[float]) -> None:
    consultation.transfer.completed = completed
    consultation.transfer.at = at
    consultation.transfer.target_leg = stands_for(consultation.target)
    b.consultations.pop(consultation.transferer.leg.leg_id, None)


def on_blind_transfer(b: BuildState, ev: Event) -> None:
    transferer, transferee = b.leg(ev, "Transferer", create=False), b.leg(ev, "Transferee", create=False)
    home = transferee or transferer
    if home is None:
        b.skip("BlindTransfer for unknown channels")
        return
    h = ev.headers
    transfer = home.call.add_transfer(
        Transfer(
            seq=0,
            kind="blind",
            transferer_leg=transferer.leg.leg_id if transferer else None,
            transferee_leg=transferee.leg.leg_id if transferee else None,
            at=ev.time,
            target_exten=h.get("Extension"),
            target_context=h.get("Context"),
            completed=h.get("Result") == "Success",
        )
    )
    if transfer.completed and transferee is not None:
        transferee.pending_transfer = transfer


def on_attended_transfer(b: BuildState, ev: Event) -> None:
    h = ev.headers
    orig = b.leg(ev, "OrigTransferer", create=False)
    second = b.leg(ev, "SecondTransferer", create=False)
    transferee = b.leg(ev, "Transferee", create=False)
    success = h.get("Result") == "Success"
    consultation = next(
        (b.consultations[s.leg.leg_id] for s in (orig, second) if s is not None and s.leg.leg_id in b.consultations),
        None,
    )
    if consultation is not None:
        transfer, target = consultation.transfer, consultation.target
        _end_consultation(b, consultation, success, ev.time)
    else:  # phones that hold and make a second call, then REFER/Replaces
        transferee = transferee or _bridged_with(orig, h.get("OrigBridgeUniqueid"))
        home = transferee or orig
        if home is None:
            b.skip("AttendedTransfer for unknown channels")
            return
        # A blonde transfer (completed while the target still rings) hands the second call's
        # ringing Dial() to the transferee; otherwise the target talks in the second bridge.
        blonde = h.get("DestType") == "App"
        ringing = second.open_attempts if second is not None and blonde else []
        target = b.leg(ev, "TransferTarget", create=False) or _bridged_with(second, h.get("SecondBridgeUniqueid"))
        dialled = second or target
        transfer = home.call.add_transfer(
            Transfer(
                seq=0,
                kind="attended",
                transferer_leg=orig.leg.leg_id if orig else None,
                transferee_leg=transferee.leg.leg_id if transferee else None,
                at=ev.time,
                target_leg=ringing[0].to_leg if ringing else stands_for(target) if target else None,
                target_exten=dialled.leg.exten if dialled else None,
                target_context=dialled.leg.context if dialled else None,
                completed=success,
            )
        )
        if second is not None and transferee is not None and second.call is not transferee.call:
            for attempt in second.call.call.attempts:
                if attempt.from_leg == second.leg.leg_id:
                    attempt.via = "transfer"
            b.merge(second.call, into=transferee.call)
        if blonde:
            if success and transferee is not None:
                transferee.pending_transfer = transfer  # its next Dial() takes the ringing one over
            return
    if not success or transfer.target_leg is None or transferee is None:
        return
    attempt = transferee.call.add_attempt(
        Attempt(0, stands_for(transferee), transfer.target_leg, None, "transfer", ev.time)
    )
    attempt.outcome, attempt.answered_at = "ANSWER", ev.time
    b.talk(attempt)


def _bridged_with(transferer: Optional[LegState], bridge_id: Optional[str]) -> Optional[LegState]:
    """The live party that shared `bridge_id` with the transferer: still in it, or already
    moved out by the transfer (Asterisk sends the event after moving the channels)."""
    if transferer is None or not bridge_id:
        return None
    others = [st for st in transferer.call.legs.values() if st is not transferer and not st.hung_up]
    return next((st for st in others if st.bridge == bridge_id), None) or next(
        (st for st in others if st.left_bridge == bridge_id), None)


def on_confbridge_join(b: BuildState, ev: Event) -> None:
    st, bridge = b.leg(ev), b.bridge(ev)
    if st is None or bridge is None:
        b.skip("ConfbridgeJoin without channel or bridge")
        return
    room = ev.headers.get("Conference", "")
    if bridge.conference is None:
        bridge.conference = Conference(room=room, bridge_id=bridge.bridge_id)
    conference = bridge.conference
    conference.members.append(ConferenceMember(st.leg.leg_id, ev.time))
    if conference not in st.call.call.conferences:  # one shared member list for every call in it
        st.call.call.conferences.append(conference)
        bridge.calls.append(st.call)
    st.call.add_app("conference", room, st, ev.time)
    b.restore_finished(bridge.calls)


def on_confbridge_leave(b: BuildState, ev: Event) -> None:
    st, bridge = b.leg(ev, create=False), b.bridge(ev)
    if st is None or bridge is None or bridge.conference is None:
        return
    for member in bridge.conference.members:
        if member.leg == st.leg.leg_id and member.left_at is None:
            member.left_at = ev.time
    b.restore_finished(bridge.calls)
    for app in st.call.call.apps:
        if app.app == "conference" and app.leg == st.leg.leg_id and app.left_at is None:
            app.left_at, app.result = ev.time, "left"

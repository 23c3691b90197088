"""Local channels are plumbing: who a Local half stands for, and who dials through one.

A Local channel is two legs (`;1`, `;2`). Where its `;2` half dials on (a PBX's routing,
queue members, follow-me, click-to-dial), the pair is a hop between two parties and every
question about "who" is answered on the far side of it. Where its `;2` half dials nothing
(the lab's phones), the pair is itself the endpoint.
"""
from __future__ import annotations

from typing import Optional

from .state import LegState


def party_behind(caller: LegState) -> tuple[LegState, Optional[LegState]]:
    """Who really places a call that a Local `;2` half dials: the leg that rang its `;1`
    half, or the leg bridged with it (an attended-transfer consultation); for an originated
    `;1` half that dials, the party its `;2` half reached (click-to-dial: that first dial is
    the moment to tell, and the originate attempt is rewritten then). Returns the party and
    the Local hop (None when the caller dials for itself)."""
    if caller.is_local_one:
        first = originate_reached(caller)
        return (first, caller) if first is not None else (caller, None)
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


def originate_reached(one: LegState) -> Optional[LegState]:
    """An originated Local `;1` half that dials someone itself is click-to-dial: its `;2`
    half rang the first party on the PBX's behalf, and this dial is made for that party.
    That first ring becomes the call's originate attempt (from nobody); returns the party."""
    rang, two = one.dialled_by, one.peer
    if rang is None or rang.via != "originate" or rang.from_leg is not None or two is None:
        return None
    calls = one.call.call.attempts
    first = next((a for a in calls if a.from_leg == two.leg.leg_id and a.outcome == "ANSWER" and a.to_leg), None)
    if first is None:
        return None
    calls.remove(rang)
    for seq, attempt in enumerate(calls, 1):
        attempt.seq = seq
    first.from_leg, first.via = None, "originate"
    one.dialled_by = None
    return one.call.legs.get(first.to_leg)


def stands_for(st: LegState) -> str:
    """The leg id of the party a Local half stands for: whoever its other half reached
    (answered, else the first it rang), else whoever rang through it. Anything else, and a
    Local pair that dials nothing, stands for itself."""
    peer = st.peer
    if peer is None:
        return st.leg.leg_id
    ours, theirs = st.leg.leg_id, peer.leg.leg_id
    through = [a for a in st.call.call.attempts if theirs in (a.from_leg, a.hop_leg) and a.to_leg]
    reached = next((a for a in through if a.outcome == "ANSWER"), through[0] if through else None)
    if reached is not None:
        return reached.to_leg  # type: ignore[return-value]  # filtered above
    rang = next((a for a in st.call.call.attempts if a.hop_leg == ours and a.from_leg), None)
    return rang.from_leg if rang is not None else ours  # type: ignore[return-value]

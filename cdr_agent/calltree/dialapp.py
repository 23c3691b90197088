"""Dial() as the dialplan ran it: destinations that never became a DialBegin.

app_dial sends DialBegin only once a destination channel exists and was called. One that
cannot even be created or called (an unregistered phone, a Local channel to an extension
that does not exist) leaves no DialBegin, yet it is an attempt with an outcome. The Newexten
of Dial() names the destinations; DIALSTATUS (a VarSet, or our AGI after the Dial) says how
it ended. Newexten alone is not enough to know a Dial() started (Asterisk repeats the last
application in Newexten when a transfer moves a channel): it starts when it clears DIALSTATUS.
"""
from __future__ import annotations

from typing import Optional

from .hops import party_behind
from .model import Attempt
from .state import DialApp, LegState

# What a destination that was never rung ended with, when the Dial() did ring others.
NOT_CREATED = "CHANUNAVAIL"


def dial_started(st: LegState, app_data: str, at: Optional[float], legs_made: int) -> None:
    """The leg runs Dial(): note its destinations (`TECH/resource` joined by `&`)."""
    destinations = [d.strip() for d in app_data.split(",", 1)[0].split("&") if d.strip()]
    st.dialling = DialApp(destinations, at, legs_made) if destinations else None


def dial_rang(st: LegState, dest_channel: str, dial_string: Optional[str]) -> None:
    """A DialBegin from the leg: that destination was created and called."""
    if st.dialling is not None:
        st.dialling.rung.append((dest_channel, dial_string or ""))


def dial_ended(st: LegState, status: str, at: Optional[float]) -> None:
    """The Dial() returned with DIALSTATUS `status`: each destination that never rang is an
    attempt of its own."""
    dial, st.dialling = st.dialling, None
    if dial is None:
        return
    missing = [d for d in dial.destinations if not any(_is(d, ch, ds) for ch, ds in dial.rung)]
    if not missing:
        return
    outcome = status if not dial.rung else NOT_CREATED
    party, hop = party_behind(st)
    via = "transfer" if st.pending_transfer is not None else "ringgroup" if len(dial.destinations) > 1 else "dial"
    for destination in missing:
        made = _channel_made(st, destination, dial.legs_made)
        attempt = st.call.add_attempt(Attempt(
            0, party.leg.leg_id, made.leg.leg_id if made else None, destination, via, dial.began_at,
            hop_leg=hop.leg.leg_id if hop is not None else None,
        ))
        attempt.outcome, attempt.ended_at = outcome, at
        if made is not None:
            made.dialled_by = attempt


def _prefix(destination: str) -> str:
    """`SIP/201/...` -> `SIP/201-`, `Local/600@ctx/n` -> `Local/600@ctx-`: how its channel is named."""
    tech, _, rest = destination.partition("/")
    return f"{tech}/{rest.split('/', 1)[0]}-"


def _is(destination: str, channel: str, dial_string: str) -> bool:
    tech, _, rest = destination.partition("/")
    return channel.startswith(_prefix(destination)) or (channel.startswith(tech + "/") and dial_string == rest)


def _channel_made(st: LegState, destination: str, after: int) -> Optional[LegState]:
    """The channel the Dial() made for `destination` but never called (a Local channel to a
    missing extension is created, then hung up), if there is one."""
    prefix = _prefix(destination)
    return next((s for s in st.call.legs.values()
                 if s.ordinal > after and s.dialled_by is None and s.leg.channel.startswith(prefix)
                 and not s.is_local_two), None)

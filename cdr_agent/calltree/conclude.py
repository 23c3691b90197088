"""The end of a call: what can only be settled once every leg has gone."""
from __future__ import annotations

from .hops import stands_for
from .queues import settle
from .state import BuildState, CallState


def conclude(b: BuildState, cs: CallState) -> None:
    """Settle queue results, name the parties transfers reached (never a Local half that
    only carried the call), then finish the call."""
    settle(cs)
    for transfer in cs.call.transfers:
        for name in ("transferer_leg", "transferee_leg", "target_leg"):
            st = cs.legs.get(getattr(transfer, name) or "")
            if st is not None:
                setattr(transfer, name, stands_for(st))
    b.finish(cs)

"""Parking: a parked party waits in a lot; whoever retrieves it makes an attempt to it."""
from __future__ import annotations

from ..ami.event import Event
from .model import Attempt
from .state import BuildState


def on_parked_call(b: BuildState, ev: Event) -> None:
    parkee = b.leg(ev, "Parkee")
    if parkee is None:
        b.skip("ParkedCall without parkee")
        return
    h = ev.headers
    app = parkee.call.add_app("park", h.get("Parkinglot"), parkee, ev.time)
    app.data["slot"] = h.get("ParkingSpace", "")
    app.data["parker_dialstring"] = h.get("ParkerDialString", "")
    transfer = parkee.pending_transfer
    if transfer is not None:  # parked by a blind transfer to the parking extension
        app.data["parked_by"] = transfer.transferer_leg or ""
        parkee.pending_transfer = None
    parkee.parked = app


def on_unparked_call(b: BuildState, ev: Event) -> None:
    parkee, retriever = b.leg(ev, "Parkee", create=False), b.leg(ev, "Retriever")
    if parkee is None or parkee.parked is None:
        b.skip("UnParkedCall for a call we did not see parked")
        return
    lot = parkee.parked
    lot.left_at, lot.result = ev.time, "retrieved"
    parkee.parked = None
    if retriever is None:
        return
    lot.data["retrieved_by"] = retriever.leg.leg_id
    pickup = retriever.call.add_app("parkedcall", lot.name, retriever, ev.time)
    pickup.data["slot"] = lot.data.get("slot", "")
    pickup.result, pickup.left_at = "answered", ev.time
    attempt = retriever.call.add_attempt(
        Attempt(0, retriever.leg.leg_id, parkee.leg.leg_id, None, "park", ev.time, app_id=pickup.app_id)
    )
    attempt.outcome, attempt.answered_at = "ANSWER", ev.time
    b.talk(attempt)


def _give_up(result: str):
    def handler(b: BuildState, ev: Event) -> None:
        parkee = b.leg(ev, "Parkee", create=False)
        if parkee is not None and parkee.parked is not None:
            parkee.parked.left_at, parkee.parked.result = ev.time, result
            if result == "timeout":  # comebacktoorigin (or the timeout context) dials next
                parkee.park_return = parkee.parked
            parkee.parked = None

    return handler


on_parked_timeout = _give_up("timeout")
on_parked_give_up = _give_up("abandoned")

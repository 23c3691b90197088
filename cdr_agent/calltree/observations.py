"""AGI observations as builder input.

With the AMI stream present they add what only the dialplan knows (user data, QUEUESTATUS);
without it (an install with no AMI daemon) they are the only source, and give legs,
dial attempts and blind transfers from DIALSTATUS, DIALEDPEERNAME and BLINDTRANSFER.
"""
from __future__ import annotations

from typing import Optional

from ..agi.observation import HANGUP, POSTDIAL, TRANSFER, Observation
from ..ami.event import Event
from .model import Attempt, Transfer
from .state import BuildState, LegState


def observe(b: BuildState, obs: Observation) -> None:
    if not obs.uniqueid:
        b.skip("AGI observation without uniqueid")
        return
    st = b.legs.get((obs.server, obs.uniqueid))
    if st is None:
        st = _leg(b, obs, obs.uniqueid, obs.channel, obs.linkedid)
        if st is None:
            return
        st.from_ami = False
    st.call.call.user_data.update(obs.user_data)
    status = obs.variables.get("QUEUESTATUS")
    visit = st.queue or st.last_queue
    if status and visit is not None and visit.status is None:
        visit.status = status
    if st.from_ami:
        return
    _agi_only(b, st, obs)
    if obs.label == HANGUP:
        _hang_up(b, st, obs.time)


def _hang_up(b: BuildState, st: LegState, at: Optional[float]) -> None:
    """The h extension ran: the channel and the peers only AGI knew of are gone."""
    call = st.call
    for leg_state in list(call.legs.values()):
        if not leg_state.from_ami and leg_state.leg.ended_at is None:
            leg_state.leg.ended_at = at
            call.live -= 1
    if call.live <= 0:
        b.finish(call)


def _leg(b: BuildState, obs: Observation, uniqueid: str, channel: str, linkedid: Optional[str]) -> Optional[LegState]:
    v = obs.variables
    headers = {
        "Uniqueid": uniqueid,
        "Channel": channel,
        "Linkedid": linkedid or "",
        "CallerIDNum": v.get("CALLERID(num)", ""),
        "CallerIDName": v.get("CALLERID(name)", ""),
        "Context": v.get("CONTEXT", ""),
        "Exten": v.get("EXTEN", ""),
    }
    return b.add_leg(Event("AgiObservation", headers, time=obs.time, server=obs.server))


def _seconds(v: dict[str, str], key: str) -> Optional[float]:
    ms = v.get(key + "_MS", "")
    if ms.isdigit():
        return int(ms) / 1000
    s = v.get(key, "")
    return float(s) if s.isdigit() else None


def _agi_only(b: BuildState, st: LegState, obs: Observation) -> None:
    v = obs.variables
    if obs.label == TRANSFER and v.get("BLINDTRANSFER"):
        transfer = st.call.add_transfer(
            Transfer(0, "blind", None, st.leg.leg_id, obs.time,
                     target_exten=v.get("EXTEN"), target_context=v.get("CONTEXT"), completed=True)
        )
        st.pending_transfer = transfer
        return
    if obs.label not in (POSTDIAL, HANGUP) or not v.get("DIALSTATUS"):
        return
    if obs.label == HANGUP and any(a.from_leg == st.leg.leg_id for a in st.call.call.attempts):
        return  # the h extension repeats the DIALSTATUS already recorded after Dial()
    peer_name = v.get("DIALEDPEERNAME", "")
    peer = None
    if peer_name:  # AGI does not see the peer's uniqueid: key it by who dialled it and its name
        peer = _leg(b, obs, f"{obs.uniqueid}>{peer_name}", peer_name, st.call.call.linkedids[0] if st.call.call.linkedids else None)
        if peer is not None:
            peer.from_ami = False
    dialed = _seconds(v, "DIALEDTIME")
    talked = _seconds(v, "ANSWEREDTIME")
    began = obs.time - dialed if obs.time is not None and dialed is not None else obs.time
    via = "transfer" if st.pending_transfer is not None else "dial"
    attempt = st.call.add_attempt(
        Attempt(0, st.leg.leg_id, peer.leg.leg_id if peer else None, v.get("DIALEDPEERNUMBER") or None, via, began)
    )
    attempt.outcome = v["DIALSTATUS"]
    if attempt.outcome == "ANSWER" and began is not None and dialed is not None and talked is not None:
        attempt.answered_at = began + dialed - talked
    attempt.ended_at = obs.time
    if st.pending_transfer is not None and peer is not None:
        st.pending_transfer.target_leg = peer.leg.leg_id
    st.pending_transfer = None

"""Calls from AGI observations alone: the builder of installs without an AMI stream.

Without an AMI stream (an install with no AMI daemon) observations are the only source, and
the tree is what the dialplan can see:

- legs: channels that ran our AGI (the caller's, a transfer consultation's), the peer that
  answered a Dial() (DIALEDPEERNAME) and a transferer (BLINDTRANSFER / ATTENDEDTRANSFER).
  Invisible: a callee that did not answer (Asterisk keeps no channel name for it), queue
  members (MEMBERINTERFACE is an interface, not a channel), the `;1` halves of Local channels.
- attempts: one per Dial() with its DIALSTATUS; the dial string of an unanswered Dial only
  when our dialplan noted it (CDRAGENT_DIALSTRING); from a queue only the member who answered
  (MEMBERNAME); a ring group is one Dial (its unanswered branches are invisible).
- transfers: blind (completed: the transferee reached TRANSFER_CONTEXT) and attended (whether
  it completed is not visible: recorded as not completed).
- apps: queues (QUEUENAME, QUEUESTATUS, MEMBERNAME, ABANDONED), ring groups (a dial string
  with `&`). IVRs, conferences and parking are invisible.
- times: DIALEDTIME is the time since the channel was created, ANSWEREDTIME the time since
  it was answered (after Dial) or since the member answered (after Queue). An answer moment
  is used only where it falls inside the attempt; otherwise the attempt's ring and talk times
  are left empty rather than guessed. A leg's answer time is at worst an upper bound (the
  first observation that saw it Up).

One call is rebuilt from several AGI runs (one process each) in observation-time order:
runs of one channel find its leg by (server, uniqueid), other channels join by linkedid, and
the call finishes when every leg has hung up (a hangup-handler run ends its own leg; a peer
ends with the Dial that reached it).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from ..ami.event import Event
from .model import Attempt, Call, Transfer
from .observation import HANGUP, POSTDIAL, TRANSFER, Observation
from .queues import STATUS_RESULT as QUEUE_RESULT, settle
from .state import BuildState, CallState, LegState, party

_UNIQUEID_EPOCH = re.compile(r"(\d{9,})\.\d+$")
_DAY_S = 86400.0


@dataclass
class AgiLeg:
    """What the builder remembers of a leg known only from AGI, beside its LegState."""

    created_exact: bool = False  # created_at came from DIALEDTIME, not the uniqueid's second
    step_at: Optional[float] = None  # its last AGI run: the next Dial() began after it
    last_dial: Optional[tuple[str, ...]] = None  # the Dial() last recorded (the h run repeats it)


_DIAL_KEYS = ("DIALSTATUS", "DIALEDPEERNAME", "DIALEDPEERNUMBER", "DIALEDTIME_MS", "ANSWEREDTIME_MS",
              "CDRAGENT_DIALSTRING")


def finalize(call: Call) -> None:
    """Put an AGI-only call in time order and drop the times AGI could not know. Run on a
    finished call and on one written while still in progress."""
    call.legs.sort(key=lambda leg: _order(leg.created_at))
    call.attempts.sort(key=lambda a: _order(a.began_at if a.began_at is not None else a.ended_at))
    for seq, attempt in enumerate(call.attempts, 1):
        attempt.seq = seq
        if attempt.outcome == "ANSWER" and attempt.answered_at is None:
            attempt.ended_at = None  # answered at an unknown moment: no ring/talk split
    call.transfers.sort(key=lambda t: _order(t.at))
    for seq, transfer in enumerate(call.transfers, 1):
        transfer.seq = seq
    starts = [leg.created_at for leg in call.legs if leg.created_at is not None]
    call.started_at = min(starts) if starts else call.started_at


def _order(at: Optional[float]) -> float:
    return at if at is not None else float("inf")


# ---- legs ---------------------------------------------------------------------------


def new_leg(b: BuildState, obs: Observation) -> Optional[LegState]:
    """The leg of a channel first seen running our AGI: created at the second its uniqueid
    carries, until DIALEDTIME tells the exact moment."""
    v = obs.variables
    st = _add_leg(b, obs, obs.uniqueid, obs.channel, obs.linkedid, v.get("CALLERID(num)"), v.get("CALLERID(name)"))
    if st is not None:
        _start_leg(st, obs)
    return st


def _add_leg(b: BuildState, obs: Observation, uniqueid: str, channel: str, linkedid: Optional[str],
             num: Optional[str], name: Optional[str], call: Optional[CallState] = None) -> Optional[LegState]:
    v = obs.variables
    exten = v.get("CDRAGENT_EXTEN") or v.get("EXTEN", "")
    headers = {
        "Uniqueid": uniqueid,
        "Channel": channel,
        "Linkedid": linkedid or "",
        "CallerIDNum": num or "",
        "CallerIDName": name or "",
        "Context": v.get("CDRAGENT_CONTEXT") or v.get("CONTEXT", ""),
        "Exten": "" if exten == "h" else exten,  # the h extension says where it hung up, not what was dialled
    }
    st = b.add_leg(Event("AgiObservation", headers, time=obs.time, server=obs.server), call=call)
    if st is not None:
        st.from_ami = False
        st.leg.context, st.leg.exten = st.leg.context or None, st.leg.exten or None
    return st


def _start_leg(st: LegState, obs: Observation) -> None:
    st.agi = AgiLeg()
    m = _UNIQUEID_EPOCH.search(obs.uniqueid)
    if m and obs.time is not None and obs.time - _DAY_S < float(m.group(1)) <= obs.time:
        st.leg.created_at = float(m.group(1))


def adopt(b: BuildState, obs: Observation) -> Optional[LegState]:
    """A channel this call knew only by name (a transferer, a Dial peer) now runs our AGI
    itself (the caller's hangup handler after it transferred the callee): it is that leg,
    under its own uniqueid from now on."""
    call = b.calls_by_linkedid.get((obs.server, obs.linkedid)) if obs.linkedid else None
    if call is None:
        return None
    st = next((s for s in call.legs.values()
               if not s.from_ami and s.leg.channel == obs.channel and s.agi is None), None)
    if st is None:
        return None
    del b.legs[(obs.server, st.leg.uniqueid)]
    st.leg.uniqueid = obs.uniqueid
    b.legs[(obs.server, obs.uniqueid)] = st
    if st.leg.ended_at is not None:  # it runs dialplan: up until its own hangup run
        st.leg.ended_at = None
        call.live += 1
    st.agi = AgiLeg()
    return st


def _named_leg(b: BuildState, st: LegState, channel: str, obs: Observation) -> LegState:
    """The leg of a channel AGI knows only by name (a Dial peer, a transferer): the one of
    this call with that channel name, or a new one keyed by who named it first."""
    for other in reversed(list(st.call.legs.values())):
        if other.leg.channel == channel:
            return other
    linkedids = st.call.call.linkedids
    found = _add_leg(b, obs, f"{obs.uniqueid}>{channel}", channel, linkedids[0] if linkedids else None,
                     None, None, call=st.call)
    assert found is not None  # uniqueid and channel are both set
    found.leg.context = found.leg.exten = None
    return found


def _end_named(st: LegState, at: Optional[float]) -> None:
    """A leg known by name ends with the Dial or transfer that named it; one that runs our
    AGI itself ends with its own hangup run."""
    if st.agi is None:
        _end(st, at)


def _end(st: LegState, at: Optional[float]) -> None:
    if st.leg.ended_at is None:
        st.leg.ended_at = at
        st.call.live -= 1


def _answer_no_later(st: LegState, at: Optional[float]) -> None:
    """Date the leg's answer at `at` unless an earlier moment is known: AGI sees a leg Up
    only after the fact, so each sighting is an upper bound and the earliest wins."""
    if at is not None and (st.leg.answered_at is None or at < st.leg.answered_at):
        st.leg.answered, st.leg.answered_at = True, at


def _ms(v: dict[str, str], key: str) -> Optional[float]:
    """DIALEDTIME / ANSWEREDTIME in seconds, from the _MS variant when there is one."""
    ms = v.get(key + "_MS", "")
    if ms.isdigit():
        return int(ms) / 1000
    s = v.get(key, "")
    return float(s) if s.isdigit() else None


# ---- one AGI run ----------------------------------------------------------------------


def run(b: BuildState, st: LegState, obs: Observation) -> None:
    agi = st.agi = st.agi or AgiLeg()
    _leg_facts(st, agi, obs)
    v = obs.variables
    if v.get("QUEUENAME"):
        _queue(st, agi, obs)
    if v.get("DIALSTATUS"):
        _dial(b, st, agi, obs)
    if obs.label == TRANSFER:
        _transfer(b, st, obs)
    agi.step_at = obs.time
    if obs.label == HANGUP:
        _end(st, obs.time)
        cause = v.get("HANGUPCAUSE", "")
        st.leg.hangup_cause = int(cause) if cause.isdigit() else st.leg.hangup_cause
        if st.call.live <= 0:
            if all(not s.from_ami for s in st.call.legs.values()):
                finalize(st.call.call)
            else:  # a leg AMI never saw, in an AMI call: settle it the AMI way
                settle(st.call)
            b.finish(st.call)


def _leg_facts(st: LegState, agi: AgiLeg, obs: Observation) -> None:
    v, t = obs.variables, obs.time
    if st.leg.caller.num is None and st.leg.caller.name is None:
        st.leg.caller = party(v.get("CALLERID(num)"), v.get("CALLERID(name)"))
    dialed = _ms(v, "DIALEDTIME")
    if t is not None and dialed is not None and not agi.created_exact:
        created, old = t - dialed, st.leg.created_at
        st.leg.created_at, agi.created_exact = created, True
        for attempt in st.call.call.attempts:  # its first step began when it was created
            if attempt.began_at == old and st.leg.leg_id in (attempt.from_leg, attempt.hop_leg):
                attempt.began_at = created
        for app in st.call.call.apps:
            if app.entered_at == old and app.leg == st.leg.leg_id:
                app.entered_at = created
        if agi.step_at == old:
            agi.step_at = created
    talked = _ms(v, "ANSWEREDTIME")
    if v.get("CHANNEL(state)") == "Up":
        _answer_no_later(st, t - talked if t is not None and talked else t)
    if v.get("DIALSTATUS") and t is not None and talked:
        _answer_moment(st, t - talked)


def _answer_moment(st: LegState, at: float) -> None:
    """After Dial(), ANSWEREDTIME dates the channel's own answer: it belongs to the answered
    Dial of this leg that was ringing then (one recorded by a run that could not date it,
    such as the TRANSFER_CONTEXT run after a blind transfer)."""
    for attempt in st.call.call.attempts:
        if (attempt.outcome == "ANSWER" and attempt.answered_at is None and attempt.began_at is not None
                and attempt.from_leg == st.leg.leg_id and attempt.began_at <= at <= (attempt.ended_at or at)):
            attempt.answered_at = at


def _step_start(st: LegState) -> Optional[float]:
    agi = st.agi
    return agi.step_at if agi is not None and agi.step_at is not None else st.leg.created_at


def _dial_key(v: dict[str, str]) -> tuple[str, ...]:
    return tuple(v.get(k, "") for k in _DIAL_KEYS)


def _dial(b: BuildState, st: LegState, agi: AgiLeg, obs: Observation) -> None:
    """The Dial() whose result DIALSTATUS holds. A post-Dial run always follows its own
    Dial(); any other run (hangup handler, TRANSFER_CONTEXT, after Queue) sees the last
    Dial's variables, which are new only if no post-Dial run recorded them."""
    v, t = obs.variables, obs.time
    key = _dial_key(v)
    if obs.label != POSTDIAL and key == agi.last_dial:
        return
    agi.last_dial = key
    transfer = st.pending_transfer
    behind = st.call.legs.get(transfer.transferer_leg) if transfer and transfer.kind == "attended" else None
    peer_name = v.get("DIALEDPEERNAME", "")
    peer = _named_leg(b, st, peer_name, obs) if peer_name else None
    dialstring = v.get("CDRAGENT_DIALSTRING", "")
    via = "transfer" if transfer else ("ringgroup" if "&" in dialstring else "dial")
    began = _step_start(st)
    attempt = st.call.add_attempt(Attempt(
        0,
        (behind or st).leg.leg_id,
        peer.leg.leg_id if peer else None,
        v.get("DIALEDPEERNUMBER") or dialstring or None,
        via,
        began,
        hop_leg=st.leg.leg_id if behind else None,
    ))
    attempt.outcome, attempt.ended_at = v["DIALSTATUS"], t
    if attempt.outcome == "ANSWER":
        talked = _ms(v, "ANSWEREDTIME")
        at = t - talked if t is not None and talked is not None else None
        if at is not None and began is not None and at >= began:  # answered during this Dial
            attempt.answered_at = at
        _answer_no_later(st, at if at is not None else t)  # Dial() answers the caller
        if peer is not None:
            _answer_no_later(peer, attempt.answered_at or t)
    if via == "ringgroup":
        group = st.call.add_app("ringgroup", st.leg.exten, st, began)
        group.left_at, attempt.app_id = t, group.app_id
        group.result = "answered" if attempt.outcome == "ANSWER" else attempt.outcome.lower()
    if peer is not None:
        _end_named(peer, t)
        for waiting in st.call.call.transfers:  # an attended transfer seen before who dialled its transferer
            if waiting.transferer_leg == peer.leg.leg_id and waiting.transferee_leg is None:
                waiting.transferee_leg = attempt.from_leg
    if transfer is not None:
        transfer.target_leg = transfer.target_leg or attempt.to_leg
        st.pending_transfer = None


def _transfer(b: BuildState, st: LegState, obs: Observation) -> None:
    """First thing in TRANSFER_CONTEXT: BLINDTRANSFER on the transferee's channel, or
    ATTENDEDTRANSFER on the consultation channel that dials the target."""
    v = obs.variables
    name, kind = (v.get("BLINDTRANSFER"), "blind") if v.get("BLINDTRANSFER") else (v.get("ATTENDEDTRANSFER"), "attended")
    if not name:
        return
    transferer = _named_leg(b, st, name, obs)
    if kind == "blind":
        transferee: Optional[str] = st.leg.leg_id
        _claim(st, transferer)
        _end_named(transferer, obs.time)  # a blind transferer is out of the call once it transferred
    else:
        dialled = [a for a in st.call.call.attempts if a.to_leg == transferer.leg.leg_id]
        transferee = dialled[-1].from_leg if dialled else None
    st.pending_transfer = st.call.add_transfer(Transfer(
        0, kind, transferer.leg.leg_id, transferee, obs.time,
        target_exten=v.get("EXTEN") or None, target_context=v.get("CONTEXT") or None,
        completed=kind == "blind",
    ))


def _claim(st: LegState, transferer: LegState) -> None:
    """The blind transferer was bridged with the transferee: it is whoever answered the
    transferee's last answered attempt whose peer AGI could not name (a queue member)."""
    mine = [a for a in st.call.call.attempts if a.from_leg == st.leg.leg_id and a.outcome == "ANSWER"]
    if mine and mine[-1].to_leg is None:
        mine[-1].to_leg = transferer.leg.leg_id
        _answer_no_later(transferer, mine[-1].answered_at or mine[-1].ended_at)


def _queue(st: LegState, agi: AgiLeg, obs: Observation) -> None:
    """Queue(): the stay (result from QUEUESTATUS, MEMBERNAME, ABANDONED) and the member who
    answered. The members who rang out are invisible to AGI."""
    v, t = obs.variables, obs.time
    name = v["QUEUENAME"]
    app = next((a for a in reversed(st.call.call.apps) if a.app == "queue" and a.leg == st.leg.leg_id and a.name == name), None)
    if app is None:
        app = st.call.add_app("queue", name, st, _step_start(st))
    member = v.get("MEMBERNAME", "")
    if member and not any(a.app_id == app.app_id and a.agent == member for a in st.call.call.attempts):
        talked = _ms(v, "ANSWEREDTIME") if not v.get("DIALSTATUS") else None  # Queue's, not a later Dial's
        at = t - talked if t is not None and talked else None
        attempt = st.call.add_attempt(Attempt(0, st.leg.leg_id, None, v.get("MEMBERINTERFACE") or None, "queue", None,
                                              app_id=app.app_id, agent=member))
        attempt.outcome, attempt.answered_at, attempt.ended_at = "ANSWER", at, t
        app.left_at = at
    if app.result is not None:
        return
    status = v.get("QUEUESTATUS", "")
    if member:
        app.result = "answered"
    elif status in QUEUE_RESULT:
        app.result, app.left_at = QUEUE_RESULT[status], t
    elif v.get("ABANDONED") == "TRUE" and obs.label == HANGUP:
        app.result, app.left_at = "abandoned", t

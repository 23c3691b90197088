"""Breaks in the AMI stream: flag what crossed them, rejoin from Asterisk's channel list, close
what vanished, and close calls whose Hangup never came.

Pure like the rest of the builder: the channel list arrives as `CoreShowChannel` events and time
is passed in (`now`: the capture's clock, the latest event time), never read from a clock.
Nothing is invented: a leg that vanished unseen keeps `ended_at` unknown (None), and so does
its call when that leg was its last; such calls are `incomplete` and carry a flag saying why.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Optional

from ..ami.event import Event
from .conclude import conclude
from .model import Call
from .state import RECENT_LEGS, Bridge, BuildState, CallState, LegState, answer_once
from .vocab import GAP, STALE

LegKey = tuple[str, str]  # (server, uniqueid), as BuildState.legs is keyed


def flag(call: Call, word: str) -> None:
    if word not in call.flags:
        call.flags.append(word)


def mark_gap(b: BuildState, server: str) -> set[LegKey]:
    """The stream of `server` broke: flag its open calls, and return its live legs (what the
    channel list taken after the break is checked against)."""
    for cs in b.open_calls.values():
        if cs.call.server == server:
            flag(cs.call, GAP)
    return {key for key in b.legs if key[0] == server}


def apply_channel_list(
    b: BuildState, server: str, channels: list[Event], now: Optional[float], before: Optional[set[LegKey]]
) -> None:
    """Asterisk's channel list for `server` (CoreShowChannel events), taken at `now`.

    Listed channels we do not know are joined (their call is `incomplete`, flagged GAP when the
    list follows a break); calls with a listed channel count as alive for the stale timer.
    `before` (the legs live when the stream broke) is given for a list taken after a break:
    those of its legs that are no longer listed ended while we were not listening.
    """
    listed: set[LegKey] = set()
    for ev in sorted(channels, key=_creation_order):
        uniqueid = ev.headers.get("Uniqueid")
        if not uniqueid:
            b.skip("CoreShowChannel without Uniqueid")
            continue
        key = (server, uniqueid)
        listed.add(key)
        st = b.legs.get(key)
        if st is None and key not in b.gone:
            st = _join(b, ev, now, after_gap=before is not None)
        if st is None:
            continue
        if now is not None:
            st.call.seen_at = now
        if before is not None and st.call.joined_mid_call:
            flag(st.call.call, GAP)  # first seen after the break, mid-call: it started during it
    for key in sorted((before or set()) - listed):
        st = b.legs.get(key)
        if st is not None:
            vanish(b, st)


def close_stale(b: BuildState, now: float, timeout: float) -> None:
    """Close calls that showed no sign of life (an event time, or a channel list naming them)
    for `timeout` seconds: their Hangup never came. Flagged STALE."""
    for cs in list(b.open_calls.values()):
        last = last_sign(cs)
        if last is None:  # a stream without times: the timer starts now
            cs.seen_at = now
            continue
        if now - last < timeout:
            continue
        flag(cs.call, STALE)
        for st in list(cs.legs.values()):
            if not st.hung_up:
                vanish(b, st)
        if cs.call.call_id in b.open_calls:  # legs the indexes had lost track of
            _finish_unseen(b, cs)


def vanish(b: BuildState, st: LegState) -> None:
    """A leg ended without a Hangup we saw: forget it; the call ends if it was the last one."""
    key = (st.server, st.leg.uniqueid)
    if b.legs.get(key) is not st or st.hung_up:
        return
    del b.legs[key]
    cs = st.call
    st.vanished = True
    _remember(b.gone, key, cs)
    st.kept = (st.bridge, b.talking.pop(st.leg.leg_id, []))
    b.leave_bridge(st)
    b.consultations.pop(st.leg.leg_id, None)
    cs.live -= 1
    if cs.live <= 0:
        _finish_unseen(b, cs)


def _finish_unseen(b: BuildState, cs: CallState) -> None:
    conclude(b, cs)  # incomplete: a leg vanished
    cs.call.ended_at = None  # its last Hangup was not seen: when it ended is unknown
    for linkedid in cs.call.linkedids:
        _remember(b.closed_unseen, (cs.call.server, linkedid), cs)


def _remember(memory: "OrderedDict[LegKey, CallState]", key: LegKey, cs: CallState) -> None:
    memory[key] = cs
    memory.move_to_end(key)
    while len(memory) > RECENT_LEGS:
        memory.popitem(last=False)


def _join(b: BuildState, ev: Event, now: Optional[float], after_gap: bool) -> Optional[LegState]:
    """A channel first seen in a channel list: created `Duration` before the list (Asterisk's
    own account, to the second), answered by then if it is Up, in the bridge it names."""
    h = ev.headers
    seconds = _duration(h.get("Duration"))
    created = now - seconds if now is not None and seconds is not None else None
    st = b.add_leg(Event(ev.name, h, ev.seq, created, ev.server, ev.repeats))
    if st is None:
        b.skip("CoreShowChannel without Channel")
        return None
    call = st.call.call
    b.joined_mid_call(st.call)
    if after_gap:
        flag(call, GAP)
    if h.get("ChannelStateDesc") == "Up":
        answer_once(st, now)
    bridge_id = h.get("BridgeId")
    if bridge_id:
        bridge = b.bridges.setdefault((st.server, bridge_id), Bridge(bridge_id, kind=""))
        bridge.members.append(st)
        st.bridge = bridge_id
    return st


def last_sign(cs: CallState) -> Optional[float]:
    """The latest time anything was seen of the call."""
    call = cs.call
    times: list[Optional[float]] = [cs.seen_at, call.started_at]
    for leg in call.legs:
        times += (leg.created_at, leg.answered_at, leg.ended_at)
    for attempt in call.attempts:
        times += (attempt.began_at, attempt.answered_at, attempt.ended_at)
    for app in call.apps:
        times += (app.entered_at, app.left_at)
    times += [t.at for t in call.transfers]
    known = [t for t in times if t is not None]
    return max(known) if known else None


def _duration(text: Optional[str]) -> Optional[int]:
    """CoreShowChannel `Duration` ('HH:MM:SS', hours may exceed 24) -> seconds."""
    parts = (text or "").split(":")
    if not all(p.isdigit() and p.isascii() for p in parts):
        return None
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    return seconds


def _creation_order(ev: Event) -> tuple[int, int, str]:
    """Uniqueids are `[systemname-]epoch.sequence`: order channels as Asterisk created them,
    so a call is named after its first channel, as a full stream would have named it."""
    uniqueid = ev.headers.get("Uniqueid") or ""
    epoch, _, seq = uniqueid.rpartition("-")[2].partition(".")
    if epoch.isdigit() and seq.isdigit() and epoch.isascii() and seq.isascii():
        return int(epoch), int(seq), uniqueid
    return 1 << 62, 0, uniqueid

"""The call-tree builder: a pure, deterministic function of the event sequence.

Feed it AMI events and AGI observations in arrival order; it hands back the calls that
finished. It never reads a clock, a file or a database, so a replay of the same stream
always yields the same trees (and the same ids).
"""
from __future__ import annotations

from functools import partial
from typing import Any, Callable, Optional

from ..ami.event import Event
from . import bridges, channels, dials, parking, queues, resync
from .enrich import observe
from .model import Call
from .observation import Observation
from .settings import TreeSettings
from .state import BuildState, describe, upgrade

Handler = Callable[[BuildState, Event], None]

HANDLERS: dict[str, Handler] = {
    "Newchannel": channels.on_newchannel,
    "Newstate": channels.on_newstate,
    "NewCallerid": channels.on_new_callerid,
    "NewConnectedLine": channels.on_new_connected_line,
    "LocalBridge": channels.on_local_bridge,
    "Newexten": channels.on_newexten,
    "VarSet": channels.on_varset,
    "Hangup": channels.on_hangup,
    "HangupRequest": channels.on_hangup_request,
    "SoftHangupRequest": channels.on_hangup_request,
    "DialBegin": dials.on_dial_begin,
    "DialEnd": dials.on_dial_end,
    "Pickup": dials.on_pickup,
    "BridgeEnter": bridges.on_bridge_enter,
    "BridgeLeave": bridges.on_bridge_leave,
    "BridgeDestroy": bridges.on_bridge_destroy,
    "BlindTransfer": bridges.on_blind_transfer,
    "AttendedTransfer": bridges.on_attended_transfer,
    "ConfbridgeJoin": bridges.on_confbridge_join,
    "ConfbridgeLeave": bridges.on_confbridge_leave,
    "QueueCallerJoin": queues.on_caller_join,
    "QueueCallerAbandon": queues.on_caller_abandon,
    "QueueCallerLeave": queues.on_caller_leave,
    "AgentCalled": queues.on_agent_called,
    "AgentRingNoAnswer": queues.on_agent_ring_no_answer,
    "AgentConnect": queues.on_agent_connect,
    "AgentComplete": queues.on_agent_complete,
    "ParkedCall": parking.on_parked_call,
    "UnParkedCall": parking.on_unparked_call,
    "ParkedCallTimeOut": parking.on_parked_timeout,
    "ParkedCallGiveUp": parking.on_parked_give_up,
}


class CallTreeBuilder:
    """Turns events into call trees. `feed`/`observe` return calls finished by that input."""

    def __init__(self, settings: Optional[TreeSettings] = None) -> None:
        self.state = BuildState(settings)
        self.events = 0
        self.failures: dict[str, int] = {}

    def restored(self) -> None:
        """Loaded from a checkpoint, perhaps one an older release wrote."""
        upgrade(self.state)

    def configure(self, settings: TreeSettings) -> None:
        """Settings for the events fed from now on (a capture's START record)."""
        self.state.settings = settings

    def feed(self, event: Event) -> list[Call]:
        self.events += 1
        handler = HANDLERS.get(event.name)
        if handler is not None:
            self._run(event.name, handler, self.state, event)
        return self._take_finished() if self.state.finished else []  # most events finish nothing

    def observe(self, observation: Observation, enrich_only: bool = False) -> list[Call]:
        """An AGI observation. `enrich_only`: the AMI stream of its server is the source of
        the call trees (see calltree/enrich.py)."""
        self._run("AgiObservation", partial(observe, enrich_only=enrich_only), self.state, observation)
        return self._take_finished()

    def gap(self, server: str) -> set[tuple[str, str]]:
        """The AMI stream of `server` broke: flag its open calls; returns their live legs."""
        return resync.mark_gap(self.state, server)

    def channel_list(
        self, server: str, channels: list[Event], now: Optional[float], before: Optional[set[tuple[str, str]]] = None
    ) -> list[Call]:
        """Asterisk's channel list (CoreShowChannels), after a break or as a liveness audit."""
        apply = partial(resync.apply_channel_list, channels=channels, now=now, before=before)
        self._run("CoreShowChannels", apply, self.state, server)
        return self._take_finished()

    def close_stale(self, now: float, timeout: float) -> list[Call]:
        """Close calls with no sign of life for `timeout` s (time passed in: the builder has no clock)."""
        self._run("StaleSweep", partial(resync.close_stale, timeout=timeout), self.state, now)
        return self._take_finished()

    def open_calls(self) -> list[Call]:
        """Calls still in progress (e.g. when a stream stops mid-call)."""
        calls = [state.call for state in self.state.open_calls.values()]
        for call in calls:
            describe(call)
        return calls

    @property
    def open_count(self) -> int:
        """How many calls are in progress (cheap: nothing is described)."""
        return len(self.state.open_calls)

    def take_dropped(self) -> list[str]:
        """Ids of calls merged into another call since the last look (to delete if stored)."""
        dropped, self.state.dropped_call_ids = self.state.dropped_call_ids, []
        return dropped

    def take_unplaced(self) -> list[Observation]:
        """Observations no call could take (enrich-only mode) since the last look."""
        unplaced, self.state.unplaced = self.state.unplaced, []
        return unplaced

    @property
    def restored_calls(self) -> int:
        """Finished calls handed out again after a later change (BuildState.restore)."""
        return self.state.restored

    @property
    def skipped(self) -> dict[str, int]:
        return self.state.skipped

    def _run(self, name: str, handler: Callable[[BuildState, Any], None], state: BuildState, item: Any) -> None:
        # One odd event must never stop the capture: count it, keep going. The caller logs.
        try:
            handler(state, item)
        except Exception as exc:  # noqa: BLE001 - deliberate firewall around one event
            key = f"{name}: {type(exc).__name__}: {exc}"
            self.failures[key] = self.failures.get(key, 0) + 1

    def _take_finished(self) -> list[Call]:
        if not self.state.finished:
            return []
        done, self.state.finished = self.state.finished, []
        return done

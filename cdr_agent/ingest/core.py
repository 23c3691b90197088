"""Ingest: feeds the builder AMI events and AGI observations, hands the calls to its sinks.

The one way from input to call trees, for the replay, the daemon and the AGI-only import;
it knows nothing of SQL. Two small protocols are all a consumer implements: an `EventSink`
sees every event (agent presence), a `CallSink` is told when calls finish, change, are merged
away, or are still open at the end (the store, live metrics).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Optional, Protocol

import structlog

from ..ami.event import Event
from ..calltree.builder import CallTreeBuilder
from ..calltree.model import Call
from ..calltree.observation import Observation
from ..calltree.settings import TreeSettings

log = structlog.get_logger("cdr_agent.ingest")

AGI_MARKER = "CdrTraceAgi"
AgiLine = dict[str, Any]  # one line of a lab trace's agi.jsonl: seq, ts, env, vars
_BATCH = 200  # finished calls per write transaction


@dataclass
class IngestStats:
    events: int = 0
    observations: int = 0
    calls_finished: int = 0  # hand-outs of finished calls, a restored call counted again
    calls_restored: int = 0  # finished calls handed out again after a later change
    calls_open: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    reader: dict[str, int] = field(default_factory=dict)


class EventSink(Protocol):
    """Sees every event the builder sees, for what is not part of a call tree (agent
    presence); flushed whenever the calls are."""

    def feed(self, event: Event) -> None: ...

    def flush(self) -> None: ...


class CallSink(Protocol):
    """Told what happens to calls: the store writes them (store/sink.py); live metrics, the
    next reader, counts them. What is still open it asks the Ingest (`open_calls`)."""

    def finished(self, calls: list[Call]) -> None:
        """Calls that finished, or that finished before and changed (late AGI user data,
        a resync): store them (again)."""

    def dropped(self, call_ids: list[str]) -> None:
        """Calls merged into another call: forget them."""

    def in_progress(self, calls: list[Call]) -> None:
        """The input ended while these calls were open: keep them as they are."""

    def flush(self) -> None:
        """A batch ends: make what was handed over durable."""


class Ingest:
    """Feeds the builder and hands finished calls to a `CallSink` in batches; calls still
    open at the end are handed over as in progress. Without a sink the finished calls are
    kept in `finished` (tests, tools, the daemon's outbox)."""

    def __init__(
        self,
        calls: Optional[CallSink] = None,
        agi_user_keys: tuple[str, ...] = (),
        sink: Optional[EventSink] = None,
        settings: Optional[TreeSettings] = None,
    ) -> None:
        self.builder = CallTreeBuilder(settings)
        self.call_sink = calls
        self.sink = sink
        self.agi_user_keys = agi_user_keys
        self.finished: list[Call] = []
        self.stats = IngestStats()
        self._unflushed = 0  # calls handed to the sink since its last flush

    def __setstate__(self, state: dict[str, Any]) -> None:
        """A daemon checkpoint saved before the call sink had `writer` (always None in the
        daemon) and an empty `pending` list."""
        state.setdefault("call_sink", state.pop("writer", None))
        state.pop("pending", None)
        state.setdefault("_unflushed", 0)
        self.__dict__.update(state)

    def restored(self) -> None:
        """Loaded from a daemon checkpoint (perhaps an older release's)."""
        self.builder.restored()

    def configure(self, settings: TreeSettings) -> None:
        """What the PBX's dialplan contexts are (the daemon's configuration, journaled)."""
        self.builder.configure(settings)

    def events(self, events: Iterable[Event], agi: Optional[dict[int, AgiLine]] = None) -> None:
        feed = self.builder.feed
        sink = self.sink.feed if self.sink is not None else None
        for event in events:
            self.stats.events += 1
            if sink is not None:
                sink(event)
            if agi is not None and event.name == "UserEvent" and event.headers.get("UserEvent") == AGI_MARKER:
                line = agi.get(_int(event.headers.get("Seq")))
                if line is not None:
                    self.observe(line, event)
            done = feed(event)
            if done:
                self.add_finished(done)

    def observe(self, line: AgiLine, marker: Event) -> None:
        obs = Observation.from_agi(
            marker.server,
            line.get("env") or {},
            line.get("vars") or {},
            marker.time if marker.time is not None else line.get("ts"),
            self.agi_user_keys,
        )
        self.observation(obs)

    def observation(self, obs: Observation, enrich_only: bool = False) -> None:
        self.stats.observations += 1
        self.add_finished(self.builder.observe(obs, enrich_only))

    def add_finished(self, calls: list[Call]) -> None:
        """Calls the builder finished (from events, observations, or the daemon's resyncs)."""
        if not calls:
            return
        self.stats.calls_finished += len(calls)
        if self.call_sink is None:
            self.finished.extend(calls)  # a call changed after it finished comes again: last wins
            return
        self.call_sink.finished(calls)
        self._unflushed += len(calls)
        if self._unflushed >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if self.call_sink is not None:
            dropped = self.builder.take_dropped()
            if dropped:
                self.call_sink.dropped(dropped)
            self.call_sink.flush()
        self._unflushed = 0
        if self.sink is not None:
            self.sink.flush()

    def close(self) -> list[Call]:
        """End of input: write what finished and what is still open (as in progress)."""
        still_open = self.open_calls()
        self.stats.calls_open = len(still_open)
        self.flush()
        if self.call_sink is not None and still_open:
            self.call_sink.in_progress(still_open)
        self.stats.calls_restored = self.builder.restored_calls
        self.stats.skipped = dict(self.builder.skipped)
        self.stats.failures = dict(self.builder.failures)
        for reason, count in self.stats.failures.items():
            log.warning("event_failed", reason=reason, count=count)
        return still_open

    # ---- what a reader may ask (never the builder's state) ------------------------------

    def open_calls(self) -> list[Call]:
        """The calls in progress now, described as they would be stored."""
        return self.builder.open_calls()

    @property
    def open_count(self) -> int:
        return self.builder.open_count

    def take_finished(self) -> list[Call]:
        """The finished calls kept since the last look (without a call sink)."""
        finished, self.finished = self.finished, []
        return finished

    def take_dropped(self) -> list[str]:
        """Ids of calls merged into another since the last look (without a call sink)."""
        return self.builder.take_dropped()

    def take_unplaced(self) -> list[Observation]:
        """AGI observations no call could take (enrich-only mode) since the last look."""
        return self.builder.take_unplaced()



def _int(text: Optional[str]) -> int:
    try:
        return int(text or "")
    except ValueError:
        return -1

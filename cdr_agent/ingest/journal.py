"""Journal records -> call trees: the one path from captured bytes to the builder, shared by the
live daemon and `cdr-agent replay JOURNAL`, so both store the same calls.

Everything the capture decides is decided here, from the journal alone: a new AMI session
(CONNECT) after an earlier one is a break, so the calls open across it are flagged; the channel
list the daemon asks for after login (CoreShowChannels, ActionID `cdr-resync-*`) rejoins calls
that started during the break and closes those whose legs are gone; periodic lists
(`cdr-audit-*`) keep long silent calls alive for the stale timer; the stale sweep runs on the
capture's clock (the latest event time). A replay of the journal therefore repeats the
daemon's decisions exactly.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Optional

import structlog

from ..ami.client import AUDIT_PREFIX, RESYNC_PREFIX
from ..ami.event import Event
from ..ami.journal import AGI, CONNECT, DATA, GAP, START, Record, records
from ..ami.reader import AmiReader
from ..calltree.observation import Observation
from ..calltree.settings import TreeSettings
from .core import Ingest

log = structlog.get_logger("cdr_agent.ingest.journal")

_LISTING = frozenset({"CoreShowChannel", "CoreShowChannelsComplete"})
_SEEN_OBSERVATIONS = 20_000  # far more than one spool pass can journal twice


@dataclass
class FeedSettings:
    """What the capture decides with; journaled in the START record so a replay decides alike."""

    hangup_timeout: float = 4 * 3600.0  # close a call after this long without a sign of life
    sweep_interval: float = 60.0  # how often (capture clock) the stale sweep runs
    # Servers whose AMI stream the daemon follows: their AGI observations only enrich the AMI
    # calls (calltree/enrich.py); other servers' observations build AGI-only calls.
    ami_servers: tuple[str, ...] = ()
    # The admin's dialplan contexts that are applications (calltree/settings.py).
    app_contexts: dict[str, str] = field(default_factory=dict)

    def __setstate__(self, state: dict) -> None:
        """A checkpoint saved before app contexts were settings."""
        self.__dict__.update({"app_contexts": {}, **state})

    def tree(self) -> TreeSettings:
        return TreeSettings.with_contexts(self.app_contexts)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def from_json(cls, payload: bytes) -> "FeedSettings":
        data = json.loads(payload)
        known = {f.name for f in fields(cls)} - {"ami_servers", "app_contexts"}
        numbers = {k: float(v) for k, v in data.items() if k in known}
        servers = data.get("ami_servers", [])
        if not isinstance(servers, list) or not all(isinstance(s, str) for s in servers):
            raise ValueError("ami_servers: expected a list of server names")
        contexts = data.get("app_contexts", {})
        if not isinstance(contexts, dict) or not all(isinstance(v, str) for v in contexts.values()):
            raise ValueError("app_contexts: expected a table of context = kind")
        return cls(**numbers, ami_servers=tuple(servers), app_contexts=contexts)


@dataclass
class ServerStream:
    """Reading state of one server's AMI stream."""

    server: str
    reader: AmiReader
    sessions: int = 0
    before: Optional[set[tuple[str, str]]] = None  # legs live at the last break, until the resync list
    listing: list[Event] = field(default_factory=list)  # CoreShowChannel events of the list under way


class JournalFeed:
    """Applies journal records, in order, to an `Ingest` (builder + its sinks).

    `apply` never raises: a record that cannot be applied is counted in `errors` and logged.
    """

    def __init__(self, ingest: Ingest, settings: Optional[FeedSettings] = None) -> None:
        self.ingest = ingest
        self.settings = settings or FeedSettings()
        ingest.configure(self.settings.tree())
        self.streams: dict[str, ServerStream] = {}
        self.clock: Optional[float] = None  # latest event time (receive time for untimed streams)
        self.timed = False
        self.next_sweep: Optional[float] = None
        self.records = 0
        self.errors = 0
        self.gaps = 0
        self.resyncs = 0
        self.reader_totals: dict[str, int] = {}
        self.seen_observations: OrderedDict[str, None] = OrderedDict()  # ids of the last observations
        self.duplicate_observations = 0
        self._failures_logged = 0

    # ---- records ----------------------------------------------------------------------

    def apply(self, rec: Record) -> None:
        self.records += 1
        try:
            if rec.kind == DATA:
                self._data(self._stream(rec.server), rec)
            elif rec.kind == CONNECT:
                self._connect(rec.server)
            elif rec.kind == GAP:
                self._restart_reader(self._stream(rec.server))
            elif rec.kind == AGI:
                self._observation(Observation.from_json(rec.payload.decode("utf-8")))
            elif rec.kind == START:
                self.settings = FeedSettings.from_json(rec.payload)
                self.ingest.configure(self.settings.tree())
            if not self.timed and rec.kind == DATA:
                self.clock = rec.time
            self._sweep()
        except Exception as exc:  # noqa: BLE001 - one bad record must not stop the capture
            self.errors += 1
            if worth_logging(self.errors):
                log.error("journal_record_failed", count=self.errors, kind=rec.kind, server=rec.server,
                          error=f"{type(exc).__name__}: {exc}")
        self._log_failures()

    def _observation(self, obs: Observation) -> None:
        """Apply an AGI observation once: a spool file journaled again (the daemon stopped
        between journaling it and deleting it) is recognised by its id."""
        obs_id = obs.obs_id
        if obs_id in self.seen_observations:
            self.duplicate_observations += 1
            return
        self.seen_observations[obs_id] = None
        if len(self.seen_observations) > _SEEN_OBSERVATIONS:
            self.seen_observations.popitem(last=False)
        self.ingest.observation(obs, enrich_only=obs.server in self.settings.ami_servers)

    def _stream(self, server: str) -> ServerStream:
        stream = self.streams.get(server)
        if stream is None:
            stream = self.streams[server] = ServerStream(server, AmiReader(server))
        return stream

    def _connect(self, server: str) -> None:
        """A new AMI session. After an earlier one, the stream broke: events are missing."""
        stream = self._stream(server)
        self._restart_reader(stream)
        if stream.sessions:
            self.gaps += 1
            live = self.ingest.builder.gap(server)
            stream.before = live if stream.before is None else stream.before | live
        stream.sessions += 1

    def _restart_reader(self, stream: ServerStream) -> None:
        """A session's unfinished last message is cut: drop it with the old reader."""
        for key, value in asdict(stream.reader.stats).items():
            self.reader_totals[key] = self.reader_totals.get(key, 0) + value
        stream.reader = AmiReader(stream.server)
        stream.listing = []

    def _data(self, stream: ServerStream, rec: Record) -> None:
        events = stream.reader.feed(rec.payload)
        if not events:
            return
        for ev in reversed(events):
            if ev.time is not None:
                self.timed = True
                if self.clock is None or ev.time > self.clock:
                    self.clock = ev.time
                break
        for ev in events:
            if ev.time is None:  # a manager without timestampevents: when we read it
                ev.time, ev.arrival = rec.time, True
        start = 0
        for i, ev in enumerate(events):
            if ev.name in _LISTING:
                self.ingest.events(events[start:i])
                start = i + 1
                self._listing(stream, ev)
        self.ingest.events(events[start:] if start else events)

    def _listing(self, stream: ServerStream, ev: Event) -> None:
        action = ev.headers.get("ActionID") or ""
        if not action.startswith((RESYNC_PREFIX, AUDIT_PREFIX)):
            return
        if ev.name == "CoreShowChannel":
            stream.listing.append(ev)
            return
        resync = action.startswith(RESYNC_PREFIX)
        before = stream.before if resync else None
        if resync:
            self.resyncs += 1
            stream.before = None
        channels, stream.listing = stream.listing, []
        self.ingest.add_finished(self.ingest.builder.channel_list(stream.server, channels, self.clock, before))

    def _sweep(self) -> None:
        clock = self.clock
        if clock is None or any(s.before is not None for s in self.streams.values()):
            return  # no verdict on silence while a channel list after a break is awaited
        if self.next_sweep is None:
            self.next_sweep = clock + self.settings.sweep_interval
        if clock >= self.next_sweep:
            self.next_sweep = clock + self.settings.sweep_interval
            self.ingest.add_finished(self.ingest.builder.close_stale(clock, self.settings.hangup_timeout))

    # ---- what it has seen -------------------------------------------------------------

    def reader_stats(self) -> dict[str, int]:
        """Wire-reader counters over every session so far."""
        totals = dict(self.reader_totals)
        for stream in self.streams.values():
            for key, value in asdict(stream.reader.stats).items():
                totals[key] = totals.get(key, 0) + value
        return totals

    def skipped_frames(self) -> int:
        r = self.reader_stats()
        return sum(r.get(k, 0) for k in ("unknown", "skipped_lines", "oversize", "undecodable"))

    def _log_failures(self) -> None:
        """The builder counts events it could not apply; say so in the log (rarely for a flood)."""
        failures = self.ingest.builder.failures
        total = sum(failures.values()) if failures else 0
        if total == self._failures_logged:
            return
        self._failures_logged = total
        if worth_logging(total):
            log.error("event_failed", count=total, reasons=dict(list(failures.items())[:5]))

    def finish(self) -> None:
        """End of input: hand the wire counters to the ingest's stats."""
        for key, value in self.reader_stats().items():
            self.ingest.stats.reader[key] = self.ingest.stats.reader.get(key, 0) + value


def replay_journal(ingest: Ingest, path: Path) -> int:
    """Apply a journal directory (or one segment file) to `ingest`; returns the servers seen."""
    feed = JournalFeed(ingest)
    for rec in records(path):
        feed.apply(rec)
    feed.finish()
    return len(feed.streams)


def worth_logging(count: int) -> bool:
    """The 1st-3rd occurrence, then the 4th, 8th, 16th...: a flood costs log2 lines."""
    return count <= 3 or count & (count - 1) == 0

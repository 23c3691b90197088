"""Offline capture: feed recorded AMI bytes (and AGI observations) through builder and store.

Reads a trace folder as the lab recorded it (`ami.log` + `agi.jsonl`, or one folder per
server holding those), or a raw AMI capture file. Each `agi.jsonl` line is fed at its
`CdrTraceAgi` UserEvent marker, the moment the AGI ran.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional, Protocol

import structlog
from sqlalchemy import Engine

from .agi.observation import Observation
from .ami.event import Event
from .ami.journal import is_journal
from .ami.reader import AmiReader
from .calltree.builder import CallTreeBuilder
from .calltree.model import Call
from .calltree.settings import TreeSettings
from .stats.recorder import PresenceRecorder
from .store.writer import CallWriter

log = structlog.get_logger("cdr_agent.replay")

AGI_MARKER = "CdrTraceAgi"
_BATCH = 200  # finished calls per write transaction
_CHUNK = 1 << 20


@dataclass
class IngestStats:
    events: int = 0
    observations: int = 0
    calls_finished: int = 0
    calls_open: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    reader: dict[str, int] = field(default_factory=dict)


class EventSink(Protocol):
    """Sees every event the builder sees, for what is not part of a call tree (agent
    presence); flushed whenever the calls are."""

    def feed(self, event: Event) -> None: ...

    def flush(self) -> None: ...


class Ingest:
    """Builder + writer for one run: finished calls are written in batches, calls still
    open at the end are written as in progress."""

    def __init__(
        self,
        writer: Optional[CallWriter],
        agi_user_keys: tuple[str, ...] = (),
        sink: Optional[EventSink] = None,
        settings: Optional[TreeSettings] = None,
    ) -> None:
        self.builder = CallTreeBuilder(settings)
        self.writer = writer
        self.sink = sink
        self.agi_user_keys = agi_user_keys
        self.pending: list[Call] = []
        self.finished: list[Call] = []  # kept only when there is no writer (tests, tools)
        self.stats = IngestStats()

    def events(self, events: Iterable[Event], agi: Optional[dict[int, dict]] = None) -> None:
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

    def observe(self, line: dict, marker: Event) -> None:
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
        if self.writer is None:
            self.finished.extend(calls)
            return
        self.pending.extend(calls)
        if len(self.pending) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if self.writer is not None:
            dropped = self.builder.take_dropped()
            if dropped:
                self.writer.delete(dropped)
            if self.pending:
                self.writer.write(self.pending)
        self.pending = []
        if self.sink is not None:
            self.sink.flush()

    def close(self) -> list[Call]:
        """End of input: write what finished and what is still open (as in progress)."""
        still_open = self.builder.open_calls()
        self.stats.calls_open = len(still_open)
        self.flush()
        if self.writer is not None and still_open:
            self.writer.write(still_open)
        self.stats.skipped = dict(self.builder.skipped)
        self.stats.failures = dict(self.builder.failures)
        for reason, count in self.stats.failures.items():
            log.warning("event_failed", reason=reason, count=count)
        return still_open


def storing_ingest(engine: Engine) -> Ingest:
    """What `cdr-agent replay` runs: calls into the call tables, agents' log-ins and pauses
    into theirs (presence is not part of a call tree, but comes on the same stream)."""
    return Ingest(CallWriter(engine), sink=PresenceRecorder(engine))


def read_events(chunks: Iterable[bytes], server: str, stats: Optional[IngestStats] = None) -> Iterator[Event]:
    reader = AmiReader(server=server)
    for chunk in chunks:
        yield from reader.feed(chunk)
    yield from reader.close()
    if stats is not None:
        for key, value in asdict(reader.stats).items():
            stats.reader[key] = stats.reader.get(key, 0) + value


def file_chunks(path: Path, size: int = _CHUNK) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        while chunk := fh.read(size):
            yield chunk


def load_agi(path: Path) -> dict[int, dict]:
    """agi.jsonl -> {seq: line}; unreadable lines are counted in the log and skipped."""
    lines: dict[int, dict] = {}
    if not path.exists():
        return lines
    with open(path, encoding="utf-8", errors="replace") as fh:
        for number, text in enumerate(fh, 1):
            try:
                line = json.loads(text)
                lines[int(line["seq"])] = line
            except (ValueError, KeyError, TypeError):
                log.warning("agi_line_skipped", path=str(path), line=number)
    return lines


def streams(path: Path, server: str) -> list[tuple[str, Path, Optional[Path]]]:
    """(server, ami file, agi file or None) for a capture file, a trace folder, or a folder
    of per-server trace folders (named after their server)."""
    if path.is_file():
        return [(server, path, None)]
    if (path / "ami.log").exists():
        return [(server, path / "ami.log", path / "agi.jsonl")]
    return [(sub.name, sub / "ami.log", sub / "agi.jsonl") for sub in sorted(path.iterdir()) if (sub / "ami.log").exists()]


def replay_path(ingest: Ingest, path: Path, server: str) -> int:
    if is_journal(path):  # the daemon's capture journal: servers are named in it
        from .daemon.feed import replay_journal

        return replay_journal(ingest, path)
    found = streams(path, server)
    for name, ami, agi in found:
        ingest.events(read_events(file_chunks(ami), name, ingest.stats), load_agi(agi) if agi else None)
    return len(found)


def ingest_bytes(chunks: Iterable[bytes], server: str, engine: Engine) -> IngestStats:
    """Parse + build + store one AMI byte stream, as `replay` does (what the benchmark times)."""
    ingest = storing_ingest(engine)
    ingest.events(read_events(chunks, server, ingest.stats))
    ingest.close()
    return ingest.stats


def _int(text: Optional[str]) -> int:
    try:
        return int(text or "")
    except ValueError:
        return -1

"""Offline capture: feed recorded AMI bytes (and AGI observations) through ingest and store.

Reads a trace folder as the lab recorded it (`ami.log` + `agi.jsonl`, or one folder per
server holding those), or a raw AMI capture file. Each `agi.jsonl` line is fed at its
`CdrTraceAgi` UserEvent marker, the moment the AGI ran.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

import structlog
from sqlalchemy import Engine
from tqdm import tqdm

from .ami.event import Event
from .ami.journal import is_journal
from .ami.reader import AmiReader
from .ingest import Ingest, IngestStats, replay_journal
from .ingest.core import AgiLine
from .calltree.settings import TreeSettings
from .stats.recorder import PresenceRecorder
from .store.sink import WritingSink
from .store.writer import CallWriter

log = structlog.get_logger("cdr_agent.replay")

_CHUNK = 1 << 20


def storing_ingest(engine: Engine, settings: Optional[TreeSettings] = None) -> Ingest:
    """What `cdr-agent replay` runs: calls into the call tables, agents' log-ins and pauses
    into theirs (presence is not part of a call tree, but comes on the same stream)."""
    return Ingest(WritingSink(CallWriter(engine)), sink=PresenceRecorder(engine), settings=settings)


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


def load_agi(path: Path) -> dict[int, AgiLine]:
    """agi.jsonl -> {seq: line}; unreadable lines are counted in the log and skipped."""
    lines: dict[int, AgiLine] = {}
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


@dataclass
class Replayed:
    """What one path gave: its streams, the AMI events read from them, the Asterisk uniqueids
    of a few of its channels (to find the same calls stored under another server name)."""

    path: Path
    streams: list[tuple[str, Path, Optional[Path]]] = field(default_factory=list)
    events: int = 0
    reader: dict[str, int] = field(default_factory=dict)
    uniqueids: dict[str, set[str]] = field(default_factory=dict)  # server -> sample

    def problem(self) -> Optional[str]:
        """Why this path held no AMI at all (None when it did)."""
        if self.events:
            return None
        if self.path.is_dir() and not any(self.path.iterdir()):
            return "empty folder"
        if not self.streams:
            return "no ami.log in this folder nor in a sub-folder (a trace folder holds ami.log + agi.jsonl)"
        size = sum(ami.stat().st_size for _, ami, _ in self.streams)
        if size == 0:
            return "empty file" if self.path.is_file() else "empty ami.log"
        r = self.reader
        return (f"no AMI event in {size} bytes ({r.get('skipped_lines', 0)} lines without a colon,"
                f" {r.get('undecodable', 0)} messages not UTF-8, {r.get('unknown', 0)} messages without Event:)")


_SAMPLE = 50  # uniqueids kept per stream for the server-name check


def replay_path(ingest: Ingest, path: Path, server: str, progress: Optional[tqdm] = None) -> Replayed:
    before, reader_before = ingest.stats.events, dict(ingest.stats.reader)
    found = Replayed(path)
    if is_journal(path):  # the daemon's capture journal: servers are named in it
        replay_journal(ingest, path)
        found.events = ingest.stats.events - before
        return found
    found.streams = streams(path, server)
    for name, ami, agi in found.streams:
        sample = found.uniqueids.setdefault(name, set())
        events = _sampling(read_events(_counted(file_chunks(ami), progress), name, ingest.stats), sample)
        ingest.events(events, load_agi(agi) if agi else None)
    found.events = ingest.stats.events - before
    found.reader = {k: v - reader_before.get(k, 0) for k, v in ingest.stats.reader.items()}
    return found


def _counted(chunks: Iterator[bytes], progress: Optional[tqdm]) -> Iterator[bytes]:
    for chunk in chunks:
        yield chunk
        if progress is not None:
            progress.update(len(chunk))


def _sampling(events: Iterator[Event], sample: set[str]) -> Iterator[Event]:
    for ev in events:
        if ev.name == "Newchannel" and len(sample) < _SAMPLE:
            sample.add(ev.headers.get("Uniqueid", ""))
        yield ev


def stream_bytes(paths: Iterable[Path], server: str) -> int:
    """The AMI bytes replaying `paths` reads (journals not counted): a progress bar's total."""
    return sum(ami.stat().st_size for p in paths if p.exists() and not is_journal(p) for _, ami, _ in streams(p, server))


def ingest_bytes(chunks: Iterable[bytes], server: str, engine: Engine) -> IngestStats:
    """Parse + build + store one AMI byte stream, as `replay` does (what the benchmark times)."""
    ingest = storing_ingest(engine)
    ingest.events(read_events(chunks, server, ingest.stats))
    ingest.close()
    return ingest.stats


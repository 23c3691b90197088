"""Offline capture: feed recorded AMI bytes (and AGI observations) through ingest and store.

Reads a trace folder as the lab recorded it (`ami.log` + `agi.jsonl`, or one folder per
server holding those), or a raw AMI capture file. Each `agi.jsonl` line is fed at its
`CdrTraceAgi` UserEvent marker, the moment the AGI ran.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Optional

import structlog
from sqlalchemy import Engine

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


def replay_path(ingest: Ingest, path: Path, server: str) -> int:
    if is_journal(path):  # the daemon's capture journal: servers are named in it
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


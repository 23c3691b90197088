"""The capture's state at a journal position, saved so a restarted daemon resumes there.

A checkpoint is taken only when every call finished before its position is in the database.
After a crash the daemon loads it and re-applies the journal from that position: calls
finished since are built again from the same bytes and written again under the same ids
(an idempotent upsert), so nothing is lost and nothing is stored twice.

The state (builder, wire readers) is pickled: it is our own data, written and read by the
same program in a directory only the daemon can write, and rebuilding a builder in the middle
of 200 calls any other way would mean a second serialisation of every model class. The
position is also kept as JSON: if a newer release cannot read the pickle, the daemon resumes
at that position with a fresh builder (calls in progress then are joined mid-call, not lost).
Classes that moved keep loading by their old names (`MOVED`), so an upgrade that moves a
class adds a line there instead of dropping the calls in progress.
"""
from __future__ import annotations

import json
import os
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import structlog

from ..ami.journal import Position, fsync_dir
from ..ingest import JournalFeed

log = structlog.get_logger("cdr_agent.daemon.checkpoint")

STATE_FILE = "checkpoint.pickle"
POSITION_FILE = "checkpoint.json"

# (module, name) a checkpoint may name -> where that class lives now.
MOVED: dict[tuple[str, str], tuple[str, str]] = {  # issue 11: ingest below the store
    ("cdr_agent.replay", "Ingest"): ("cdr_agent.ingest.core", "Ingest"),
    ("cdr_agent.replay", "IngestStats"): ("cdr_agent.ingest.core", "IngestStats"),
    ("cdr_agent.daemon.feed", "JournalFeed"): ("cdr_agent.ingest.journal", "JournalFeed"),
    ("cdr_agent.daemon.feed", "FeedSettings"): ("cdr_agent.ingest.journal", "FeedSettings"),
    ("cdr_agent.daemon.feed", "ServerStream"): ("cdr_agent.ingest.journal", "ServerStream"),
    ("cdr_agent.agi.observation", "Observation"): ("cdr_agent.calltree.observation", "Observation"),
    ("cdr_agent.calltree.observations", "_AgiLeg"): ("cdr_agent.calltree.agionly", "AgiLeg"),
}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        return super().find_class(*MOVED.get((module, name), (module, name)))


@dataclass
class Checkpoint:
    position: Position
    feed: Optional[JournalFeed]  # None when the state could not be read back


def save(directory: Path, position: Position, feed: JournalFeed) -> None:
    """Write atomically (temporary file, fsync, rename): a crash leaves the old one whole."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))  # the call graph is deep: legs <-> calls <-> bridges
    try:
        state = pickle.dumps((position, feed), protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        sys.setrecursionlimit(limit)
    _write_atomically(directory / STATE_FILE, state)
    _write_atomically(directory / POSITION_FILE, json.dumps({"segment": position.segment,
                                                              "offset": position.offset}).encode())


def load(directory: Path) -> Optional[Checkpoint]:
    try:
        saved = json.loads((directory / POSITION_FILE).read_bytes())
        position = Position(int(saved["segment"]), int(saved["offset"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.error("checkpoint_unreadable", file=str(directory / POSITION_FILE), error=str(exc))
        return None
    try:
        with open(directory / STATE_FILE, "rb") as f:
            pickled_position, feed = _Unpickler(f).load()
    except Exception as exc:  # noqa: BLE001 - any failure to unpickle means: start a fresh builder
        log.error("checkpoint_state_unreadable", error=f"{type(exc).__name__}: {exc}",
                  resume_at=str(position), effect="calls in progress are joined mid-call")
        return Checkpoint(position, None)
    if pickled_position != position or not isinstance(feed, JournalFeed):
        log.error("checkpoint_state_mismatch", resume_at=str(position))
        return Checkpoint(position, None)
    feed.ingest.restored()
    return Checkpoint(position, feed)


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)

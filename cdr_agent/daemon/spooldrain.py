"""Spool -> journal: the classic AGI scripts' observations join the daemon's capture.

A script writes one file per run (agi/spool.py). The daemon looks every `interval` seconds,
appends each observation to the journal as an AGI record (so the pipeline applies it, in
arrival order with the AMI bytes, and a replay of the journal sees it too), fsyncs the
journal, and only then deletes the files. A stop between the fsync and the deletes journals
those files again at the next start; the feed recognises an observation it has applied by
its id (ingest/journal.py), so each is applied once.

Runs on a worker thread (disk reads, an fsync): never on the event loop that reads AMI.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import structlog

from ..agi.spool import Spool
from ..ami.journal import AGI, JournalWriter
from .config import SpoolSettings

log = structlog.get_logger("cdr_agent.daemon.spool")


@dataclass
class DrainStats:
    journaled: int = 0  # observations appended to the journal (their files then deleted)
    errors: int = 0  # passes that failed (journal or spool unusable); the files stay


class SpoolDrain:
    def __init__(self, settings: SpoolSettings, journal: JournalWriter) -> None:
        self.settings = settings
        self.spool = Spool(settings.directory)
        self.journal = journal
        self.stats = DrainStats()
        self.waiting = 0  # files in the spool at the last look, less those taken since
        self._lock = threading.Lock()  # the last look at shutdown may overlap a periodic one

    @property
    def rejected(self) -> int:
        """Unreadable files moved to the spool's bad/ (kept for a human)."""
        return self.spool.rejected

    def drain(self) -> int:
        """Journal up to `batch` waiting observations, oldest first; returns how many (a full
        batch: more may wait). Never raises: on a failure the files stay for the next look."""
        try:
            with self._lock:
                paths = self.spool.pending()
                self.waiting = len(paths)
                taken = self._pass(paths[:self.settings.batch]) if paths else 0
                self.waiting -= taken
                return taken
        except Exception as exc:  # noqa: BLE001 - the files stay; the next look tries again
            self.stats.errors += 1
            log.error("spool_drain_failed", count=self.stats.errors, directory=str(self.settings.directory),
                      error=f"{type(exc).__name__}: {exc}")
            return 0

    def _pass(self, paths: list[str]) -> int:
        taken = []
        for path in paths:
            obs = self.spool.read(path)  # None: vanished, or unreadable and moved to bad/
            if obs is not None:
                self.journal.append(AGI, obs.server, time.time(), obs.to_json().encode("utf-8", "surrogatepass"))
                taken.append(path)
        self.journal.sync()  # durable in the journal before the spool forgets it
        for path in taken:
            self.spool.done(path)
        self.stats.journaled += len(taken)
        return len(taken)

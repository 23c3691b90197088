"""`handle` for `cdr-agent fastagi` without the daemon: store in a worker thread.

The event loop only puts observations on a queue. The worker stores them in batches;
what the database refuses (down, unreachable) is written to the spool, and the spool is
imported again every `retry_s` seconds, so an outage costs latency, never a call.
"""
from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from typing import Optional

import structlog

from .importer import ObservationStore, import_spool
from .observation import Observation
from .spool import Spool

log = structlog.get_logger("cdr_agent.agi")

_BATCH = 200


@dataclass
class SinkStats:
    stored: int = 0
    spooled: int = 0
    lost: int = 0  # neither the database nor the spool took it (logged with its uniqueid)
    imported: int = 0  # from the spool, after an outage


class StoringHandler:
    """Callable `handle(observation)` that never blocks; `close()` drains and stops."""

    def __init__(self, store: ObservationStore, spool: Spool, retry_s: float = 5.0) -> None:
        self.store, self.spool, self.retry_s = store, spool, retry_s
        self.stats = SinkStats()
        self._queue: "queue.SimpleQueue[Optional[Observation]]" = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="cdr-agent-agi-store", daemon=True)
        self._last_catch_up = 0.0

    def start(self) -> "StoringHandler":
        self._thread.start()
        return self

    def __call__(self, obs: Observation) -> None:
        self._queue.put(obs)

    def close(self, timeout: float = 30.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        self._catch_up()  # what an earlier run or an outage left behind
        while True:
            try:
                first = self._queue.get(timeout=self.retry_s)
            except queue.Empty:
                self._catch_up()
                continue
            batch = [first]
            while len(batch) < _BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._store([obs for obs in batch if obs is not None])
            if None in batch:
                self._catch_up()
                return
            if time.monotonic() - self._last_catch_up >= self.retry_s:
                self._catch_up()

    def _store(self, batch: list[Observation]) -> None:
        if not batch:
            return
        try:
            self.store.add(batch)
            self.stats.stored += len(batch)
            return
        except Exception as exc:  # noqa: BLE001 - any database failure: keep the observations
            log.warning("agi_store_failed", error=f"{type(exc).__name__}: {exc}", spooled=len(batch))
        for obs in batch:
            try:
                self.spool.put(obs)
                self.stats.spooled += 1
            except OSError as exc:
                self.stats.lost += 1
                log.error("agi_observation_lost", uniqueid=obs.uniqueid, label=obs.label, error=str(exc))

    def _catch_up(self) -> None:
        self._last_catch_up = time.monotonic()
        if not self.spool.pending(1):
            return
        try:
            self.stats.imported += import_spool(self.spool, self.store).observations
        except Exception as exc:  # noqa: BLE001 - still down: try again later
            log.info("agi_spool_import_deferred", error=f"{type(exc).__name__}: {exc}")

"""Journal -> feed -> database, on a thread of its own: the AMI reading path only appends to
the journal and never waits on the database (Asterisk drops a client that does not read).

The pipeline follows the journal as it grows. Finished calls are written in batches; when the
database is down it keeps retrying the same batch with backoff and reads no further, so memory
stays flat while the journal grows, and it catches up when the database returns. A batch the
database refuses as data (IntegrityError, DataError) is retried call by call; a call refused on
its own is kept in `rejected.jsonl` beside the journal and counted, never silently dropped.
AGI observations of channels no AMI call has (enrich-only mode) are kept in `unplaced-agi.jsonl`.
Agent presence (log-ins and pauses, stats/presence.py) is followed on the same stream (the
tracker is the Ingest's event sink) and its changed sessions are written with the calls, every
`_PRESENCE_S` seconds, with the same retries.
"""
from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import asdict
from typing import Any, Optional

import structlog

from ..ami.journal import JournalReader, JournalWriter, Position
from ..calltree.document import to_document
from ..calltree.model import Call
from ..ingest import Ingest, JournalFeed, worth_logging
from ..stats.presence import PresenceTracker, Session
from . import checkpoint
from .config import DaemonConfig

log = structlog.get_logger("cdr_agent.daemon.pipeline")

_READ_BYTES = 1 << 20  # journal bytes applied between looks at the outbox
_LAG_SAMPLES = 2000
_RETRY_MIN_S = 0.1
_RETRY_MAX_S = 5.0
# Finished calls kept in memory while the database is down before the pipeline stops applying
# the journal (batches of `batch_calls`): a short outage costs no freshness, a long one no memory.
_OUTBOX_BATCHES = 20
_LOOK_IDLE_S = 0.5  # quiet journal before the database is looked at without a write
_PRESENCE_S = 5.0  # how often open log-in and pause sessions are written (their seen_at moves on)
REJECTED_FILE = "rejected.jsonl"  # calls the database refused
UNPLACED_FILE = "unplaced-agi.jsonl"  # AGI observations of channels no AMI call has


class Pipeline(threading.Thread):
    """The consumer side of the daemon. `snapshot` is a dict of figures for metrics, replaced
    (never mutated) by the pipeline thread, so other threads can read it at any time."""

    def __init__(self, config: DaemonConfig, journal: JournalWriter) -> None:
        super().__init__(name="cdr-agent-pipeline", daemon=True)
        self.config = config
        self.journal = journal
        self.directory = config.journal.directory
        self.beat = time.monotonic()  # last sign of life, for the systemd watchdog
        self.snapshot: dict[str, Any] = {}
        self.lag: deque[float] = deque(maxlen=_LAG_SAMPLES)
        self.stored = self.db_errors = self.rejected = self.unplaced = 0
        self.db_up: Optional[bool] = None  # known from the first write or quiet moment on
        self._down_since = 0.0  # monotonic start of the outage (db_up False)
        self._next_look = 0.0  # monotonic time of the next look while the database is down
        self.failed: Optional[BaseException] = None
        self._stop_at: Optional[float] = None  # monotonic deadline once a stop is requested
        self._outbox: list[Call] = []
        self._dropped: list[str] = []
        self._sessions: list[Session] = []  # presence sessions to write
        self._writer: Any = None
        self.feed: Optional[JournalFeed] = None
        self.pos = Position(0, 0)  # journal applied up to here
        self._checkpointed: Optional[Position] = None
        self._rates: deque[tuple[float, int]] = deque(maxlen=20)
        self._wake = threading.Event()  # cuts a retry wait short when a stop is requested
        self._delay = _RETRY_MIN_S  # the next wait after a failed write (backoff)
        self._retry_at = 0.0  # monotonic time before which no write is tried again
        self._outbox_max = config.batch_calls * _OUTBOX_BATCHES

    # ---- control (other threads) ------------------------------------------------------

    def request_stop(self, timeout: float) -> None:
        """Finish what the journal holds, store it (giving the database `timeout` s), save a
        checkpoint, and end. Call after the journal is closed for appends."""
        self._stop_at = time.monotonic() + timeout
        self._wake.set()

    # ---- the thread -------------------------------------------------------------------

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # noqa: BLE001 - reported to the supervisor (exit, restart)
            self.failed = exc
            log.exception("pipeline_failed")

    def _run(self) -> None:
        self.feed, self.pos = feed, pos = self._restore()
        self._publish()  # the backlog is known from the start
        reader = JournalReader(self.directory)
        last_flush = last_checkpoint = last_presence = last_batch = time.monotonic()
        try:
            while True:
                self.beat = time.monotonic()
                committed = self.journal.committed
                batch, pos = reader.read(pos, committed, _READ_BYTES)
                for record in batch:
                    feed.apply(record)
                self.pos = pos
                self._collect(feed)
                caught_up = not batch or pos >= committed
                now = time.monotonic()
                last_batch = now if batch else last_batch
                if now - last_presence >= _PRESENCE_S:
                    self._sessions += _presence(feed).take()
                    last_presence = now
                if (self._outbox or self._dropped or self._sessions) and now >= self._retry_at:
                    if caught_up or len(self._outbox) >= self.config.batch_calls or now - last_flush >= self.config.flush_interval:
                        # While the database is down the journal is still applied (the builder,
                        # its open calls and events_total stay current) until the calls waiting
                        # reach a bound; then the writes wait, so memory stays flat.
                        stored = self._store(wait=self._stop_at is not None or len(self._outbox) >= self._outbox_max)
                        if stored is False:
                            break  # stopping and the database did not come back in time
                        if stored:
                            last_flush = now
                due = now - last_checkpoint >= self.config.journal.checkpoint_interval and pos != self._checkpointed
                if due and not self._outbox and not self._dropped and not self._sessions:
                    self._checkpoint(pos, feed)
                    last_checkpoint = now
                if (self.db_up is not True and not self._outbox and now >= self._next_look
                        and now - last_batch >= _LOOK_IDLE_S):
                    self._look()  # nothing to write, yet the database's state (an outage's end) must be known
                self._publish()
                if caught_up:
                    if self._stop_at is not None and self.journal.closed:
                        break
                    self.journal.wait(pos, self.config.flush_interval)
            self._finish(feed, pos)
        finally:
            reader.close()
            self._publish()

    def _restore(self) -> tuple[JournalFeed, Position]:
        saved = checkpoint.load(self.directory)
        if saved is not None and saved.feed is not None:
            log.info("resuming", position=str(saved.position), open_calls=saved.feed.ingest.open_count)
            _presence(saved.feed)
            return saved.feed, saved.position
        feed = JournalFeed(Ingest(sink=PresenceTracker()), self.config.calls)
        if saved is not None:
            return feed, saved.position
        first = JournalReader(self.directory).first()
        return feed, first or Position(self.journal.first_segment, 0)

    def _collect(self, feed: JournalFeed) -> None:
        ingest = feed.ingest
        self._outbox += ingest.take_finished()
        self._dropped += ingest.take_dropped()
        for obs in ingest.take_unplaced():
            self.unplaced += 1
            if worth_logging(self.unplaced):
                log.warning("agi_observation_unplaced", count=self.unplaced, server=obs.server, uniqueid=obs.uniqueid,
                            kept_in=str(self.directory / UNPLACED_FILE))
            self._keep(UNPLACED_FILE, obs.to_json())  # as journaled: Observation.from_json reads it back

    # ---- the database -----------------------------------------------------------------

    def _store(self, calls: Optional[list[Call]] = None, wait: bool = True) -> Optional[bool]:
        """Write the outbox (or `calls`). With `wait`, retry while the database is unavailable:
        False only when a stop was requested and its deadline passed first. Without, one try:
        None when it failed (the next try is due at `_retry_at`, with backoff)."""
        delay = self._delay
        while True:
            self.beat = time.monotonic()
            try:
                self._write(calls)
                self._database_up()
                self._delay, self._retry_at = _RETRY_MIN_S, 0.0
                return True
            except Exception as exc:  # noqa: BLE001 - the database is down: wait, keep the journal
                self._database_down(exc)
            if not wait:
                self._delay = min(delay * 2, _RETRY_MAX_S)
                self._retry_at = time.monotonic() + delay
                return None
            if self._stop_at is not None:
                left = self._stop_at - time.monotonic()
                if left <= 0:
                    log.error("stopping_with_calls_unstored", calls=len(self._outbox),
                              note="they are in the journal and will be stored at the next start")
                    return False
                time.sleep(min(delay, left))
            else:
                self._wake.wait(delay)
            delay = min(delay * 2, _RETRY_MAX_S)

    def _look(self) -> None:
        """Is the database there? Known from the start for metrics and logs (a write, or else
        a look once the journal has been quiet for half a second: a look amid a burst would
        shift when calls are flushed), then every few seconds while it is down."""
        try:
            with self._open_writer().engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except Exception as exc:  # noqa: BLE001 - any failure is the database being unavailable
            self._database_down(exc)
        else:
            self._database_up()

    def _database_up(self) -> None:
        if self.db_up is False:
            log.info("database_back", database=self.config.safe_database(), errors=self.db_errors,
                     down_s=round(time.monotonic() - self._down_since, 1))
        self.db_up = True

    def _database_down(self, exc: BaseException) -> None:
        """Count the error; log the outage once, when it starts (its end is logged by
        _database_up)."""
        self.db_errors += 1
        self._next_look = time.monotonic() + _RETRY_MAX_S
        if self._writer is not None and self._writer.engine is not None:
            self._writer.engine.dispose()  # a restarted server: drop dead pooled connections
        if self.db_up is not False:
            self._down_since = time.monotonic()
            log.error("database_unavailable", database=self.config.safe_database(),
                      error=f"{type(exc).__name__}: {str(exc)[:300]}",
                      note="AMI is still read into the journal; calls are stored when it is back")
        self.db_up = False
        self._publish()

    def _write(self, calls: Optional[list[Call]]) -> None:
        writer = self._open_writer()
        if self._sessions:
            self._write_sessions(writer.engine)
        if calls is not None:
            writer.write(calls)
            return
        if self._dropped:
            writer.delete(self._dropped)
            self._dropped = []
        size = self.config.batch_calls
        while self._outbox:
            batch = self._outbox[:size]
            try:
                writer.write(batch)
            except Exception as exc:  # noqa: BLE001 - sorted out by _refused; outages go up
                if not self._refused(exc):
                    raise
                batch = self._write_singly(writer, batch)
            del self._outbox[:size]
            self.stored += len(batch)
            now = time.time()
            self.lag.extend(now - c.ended_at for c in batch if c.ended_at is not None)

    def _write_sessions(self, engine: Any) -> None:
        from ..stats.recorder import write_sessions

        try:
            write_sessions(engine, self._sessions)
        except Exception as exc:  # noqa: BLE001 - sorted out by _refused; outages go up
            if not self._refused(exc):
                raise
            log.error("presence_rejected_by_database", sessions=len(self._sessions), error=str(exc)[:300],
                      kept_in=str(self.directory / REJECTED_FILE))
            for session in self._sessions:
                self._keep(REJECTED_FILE, json.dumps({"error": str(exc)[:1000], "presence": asdict(session)}))
        self._sessions = []

    def _refused(self, exc: BaseException) -> bool:
        """The database refuses the data (not: is unavailable). COPY on PostgreSQL raises the
        driver's own exceptions, not SQLAlchemy's wrappers."""
        from sqlalchemy.exc import DataError, IntegrityError

        dbapi = self._writer.engine.dialect.dbapi if self._writer is not None else None
        kinds: tuple[type, ...] = (IntegrityError, DataError)
        if dbapi is not None:
            kinds += (dbapi.IntegrityError, dbapi.DataError)
        return isinstance(exc, kinds)

    def _write_singly(self, writer: Any, batch: list[Call]) -> list[Call]:
        """Write call by call; returns the calls written."""
        written = []
        for call in batch:
            try:
                writer.write([call])
                written.append(call)
            except Exception as exc:  # noqa: BLE001 - sorted out by _refused; outages go up
                if not self._refused(exc):
                    raise
                self.rejected += 1
                log.error("call_rejected_by_database", call_id=call.call_id, error=str(exc)[:300],
                          kept_in=str(self.directory / REJECTED_FILE))
                self._keep(REJECTED_FILE, json.dumps({"error": str(exc)[:1000], "call": to_document(call)},
                                                     ensure_ascii=False))
        return written

    def _keep(self, name: str, line: str) -> None:
        """Set a record aside for a human: one JSON line in `name` beside the journal."""
        with open(self.directory / name, "a", encoding="utf-8", errors="surrogatepass") as f:
            f.write(line + "\n")

    def _open_writer(self) -> Any:
        if self._writer is None:
            from ..store.engine import open_engine
            from ..store.writer import CallWriter

            engine = open_engine(self.config.database)  # creates missing tables: needs the database
            self._writer = CallWriter(engine)
        return self._writer

    # ---- checkpoints and the end ------------------------------------------------------

    def _checkpoint(self, pos: Position, feed: JournalFeed) -> None:
        try:
            self.journal.sync()  # the checkpoint must never point past what is on disk
            checkpoint.save(self.directory, pos, feed)
            self._checkpointed = pos
            deleted = self.journal.prune(pos.segment, self.config.journal.keep_bytes)
            if deleted:
                log.info("journal_pruned", segments=len(deleted), first=deleted[0], last=deleted[-1])
        except Exception as exc:  # noqa: BLE001 - a failed checkpoint only lengthens the next recovery
            log.error("checkpoint_failed", error=f"{type(exc).__name__}: {exc}")

    def _finish(self, feed: JournalFeed, pos: Position) -> None:
        """Stopping: calls still open are stored as in progress (a restart continues them)."""
        still_open = feed.ingest.close()
        feed.finish()
        if self._outbox or self._dropped:
            return  # the database is down: the journal and the last checkpoint keep everything
        self._sessions += _presence(feed).take()
        if (still_open or self._sessions) and not self._store(still_open):
            return
        self._checkpoint(pos, feed)
        log.info("pipeline_stopped", position=str(pos), calls_stored=self.stored, in_progress=len(still_open))

    def _publish(self) -> None:
        feed, now = self.feed, time.monotonic()
        if feed is None:
            return
        events = feed.ingest.stats.events
        if not self._rates or now - self._rates[-1][0] >= 0.5:
            self._rates.append((now, events))
        first_t, first_events = self._rates[0]
        builder = feed.ingest.builder
        self.snapshot = {
            "events": events,
            "events_per_s": (events - first_events) / (now - first_t) if now > first_t else 0.0,
            "records": feed.records,
            "open_calls": feed.ingest.open_count,
            "calls_stored": self.stored,
            "calls_restored": builder.restored_calls,
            "calls_waiting": len(self._outbox),
            "rejected_calls": self.rejected,
            "db_errors": self.db_errors,
            "db_up": self.db_up,
            "skipped_frames": feed.skipped_frames(),
            "skipped_events": sum(builder.skipped.values()),
            "failed_events": sum(builder.failures.values()) + feed.errors,
            "gaps": feed.gaps,
            "resyncs": feed.resyncs,
            "observations": feed.ingest.stats.observations,
            "duplicate_observations": feed.duplicate_observations,
            "unplaced_observations": self.unplaced,
            "position": self.pos,
        }



def _presence(feed: JournalFeed) -> PresenceTracker:
    """The feed's presence tracker, the Ingest's event sink (a checkpoint saved by a release
    without one gets one)."""
    if not isinstance(feed.ingest.sink, PresenceTracker):
        feed.ingest.sink = PresenceTracker()
    return feed.ingest.sink

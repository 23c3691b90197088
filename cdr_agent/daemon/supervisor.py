"""The daemon: AMI clients (and optionally FastAGI) append to the journal on the event loop; the
pipeline thread builds and stores from it; systemd is told when we are ready and alive.

Threads: the asyncio loop (sockets, journal appends, metrics, notify), the pipeline (builder,
database), a small syncer (fsync of the journal every `fsync_interval`) and, with a [spool],
the default executor draining the classic AGI scripts' spool into the journal. Nothing on the
loop waits on the database or the disk.
"""
from __future__ import annotations

import asyncio
import json
import signal
import threading
import time
from typing import Any, Optional

import structlog

from ..agi.observation import Observation
from ..ami.client import AmiClient
from ..ami.count import MessageCounter
from ..ami.journal import AGI, CONNECT, DATA, GAP, START, JournalWriter, disk_bytes
from . import metrics
from .config import DaemonConfig, Listen
from .notify import Notifier
from .pipeline import Pipeline
from .spooldrain import SpoolDrain

log = structlog.get_logger("cdr_agent.daemon")

_HEALTH_TICK_S = 1.0


class Supervisor:
    """Runs until `request_stop()` (or SIGTERM/SIGINT); `run()` returns the exit status."""

    def __init__(self, config: DaemonConfig, notifier: Optional[Notifier] = None) -> None:
        self.config = config
        self.notifier = notifier or Notifier()
        self.journal: Optional[JournalWriter] = None
        self.pipeline: Optional[Pipeline] = None
        self.clients = [AmiClient(target, config.timing, self) for target in config.ami]
        self.bytes_received: dict[str, int] = {t.server: 0 for t in config.ami}
        self.messages_received = {t.server: MessageCounter() for t in config.ami}
        self.journal_errors = 0
        self.exit_code = 0
        self.ready = False
        self.metrics_listen: Optional[Listen] = None  # where metrics really listen (port 0: picked)
        self.fastagi_listen: Optional[Listen] = None
        self.spool_drain: Optional[SpoolDrain] = None
        self._last_journal_error = float("-inf")
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._stop: Optional[asyncio.Event] = None
        self._syncer_stop = threading.Event()

    # ---- running ----------------------------------------------------------------------

    def request_stop(self) -> None:
        """Thread-safe: begin a clean shutdown."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)

    async def run(self) -> int:
        cfg = self.config
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        self._install_signals()
        log.info("daemon_starting", servers=[f"{t.server}={t.host}:{t.port}" for t in cfg.ami],
                 database=cfg.safe_database(), journal=str(cfg.journal.directory))
        try:
            self.journal = JournalWriter(cfg.journal.directory, cfg.journal.segment_bytes)
            self.journal.append(START, "", time.time(), cfg.calls.to_json())
        except OSError as exc:  # nothing can be captured safely without it
            log.error("journal_unusable", directory=str(cfg.journal.directory), error=str(exc))
            return 1
        self.pipeline = Pipeline(cfg, self.journal)
        self.pipeline.start()
        syncer = threading.Thread(target=self._sync_journal, name="cdr-agent-fsync", daemon=True)
        syncer.start()
        servers = [s for s in (await self._serve_metrics(), await self._serve_fastagi()) if s is not None]
        tasks = [asyncio.create_task(c.run(), name=f"ami-{c.target.server}") for c in self.clients]
        if cfg.spool is not None:
            self.spool_drain = SpoolDrain(cfg.spool, self.journal)
            tasks.append(asyncio.create_task(self._drain_spool(self.spool_drain), name="spool"))
        health = asyncio.create_task(self._health(), name="health")
        self.notifier.send("STATUS=connecting to AMI")
        await self._stop.wait()

        log.info("daemon_stopping")
        self.notifier.send("STOPPING=1", "STATUS=storing the last calls")
        health.cancel()
        await asyncio.gather(*(c.stop() for c in self.clients))
        for task in tasks[len(self.clients):]:
            task.cancel()
        await asyncio.wait(tasks, timeout=5.0)
        for server in servers:
            server.close()
        if self.spool_drain is not None:  # the hangup handlers of the last calls
            await asyncio.get_running_loop().run_in_executor(None, self.spool_drain.drain)
        self.pipeline.request_stop(cfg.stop_timeout)
        self.journal.close()
        await asyncio.get_running_loop().run_in_executor(None, self.pipeline.join, cfg.stop_timeout + 10.0)
        self._syncer_stop.set()
        if self.pipeline.failed is not None or self.pipeline.is_alive():
            self.exit_code = 1
        log.info("daemon_stopped", exit_code=self.exit_code, **{k: v for k, v in self.pipeline.snapshot.items()
                                                                 if k in ("events", "calls_stored", "open_calls")})
        return self.exit_code

    @staticmethod
    async def _drain_spool(drain: SpoolDrain) -> None:
        loop = asyncio.get_running_loop()
        while True:
            while await loop.run_in_executor(None, drain.drain) >= drain.settings.batch:
                pass  # a full batch: more may wait
            await asyncio.sleep(drain.settings.interval)

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # in-process (tests): stopped with request_stop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._loop.add_signal_handler(sig, self._stop.set)  # type: ignore[union-attr]

    def _sync_journal(self) -> None:
        while not self._syncer_stop.wait(self.config.journal.fsync_interval):
            try:
                if self.journal is not None and not self.journal.closed:
                    self.journal.sync()
            except Exception as exc:  # noqa: BLE001 - counted, and health turns bad
                self._journal_failed(exc)

    async def _health(self) -> None:
        """WATCHDOG=1 while healthy: the pipeline alive and beating, the journal writable.
        An AMI that is down is not our failure (we reconnect ourselves): a restart would not help."""
        watchdog_s = self.notifier.watchdog_s
        tick = min(_HEALTH_TICK_S, watchdog_s / 2) if watchdog_s else _HEALTH_TICK_S
        last_status = ""
        while True:
            await asyncio.sleep(tick)
            pipeline = self.pipeline
            if pipeline is None or not pipeline.is_alive():
                log.error("pipeline_died", error=repr(pipeline.failed) if pipeline else None)
                self.exit_code = 1
                self._stop.set()  # type: ignore[union-attr]
                return
            stalled = time.monotonic() - pipeline.beat > max(30.0, 2 * (watchdog_s or 0))
            journal_ok = time.monotonic() - self._last_journal_error > 10.0
            if watchdog_s and not stalled and journal_ok:
                self.notifier.send("WATCHDOG=1")
            status = self.status()
            if status != last_status:
                self.notifier.send("STATUS=" + status)
                last_status = status

    def status(self) -> str:
        snap = self.pipeline.snapshot if self.pipeline else {}
        links = ", ".join(f"{c.target.server} {c.state}" for c in self.clients)
        db = {True: "up", False: "DOWN", None: "not yet used"}[snap.get("db_up")]
        return (f"AMI: {links}; database {db}; {snap.get('open_calls', 0)} calls open, "
                f"{snap.get('calls_stored', 0)} stored, journal backlog {self.backlog(snap)} B")

    # ---- capture sink (called on the loop by the AMI clients) -------------------------

    def connected(self, server: str, peer: str) -> None:
        self._append(CONNECT, server, json.dumps({"peer": peer}).encode())

    def received(self, server: str, data: bytes) -> None:
        self.journal.append(DATA, server, time.time(), data)  # type: ignore[union-attr]
        self.bytes_received[server] += len(data)
        self.messages_received[server].feed(data)

    def logged_in(self, server: str) -> None:
        if not self.ready:
            self.ready = True
            self.notifier.send("READY=1", f"STATUS=logged in to AMI of {server}")

    def lost(self, server: str, reason: str) -> None:
        self._append(GAP, server, json.dumps({"reason": reason}).encode())

    def observation(self, obs: Observation) -> None:
        """FastAGI hands each observation here; journaled like AMI bytes, applied in order."""
        self._append(AGI, obs.server, obs.to_json().encode())

    def _append(self, kind: int, server: str, payload: bytes) -> None:
        try:
            self.journal.append(kind, server, time.time(), payload)  # type: ignore[union-attr]
        except Exception as exc:  # noqa: BLE001 - counted, logged, health turns bad
            self._journal_failed(exc)

    def _journal_failed(self, exc: BaseException) -> None:
        self.journal_errors += 1
        self._last_journal_error = time.monotonic()
        log.error("journal_write_failed", count=self.journal_errors, error=f"{type(exc).__name__}: {exc}")

    # ---- optional servers -------------------------------------------------------------

    async def _serve_metrics(self) -> Optional[asyncio.AbstractServer]:
        listen = self.config.metrics
        if listen is None:
            return None
        try:
            server = await metrics.serve(listen.host, listen.port, self.render_metrics)
        except OSError as exc:
            log.error("metrics_not_served", listen=str(listen), error=str(exc))
            return None
        self.metrics_listen = Listen(listen.host, server.sockets[0].getsockname()[1])
        log.info("metrics_serving", listen=str(self.metrics_listen))
        return server

    async def _serve_fastagi(self) -> Optional[Any]:
        listen = self.config.fastagi
        if listen is None:
            return None
        try:
            from ..agi.fastagi import serve_fastagi

            server = await serve_fastagi(listen.host, listen.port, self.observation,
                                         server_name=self.config.fastagi_server,
                                         user_keys=self.config.agi_user_keys)
        except (ImportError, OSError) as exc:
            log.error("fastagi_not_served", listen=str(listen), error=f"{type(exc).__name__}: {exc}")
            return None
        self.fastagi_listen = Listen(listen.host, server.sockets[0].getsockname()[1])
        log.info("fastagi_serving", listen=str(self.fastagi_listen), server=self.config.fastagi_server)
        return server

    def backlog(self, snap: dict[str, Any]) -> int:
        """Journal bytes between what was received (now) and what the pipeline last reported done."""
        done, committed = snap.get("position"), self.journal.committed if self.journal else None
        if done is None or committed is None:
            return 0
        return (committed.segment - done.segment) * self.config.journal.segment_bytes + committed.offset - done.offset

    def render_metrics(self) -> str:
        snap = dict(self.pipeline.snapshot) if self.pipeline else {}
        M = metrics.Metric
        lag = sorted(self.pipeline.lag) if self.pipeline else []
        connected = M("cdr_agent_ami_connected", "gauge", "1 while logged in to this AMI")
        reconnects = M("cdr_agent_reconnects_total", "counter", "AMI sessions after the first")
        received = M("cdr_agent_ami_bytes_total", "counter", "AMI bytes received and journaled")
        messages = M("cdr_agent_ami_messages_total", "counter",
                     "AMI messages (events and responses) received and journaled: the capture side")
        for c in self.clients:
            connected.add(c.state == "logged_in", server=c.target.server)
            reconnects.add(c.reconnects, server=c.target.server)
            received.add(self.bytes_received[c.target.server], server=c.target.server)
            messages.add(self.messages_received[c.target.server].messages, server=c.target.server)
        lag_summary = M("cdr_agent_store_lag_seconds", "gauge",
                        "event time of a call's last Hangup to its row stored (last 2000 calls)")
        for q in (0.5, 0.99):
            lag_summary.add(lag[min(len(lag) - 1, int(q * len(lag)))] if lag else float("nan"), quantile=str(q))
        try:
            journal_bytes = disk_bytes(self.config.journal.directory)
        except OSError:
            journal_bytes = float("nan")
        return metrics.render([
            M("cdr_agent_events_total", "counter",
              "AMI messages applied to the call trees (the journal as far as built; ami_messages_total is what was received)").add(snap.get("events", 0)),
            M("cdr_agent_events_per_second", "gauge", "recent rate of applied AMI messages").add(snap.get("events_per_s", 0.0)),
            lag_summary,
            M("cdr_agent_journal_backlog_bytes", "gauge", "journal bytes received but not yet applied and stored").add(self.backlog(snap)),
            M("cdr_agent_journal_bytes", "gauge", "size of the journal on disk").add(journal_bytes),
            M("cdr_agent_journal_errors_total", "counter", "failed journal writes").add(self.journal_errors),
            M("cdr_agent_open_calls", "gauge", "calls in progress in the builder, as far as the journal is applied").add(snap.get("open_calls", 0)),
            M("cdr_agent_calls_stored_total", "counter", "call writes (a call stored again after a change counts again)").add(snap.get("calls_stored", 0)),
            M("cdr_agent_calls_restored_total", "counter",
              "finished calls handed out again after a later change (a conference leave, late AGI data), to be stored again").add(snap.get("calls_restored", 0)),
            M("cdr_agent_calls_waiting", "gauge", "finished calls waiting for the database").add(snap.get("calls_waiting", 0)),
            M("cdr_agent_calls_rejected_total", "counter", "calls the database refused (kept in rejected.jsonl)").add(snap.get("rejected_calls", 0)),
            M("cdr_agent_database_up", "gauge", "1 if the database answered the last write or look (from the start)").add(1 if snap.get("db_up") else 0),
            M("cdr_agent_database_errors_total", "counter", "failed write attempts").add(snap.get("db_errors", 0)),
            connected, reconnects, received, messages,
            M("cdr_agent_gaps_total", "counter", "breaks in an AMI stream (reconnects, restarts)").add(snap.get("gaps", 0)),
            M("cdr_agent_resyncs_total", "counter", "channel lists applied after a break").add(snap.get("resyncs", 0)),
            M("cdr_agent_skipped_frames_total", "counter", "malformed AMI input skipped by the reader").add(snap.get("skipped_frames", 0)),
            M("cdr_agent_skipped_events_total", "counter", "events the builder could not place").add(snap.get("skipped_events", 0)),
            M("cdr_agent_failed_events_total", "counter", "events or records whose processing raised").add(snap.get("failed_events", 0)),
            M("cdr_agent_agi_observations_total", "counter", "AGI observations applied").add(snap.get("observations", 0)),
            M("cdr_agent_agi_duplicates_total", "counter", "AGI observations journaled twice, applied once").add(snap.get("duplicate_observations", 0)),
            M("cdr_agent_agi_unplaced_total", "counter", "AGI observations of channels no AMI call has (kept in unplaced-agi.jsonl)").add(snap.get("unplaced_observations", 0)),
            *self._spool_metrics(),
        ])

    def _spool_metrics(self) -> list[metrics.Metric]:
        drain = self.spool_drain
        if drain is None:
            return []
        M = metrics.Metric
        return [
            M("cdr_agent_spool_journaled_total", "counter", "classic AGI spool files moved into the journal").add(drain.stats.journaled),
            M("cdr_agent_spool_pending", "gauge", "classic AGI spool files waiting").add(drain.waiting),
            M("cdr_agent_spool_rejected_total", "counter", "unreadable spool files moved to bad/").add(drain.rejected),
            M("cdr_agent_spool_errors_total", "counter", "spool looks that failed (files kept)").add(drain.stats.errors),
        ]

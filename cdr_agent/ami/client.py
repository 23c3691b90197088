"""Live AMI connection: login, a watchdog of our own, reconnect with backoff; every byte
received goes to the sink (the journal) before anything else looks at it.

A plain asyncio Protocol, not panoramisk's Manager: the Manager's protocol decodes every TCP
chunk with errors='ignore' (a UTF-8 character split across reads is lost), a callback that
raises drops the link and the rest of the chunk, it retries every 2 s forever without backoff,
and it never checks its Ping's answer (NOTES.md). Feeding its transport into our reader would
keep only its action formatting and id counter. What capture needs is small: send Login, Ping
and CoreShowChannels, see the login response, notice silence. Bytes are handed on raw; our
wire reader parses them from the journal, and here only until the login response is found.
"""
from __future__ import annotations

import asyncio
import itertools
import random
import socket
import time
from dataclasses import dataclass, field
from typing import Optional, Protocol

import structlog

from .reader import AmiReader

log = structlog.get_logger("cdr_agent.ami.client")

RESYNC_PREFIX = "cdr-resync-"  # ActionID of the channel list asked for after each login
AUDIT_PREFIX = "cdr-audit-"  # ActionID of the periodic channel lists (liveness of silent calls)


@dataclass(frozen=True)
class AmiTarget:
    """One Asterisk manager interface to follow. The secret never appears in a repr or log."""

    server: str  # our name for this Asterisk (scopes its uniqueids)
    host: str
    port: int
    username: str
    secret: str = field(repr=False)


@dataclass(frozen=True)
class Timing:
    connect_timeout: float = 5.0
    login_timeout: float = 10.0
    ping_interval: float = 5.0  # send a Ping after this long without a byte
    ping_timeout: float = 5.0  # ...and call AMI frozen after this much more silence
    reconnect_min: float = 0.5  # backoff: first delay, doubled per failed attempt...
    reconnect_max: float = 30.0  # ...up to this
    audit_interval: float = 600.0  # channel list for the stale timer (0: never)


class CaptureSink(Protocol):
    """Where a client reports; called on the event loop, must not block."""

    def connected(self, server: str, peer: str) -> None: ...
    def received(self, server: str, data: bytes) -> None: ...
    def logged_in(self, server: str) -> None: ...
    def lost(self, server: str, reason: str) -> None: ...


def action(name: str, action_id: str, **fields: str) -> bytes:
    """One AMI action. A CR or LF in a value would inject headers: refused."""
    lines = [f"Action: {name}", f"ActionID: {action_id}"] + [f"{k}: {v}" for k, v in fields.items()]
    if any("\r" in line or "\n" in line for line in lines):
        raise ValueError(f"AMI {name}: a value contains a line break")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class _Session(asyncio.Protocol):
    """One TCP connection: bytes to the sink; the login response looked for, nothing more."""

    def __init__(self, client: "AmiClient", login_id: str) -> None:
        self.client = client
        self.server = client.target.server
        self.login_id = login_id
        loop = asyncio.get_running_loop()
        self.login: asyncio.Future[tuple[bool, str]] = loop.create_future()
        self.closed: asyncio.Future[str] = loop.create_future()
        self.transport: Optional[asyncio.Transport] = None
        self.last_rx = time.monotonic()
        self._reader: Optional[AmiReader] = AmiReader(self.server)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        self.client.session_started(self)  # before any data_received: CONNECT precedes the bytes

    def data_received(self, data: bytes) -> None:
        self.last_rx = time.monotonic()
        try:
            self.client.sink.received(self.server, data)
        except Exception as exc:  # noqa: BLE001 - e.g. journal disk full: drop the link, say why
            self.end(f"journal write failed: {type(exc).__name__}: {exc}")
            return
        if self._reader is not None:
            self._look_for_login(data)

    def _look_for_login(self, data: bytes) -> None:
        for ev in self._reader.feed(data):  # type: ignore[union-attr]
            if ev.name == "" and ev.headers.get("ActionID") == self.login_id:
                self._reader = None
                if not self.login.done():
                    ok = ev.headers.get("Response") == "Success"
                    self.login.set_result((ok, ev.headers.get("Message", "")))
                return

    def send(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def end(self, reason: str, graceful: bool = False) -> None:
        """Close the connection: `graceful` sends what is queued first; otherwise drop it now
        (the peer may be frozen and never read)."""
        if not self.closed.done():
            self.closed.set_result(reason)
        if self.transport is not None:
            if graceful:
                self.transport.close()
            else:
                self.transport.abort()

    def connection_lost(self, exc: Optional[Exception]) -> None:
        if not self.closed.done():
            self.closed.set_result(f"connection lost: {exc}" if exc else "closed by server")


class AmiClient:
    """Follows one AMI for ever: connect, login, watch, and on any failure wait and retry.

    `state` is one of connecting, logged_in, waiting, stopped; `reconnects` counts sessions
    after the first.
    """

    def __init__(self, target: AmiTarget, timing: Timing, sink: CaptureSink) -> None:
        self.target = target
        self.timing = timing
        self.sink = sink
        self.state = "connecting"
        self.reconnects = 0
        self.sessions = 0
        self._ids = itertools.count(1)
        self._stopping = asyncio.Event()
        self._session: Optional[_Session] = None

    async def run(self) -> None:
        failures = 0
        t = self.timing
        while not self._stopping.is_set():
            self.state = "connecting"
            reason, logged_in = await self._connect_once()
            if logged_in:
                failures = 0
            else:
                failures += 1
            if self._stopping.is_set():
                break
            delay = min(t.reconnect_max, t.reconnect_min * 2 ** min(failures, 30)) * random.uniform(0.5, 1.0)
            self.state = "waiting"
            log.warning("ami_reconnect_wait", server=self.target.server, reason=reason, delay_s=round(delay, 2))
            try:
                await asyncio.wait_for(self._stopping.wait(), delay)
            except asyncio.TimeoutError:
                pass
        self.state = "stopped"

    async def _connect_once(self) -> tuple[str, bool]:
        """One session, start to end -> (why it ended, whether it got logged in)."""
        t, target = self.timing, self.target
        loop = asyncio.get_running_loop()
        session = _Session(self, f"cdr-login-{next(self._ids)}")
        try:
            await asyncio.wait_for(loop.create_connection(lambda: session, target.host, target.port), t.connect_timeout)
        except (OSError, asyncio.TimeoutError) as exc:
            session.end("connect failed")  # a connection made just as the timeout fired
            return f"connect failed: {type(exc).__name__}: {exc}", False
        reason, logged_in = "stopped", False
        try:
            logged_in, reason = await self._login(session)
            if logged_in:
                reason = await self._watch(session)
        finally:
            session.end(reason)
            reason = session.closed.result()
            self.sink.lost(target.server, reason)
            (log.info if reason == "stopped" else log.warning)("ami_session_ended", server=target.server, reason=reason)
        return reason, logged_in

    def session_started(self, session: _Session) -> None:
        if self.sessions:
            self.reconnects += 1
        self.sessions += 1
        self._session = session
        target = self.target
        self.sink.connected(target.server, f"{target.host}:{target.port}")

    async def _login(self, session: _Session) -> tuple[bool, str]:
        target = self.target
        session.send(action("Login", session.login_id, Username=target.username, Secret=target.secret, Events="on"))
        done, _ = await asyncio.wait({session.login, session.closed}, timeout=self.timing.login_timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        if session.login in done:
            ok, message = session.login.result()
            if not ok:
                return False, f"login refused: {message}"
            self.state = "logged_in"
            log.info("ami_logged_in", server=target.server, host=target.host, port=target.port, user=target.username)
            self.sink.logged_in(target.server)
            # The Ping's answer carries Asterisk's clock: the capture's clock is right again
            # before the channel list (whose Duration counts from that clock) arrives.
            session.send(action("Ping", f"cdr-ping-{next(self._ids)}"))
            session.send(action("CoreShowChannels", f"{RESYNC_PREFIX}{next(self._ids)}"))
            return True, ""
        if session.closed in done:
            return False, session.closed.result()
        return False, "login timeout"

    async def _watch(self, session: _Session) -> str:
        """Ping when quiet; a peer silent for ping_interval + ping_timeout is frozen."""
        t = self.timing
        tick = max(0.02, min(t.ping_interval, t.ping_timeout) / 4)
        last_ping = last_audit = time.monotonic()
        while not session.closed.done():
            try:
                await asyncio.wait_for(asyncio.shield(session.closed), tick)
                break
            except asyncio.TimeoutError:
                pass
            now = time.monotonic()
            quiet = now - session.last_rx
            if quiet >= t.ping_interval + t.ping_timeout:
                session.end(f"AMI frozen: no byte for {quiet:.1f} s")
                break
            if quiet >= t.ping_interval and now - last_ping >= t.ping_interval:
                session.send(action("Ping", f"cdr-ping-{next(self._ids)}"))
                last_ping = now
            if t.audit_interval and now - last_audit >= t.audit_interval:
                session.send(action("CoreShowChannels", f"{AUDIT_PREFIX}{next(self._ids)}"))
                last_audit = now
        return session.closed.result()

    async def stop(self) -> None:
        """Log off politely and stop reconnecting."""
        self._stopping.set()
        session = self._session
        if session is not None and not session.closed.done():
            session.send(action("Logoff", f"cdr-logoff-{next(self._ids)}"))
            session.end("stopped", graceful=True)

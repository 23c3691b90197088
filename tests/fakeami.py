"""A fake Asterisk manager interface on 127.0.0.1 that plays a recorded ami.log over TCP.

It behaves like one Asterisk whose life is the recording: a timeline of messages that advances
while a client is logged in. Knobs, by message index in `plan` or called from the test:
`Cut(lose)` drops the link (the `lose` messages that follow happen while nobody listens and are
lost, as AMI has no replay), `Freeze(seconds, lose)` keeps the socket open but sends nothing,
answers nothing and greets no new client, `Pause()` stops the timeline until `resume()`.
It answers Login, Ping (Timestamp = the timeline's clock), CoreShowChannels (the channels alive
at the current point of the timeline, as Asterisk would list them) and Logoff. With `hold`
(the default) the timeline waits after a login until the client asked for its channel list
(at most 2 s), so where the list falls in the stream does not depend on scheduling.

Run as a script it serves a file (read as it goes: bench/ streams are large) until killed:
    python tests/fakeami.py FILE [--port N] [--rate EVENTS_PER_S] [--restamp] [--secret S]
"""
from __future__ import annotations

import argparse
import asyncio
import re
import socket
import threading
import time
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Callable, Optional

import pytest
import structlog

BANNER = b"Asterisk Call Manager/9.0.0\r\n"
_SNAPSHOT = ("Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum", "CallerIDName", "ConnectedLineNum",
             "ConnectedLineName", "Language", "AccountCode", "Context", "Exten", "Priority", "Uniqueid", "Linkedid")
_TIMESTAMP = re.compile(rb"\r\nTimestamp: [0-9.]+\r\n")


@pytest.fixture
def fresh_logging() -> Iterator[None]:
    """structlog back to its defaults around a test: a command run earlier under capsys leaves
    it printing to a capture stream that is closed by now."""
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


@dataclass
class Cut:
    lose: int = 0


@dataclass
class Freeze:
    seconds: float
    lose: int = 0


@dataclass
class Pause:
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port: int, timeout: float = 5.0) -> dict[str, float]:
    """The daemon's /metrics as {'name{labels}': value}; {} while it does not answer."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=timeout) as r:
            text = r.read().decode()
    except OSError:
        return {}
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines() if line and not line.startswith("#")}


def recording_messages(data: bytes) -> list[bytes]:
    """The messages of a recorded ami.log, each with its blank line, without the recorder's own
    session (greeting + login response first, Goodbye last)."""
    blocks = data.split(b"\r\n\r\n")
    messages = [b + b"\r\n\r\n" for b in blocks if b.strip()]
    if messages and messages[0].startswith(b"Asterisk Call Manager/"):
        messages.pop(0)
    while messages and messages[-1].startswith(b"Response: Goodbye"):
        messages.pop()
    return messages


def headers(message: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in message.decode("utf-8", "replace").split("\r\n"):
        key, sep, value = line.partition(": ")
        if sep and key not in out:
            out[key] = value
    return out


class Timeline:
    """The fake Asterisk's life: messages in order, and the channels alive at `pos`."""

    def __init__(self, messages: Iterable[bytes], track: bool = True) -> None:
        self._it: Iterator[bytes] = iter(messages)
        self._next: Optional[bytes] = None
        self.pos = 0
        self.track = track
        self.clock: Optional[float] = None
        self.channels: dict[str, dict[str, str]] = {}  # uniqueid -> snapshot, creation order
        self.created: dict[str, float] = {}
        self.bridge_of: dict[str, str] = {}

    def peek(self) -> Optional[bytes]:
        if self._next is None:
            self._next = next(self._it, None)
        return self._next

    def take(self) -> Optional[bytes]:
        message = self.peek()
        if message is not None:
            self._next = None
            self.pos += 1
            if self.track:
                self._apply(message)
        return message

    def _apply(self, message: bytes) -> None:
        h = headers(message)
        if "Timestamp" in h:
            try:
                self.clock = float(h["Timestamp"])
            except ValueError:
                pass
        uid, event = h.get("Uniqueid"), h.get("Event")
        if not uid:
            return
        if event == "Newchannel":
            self.channels[uid] = {k: h.get(k, "") for k in _SNAPSHOT}
            self.created[uid] = self.clock or 0.0
        elif event == "Hangup":
            self.channels.pop(uid, None)
            self.bridge_of.pop(uid, None)
        elif uid in self.channels:
            snap = self.channels[uid]
            for key in _SNAPSHOT:
                if key in h and key not in ("Uniqueid",):
                    snap[key] = h[key]
            if event == "BridgeEnter":
                self.bridge_of[uid] = h.get("BridgeUniqueid", "")
            elif event == "BridgeLeave":
                self.bridge_of.pop(uid, None)

    def channel_list(self, action_id: str) -> bytes:
        """CoreShowChannels as Asterisk 22 answers it (no Timestamp on list events)."""
        out = [f"Response: Success\r\nActionID: {action_id}\r\nEventList: start\r\nMessage: Channels will follow\r\n\r\n"]
        now = self.clock or 0.0
        for uid, snap in self.channels.items():
            seconds = max(0, int(now - self.created.get(uid, now)))
            lines = [f"Event: CoreShowChannel", f"ActionID: {action_id}"] + [f"{k}: {v}" for k, v in snap.items()]
            lines += [f"BridgeId: {self.bridge_of.get(uid, '')}", "Application: ", "ApplicationData: ",
                      f"Duration: {seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"]
            out.append("\r\n".join(lines) + "\r\n\r\n")
        out.append(f"Event: CoreShowChannelsComplete\r\nActionID: {action_id}\r\nEventList: Complete\r\n"
                   f"ListItems: {len(self.channels)}\r\n\r\n")
        return "".join(out).encode()


class FakeAmi:
    """Serve a timeline to one AMI client at a time, on 127.0.0.1, from a background thread."""

    def __init__(self, messages: Iterable[bytes], *, username: str = "recorder", secret: str = "s3cret",
                 plan: Optional[dict[int, object]] = None, split_utf8: int = 0, rate: float = 0.0,
                 restamp: bool = False, track: bool = True, port: int = 0, batch_bytes: int = 64 * 1024,
                 hold: bool = True) -> None:
        self.timeline = Timeline(messages, track)
        self.username, self.secret = username, secret
        self.plan = dict(plan or {})
        self.split_utf8, self.rate, self.restamp = split_utf8, rate, restamp
        self.batch_bytes = batch_bytes
        self.hold = hold
        self.port = port
        self.connections = self.logins = self.failed_logins = self.pings = self.channel_lists = 0
        self.bytes_sent = 0
        self.paused = False
        self.finished = False  # the whole timeline was sent
        self.frozen_until = 0.0
        self._active = 0  # id of the connection the timeline plays to
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._wake: Optional[asyncio.Event] = None
        self._thread = threading.Thread(target=self._serve, name="fakeami", daemon=True)
        self._started = threading.Event()
        self._stop: Optional[asyncio.Event] = None
        self._rate_start: Optional[float] = None
        self._rate_sent = 0

    # ---- control from the test thread -------------------------------------------------

    def start(self) -> "FakeAmi":
        self._thread.start()
        self._started.wait(10)
        return self

    def stop(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def resume(self) -> None:
        def go() -> None:
            self.paused = False
            self._poke()
        self._loop.call_soon_threadsafe(go)

    def cut(self, lose: int = 0) -> None:
        self._loop.call_soon_threadsafe(lambda: self._do(Cut(lose)))

    @property
    def pos(self) -> int:
        return self.timeline.pos

    def wait_until(self, predicate: Callable[["FakeAmi"], bool], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                raise TimeoutError(f"fake AMI: condition not met in {timeout} s (pos {self.pos}, "
                                   f"connections {self.connections}, logins {self.logins})")
            time.sleep(0.01)

    # ---- the server -------------------------------------------------------------------

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())

    async def _main(self) -> None:
        self._wake, self._stop = asyncio.Event(), asyncio.Event()
        server = await asyncio.start_server(self._client, "127.0.0.1", self.port)
        self.port = server.sockets[0].getsockname()[1]
        self._started.set()
        await self._stop.wait()
        server.close()
        self.frozen_until = 0.0
        for writer in list(self._writers):  # handlers end on their own once their socket is gone
            writer.transport.abort()
        for _ in range(100):
            if len(asyncio.all_tasks()) <= 1:
                break
            await asyncio.sleep(0.01)

    def _poke(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def _do(self, knob: object) -> None:
        if isinstance(knob, Pause):
            self.paused = True
        elif isinstance(knob, (Cut, Freeze)):
            for _ in range(knob.lose):
                if self.timeline.take() is None:
                    break
            if isinstance(knob, Freeze):
                self.frozen_until = time.monotonic() + knob.seconds
            else:
                self._active = -1  # the current connection is dropped by its sender
        self._poke()

    async def _thaw(self) -> None:
        while time.monotonic() < self.frozen_until:
            await asyncio.sleep(min(0.05, self.frozen_until - time.monotonic()))

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if time.monotonic() < self.frozen_until:  # a frozen Asterisk accepts (the kernel does)...
            await self._thaw()
            writer.transport.abort()  # ...and by the time it thaws, that client has given up
            return
        self.connections += 1
        me = self.connections
        self._writers.add(writer)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        out: list[bytes] = []
        logged_in, listed = asyncio.Event(), asyncio.Event()
        try:
            writer.write(BANNER)
            self.bytes_sent += len(BANNER)
            actions = asyncio.create_task(self._actions(reader, writer, out, logged_in, listed, me))
            sender = asyncio.create_task(self._send(writer, out, logged_in, listed, me))
            _, pending = await asyncio.wait({actions, sender}, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
        except (ConnectionError, OSError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()  # what was written still reaches the client, then EOF

    async def _actions(self, reader, writer, out: list[bytes], logged_in: asyncio.Event, listed: asyncio.Event,
                       me: int) -> None:
        while True:
            try:
                raw = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            h = headers(raw)  # answered by the sender, which stays silent while frozen
            name, action_id = h.get("Action", "").lower(), h.get("ActionID", "")
            if name == "login":
                if h.get("Username") == self.username and h.get("Secret") == self.secret:
                    self.logins += 1
                    self._active = me  # the timeline now plays to this client
                    out.append(f"Response: Success\r\nActionID: {action_id}\r\nMessage: Authentication accepted\r\n\r\n".encode())
                    logged_in.set()
                else:
                    self.failed_logins += 1
                    writer.write(f"Response: Error\r\nActionID: {action_id}\r\nMessage: Authentication failed\r\n\r\n".encode())
                    await writer.drain()
                    return
            elif name == "ping":
                self.pings += 1
                out.append(f"Response: Success\r\nActionID: {action_id}\r\nPing: Pong\r\n"
                           f"Timestamp: {self._now():.6f}\r\n\r\n".encode())
            elif name == "coreshowchannels":
                self.channel_lists += 1
                out.append(self.timeline.channel_list(action_id))
                listed.set()
            elif name == "logoff":
                out.append(f"Response: Goodbye\r\nActionID: {action_id}\r\nMessage: Thanks for all the fish.\r\n\r\n".encode())
                self._poke()
                await asyncio.sleep(0.05)
                return
            else:
                out.append(f"Response: Error\r\nActionID: {action_id}\r\nMessage: Invalid/unknown command\r\n\r\n".encode())
            self._poke()

    def _now(self) -> float:
        return time.time() if self.restamp or self.timeline.clock is None else self.timeline.clock

    async def _send(self, writer: asyncio.StreamWriter, out: list[bytes], logged_in: asyncio.Event,
                    listed: asyncio.Event, me: int) -> None:
        hold_until = None
        while True:
            if time.monotonic() < self.frozen_until:
                await self._thaw()
                continue
            if writer.transport.is_closing():
                return  # the client went away (while we were frozen): play nothing more to it
            if out:
                data = b"".join(out)
                out.clear()
                writer.write(data)
                self.bytes_sent += len(data)
                await writer.drain()
                continue
            if logged_in.is_set() and self._active != me:
                return  # cut, or another client took over
            knob = self.plan.pop(self.timeline.pos, None) if logged_in.is_set() else None
            if knob is not None:
                self._do(knob)
                continue
            if logged_in.is_set() and hold_until is None:
                hold_until = time.monotonic() + (2.0 if self.hold else 0.0)
            held = not listed.is_set() and hold_until is not None and time.monotonic() < hold_until
            if not logged_in.is_set() or held or self.paused or self.timeline.peek() is None:
                self.finished = self.timeline.peek() is None
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), 0.05)
                except asyncio.TimeoutError:
                    pass
                continue
            await self._send_batch(writer)

    async def _send_batch(self, writer: asyncio.StreamWriter) -> None:
        batch: list[bytes] = []
        size = count = 0
        due = 1 << 62
        if self.rate:
            now = time.monotonic()
            if self._rate_start is None:
                self._rate_start = now
            due = int((now - self._rate_start) * self.rate) - self._rate_sent
            if due <= 0:
                await asyncio.sleep(0.002)
                return
        while size < self.batch_bytes and count < due:
            if self.timeline.pos in self.plan or self.timeline.peek() is None:
                break
            message = self.timeline.take()
            if self.restamp:
                message = _TIMESTAMP.sub(b"\r\nTimestamp: %.6f\r\n" % time.time(), message, count=1)
            if self.split_utf8 and max(message) >= 0xC0:
                self.split_utf8 -= 1
                await self._write_split(writer, b"".join(batch), message)
                batch, size = [], 0
            else:
                batch.append(message)
                size += len(message)
            count += 1
        self._rate_sent += count
        if batch:
            data = b"".join(batch)
            writer.write(data)
            self.bytes_sent += len(data)
            await writer.drain()

    async def _write_split(self, writer: asyncio.StreamWriter, before: bytes, message: bytes) -> None:
        """Send `message` in two TCP segments cut inside its first multi-byte character
        (`split_utf8` = how many messages get this treatment)."""
        cut = next(i for i, byte in enumerate(message) if byte >= 0xC0) + 1
        for piece in (before + message[:cut], message[cut:]):
            writer.write(piece)
            self.bytes_sent += len(piece)
            await writer.drain()
            await asyncio.sleep(0.02)


def file_messages(path: str, chunk: int = 1 << 20) -> Iterator[bytes]:
    """Messages of a large stream file, read as they are needed (bench/ streams of 1M events)."""
    with open(path, "rb") as f:
        pending = b""
        while data := f.read(chunk):
            blocks = (pending + data).split(b"\r\n\r\n")
            pending = blocks.pop()
            for block in blocks:
                if block.strip() and not block.startswith((b"Asterisk Call Manager/", b"Response: Goodbye")):
                    yield block + b"\r\n\r\n"


def main() -> None:
    ap = argparse.ArgumentParser(description="Serve a recorded ami.log as a fake AMI on 127.0.0.1")
    ap.add_argument("file")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--rate", type=float, default=0.0, help="messages per second (0: as fast as the client reads)")
    ap.add_argument("--restamp", action="store_true", help="Timestamp headers = time sent")
    ap.add_argument("--username", default="recorder")
    ap.add_argument("--secret", default="s3cret")
    args = ap.parse_args()
    fake = FakeAmi(file_messages(args.file), username=args.username, secret=args.secret, rate=args.rate,
                   restamp=args.restamp, port=args.port, track=False).start()
    print(fake.port, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()

"""Agent presence: login and pause sessions from QueueMember* events, and their hourly sums.

Presence is not part of a call tree, so it has its own small tracker, fed the same event
stream as the builder. Pure: no clock (time comes from the events), no I/O.

- QueueMemberAdded opens a login session for (agent, queue); QueueMemberRemoved closes it
  and any pause.
- QueueMemberPause (QueueMemberPaused before Asterisk 12) opens or closes a pause.
- QueueMemberStatus (sent on every device state change) keeps us in step: a member first
  seen there (a static member, or one added before the capture started) is logged in since
  its LoginTime, and a pause we missed is opened from LastPause.
An open session's `seen_at` is the last event time of its server: presence is counted only
as far as the capture saw it hold.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Optional

from ..ami.event import Event
from ..calltree.state import make_id
from ..hours import HOUR_S, floor_hour

LOGIN, PAUSE = "login", "pause"
Key = tuple[str, str, str, str]  # server, agent, queue, kind


# What the hourly figures need of a session: (server, agent, kind, started_at, until).
Span = tuple[str, str, str, float, float]


@dataclass
class Session:
    server: str
    agent: str
    queue: str
    kind: str  # LOGIN | PAUSE
    started_at: float
    seen_at: float
    ended_at: Optional[float] = None
    reason: Optional[str] = None

    @property
    def session_id(self) -> str:
        detail = f"{self.agent}\x1f{self.queue}\x1f{self.kind}\x1f{self.started_at:.6f}"
        return make_id("presence", self.server, detail)

    @property
    def until(self) -> float:
        return self.ended_at if self.ended_at is not None else self.seen_at

    @property
    def span(self) -> Span:
        return (self.server, self.agent, self.kind, self.started_at, self.until)


def _epoch(text: Optional[str], at_most: float) -> Optional[float]:
    """A LoginTime/LastPause header as a start time, if it is a sane moment before `at_most`."""
    try:
        value = float(text or "")
    except ValueError:
        return None
    return value if 0 < value <= at_most else None


class PresenceTracker:
    """Follows queue members; `take()` hands out the sessions to (re)write."""

    def __init__(self) -> None:
        self.open: dict[Key, Session] = {}
        self.changed: dict[tuple[Key, float], Session] = {}  # by key and start: stable across a pickle
        self.clock: dict[str, float] = {}  # server -> last event time
        self.skipped: dict[str, int] = {}

    def feed(self, ev: Event) -> None:
        if ev.time is not None:
            self.clock[ev.server] = ev.time
        handler = _HANDLERS.get(ev.name)
        if handler is None:
            return
        at = self.clock.get(ev.server)
        agent = ev.headers.get("MemberName") or ev.headers.get("Interface")
        queue = ev.headers.get("Queue")
        if at is None or not agent or not queue:
            self._skip(f"{ev.name} without time, member or queue")
            return
        handler(self, ev, (ev.server, agent, queue), at)

    def flush(self) -> None:
        """As an Ingest's event sink (the daemon's): nothing to write here, the pipeline
        writes what `take()` hands out with its calls."""

    def take(self) -> list[Session]:
        """Sessions that changed since the last call, open ones with `seen_at` brought up to date."""
        for session in self.open.values():
            session.seen_at = max(session.seen_at, self.clock.get(session.server, session.seen_at))
            self._changed(session)
        out, self.changed = list(self.changed.values()), {}
        return out

    # -- transitions ------------------------------------------------------------------------

    def _start(self, member: tuple[str, str, str], kind: str, at: float, reason: Optional[str] = None) -> None:
        key = (*member, kind)
        if key in self.open:
            return
        session = Session(*member, kind=kind, started_at=at, seen_at=at, reason=reason or None)
        self.open[key] = session
        self._changed(session)

    def _end(self, member: tuple[str, str, str], kind: str, at: float) -> None:
        session = self.open.pop((*member, kind), None)
        if session is not None:
            session.ended_at = session.seen_at = max(at, session.started_at)
            self._changed(session)

    def _changed(self, session: Session) -> None:
        self.changed[((session.server, session.agent, session.queue, session.kind), session.started_at)] = session

    def _known(self, ev: Event, member: tuple[str, str, str], at: float) -> None:
        """A member we did not see join: logged in since its LoginTime."""
        if (*member, LOGIN) not in self.open:
            self._start(member, LOGIN, _epoch(ev.headers.get("LoginTime"), at) or at)

    def _sync_pause(self, ev: Event, member: tuple[str, str, str], at: float, since: Optional[float]) -> None:
        if ev.headers.get("Paused") == "1":
            reason = ev.headers.get("PausedReason") or ev.headers.get("Reason")
            login = self.open.get((*member, LOGIN))
            start = since if since is not None and login is not None and since >= login.started_at else at
            self._start(member, PAUSE, start, reason)
        elif ev.headers.get("Paused") == "0":
            self._end(member, PAUSE, at)

    def _skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def _on_added(t: PresenceTracker, ev: Event, member: tuple[str, str, str], at: float) -> None:
    t._start(member, LOGIN, at)
    t._sync_pause(ev, member, at, None)


def _on_removed(t: PresenceTracker, ev: Event, member: tuple[str, str, str], at: float) -> None:
    t._end(member, PAUSE, at)
    t._end(member, LOGIN, at)


def _on_pause(t: PresenceTracker, ev: Event, member: tuple[str, str, str], at: float) -> None:
    t._known(ev, member, at)
    t._sync_pause(ev, member, at, None)


def _on_status(t: PresenceTracker, ev: Event, member: tuple[str, str, str], at: float) -> None:
    t._known(ev, member, at)
    t._sync_pause(ev, member, at, _epoch(ev.headers.get("LastPause"), at))


_HANDLERS = {
    "QueueMemberAdded": _on_added,
    "QueueMemberRemoved": _on_removed,
    "QueueMemberPause": _on_pause,
    "QueueMemberPaused": _on_pause,
    "QueueMemberStatus": _on_status,
}


def _merged(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def hourly_presence(spans: Iterable[Span], lo: float, hi: float) -> dict[tuple[float, str, str], dict[str, float]]:
    """Seconds logged in and paused per (hour, server, agent) within [lo, hi), from the
    sessions' spans. A member of several queues is logged in once: its sessions are merged
    over queues."""
    by_agent: dict[tuple[str, str, str], list[tuple[float, float]]] = defaultdict(list)
    for server, agent, kind, started_at, until in spans:
        start, end = max(started_at, lo), min(until, hi)
        if end > start:
            by_agent[(server, agent, kind)].append((start, end))
    out: dict[tuple[float, str, str], dict[str, float]] = {}
    for (server, agent, kind), found in by_agent.items():
        for start, end in _merged(found):
            hour = floor_hour(start)
            while hour < end:
                part = min(end, hour + HOUR_S) - max(start, hour)
                figures = out.setdefault((hour, server, agent), {"login_s": 0.0, "pause_s": 0.0})
                figures[f"{kind}_s"] += part
                hour += HOUR_S
    return out

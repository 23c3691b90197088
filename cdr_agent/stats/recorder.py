"""Storing agent presence: the event sink that `replay.Ingest` feeds next to the builder.

Sessions are upserted (delete + insert by session id) at every flush of the ingest, so an
open session's `seen_at` follows the capture and a replay of the same stream writes the same
rows.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.engine import Connection

from ..ami.event import Event
from ..store.stats_tables import stat_agent_sessions
from ..store.tables import UTCDateTime, id_in
from ..store.writer import insert_rows
from .presence import PresenceTracker, Session, Span

_CHUNK = 500


class PresenceRecorder:
    """Feeds a `PresenceTracker` and writes what changed when the ingest flushes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.tracker = PresenceTracker()

    def feed(self, event: Event) -> None:
        self.tracker.feed(event)

    def flush(self) -> None:
        write_sessions(self.engine, self.tracker.take())


def _row(s: Session) -> dict[str, object]:
    return {
        "session_id": s.session_id, "server": s.server, "agent": s.agent, "queue": s.queue,
        "kind": s.kind, "started_at": s.started_at, "ended_at": s.ended_at, "seen_at": s.seen_at,
        "reason": s.reason,
    }


def write_sessions(engine: Engine, sessions: Sequence[Session]) -> int:
    if not sessions:
        return 0
    rows = list({r["session_id"]: r for r in map(_row, sessions)}.values())
    remove = delete(stat_agent_sessions).where(
        id_in(stat_agent_sessions.c.session_id, engine.dialect.name)
    )
    with engine.begin() as conn:
        for i in range(0, len(rows), _CHUNK):
            chunk = rows[i:i + _CHUNK]
            conn.execute(remove, {"ids": [r["session_id"] for r in chunk]})
            insert_rows(conn, stat_agent_sessions, chunk)
    return len(rows)


def load_spans(conn: Connection, lo: float, hi: float) -> list[Span]:
    """The spans of the sessions that overlap [lo, hi)."""
    return [span for _, span in load_queue_spans(conn, lo, hi)]


def load_queue_spans(conn: Connection, lo: float, hi: float, queues: Sequence[str] = (),
                     server: Optional[str] = None) -> list[tuple[str, Span]]:
    """(queue, span) of the sessions that overlap [lo, hi), of `queues` (all if empty) and
    `server`: presence per queue, which the hourly table (merged over queues) cannot give.

    Bounded by `seen_at` (indexed), which is never before the end of a session: an hour's fill
    reads the sessions of that hour, not every session that started before it."""
    s = stat_agent_sessions.c
    until = func.coalesce(s.ended_at, s.seen_at, type_=UTCDateTime())
    stmt = select(s.queue, s.server, s.agent, s.kind, s.started_at, until).where(
        s.seen_at > lo, s.started_at < hi, until > lo)
    if queues:
        stmt = stmt.where(s.queue.in_(list(queues)))
    if server is not None:
        stmt = stmt.where(s.server == server)
    return [(r[0], tuple(r[1:])) for r in conn.execute(stmt)]

"""Reading calls back: listings, single documents and chunked export.

Documents are rebuilt as `Call` objects and passed through `to_document`, so the stored
form reads back in exactly the public shape. Reads of several tables run in one
snapshot (REPEATABLE READ on PostgreSQL and MySQL, a real BEGIN on SQLite engines made by
`open_engine`) so a call being rewritten is seen either before or after, never half. Export loads children per chunk of calls
(one query per table per chunk), not per call.
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, Optional

from sqlalchemy import Engine, Select, and_, bindparam, case, exists, or_, select
from sqlalchemy.engine import Connection, Row

from ..calltree.document import iso, to_document
from ..calltree.model import Call
from .mapping import assemble
from .summary import ANSWERED, DISPOSITIONS, Summary, summarize
from .tables import CHILD_TABLES, apps, attempts, calls, id_in, legs

CHUNK = 500

# Derived values as stored (durations computed from the original floats at write time), by
# list name (`attempts`, `apps`), one dict per item.
_Derived = dict[str, list[dict[str, Any]]]


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


def _window(since: Optional[float], until: Optional[float]) -> list[Any]:
    cond: list[Any] = []
    if since is not None:
        cond.append(calls.c.started_at >= since)
    if until is not None:
        cond.append(calls.c.started_at < until)
    return cond


def _listing(row: Row[Any], summary: Summary) -> dict[str, Any]:
    return {
        "call_id": row.call_id,
        "server": row.server,
        "status": row.status,
        "started_at": iso(row.started_at),
        "answered_at": iso(row.answered_at),
        "ended_at": iso(row.ended_at),
        "answered": row.answered,
        "caller_num": row.caller_num,
        "caller_name": row.caller_name,
        "dialed": row.dialed,
        "linkedids": json.loads(row.linkedids),
        **asdict(summary),
    }


@dataclass(frozen=True)
class CallFilter:
    """What `list_calls` keeps. Filters on stored columns run in SQL; `status` (a
    disposition, summary.DISPOSITIONS) is decided from each tree, after SQL narrowed it down
    by the stored `answered` flag."""

    since: Optional[float] = None
    until: Optional[float] = None
    number: Optional[str] = None  # the caller, the dialed extension, or any leg's number
    queue: Optional[str] = None  # waited in this queue
    agent: Optional[str] = None  # this queue member was rung
    server: Optional[str] = None
    status: Optional[str] = None

    def where(self) -> list[Any]:
        cond = _window(self.since, self.until)
        if self.number is not None:
            on_leg = exists().where(
                legs.c.call_id == calls.c.call_id,
                or_(legs.c.caller_num == self.number, legs.c.connected_num == self.number),
            )
            cond.append(or_(calls.c.caller_num == self.number, calls.c.dialed == self.number, on_leg))
        if self.queue is not None:
            cond.append(exists().where(apps.c.call_id == calls.c.call_id, apps.c.app == "queue",
                                       apps.c.name == self.queue))
        if self.agent is not None:
            cond.append(exists().where(attempts.c.call_id == calls.c.call_id, attempts.c.agent == self.agent))
        if self.server is not None:
            cond.append(calls.c.server == self.server)
        if self.status is not None:
            cond.append(calls.c.answered.is_(self.status == ANSWERED))
        return cond


def list_calls(
    engine: Engine,
    since: Optional[float] = None,
    until: Optional[float] = None,
    number: Optional[str] = None,
    limit: Optional[int] = None,
    *,
    where: Optional[CallFilter] = None,
) -> list[dict[str, Any]]:
    """Calls started in [since, until) (epoch seconds), optionally involving `number`, or
    those `where` keeps; each with its summary (queue, agent, wait, disposition, who hung up).

    `number` matches exactly the caller number, the dialed extension, or any leg's caller or
    connected number. Ordered by started_at (unknown last), then call_id. Times are ISO text
    as in the call document.
    """
    where = where or CallFilter(since, until, number)
    if where.status is not None and where.status not in DISPOSITIONS:
        raise ValueError(f"unknown disposition {where.status!r}")
    stmt = select(calls).where(*where.where()).order_by(
        case((calls.c.started_at.is_(None), 1), else_=0), calls.c.started_at, calls.c.call_id
    )
    decided_in_sql = where.status in (None, ANSWERED)
    if limit is not None and decided_in_sql:
        stmt = stmt.limit(limit)
    out: list[dict[str, Any]] = []
    with _snapshot(engine) as conn:
        for rows in conn.execute(stmt).partitions(CHUNK):
            for row, (call, _) in zip(rows, _load_calls(conn, rows)):
                summary = summarize(call)
                if decided_in_sql or summary.disposition == where.status:
                    out.append(_listing(row, summary))
                if limit is not None and len(out) >= limit:
                    return out
    return out


def find_call_ids(engine: Engine, prefix: str, limit: int = 10) -> list[str]:
    """Call ids starting with `prefix` (literally: `%` and `_` are not wildcards)."""
    stmt = (
        select(calls.c.call_id)
        .where(calls.c.call_id.startswith(prefix, autoescape=True))
        .order_by(calls.c.call_id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return list(conn.scalars(stmt))


def _load_calls(conn: Connection, call_rows: Sequence[Row[Any]]) -> list[tuple[Call, _Derived]]:
    """Rebuild `Call`s for rows of `calls`, with a fixed number of queries."""
    ids = [r.call_id for r in call_rows]
    if not ids:
        return []
    children: dict[str, dict[str, list[Row[Any]]]] = {}
    for table in CHILD_TABLES:
        stmt = (
            select(table)
            .where(id_in(table.c.call_id, conn.dialect.name))
            .order_by(table.c.call_id, table.c.seq)
        )
        grouped: dict[str, list[Row[Any]]] = defaultdict(list)
        for row in conn.execute(stmt, {"ids": ids}):
            grouped[row.call_id].append(row)
        children[table.name] = grouped
    return [
        assemble(r, {name: g.get(r.call_id, []) for name, g in children.items()})
        for r in call_rows
    ]


def _document(call: Call, derived: _Derived) -> dict[str, Any]:
    # Durations come from the stored values: recomputing them from times rounded to the
    # microsecond could flip the third decimal of a sub-microsecond input.
    doc = to_document(call)
    for name, stored in derived.items():
        for item, values in zip(doc[name], stored):
            item.update(values)
    return doc


def _load_one(engine: Engine, call_id: str) -> Optional[tuple[Call, _Derived]]:
    with _snapshot(engine) as conn:
        row = conn.execute(select(calls).where(calls.c.call_id == call_id)).first()
        if row is None and call_id:
            prefixed = conn.execute(
                select(calls).where(calls.c.call_id.startswith(call_id, autoescape=True)).limit(2)
            ).all()
            row = prefixed[0] if len(prefixed) == 1 else None
        if row is None:
            return None
        return _load_calls(conn, [row])[0]


def load_call(engine: Engine, call_id: str) -> Optional[Call]:
    """The stored call with this id, or with this unique id prefix; None if none or ambiguous."""
    found = _load_one(engine, call_id)
    return found[0] if found else None


def load_document(engine: Engine, call_id: str) -> Optional[dict[str, Any]]:
    """`to_document()` of the stored call (id or unique prefix); None if none or ambiguous."""
    found = _load_one(engine, call_id)
    return _document(*found) if found else None


def load_shown(engine: Engine, call_id: str) -> Optional[tuple[dict[str, Any], Summary]]:
    """The document and the summary of the stored call (id or unique prefix), as `show` prints."""
    found = _load_one(engine, call_id)
    return (_document(*found), summarize(found[0])) if found else None


def other_servers(engine: Engine, server: str, uniqueids: Sequence[str]) -> list[str]:
    """Servers other than `server` with legs of these Asterisk uniqueids: the same calls
    stored under another name (a uniqueid holds its creation time, so a match is no chance)."""
    if not uniqueids:
        return []
    names = select(calls.c.server).distinct().where(calls.c.server != server).order_by(calls.c.server)
    # One look per server name, by the (server, uniqueid) index.
    held = select(legs.c.leg_id).where(legs.c.server == bindparam("name"), legs.c.uniqueid.in_(list(uniqueids))).limit(1)
    with engine.connect() as conn:
        return [name for name in conn.scalars(names) if conn.scalar(held, {"name": name}) is not None]


def leg_labels(engine: Engine, leg_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
    """leg id -> (its call's id, its position in that call's legs from 1): how `show` names a
    leg of another call (a parked caller retrieved, a conference member)."""
    if not leg_ids:
        return {}
    owners = select(legs.c.call_id).where(legs.c.leg_id.in_(list(leg_ids)))
    stmt = select(legs.c.call_id, legs.c.leg_id).where(legs.c.call_id.in_(owners)).order_by(legs.c.call_id, legs.c.seq)
    out: dict[str, tuple[str, int]] = {}
    position: dict[str, int] = defaultdict(int)
    with _snapshot(engine) as conn:
        for call_id, leg_id in conn.execute(stmt):
            position[call_id] += 1
            out[leg_id] = (call_id, position[call_id])
    return {leg_id: out[leg_id] for leg_id in leg_ids if leg_id in out}


def _pages(
    conn: Connection, since: Optional[float], until: Optional[float], chunk: int
) -> Iterator[list[Row[Any]]]:
    """Keyset pagination over (started_at, call_id), then calls without a start time."""
    dated: Select[Any] = (
        select(calls)
        .where(calls.c.started_at.is_not(None), *_window(since, until))
        .order_by(calls.c.started_at, calls.c.call_id)
        .limit(chunk)
    )
    stmt = dated
    while rows := conn.execute(stmt).all():
        yield rows
        if len(rows) < chunk:
            break
        at, cid = rows[-1].started_at, rows[-1].call_id
        stmt = dated.where(
            or_(calls.c.started_at > at, and_(calls.c.started_at == at, calls.c.call_id > cid))
        )
    if since is not None or until is not None:
        return
    undated = (
        select(calls).where(calls.c.started_at.is_(None)).order_by(calls.c.call_id).limit(chunk)
    )
    stmt = undated
    while rows := conn.execute(stmt).all():
        yield rows
        if len(rows) < chunk:
            break
        stmt = undated.where(calls.c.call_id > rows[-1].call_id)


def iter_calls(
    engine: Engine, since: Optional[float] = None, until: Optional[float] = None, chunk: int = CHUNK
) -> Iterator[Call]:
    """Stored calls in listing order, loaded `chunk` calls at a time in one snapshot."""
    for call, _ in _iter(engine, since, until, chunk):
        yield call


def iter_documents(
    engine: Engine, since: Optional[float] = None, until: Optional[float] = None, chunk: int = CHUNK
) -> Iterator[dict[str, Any]]:
    """Call documents for export, in the order of `list_calls`, in one consistent snapshot."""
    for call, derived in _iter(engine, since, until, chunk):
        yield _document(call, derived)


def _iter(
    engine: Engine, since: Optional[float], until: Optional[float], chunk: int
) -> Iterator[tuple[Call, _Derived]]:
    with _snapshot(engine) as conn:
        for rows in _pages(conn, since, until, chunk):
            yield from _load_calls(conn, rows)

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
from typing import Any, Optional

from sqlalchemy import Engine, Select, and_, case, exists, or_, select
from sqlalchemy.engine import Connection, Row

from ..calltree.document import iso, to_document
from ..calltree.model import Call
from .mapping import assemble
from .tables import CHILD_TABLES, calls, id_in, legs

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


def _listing(row: Row[Any]) -> dict[str, Any]:
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
    }


def list_calls(
    engine: Engine,
    since: Optional[float] = None,
    until: Optional[float] = None,
    number: Optional[str] = None,
    limit: Optional[int] = None,
) -> list[dict[str, Any]]:
    """Calls started in [since, until) (epoch seconds), optionally involving `number`.

    `number` matches exactly the caller number, the dialed extension, or any leg's caller or
    connected number. Ordered by started_at (unknown last), then call_id. Times are ISO text
    as in the call document.
    """
    stmt = select(calls).where(*_window(since, until))
    if number is not None:
        on_leg = exists().where(
            legs.c.call_id == calls.c.call_id,
            or_(legs.c.caller_num == number, legs.c.connected_num == number),
        )
        stmt = stmt.where(or_(calls.c.caller_num == number, calls.c.dialed == number, on_leg))
    stmt = stmt.order_by(
        case((calls.c.started_at.is_(None), 1), else_=0), calls.c.started_at, calls.c.call_id
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    with _snapshot(engine) as conn:
        return [_listing(r) for r in conn.execute(stmt)]


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

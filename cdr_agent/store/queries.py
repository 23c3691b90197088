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
from ..calltree.model import (
    AppContext,
    Attempt,
    Call,
    Conference,
    ConferenceMember,
    Leg,
    Party,
    Transfer,
)
from .tables import apps, attempts, calls, conference_members, id_in, legs, transfers

CHUNK = 500

# Derived durations as stored (computed from the original floats at write time).
_Derived = dict[str, list[Optional[float]]]


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
    for table in (legs, attempts, transfers, conference_members, apps):
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
        _assemble(r, {name: g.get(r.call_id, []) for name, g in children.items()})
        for r in call_rows
    ]


def _assemble(row: Row[Any], ch: dict[str, list[Row[Any]]]) -> tuple[Call, _Derived]:
    call = Call(
        call_id=row.call_id,
        server=row.server,
        linkedids=json.loads(row.linkedids),
        started_at=row.started_at,
        answered_at=row.answered_at,
        ended_at=row.ended_at,
        status=row.status,
        caller=Party(row.caller_num, row.caller_name),
        dialed=row.dialed,
        user_data=json.loads(row.user_data),
        flags=json.loads(row.flags),
    )
    call.legs = [
        Leg(
            leg_id=r.leg_id,
            uniqueid=r.uniqueid,
            channel=r.channel,
            caller=Party(r.caller_num, r.caller_name),
            connected=Party(r.connected_num, r.connected_name),
            created_at=r.created_at,
            answered_at=r.answered_at,
            ended_at=r.ended_at,
            hangup_cause=r.hangup_cause,
            local_peer=r.local_peer,
            context=r.context,
            exten=r.exten,
        )
        for r in ch["legs"]
    ]
    call.attempts = [
        Attempt(
            seq=r.seq,
            from_leg=r.from_leg,
            to_leg=r.to_leg,
            dialstring=r.dialstring,
            via=r.via,
            began_at=r.began_at,
            outcome=r.outcome,
            app_id=r.app_id,
            answered_at=r.answered_at,
            ended_at=r.ended_at,
            hop_leg=r.hop_leg,
            agent=r.agent,
        )
        for r in ch["attempts"]
    ]
    call.transfers = [
        Transfer(
            seq=r.seq,
            kind=r.kind,
            transferer_leg=r.transferer_leg,
            transferee_leg=r.transferee_leg,
            at=r.at,
            target_leg=r.target_leg,
            target_exten=r.target_exten,
            target_context=r.target_context,
            completed=bool(r.completed),
        )
        for r in ch["transfers"]
    ]
    rooms: dict[tuple[str, str], Conference] = {}
    for r in ch["conference_members"]:
        conf = rooms.get((r.room, r.bridge_id))
        if conf is None:
            conf = rooms[(r.room, r.bridge_id)] = Conference(room=r.room, bridge_id=r.bridge_id)
        if r.leg is not None:
            conf.members.append(
                ConferenceMember(leg=r.leg, joined_at=r.joined_at, left_at=r.left_at)
            )
    call.conferences = list(rooms.values())
    call.apps = [
        AppContext(
            app_id=r.app_id,
            app=r.app,
            name=r.name,
            leg=r.leg,
            entered_at=r.entered_at,
            left_at=r.left_at,
            result=r.result,
            position=r.position,
            data=json.loads(r.data),
        )
        for r in ch["apps"]
    ]
    derived: _Derived = {
        "ring_s": [r.ring_s for r in ch["attempts"]],
        "talk_s": [r.talk_s for r in ch["attempts"]],
        "wait_s": [r.wait_s for r in ch["apps"]],
    }
    return call, derived


def _document(call: Call, derived: _Derived) -> dict[str, Any]:
    # Durations come from the stored values: recomputing them from times rounded to the
    # microsecond could flip the third decimal of a sub-microsecond input.
    doc = to_document(call)
    for a, ring, talk in zip(doc["attempts"], derived["ring_s"], derived["talk_s"]):
        a["ring_s"], a["talk_s"] = ring, talk
    for a, wait in zip(doc["apps"], derived["wait_s"]):
        a["wait_s"] = wait
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

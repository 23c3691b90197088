"""The store round-trips call trees exactly, idempotently, on every backend."""
from __future__ import annotations

import copy
import dataclasses
import itertools
import typing
from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, inspect, select, text

from cdr_agent.calltree.document import iso, to_document
from cdr_agent.calltree.model import (
    AppContext,
    Attempt,
    Call,
    Conference,
    ConferenceMember,
    Leg,
    Party,
    Transfer,
)
from cdr_agent.calltree.vocab import COMPLETE
from cdr_agent.store import (
    CallWriter,
    find_call_ids,
    iter_calls,
    iter_documents,
    list_calls,
    load_call,
    load_document,
    open_engine,
)
from cdr_agent.store.tables import CHILD_TABLES, calls, legs, metadata

T0 = 1795463070.781234  # microseconds, as AMI `Timestamp:` carries them
HOSTILE = ("Mr \"O'Brien\"\n'); DROP TABLE calls;-- \U0001F600 \\ %_ " * 60)[:2048]


def make_call(call_id: str, start: float = T0, caller: str = "100", callee: str = "201") -> Call:
    """A call with six legs, answered and unanswered attempts, a transfer, a conference, apps."""
    ids = [f"{call_id[:8]}-leg-{i}" for i in range(6)]
    a, a_local, b, c, d, e = ids
    call = Call(
        call_id=call_id,
        server="pbx-1",
        linkedids=[f"{start:.6f}", "1795463099.42"],
        started_at=start,
        answered_at=start + 2.5,
        ended_at=start + 60.000001,
        status=COMPLETE,
        answered=True,
        time_source="asterisk",
        caller=Party(caller, HOSTILE),
        dialed=callee,
        user_data={"account": "ACME", "note": HOSTILE, "empty": ""},
        flags=["gap", "stale"],
    )
    call.legs = [
        Leg(a, f"{start:.2f}1", "PJSIP/alice-00000001", Party(caller, HOSTILE), Party(callee, "Bob"),
            created_at=start, answered=True, answered_at=start + 2.5, ended_at=start + 60.000001,
            hangup_cause=16, context="from-internal", exten=callee),
        Leg(a_local, f"{start:.2f}2", "Local/201@phones-00000010;2", Party(caller, None),
            created_at=start + 0.1, local_peer=b, context="phones", exten="s"),
        Leg(b, f"{start:.2f}3", "Local/201@phones-00000010;1", Party(callee, "Bob"), Party(caller, "Alice"),
            created_at=start + 0.1, answered=True, answered_at=start + 2.5, ended_at=start + 5.0, hangup_cause=16,
            local_peer=a_local),
        Leg(c, f"{start:.2f}4", "PJSIP/carol-00000003", Party("202", "Carol"), Party(None, None),
            created_at=start + 5.0, answered=True, answered_at=start + 7.0, ended_at=start + 60.0),
        Leg(d, f"{start:.2f}5", "PJSIP/dave-00000004", Party("203", "Dave \U0001F4DE"),
            created_at=start + 5.0, ended_at=start + 7.0, hangup_cause=26),
        Leg(e, f"{start:.2f}6", "PJSIP/erin-00000005", Party("204", ""),
            created_at=start + 30.0, answered=True, answered_at=start + 30.5),
    ]
    call.attempts = [
        Attempt(1, a, b, "Local/201@phones", "dial", start + 0.1, "ANSWER",
                answered_at=start + 2.5, ended_at=start + 5.0, hop_leg=a_local),
        Attempt(2, a, c, "PJSIP/carol", "transfer", start + 5.0, "ANSWER", app_id=f"{call_id}:1",
                answered_at=start + 7.0, ended_at=start + 60.0, agent="PJSIP/carol 🎧"),
        Attempt(3, a, d, "PJSIP/dave", "ringgroup", start + 5.0, "CANCEL", app_id=f"{call_id}:1",
                ended_at=start + 7.0),
        Attempt(4, e, None, "PJSIP/nobody", "dial", start + 30.0),  # still ringing
        Attempt(5, a, None, None, "dial", None, "CHANUNAVAIL"),
    ]
    call.transfers = [
        Transfer(1, "blind", b, a, start + 5.0, target_leg=c, target_exten="202",
                 target_context="xfer", completed=True),
        Transfer(2, "attended", c, a, None),
    ]
    call.conferences = [
        Conference("room 7 \u00e9", "bridge-2", [
            ConferenceMember(c, start + 30.0, start + 50.0),
            ConferenceMember(e, start + 30.5),
        ]),
        Conference("room 1", "bridge-1", [ConferenceMember(a, start + 31.0, start + 59.0)]),
        Conference("empty", "bridge-3"),
    ]
    call.apps = [
        AppContext(f"{call_id}:2", "queue", "support", a, start + 1.0, start + 4.25, "answered", 3,
                   {"agent": "201", "hold": "3"}),
        AppContext(f"{call_id}:1", "ringgroup", "sales", a, start + 5.0, start + 7.0, "answered"),
        AppContext(f"{call_id}:3", "ivr", None, None, None, data={"digits": HOSTILE}),
    ]
    return call


CALL_TABLES = (calls, *CHILD_TABLES)  # what a call writes (other areas add their own tables)


def count_rows(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.scalar(select(func.count()).select_from(t)) for t in CALL_TABLES}


def dump_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            t.name: sorted(tuple(r) for r in conn.execute(select(t)))
            for t in CALL_TABLES
        }


CID = "1a2b3c4d-0000-5000-8000-000000000001"

MODEL_CLASSES = (Call, Party, Leg, Attempt, Transfer, Conference, ConferenceMember, AppContext)


def every_field_set(cls: type, counter: itertools.count) -> Any:
    """An object of `cls` with every field set to a value of its own (no two alike, none a
    default), lists of model objects holding one such object: built from the type hints, so
    a field added to the model is covered without touching this test."""
    values: dict[str, Any] = {}
    for name, hint in typing.get_type_hints(cls).items():
        n = next(counter)
        optional = typing.get_origin(hint) is typing.Union
        kind = next(a for a in typing.get_args(hint) if a is not type(None)) if optional else hint
        origin, args = typing.get_origin(kind), typing.get_args(kind)
        if dataclasses.is_dataclass(kind):
            values[name] = every_field_set(kind, counter)
        elif origin is list:
            item = args[0]
            values[name] = [every_field_set(item, counter)] if dataclasses.is_dataclass(item) else [f"{name}-{n}", "ü"]
        elif origin is dict:
            values[name] = {f"{name}-{n}": HOSTILE}
        elif kind is bool:
            values[name] = True
        elif kind is int:
            values[name] = n
        elif kind is float:
            values[name] = round(T0 + n + n / 1000, 6)  # a time, in whole microseconds
        else:
            values[name] = f"{name}-{n}"
    return cls(**values)


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=lambda c: c.__name__)
def test_every_field_of_the_round_trip_call_is_set(cls: type) -> None:
    obj = every_field_set(cls, itertools.count(1))
    for f in dataclasses.fields(cls):
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        assert getattr(obj, f.name) not in (default, None, [], {}), f.name


def test_every_field_of_every_model_class_round_trips(engine: Engine) -> None:
    """Rows, read-back and document come from one mapping (store/mapping.py): whatever the
    model holds, the database gives back equal."""
    call = every_field_set(Call, itertools.count(1))
    CallWriter(engine).write([call])
    assert load_call(engine, call.call_id) == call
    assert load_document(engine, call.call_id) == to_document(call)
    assert list(iter_calls(engine)) == [call]


def test_write_then_load_document_equals_to_document(engine: Engine) -> None:
    call = make_call(CID)
    assert CallWriter(engine).write([call]) == 1
    assert load_document(engine, CID) == to_document(call)
    assert load_call(engine, CID) == call


def test_hostile_text_is_stored_verbatim(engine: Engine) -> None:
    CallWriter(engine).write([make_call(CID)])
    assert inspect(engine).has_table("calls")  # the DROP TABLE in the name did nothing
    with engine.connect() as conn:
        name = conn.scalar(select(calls.c.caller_name).where(calls.c.call_id == CID))
    assert name == HOSTILE and len(HOSTILE) == 2048 and "\n" in name and "\U0001F600" in name


def test_write_twice_gives_identical_rows(engine: Engine) -> None:
    writer = CallWriter(engine)
    writer.write([make_call(CID), make_call(CID.replace("1a2b", "9999"), start=T0 + 100)])
    counts, rows = count_rows(engine), dump_rows(engine)
    assert counts == {"calls": 2, "legs": 12, "attempts": 10, "transfers": 4,
                      "conference_members": 8, "apps": 6}
    writer.write([make_call(CID)])
    writer.write([make_call(CID), make_call(CID)])  # twice in one batch
    assert count_rows(engine) == counts
    assert dump_rows(engine) == rows


def test_copy_and_executemany_write_the_same_rows(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("COPY is the PostgreSQL path")
    call = make_call(CID)
    CallWriter(engine, use_copy=True).write([call])
    via_copy = dump_rows(engine)
    CallWriter(engine, use_copy=False).write([call])
    assert dump_rows(engine) == via_copy
    assert load_document(engine, CID) == to_document(call)


def test_rewrite_replaces_children(engine: Engine) -> None:
    writer = CallWriter(engine)
    call = make_call(CID)
    writer.write([call])
    grown = copy.deepcopy(call)
    grown.legs = grown.legs[:2]
    grown.attempts, grown.conferences = grown.attempts[:1], []
    grown.status = "in_progress"
    writer.write([grown])
    assert load_document(engine, CID) == to_document(grown)
    assert count_rows(engine)["conference_members"] == 0


def test_leg_moving_to_another_call(engine: Engine) -> None:
    writer = CallWriter(engine)
    old = make_call(CID)
    writer.write([old])
    merged = make_call(CID.replace("1a2b", "7777"))
    merged.legs.append(old.legs[3])  # the builder merged a leg of `old` into `merged`
    writer.write([merged])
    assert load_document(engine, merged.call_id) == to_document(merged)


def test_delete(engine: Engine) -> None:
    writer = CallWriter(engine)
    other = CID.replace("1a2b", "5555")
    writer.write([make_call(CID), make_call(other)])
    assert writer.delete([CID, "no-such-call"]) == 1
    assert load_document(engine, CID) is None
    assert load_document(engine, other) is not None
    assert count_rows(engine)["legs"] == 6
    assert writer.delete([]) == 0


def test_load_document_by_prefix(engine: Engine) -> None:
    writer = CallWriter(engine)
    writer.write([make_call(CID), make_call("1a2c0000-0000-5000-8000-000000000002")])
    assert load_document(engine, "1a2b")["call_id"] == CID
    assert load_document(engine, "1a2") is None  # ambiguous
    assert load_document(engine, "zz") is None
    assert load_document(engine, "%") is None  # not a wildcard
    assert find_call_ids(engine, "1a2") == [CID, "1a2c0000-0000-5000-8000-000000000002"]


def test_list_calls_filters(engine: Engine) -> None:
    writer = CallWriter(engine)
    c1 = make_call("c1000000-0000-5000-8000-000000000000", start=T0, caller="100", callee="201")
    c2 = make_call("c2000000-0000-5000-8000-000000000000", start=T0 + 3600, caller="300", callee="401")
    c3 = make_call("c3000000-0000-5000-8000-000000000000", start=T0 + 7200, caller="500", callee="601")
    c0 = make_call("c0000000-0000-5000-8000-000000000000", start=T0 + 3600, caller="700", callee="801")
    undated = Call("c9000000-0000-5000-8000-000000000000", "pbx-2")
    writer.write([c3, undated, c1, c2, c0])

    def ids(**kw: Any) -> list[str]:
        return [r["call_id"][:2] for r in list_calls(engine, **kw)]

    assert ids() == ["c1", "c0", "c2", "c3", "c9"]
    assert ids(since=T0 + 3600) == ["c0", "c2", "c3"]
    assert ids(until=T0 + 3600) == ["c1"]
    assert ids(since=T0 + 1, until=T0 + 7200) == ["c0", "c2"]
    assert ids(number="300") == ["c2"]  # caller
    assert ids(number="601") == ["c3"]  # dialed
    assert ids(number="202") == ["c1", "c0", "c2", "c3"]  # a leg's caller number
    assert ids(number="nobody") == []
    assert ids(limit=2) == ["c1", "c0"]
    first = list_calls(engine, limit=1)[0]
    assert first == {
        "call_id": c1.call_id, "server": "pbx-1", "status": COMPLETE,
        "started_at": iso(T0), "answered_at": iso(T0 + 2.5), "ended_at": iso(T0 + 60.000001),
        "answered": True, "caller_num": "100", "caller_name": HOSTILE, "dialed": "201",
        "linkedids": c1.linkedids, **{k: first[k] for k in ("queue", "agent", "wait_s", "disposition", "hung_up_by")},
    }
    assert first["disposition"] == "answered"
    assert list_calls(engine, number="'); DROP TABLE calls;--") == []


def test_iter_documents_in_chunks(engine: Engine) -> None:
    writer = CallWriter(engine)
    made = [make_call(f"{i:08x}-0000-5000-8000-000000000000", start=T0 + (i % 4)) for i in range(23)]
    made.append(Call("ffffffff-0000-5000-8000-000000000000", "pbx-2"))  # no start time
    writer.write(made)
    expected = sorted(made[:-1], key=lambda c: (c.started_at, c.call_id)) + made[-1:]
    docs = list(iter_documents(engine, chunk=5))
    assert docs == [to_document(c) for c in expected]
    assert [c.call_id for c in iter_calls(engine, chunk=7)] == [c.call_id for c in expected]
    window = list(iter_documents(engine, since=T0 + 1, until=T0 + 3, chunk=4))
    assert [d["call_id"] for d in window] == [c.call_id for c in expected if T0 + 1 <= (c.started_at or 0) < T0 + 3]


def test_iter_documents_reads_one_snapshot(engine: Engine) -> None:
    writer = CallWriter(engine)
    first, second = make_call(CID), make_call(CID.replace("1a2b", "ffff"), start=T0 + 1)
    writer.write([first, second])
    docs = iter_documents(engine, chunk=1)
    assert next(docs) == to_document(first)
    changed = copy.deepcopy(second)
    changed.legs, changed.status = changed.legs[:1], "incomplete"
    writer.write([changed])  # committed while the export is half-way
    assert next(docs) == to_document(second)
    assert list(docs) == []
    assert load_document(engine, second.call_id) == to_document(changed)


def test_iter_documents_is_not_n_plus_one(engine: Engine) -> None:
    CallWriter(engine).write([make_call(f"{i:08x}-0000-5000-8000-000000000000") for i in range(40)])
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert len(list(iter_documents(engine, chunk=20))) == 40
    finally:
        event.remove(engine, "before_cursor_execute", record)
    # Pages of calls (20, 20, empty, and the empty page of undated calls) and one query per
    # child table per non-empty page: 4 + 2 * 5, whatever the number of calls.
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 4 + 2 * len(CHILD_TABLES)


def test_times_round_trip_exactly(engine: Engine, db_url: str) -> None:
    call = make_call(CID)
    call.legs[0].created_at = 1795463070.000001
    call.legs[0].ended_at = 1795463070.999999
    call.attempts[0].began_at = 1795463070.1234565  # sub-microsecond: rounds like iso() does
    CallWriter(engine).write([call])
    stored = load_call(engine, CID)
    assert stored is not None
    assert stored.legs[0].created_at == 1795463070.000001
    assert stored.legs[0].ended_at == 1795463070.999999
    assert stored.started_at == T0
    assert load_document(engine, CID) == to_document(call)

    # The raw values: naive UTC on SQLite, aware on PostgreSQL, the same instant either way.
    with engine.connect() as conn:
        raw = conn.execute(text("SELECT started_at FROM calls")).scalar()
    if isinstance(raw, str):  # SQLite returns its text form to textual SQL
        raw = datetime.fromisoformat(raw)
    if raw.tzinfo is None:
        raw = raw.replace(tzinfo=timezone.utc)
    assert raw == datetime(2026, 11, 23, 19, 44, 30, 781234, tzinfo=timezone.utc)
    assert raw.timestamp() == T0


def test_times_independent_of_session_time_zone(db_url: str) -> None:
    kw: dict[str, Any] = {}
    if db_url.startswith("postgresql"):
        kw["connect_args"] = {"options": "-c timezone=America/New_York"}
    elif db_url.startswith("mysql"):
        kw["connect_args"] = {"init_command": "SET time_zone = '-05:00'"}
    engine = open_engine(db_url, **kw)
    try:
        call = make_call(CID)
        CallWriter(engine).write([call])
        assert load_document(engine, CID) == to_document(call)
        assert [r["call_id"] for r in list_calls(engine, since=T0, until=T0 + 0.000001)] == [CID]
        assert list_calls(engine, since=T0 + 0.000001) == []
    finally:
        engine.dispose()


def test_batched_writes_and_rewrites(engine: Engine) -> None:
    """Speed is bench/'s business; here: batches and rewrites leave exactly one copy."""
    writer = CallWriter(engine)
    batch = [make_call(f"{i:08x}-0000-5000-8000-000000000000", start=T0 + i) for i in range(1000)]
    for i in range(0, 1000, 200):
        writer.write(batch[i : i + 200])
    writer.write(batch[:200])  # rewrites go through the delete path
    assert count_rows(engine)["legs"] == 6000
    assert count_rows(engine)["calls"] == 1000


@pytest.mark.parametrize("url", ["sqlite://"])
def test_open_engine_in_memory(url: str) -> None:
    engine = open_engine(url)
    assert set(inspect(engine).get_table_names()) == {t.name for t in metadata.sorted_tables}
    engine.dispose()

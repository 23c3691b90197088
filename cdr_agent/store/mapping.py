"""One mapping between the model classes and their tables, generated from both.

A table's column is filled from the attribute of the same name: a field, or a derived
property (`ring_s`); a `Party` field spreads over `<field>_num` and `<field>_name`; a list or
dict of words is JSON text. Columns the object has no attribute for (`call_id`, a position
`seq`, a leg's `server`) come from where it sits in the call. A call's lists of model objects
go to the table of the same name; `conferences` is the one grouped list (one row per member,
in `conference_members`). Reading back inverts this field by field, so a field added to a
model class needs one column in tables.py and nothing else.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import fields, is_dataclass
from functools import cache
from typing import Any, get_args, get_origin, get_type_hints

from sqlalchemy import Table
from sqlalchemy.engine import Row as DbRow

from ..calltree.model import Call, Conference, ConferenceMember, Party
from .tables import calls, conference_members, metadata

Row = dict[str, Any]
Getter = Callable[[Any, Row], Any]
_GROUPED = "conferences"  # Call.conferences: stored as the rows of its members


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def _is_json(hint: Any) -> bool:
    return get_origin(hint) in (list, dict) and not any(is_dataclass(a) for a in get_args(hint))


def _item_class(hint: Any) -> type | None:
    """The model class of a `list[Model]` field, else None."""
    args = get_args(hint)
    return args[0] if get_origin(hint) is list and args and is_dataclass(args[0]) else None


@cache
def _child_lists() -> dict[str, type]:
    """Fields of `Call` that are lists of model objects -> the class of their items."""
    return {name: item for name, hint in _hints(Call).items() if (item := _item_class(hint)) is not None}


def _getter(cls: type, column: str) -> Getter:
    hints = _hints(cls)
    if isinstance(getattr(cls, column, None), property) or (column in hints and not _is_json(hints[column])):
        return lambda obj, _ctx: getattr(obj, column)
    if column in hints:
        return lambda obj, _ctx: _json(getattr(obj, column))
    owner, _, part = column.rpartition("_")
    if hints.get(owner) is Party and part in ("num", "name"):
        return lambda obj, _ctx: getattr(getattr(obj, owner), part)
    return lambda _obj, ctx: ctx[column]


@cache
def _getters(cls: type, table: Table) -> tuple[tuple[str, Getter], ...]:
    return tuple((column, _getter(cls, column)) for column in table.c.keys())


def to_row(obj: Any, table: Table, context: Row) -> Row:
    """The row of `obj` in `table`; `context` gives the columns `obj` has no attribute for."""
    return {column: get(obj, context) for column, get in _getters(type(obj), table)}


def tree_rows(call: Call) -> dict[str, list[Row]]:
    """The rows of one call's tree, keyed by table name."""
    here = {"call_id": call.call_id, "server": call.server}
    out = {calls.name: [to_row(call, calls, {})]}
    for name in _child_lists():
        if name == _GROUPED:
            out[conference_members.name] = _member_rows(call, here)
        else:
            table = metadata.tables[name]
            out[name] = [to_row(item, table, here | {"seq": i}) for i, item in enumerate(getattr(call, name))]
    return out


def _member_rows(call: Call, here: Row) -> list[Row]:
    """One row per conference member; an empty conference is one row without a leg, so it
    reads back too."""
    rows: list[Row] = []
    for conf in call.conferences:
        where = here | {f.name: getattr(conf, f.name) for f in fields(conf) if f.name != "members"}
        for member in conf.members or [None]:
            context = where | {"seq": len(rows)}
            if member is None:
                rows.append({column: context.get(column) for column in conference_members.c.keys()})
            else:
                rows.append(to_row(member, conference_members, context))
    return rows


def from_row(cls: type, row: DbRow[Any], **lists: Any) -> Any:
    """An object of `cls` from its row; `lists` gives its lists of model objects."""
    values = row._mapping
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        hint = _hints(cls)[f.name]
        if f.name in lists:
            kwargs[f.name] = lists[f.name]
        elif hint is Party:
            kwargs[f.name] = Party(values[f"{f.name}_num"], values[f"{f.name}_name"])
        elif _is_json(hint):
            kwargs[f.name] = json.loads(values[f.name])
        else:
            kwargs[f.name] = bool(values[f.name]) if hint is bool else values[f.name]
    return cls(**kwargs)


def _derived_columns(name: str) -> tuple[str, ...]:
    """Columns of a call's list `name` that store a derived property (`ring_s`, `wait_s`)."""
    item = _child_lists()[name]
    return tuple(c for c in metadata.tables[name].c.keys() if isinstance(getattr(item, c, None), property))


def assemble(row: DbRow[Any], children: dict[str, Sequence[DbRow[Any]]]) -> tuple[Call, dict[str, list[Row]]]:
    """A `Call` from its row and its children's rows (by table name), with the derived
    values as stored (by list name, one dict per item)."""
    lists: dict[str, Any] = {}
    stored: dict[str, list[Row]] = {}
    for name, item in _child_lists().items():
        if name == _GROUPED:
            lists[name] = _conferences(children[conference_members.name])
            continue
        rows = children[name]
        lists[name] = [from_row(item, r) for r in rows]
        derived = _derived_columns(name)
        if derived:
            stored[name] = [{c: r._mapping[c] for c in derived} for r in rows]
    return from_row(Call, row, **lists), stored


def _conferences(rows: Sequence[DbRow[Any]]) -> list[Conference]:
    rooms: dict[tuple[str, str], Conference] = {}
    for r in rows:
        conf = rooms.get((r.room, r.bridge_id))
        if conf is None:
            conf = rooms[(r.room, r.bridge_id)] = from_row(Conference, r, members=[])
        if r.leg is not None:
            conf.members.append(from_row(ConferenceMember, r))
    return list(rooms.values())

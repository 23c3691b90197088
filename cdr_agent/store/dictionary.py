"""docs/schema.md, the data dictionary, generated from the models' comments and the views.

    python -m cdr_agent.store.dictionary --write   # regenerate docs/schema.md
    python -m cdr_agent.store.dictionary --check   # exit 1 when it is out of date

tests/test_dictionary.py fails when the file drifts or a column has no comment.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional

from sqlalchemy import Boolean, Column, Double, Integer, String, Table, Text
from sqlalchemy.types import TypeEngine

from . import metadata
from .sqlviews import VIEWS
from .tables import UTCDateTime

DOC = Path(__file__).resolve().parents[2] / "docs" / "schema.md"

_INTRO = """\
# cdr-agent schema: the data dictionary

Generated from the table models (`cdr_agent/store/tables.py`, `stats_tables.py`,
`agi_tables.py`), their comments (`cdr_agent/store/comments.py`) and the reporting views
(`cdr_agent/store/sqlviews.py`) by `python -m cdr_agent.store.dictionary --write`; do not edit.
The same comments are in the database itself (`COMMENT ON` on PostgreSQL, `COMMENT` on
MySQL/MariaDB).

**Units.** Every time is UTC (PostgreSQL: `timestamptz`; SQLite and MySQL/MariaDB: a
timestamp without time zone that holds UTC). Every duration is in seconds (`*_s`, a float with
milliseconds; `cdr_fixed.duration`/`billsec` whole seconds, as Asterisk writes them).

**Ids.** `call_id` and `leg_id` are UUIDs unique across servers; Asterisk's own `uniqueid`
(in `legs`) is unique on one server only.

**How the tables join.**
- `calls` 1—n `legs`, `attempts`, `transfers`, `conference_members`, `apps` on `call_id`
  (deleting a call deletes its rows).
- `attempts.from_leg`, `to_leg`, `hop_leg`; `transfers.transferer_leg`, `transferee_leg`,
  `target_leg`; `conference_members.leg`; `apps.leg` → `legs.leg_id` (no foreign key: the
  leg may belong to another call, e.g. a parked caller retrieved).
- `attempts.app_id` → `apps.app_id` (same `call_id`): the queue or ring group that rang.
- `stat_queue_calls`, `stat_agent_calls` → `calls` on `call_id` and `apps` on
  (`call_id`, `app_id`); the hourly tables add them up by (`hour`, `server`, `queue`[, `agent`]).
- `stat_agent_sessions` stands alone (agent presence is not part of a call).

**The public SQL interface** is the views at the end: their names and columns keep their
meaning across versions (columns may be added at the end), like the JSON call document. The
tables may change with a numbered migration (`schema/migrations/`).
"""


def type_name(column: Column[object]) -> str:
    t: TypeEngine[object] = column.type
    if isinstance(t, UTCDateTime):
        return "timestamp (UTC)"
    if isinstance(t, Boolean):
        return "boolean"
    if isinstance(t, Double):
        return "float (seconds)" if column.name.endswith("_s") else "float"
    if isinstance(t, Integer):
        return "integer"
    if isinstance(t, String) and not isinstance(t, Text) and t.length:
        return f"varchar({t.length})"
    return "text"


def _cell(text: Optional[str]) -> str:
    return (text or "").replace("|", "\\|")


def _table(table: Table) -> list[str]:
    pk = [c.name for c in table.primary_key.columns]
    lines = [f"## `{table.name}`", "", _cell(table.comment), "",
             f"Primary key: ({', '.join(f'`{n}`' for n in pk)}).", ""]
    fks = sorted(f"`{fk.parent.name}` → `{fk.column.table.name}.{fk.column.name}`" for fk in table.foreign_keys)
    if fks:
        lines += [f"Foreign keys: {', '.join(fks)}.", ""]
    indexes = sorted(table.indexes, key=lambda i: i.name or "")
    if indexes:
        lines += ["Indexes: " + ", ".join(f"`{i.name}` ({', '.join(c.name for c in i.columns)})" for i in indexes) + ".", ""]
    lines += ["| column | type | null | meaning |", "|---|---|---|---|"]
    for c in table.columns:
        lines.append(f"| `{c.name}` | {type_name(c)} | {'yes' if c.nullable else 'no'} | {_cell(c.comment)} |")
    return lines + [""]


def render() -> str:
    parts = [_INTRO, "# Tables", ""]
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        parts += _table(table)
    parts += ["# Views (the public SQL interface)", ""]
    for view in VIEWS:
        parts += [f"## `{view.name}`", "", _cell(view.comment), "", "| column | meaning |", "|---|---|"]
        parts += [f"| `{c.name}` | {_cell(c.comment)} |" for c in view.columns]
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"regenerate {DOC}")
    parser.add_argument("--check", action="store_true", help="exit 1 if it is out of date")
    args = parser.parse_args(argv)
    if args.write:
        DOC.parent.mkdir(parents=True, exist_ok=True)
        DOC.write_text(render(), encoding="utf-8")
        print(DOC)
    elif args.check:
        if not DOC.is_file() or DOC.read_text(encoding="utf-8") != render():
            print(f"{DOC} is out of date: run python -m cdr_agent.store.dictionary --write", file=sys.stderr)
            return 1
    else:
        sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""DDL per dialect, generated from `tables.py`, for DBAs who create the schema by hand.

`schema/<dialect>.sql` are committed copies of `render()`; a test fails when they drift.
Regenerate with `python -m cdr_agent.store.schema --write`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional

from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.schema import ExecutableDDLElement
from sqlalchemy.schema import CreateIndex, CreateTable, SetColumnComment, SetTableComment

from .sqlviews import VIEWS, CreateView
from .tables import metadata

DIALECTS: dict[str, type[Dialect]] = {
    "sqlite": sqlite.dialect,
    "postgresql": postgresql.dialect,
    "mysql": mysql.dialect,
}
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schema"


def render(dialect_name: str) -> str:
    """The CREATE TABLE / CREATE INDEX / COMMENT / CREATE VIEW script for one dialect."""
    dialect = DIALECTS[dialect_name]()
    parts = [
        f"-- cdr-agent schema for {dialect_name}.\n"
        "-- Generated from cdr_agent/store/tables.py by "
        "`python -m cdr_agent.store.schema --write`; do not edit."
    ]
    for table in metadata.sorted_tables:
        parts.append(str(CreateTable(table).compile(dialect=dialect)).strip() + ";")
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            parts.append(str(CreateIndex(index).compile(dialect=dialect)).strip() + ";")
        parts += [str(ddl.compile(dialect=dialect)).strip() + ";" for ddl in comment_ddl(table, dialect)]
    parts += [str(CreateView(view).compile(dialect=dialect)).strip() + ";" for view in VIEWS]
    text = "\n\n".join(parts)
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def comment_ddl(table: Table, dialect: Dialect) -> list[ExecutableDDLElement]:
    """COMMENT ON statements where the dialect writes comments apart from CREATE TABLE
    (PostgreSQL); MySQL has them inline, SQLite none."""
    if not dialect.supports_comments or dialect.inline_comments:
        return []
    found: list[ExecutableDDLElement] = [SetTableComment(table)] if table.comment else []
    return found + [SetColumnComment(c) for c in table.columns if c.comment]


def statements(script: str) -> list[str]:
    """Split a rendered script into statements (the DDL holds no `;` in literals)."""
    body = "\n".join(line for line in script.splitlines() if not line.startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]


def path_for(dialect_name: str, directory: Path = SCHEMA_DIR) -> Path:
    return directory / f"{dialect_name}.sql"


def _read(path: Path) -> Optional[str]:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def write(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in DIALECTS:
        path = path_for(name, directory)
        path.write_text(render(name), encoding="utf-8")
        written.append(path)
    return written


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"regenerate {SCHEMA_DIR}/*.sql")
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is out of date")
    parser.add_argument("dialect", nargs="?", choices=sorted(DIALECTS), help="print this DDL")
    args = parser.parse_args(argv)
    if args.write:
        for path in write():
            print(path)
    if args.check:
        stale = [n for n in DIALECTS if _read(path_for(n)) != render(n)]
        for name in stale:
            print(f"{path_for(name)} is out of date", file=sys.stderr)
        return 1 if stale else 0
    if args.dialect:
        sys.stdout.write(render(args.dialect))
    elif not args.write:
        parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())

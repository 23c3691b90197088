"""Write schema/migrations/0006_comments_and_views.<dialect>.sql from the current models.

Migration 0006 states the comment of every table and column (MySQL restates each column
with MODIFY COLUMN) and creates the reporting views. Run this again when a branch merged with
it adds columns in an earlier-numbered migration, so 0006 comments them too; the migration
test (tests/test_schema.py) fails until it is.

    .venv/bin/python scripts/migration_0006.py
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import String  # noqa: E402
from sqlalchemy.dialects import mysql, postgresql, sqlite  # noqa: E402
from sqlalchemy.engine import Dialect  # noqa: E402

from cdr_agent.store import metadata  # noqa: E402
from cdr_agent.store.schema import SCHEMA_DIR, comment_ddl  # noqa: E402
from cdr_agent.store.sqlviews import VIEWS, CreateView  # noqa: E402

VIEW_NAMES = ", ".join(v.name for v in VIEWS)
HEAD = {
    "sqlite": f"-- 0006: the reporting views ({VIEW_NAMES}).\n-- SQLite keeps no comments.",
    "postgresql": f"-- 0006: the data dictionary as COMMENT ON every table and column, and the reporting views\n"
                  f"-- ({VIEW_NAMES}).",
    "mysql": "-- 0006: the data dictionary as COMMENT on every table and column (MODIFY restates each column\n"
             f"-- unchanged, with its comment), and the reporting views\n-- ({VIEW_NAMES}).",
}


def _mysql_comments(d: Dialect) -> list[str]:
    compiler = d.ddl_compiler(d, None)
    out = []
    for t in metadata.sorted_tables:
        name = d.identifier_preparer.format_table(t)
        out.append(f"ALTER TABLE {name} COMMENT = {compiler.sql_compiler.render_literal_value(t.comment, String())};")
        specs = ",\n    ".join(f"MODIFY COLUMN {compiler.get_column_specification(c)}" for c in t.columns)
        out.append(f"ALTER TABLE {name}\n    {specs};")
    return out


def script(name: str, d: Dialect) -> str:
    parts = [HEAD[name]]
    if name == "postgresql":
        parts += [str(x.compile(dialect=d)).strip() + ";" for t in metadata.sorted_tables for x in comment_ddl(t, d)]
    elif name == "mysql":
        parts += _mysql_comments(d)
    parts += [str(CreateView(v).compile(dialect=d)).strip() + ";" for v in VIEWS]
    return "\n".join(line.rstrip() for line in "\n\n".join(parts).splitlines()) + "\n"


def main() -> None:
    for name, dialect in (("sqlite", sqlite.dialect()), ("postgresql", postgresql.dialect()),
                          ("mysql", mysql.dialect())):
        path = SCHEMA_DIR / "migrations" / f"0006_comments_and_views.{name}.sql"
        path.write_text(script(name, dialect), encoding="utf-8")
        print(path)


if __name__ == "__main__":
    main()

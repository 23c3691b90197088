"""The data dictionary: every table and column has a comment, docs/schema.md is generated from
them and current, and the comments reach the database (PostgreSQL, MariaDB)."""
from __future__ import annotations

from sqlalchemy import Engine, inspect

from cdr_agent.store import metadata
from cdr_agent.store.comments import TABLES
from cdr_agent.store.dictionary import DOC, main, render
from cdr_agent.store.sqlviews import VIEWS


def test_every_table_and_column_has_a_comment() -> None:
    missing = [f"{t.name}.{c.name}" for t in metadata.sorted_tables for c in t.columns if not (c.comment or "").strip()]
    missing += [t.name for t in metadata.sorted_tables if not (t.comment or "").strip()]
    assert not missing, f"add to cdr_agent/store/comments.py: {missing}"
    # ... and no comment names a column that no longer exists.
    stale = [f"{name}.{col}" for name, (_, cols) in TABLES.items() for col in cols
             if name not in metadata.tables or col not in metadata.tables[name].c]
    assert not stale, stale
    assert all(c.comment for v in VIEWS for c in v.columns)


def test_schema_md_is_current() -> None:
    assert DOC.is_file() and DOC.read_text(encoding="utf-8") == render(), \
        "docs/schema.md is out of date: run python -m cdr_agent.store.dictionary --write"
    assert main(["--check"]) == 0
    text = DOC.read_text(encoding="utf-8")
    for table in metadata.sorted_tables:
        assert f"## `{table.name}`" in text
        for column in table.columns:
            assert f"| `{column.name}` |" in text
    for view in VIEWS:
        assert f"## `{view.name}`" in text


def test_check_fails_when_it_drifts(tmp_path, monkeypatch) -> None:
    import cdr_agent.store.dictionary as dictionary

    stale = tmp_path / "schema.md"
    stale.write_text(render().replace("UTC", "local time", 1), encoding="utf-8")
    monkeypatch.setattr(dictionary, "DOC", stale)
    assert main(["--check"]) == 1


def test_comments_are_in_the_database(engine: Engine) -> None:
    insp = inspect(engine)
    if engine.dialect.name == "sqlite":  # SQLite keeps no comments
        return
    for table in metadata.sorted_tables:
        assert insp.get_table_comment(table.name)["text"] == table.comment
        got = {c["name"]: c.get("comment") for c in insp.get_columns(table.name)}
        assert got == {c.name: c.comment for c in table.columns}, table.name

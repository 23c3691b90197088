"""The committed DDL files match the models and create a working schema."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import Connection

from cdr_agent.calltree.document import to_document
from cdr_agent.store import CallWriter, load_document, open_engine
from cdr_agent.store.schema import DIALECTS, SCHEMA_DIR, main, path_for, render, statements
from cdr_agent.store.sqlviews import VIEWS
from cdr_agent.store.tables import metadata

from test_store import CID, make_call

MIGRATIONS = SCHEMA_DIR / "migrations"


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_committed_ddl_matches_models(dialect: str) -> None:
    path = path_for(dialect)
    assert path.is_file(), f"{path} is missing: run python -m cdr_agent.store.schema --write"
    assert path.read_text(encoding="utf-8") == render(dialect), (
        f"{path} is out of date: run python -m cdr_agent.store.schema --write"
    )


def test_check_command() -> None:
    assert main(["--check"]) == 0


def test_mysql_ddl_keeps_microseconds_and_emoji() -> None:
    ddl = render("mysql")
    assert "DATETIME(6)" in ddl and "CHARSET=utf8mb4" in ddl
    assert "caller_num(64)" in ddl  # TEXT indexes need a prefix length on MySQL


def test_ddl_file_creates_working_schema(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            _run_script(conn, path_for(engine.dialect.name))
        insp = inspect(engine)
        assert set(insp.get_table_names()) == set(metadata.tables)
        for table in metadata.sorted_tables:
            assert [c["name"] for c in insp.get_columns(table.name)] == list(table.c.keys())
            assert {i["name"] for i in insp.get_indexes(table.name)} >= {i.name for i in table.indexes}
        assert set(insp.get_view_names()) == {v.name for v in VIEWS}
    finally:
        engine.dispose()

    # The store works on a schema created by hand from the file.
    store = open_engine(db_url, create=False)
    try:
        call = make_call(CID)
        CallWriter(store).write([call])
        assert load_document(store, CID) == to_document(call)
    finally:
        store.dispose()


def _run_script(conn: Connection, path: Path) -> None:
    for stmt in statements(path.read_text(encoding="utf-8")):
        conn.exec_driver_sql(stmt)


def test_migrations_bring_the_initial_schema_to_the_models(db_url: str) -> None:
    """0001 then every numbered migration, in order, gives the tables and indexes of today's
    models, so a database created by the first release can be brought up to date."""
    engine = create_engine(db_url)
    name = engine.dialect.name
    migrations = sorted(MIGRATIONS.glob(f"0*.{name}.sql"))
    assert migrations[0].name == f"0001_initial.{name}.sql" and len(migrations) >= 2
    try:
        with engine.begin() as conn:
            for path in migrations:
                _run_script(conn, path)
        insp = inspect(engine)
        assert set(insp.get_table_names()) == set(metadata.tables)
        for table in metadata.sorted_tables:
            assert [c["name"] for c in insp.get_columns(table.name)] == list(table.c.keys()), table.name
            assert {i["name"] for i in insp.get_indexes(table.name)} == {i.name for i in table.indexes}, table.name
            if name != "sqlite":  # the data dictionary (0006); SQLite keeps no comments
                assert insp.get_table_comment(table.name)["text"] == table.comment, table.name
                assert {c["name"]: c.get("comment") for c in insp.get_columns(table.name)} == \
                    {c.name: c.comment for c in table.columns}, table.name
        assert set(insp.get_view_names()) == {v.name for v in VIEWS}
        with engine.connect() as conn:  # the views work on the migrated tables
            for view in VIEWS:
                conn.execute(select(func.count()).select_from(text(view.name))).scalar_one()
    finally:
        engine.dispose()

"""`cdr-agent db grant-readonly`: the role reads every table and view and can change nothing."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import DBAPIError

from cdr_agent.cli import main
from cdr_agent.store import CallWriter, open_engine
from test_store import CID, make_call

PASSWORD = "ro-secret"


def _role_statements(dialect: str, role: str) -> tuple[list[str], list[str]]:
    """(create the role, drop it again): roles outlive the test database."""
    if dialect == "postgresql":
        return ([f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'"],
                [f"DROP OWNED BY {role}", f"DROP ROLE {role}"])
    return ([f"CREATE USER '{role}'@'%' IDENTIFIED BY '{PASSWORD}'"], [f"DROP USER '{role}'@'%'"])


def test_grant_readonly(db_url: str, capsys) -> None:
    store = open_engine(db_url)
    CallWriter(store).write([make_call(CID)])
    dialect = store.dialect.name
    if dialect == "sqlite":
        store.dispose()
        assert main(["db", "grant-readonly", "reporter", "--db", db_url]) == 2
        err = capsys.readouterr().err.strip()
        assert "SQLite has no roles" in err and len(err.splitlines()) == 1
        return
    role = f"cdr_ro_{uuid.uuid4().hex[:8]}"
    create, drop = _role_statements(dialect, role)
    with store.begin() as conn:
        for s in create:
            conn.execute(text(s))
    reader = create_engine(make_url(db_url).set(username=role, password=PASSWORD))
    try:
        assert main(["db", "grant-readonly", role, "--db", db_url]) == 0
        assert "SELECT" in capsys.readouterr().out
        with reader.connect() as conn:
            assert conn.scalar(text("SELECT COUNT(*) FROM calls")) == 1
            assert conn.scalar(text("SELECT COUNT(*) FROM cdr_fixed")) >= 1
            assert conn.scalar(text("SELECT COUNT(*) FROM report_calls")) == 1
            assert conn.scalar(text("SELECT COUNT(*) FROM stat_queue_hourly")) == 0
        for statement in (
            "INSERT INTO stat_fill_hours (hour, queue_visits, filled_at) VALUES ('2026-01-01 00:00:00', 0, '2026-01-01 00:00:00')",
            f"UPDATE calls SET status = 'complete' WHERE call_id = '{CID}'",
            "DELETE FROM calls",
            "CREATE TABLE mine (x INTEGER)",
            "CREATE VIEW mine AS SELECT 1 AS x",
            "DROP VIEW cdr_fixed",
        ):
            with reader.connect() as conn, pytest.raises(DBAPIError) as refused:
                conn.execute(text(statement))
                conn.commit()
            assert any(w in str(refused.value.orig).lower() for w in ("denied", "permission", "must be owner")), statement
        with store.connect() as conn:
            assert conn.scalar(text("SELECT COUNT(*) FROM calls")) == 1
    finally:
        reader.dispose()
        with store.begin() as conn:
            for s in drop:
                conn.execute(text(s))
        store.dispose()


def test_unknown_role_is_one_line(db_url: str, capsys) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite: refused before any role is looked up (test_grant_readonly)")
    open_engine(db_url).dispose()
    assert main(["db", "grant-readonly", "no_such_role_here", "--db", db_url]) == 2
    err = capsys.readouterr().err.strip()
    assert "create it first" in err and len(err.splitlines()) == 1
    assert main(["db", "grant-readonly", "x; DROP TABLE calls", "--db", db_url]) == 2
    assert "is not a role name" in capsys.readouterr().err

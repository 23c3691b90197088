"""Shared fixtures: a database URL per backend, each test starting from an empty database.

`db_url` runs a test on SQLite (a file in tmp_path), on PostgreSQL from `CDR_TEST_PG_URL`
(start one with `scripts/postgres.sh start`) and on MariaDB from `CDR_TEST_MARIADB_URL`
(`scripts/mariadb.sh start`). Without a variable that run is skipped, unless
`CDR_REQUIRE_PG=1` / `CDR_REQUIRE_MARIADB=1`, which make it fail instead (CI sets all four).
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from cdr_agent.store import open_engine

PG_ENV = "CDR_TEST_PG_URL"
REQUIRE_PG_ENV = "CDR_REQUIRE_PG"
MARIADB_ENV = "CDR_TEST_MARIADB_URL"
REQUIRE_MARIADB_ENV = "CDR_REQUIRE_MARIADB"


def _empty_postgres(url: str) -> None:
    """Drop everything in the `public` schema: a clean database in a few milliseconds."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def _empty_mariadb(url: str) -> None:
    """Drop and create the test database again: faster than dropping its tables one by one."""
    u = make_url(url)
    engine = create_engine(u.set(database=None))
    name = engine.dialect.identifier_preparer.quote(u.database or "")
    try:
        with engine.begin() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
    finally:
        engine.dispose()


def _url_or_skip(env: str, require_env: str, script: str) -> str:
    url = os.environ.get(env)
    if url:
        return url
    reason = f"{env} is not set (export {env}=$(scripts/{script} start))"
    if os.environ.get(require_env) == "1":
        pytest.fail(f"{require_env}=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def pg_url_or_skip() -> str:
    """The test PostgreSQL URL; skips (or fails under CDR_REQUIRE_PG=1) when it is unset."""
    return _url_or_skip(PG_ENV, REQUIRE_PG_ENV, "postgres.sh")


def mariadb_url_or_skip() -> str:
    """The test MariaDB URL; skips (or fails under CDR_REQUIRE_MARIADB=1) when it is unset."""
    return _url_or_skip(MARIADB_ENV, REQUIRE_MARIADB_ENV, "mariadb.sh")


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an empty database (no tables) on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cdr.sqlite'}"
    if request.param == "mariadb":
        url = mariadb_url_or_skip()
        _empty_mariadb(url)
        return url
    url = pg_url_or_skip()
    _empty_postgres(url)
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """`open_engine(db_url)`: the store's tables created, disposed after the test."""
    eng = open_engine(db_url)
    try:
        yield eng
    finally:
        eng.dispose()

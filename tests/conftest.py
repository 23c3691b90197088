"""Shared fixtures: a database URL per backend, each test starting from an empty database.

`db_url` runs a test on SQLite (a file in tmp_path) and on PostgreSQL from `CDR_TEST_PG_URL`
(start one with `scripts/postgres.sh start`). Without that variable the PostgreSQL run is
skipped, unless `CDR_REQUIRE_PG=1`, which makes it fail instead (CI sets both).
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from cdr_agent.store import open_engine

PG_ENV = "CDR_TEST_PG_URL"
REQUIRE_PG_ENV = "CDR_REQUIRE_PG"


def _empty_postgres(url: str) -> None:
    """Drop everything in the `public` schema: a clean database in a few milliseconds."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def pg_url_or_skip() -> str:
    """The test PostgreSQL URL; skips (or fails under CDR_REQUIRE_PG=1) when it is unset."""
    url = os.environ.get(PG_ENV)
    if url:
        return url
    reason = f"{PG_ENV} is not set (export {PG_ENV}=$(scripts/postgres.sh start))"
    if os.environ.get(REQUIRE_PG_ENV) == "1":
        pytest.fail(f"{REQUIRE_PG_ENV}=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an empty database (no tables) on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cdr.sqlite'}"
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

"""Opening the database: `open_engine` for writers, `open_reader` for the read-only commands.

A writer creates the tables that are missing; a reader never creates anything (no tables,
and on SQLite no database file: a mistyped path is an error, not a new empty database).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url

from .tables import metadata

DEFAULT_URL = "sqlite:///cdr.sqlite"


class StoreError(Exception):
    """The database cannot be opened as asked; the message is one line for a user."""


def open_engine(url: str = DEFAULT_URL, *, create: bool = True, **engine_kw: Any) -> Engine:
    """Create an Engine for `url` and (by default) the tables that are missing.

    SQLite gets WAL (readers never block the writer), `synchronous=NORMAL`, enforced foreign
    keys and real transactions for reads too; MySQL gets `charset=utf8mb4` unless the URL
    names a charset, so emoji in caller names survive.
    """
    engine = _engine(_with_charset(make_url(url)), engine_kw)
    if create:
        metadata.create_all(engine)
    return engine


def open_reader(url: str = DEFAULT_URL, **engine_kw: Any) -> Engine:
    """An Engine for reading: creates no table, and opens an SQLite file read-only (a
    missing file raises `StoreError` instead of becoming an empty database)."""
    u = _with_charset(make_url(url))
    if u.get_backend_name() == "sqlite":
        u = _sqlite_read_only(u)
    return _engine(u, engine_kw)


def _with_charset(u: URL) -> URL:
    if u.get_backend_name() in ("mysql", "mariadb") and "charset" not in u.query:
        return u.update_query_dict({"charset": "utf8mb4"})
    return u


def _sqlite_read_only(u: URL) -> URL:
    """`file:PATH?mode=ro` as an SQLite URI; an in-memory database has nothing to protect."""
    path = u.database or ""
    if path in ("", ":memory:") or path.startswith("file:"):
        return u
    if not Path(path).is_file():
        raise StoreError(f"no database at {path}")
    return u.set(database=f"file:{Path(path).resolve()}?mode=ro").update_query_dict({"uri": "true"})


def _engine(u: URL, engine_kw: dict[str, Any]) -> Engine:
    engine = create_engine(u, **engine_kw)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module: it would not begin one for
        # SELECTs, so a multi-query read (a call and its legs) could see two states.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")

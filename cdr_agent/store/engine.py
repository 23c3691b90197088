"""Opening the database: `open_engine` for writers, `open_reader` for the read-only commands.

A writer creates the tables that are missing; a reader never creates anything (no tables,
and on SQLite no database file: a mistyped path is an error, not a new empty database).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from .tables import metadata

DEFAULT_URL = "sqlite:///cdr.sqlite"


class StoreError(Exception):
    """The database cannot be opened as asked; the message is one line for a user."""


def safe_url(url: str) -> str:
    """`url` for messages and logs: its password masked (text that is no URL, quoted)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return repr(url)


def database_problem(exc: BaseException, url: Optional[str]) -> Optional[str]:
    """One line for a user when `exc` says the database at `url` cannot be used (the
    driver's first line: refused, unknown host, no such database, bad password); None when
    `exc` is no database problem. Programs call it at their edge, once for every command."""
    if isinstance(exc, StoreError):
        return str(exc)
    if not isinstance(exc, DBAPIError) or url is None:
        return None
    detail = next((line.strip() for line in str(exc.orig).splitlines() if line.strip()), type(exc.orig).__name__)
    return f"database {safe_url(url)}: {detail}"


def check_url(url: str) -> URL:
    """The parsed URL, its dialect and driver loaded; StoreError says what is wrong with it."""
    try:
        u = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"database {safe_url(url)}: not a database URL"
                         " (e.g. sqlite:///cdr.sqlite, postgresql+psycopg://user@host/db)") from exc
    try:
        u.get_dialect().import_dbapi()
    except ArgumentError as exc:  # NoSuchModuleError: an unknown scheme
        raise StoreError(f"database {safe_url(url)}: unknown kind of database {u.drivername!r}"
                         " (sqlite, postgresql+psycopg, mysql+pymysql)") from exc
    except ImportError as exc:
        raise StoreError(f"database {safe_url(url)}: its driver is not installed ({exc.name or exc})") from exc
    if u.get_backend_name() == "sqlite" and u.database not in (None, "", ":memory:") \
            and not u.database.startswith("file:") and not Path(u.database).resolve().parent.is_dir():
        raise StoreError(f"database {safe_url(url)}: no folder {Path(u.database).resolve().parent}")
    return u


def open_engine(url: str = DEFAULT_URL, *, create: bool = True, **engine_kw: Any) -> Engine:
    """Create an Engine for `url` and (by default) the tables that are missing.

    SQLite gets WAL (readers never block the writer), `synchronous=NORMAL`, enforced foreign
    keys and real transactions for reads too; MySQL gets `charset=utf8mb4` unless the URL
    names a charset, so emoji in caller names survive.
    """
    engine = _engine(_with_charset(check_url(url)), engine_kw)
    if create:
        metadata.create_all(engine)
    return engine


def open_reader(url: str = DEFAULT_URL, **engine_kw: Any) -> Engine:
    """An Engine for reading: creates no table, and opens an SQLite file read-only (a
    missing file raises `StoreError` instead of becoming an empty database)."""
    u = _with_charset(check_url(url))
    if u.get_backend_name() == "sqlite":
        u = _sqlite_read_only(u, url)
    return _engine(u, engine_kw)


def try_database(url: str, timeout: float = 5.0) -> str:
    """Can a writer use the database at `url`? What was found, as one line; StoreError when
    it cannot. SQLite: its folder must be writable (the file may not exist yet); servers: a
    connection within `timeout` seconds."""
    u = check_url(url)
    if u.get_backend_name() == "sqlite":
        folder = Path(u.database or ".").resolve().parent
        if not os.access(folder, os.W_OK):
            raise StoreError(f"database {safe_url(url)}: cannot write in {folder}")
        return f"SQLite in {folder} (writable)"
    engine = create_engine(_with_charset(u), connect_args={"connect_timeout": max(1, int(timeout))})
    try:
        with engine.connect() as conn:
            version = conn.dialect.server_version_info
    except DBAPIError as exc:
        raise StoreError(database_problem(exc, url)) from exc
    finally:
        engine.dispose()
    return f"connected ({u.get_backend_name()} {'.'.join(map(str, version or ()))})"


def require_tables(engine: Engine, url: str, *names: str) -> None:
    """A reader's precondition: StoreError when the database lacks one of these tables (a
    database nothing was stored in, or another application's)."""
    with engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
    missing = [n for n in names if n not in present]
    if missing:
        raise StoreError(f"database {safe_url(url)}: no table {missing[0]} (nothing stored there by cdr-agent yet?)")


def _with_charset(u: URL) -> URL:
    if u.get_backend_name() in ("mysql", "mariadb") and "charset" not in u.query:
        return u.update_query_dict({"charset": "utf8mb4"})
    return u


def _sqlite_read_only(u: URL, url: str) -> URL:
    """`file:PATH?mode=ro` as an SQLite URI; an in-memory database has nothing to protect."""
    path = u.database or ""
    if path in ("", ":memory:") or path.startswith("file:"):
        return u
    if not Path(path).is_file():
        raise StoreError(f"database {safe_url(url)}: no such file {Path(path).resolve()} (read-only commands create none)")
    if Path(path).stat().st_size == 0:
        raise StoreError(f"database {safe_url(url)}: an empty file (nothing stored there by cdr-agent yet?)")
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

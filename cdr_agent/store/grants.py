"""A read-only database role for reporting tools (Grafana, Metabase, spreadsheets over ODBC).

`grant_readonly` gives an existing role SELECT on every table and view of the store and
nothing else: PostgreSQL also gets default privileges, so a table a later version adds is
readable too; MySQL/MariaDB grant SELECT on the whole database, which covers later tables by
itself. SQLite has no roles (protect the file instead). Role names are checked and quoted by
the dialect, never pasted into SQL as given.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from .engine import StoreError, check_url, open_reader, safe_url

# PostgreSQL role / MySQL user names: letters, digits, _ $ - ; MySQL hosts add . % : for
# addresses and wildcards.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$-]{0,62}")
_HOST = re.compile(r"[A-Za-z0-9_.%:-]{1,255}")


@dataclass(frozen=True)
class Grant:
    role: str
    done: list[str]  # what was granted, one line each, for the operator


def grant_readonly(url: str, role: str) -> Grant:
    """Grant `role` read access to the store at `url` (see the module's text); StoreError with
    one line when the database cannot have roles, the name is not one, or the role does not
    exist."""
    if _backend(url) == "sqlite":
        raise StoreError("grant-readonly: SQLite has no roles; give the reporting tool read access to the"
                         " database file instead (file permissions, or open it with ?mode=ro)")
    engine = open_reader(url)
    try:
        if engine.dialect.name == "postgresql":
            return _postgresql(engine, role)
        return _mysql(engine, role)
    finally:
        engine.dispose()


def _backend(url: str) -> str:
    try:
        return make_url(url).get_backend_name()
    except ArgumentError:
        return check_url(url).get_backend_name()  # raises StoreError saying what is wrong


def _checked(role: str) -> str:
    if not _NAME.fullmatch(role):
        raise StoreError(f"grant-readonly: {role!r} is not a role name (letters, digits, _ $ -)")
    return role


def _postgresql(engine: Engine, role: str) -> Grant:
    q = engine.dialect.identifier_preparer.quote
    with engine.begin() as conn:
        if conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": _checked(role)}) is None:
            raise StoreError(f"grant-readonly: no role {role} in {safe_url(str(engine.url))}: create it first"
                             f" (CREATE ROLE {role} LOGIN PASSWORD '...')")
        database, schema = conn.execute(text("SELECT current_database(), current_schema()")).one()
        r, d, s = q(role), q(database), q(schema)
        done = [
            f"GRANT CONNECT ON DATABASE {d} TO {r}",
            f"GRANT USAGE ON SCHEMA {s} TO {r}",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {r}",  # views too
            # Tables a later version creates (as this user, the store's owner) are readable too.
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT SELECT ON TABLES TO {r}",
        ]
        for statement in done:
            conn.exec_driver_sql(statement)
        if conn.scalar(text("SELECT has_schema_privilege(:r, :s, 'CREATE')"), {"r": role, "s": schema}):
            done.append(f"WARNING: {role} may still create tables in schema {schema} (granted to PUBLIC before"
                        f" PostgreSQL 15): REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC if nothing needs it")
    return Grant(role, done)


def _mysql(engine: Engine, role: str) -> Grant:
    user, _, host = role.partition("@")
    host = host or "%"
    if not _HOST.fullmatch(host):
        raise StoreError(f"grant-readonly: {host!r} is not a host for a MySQL user")
    database = engine.url.database
    if not database:
        raise StoreError("grant-readonly: the URL names no database")
    statement = f"GRANT SELECT ON {engine.dialect.identifier_preparer.quote(database)}.* TO :user@:host"
    try:
        with engine.begin() as conn:
            # The driver quotes user and host as string literals, as GRANT wants them.
            conn.execute(text(statement), {"user": _checked(user), "host": host})
    except DBAPIError as exc:
        if "1133" in str(exc.orig) or "matching row" in str(exc.orig).lower():
            raise StoreError(f"grant-readonly: no user '{user}'@'{host}': create it first"
                             f" (CREATE USER '{user}'@'{host}' IDENTIFIED BY '...')") from exc
        raise
    return Grant(role, [f"GRANT SELECT ON {database}.* TO '{user}'@'{host}' (tables and views, later ones too)"])

"""The few SQL expressions whose spelling differs between SQLite, PostgreSQL and MySQL/MariaDB,
as SQLAlchemy constructs, so the reporting views are defined once for every database.

Stored times are UTC everywhere (PostgreSQL `timestamptz`, naive UTC elsewhere): these
helpers keep them so.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Double, Integer, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlalchemy.types import DateTime

__all__ = ["seconds_between", "whole_seconds", "utc_wall", "asterisk_seconds"]


class seconds_between(FunctionElement[float]):  # noqa: N801 (an SQL function's name)
    """`end - start` in seconds (fractional); NULL when either is NULL."""

    type = Double()
    name = "seconds_between"
    inherit_cache = True


class whole_seconds(FunctionElement[int]):  # noqa: N801
    """A non-negative number of seconds cut to whole seconds, as Asterisk's CDR does
    (`duration`, `billsec`: the fraction is dropped, not rounded)."""

    type = Integer()
    name = "whole_seconds"
    inherit_cache = True


class utc_wall(FunctionElement[Any]):  # noqa: N801
    """A stored time as a time-zone-less UTC wall-clock value, as Asterisk writes `calldate`
    with `usegmtime=yes`: PostgreSQL's `timestamptz` would otherwise show in the session's
    zone; the other databases already store naive UTC."""

    type = DateTime()
    name = "utc_wall"
    inherit_cache = True


def _args(compiler: SQLCompiler, element: FunctionElement[Any], **kw: Any) -> list[str]:
    return [compiler.process(arg, **kw) for arg in element.clauses]


@compiles(seconds_between, "sqlite")
def _between_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = _args(compiler, element, **kw)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _between_pg(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = _args(compiler, element, **kw)
    return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS DOUBLE PRECISION)"


@compiles(seconds_between, "mysql")
@compiles(seconds_between, "mariadb")
def _between_mysql(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = _args(compiler, element, **kw)
    # 1E6, not 1000000.0: an exact literal would make the quotient a DECIMAL, a float literal
    # makes it DOUBLE like the other databases'.
    return f"(TIMESTAMPDIFF(MICROSECOND, {start}, {end}) / 1E6)"


@compiles(whole_seconds, "sqlite")
def _whole_sqlite(element: whole_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = _args(compiler, element, **kw)
    return f"CAST({value} AS INTEGER)"  # SQLite's CAST truncates


@compiles(whole_seconds)
def _whole(element: whole_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = _args(compiler, element, **kw)
    kind = "SIGNED" if compiler.dialect.name in ("mysql", "mariadb") else "INTEGER"
    return f"CAST(FLOOR({value}) AS {kind})"  # their CAST rounds


@compiles(utc_wall, "postgresql")
def _wall_pg(element: utc_wall, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = _args(compiler, element, **kw)
    return f"({value} AT TIME ZONE 'UTC')"


@compiles(utc_wall)
def _wall(element: utc_wall, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = _args(compiler, element, **kw)
    return value


def asterisk_seconds(value: ColumnElement[Any]) -> whole_seconds:
    """Seconds as Asterisk counts them, 0 when unknown (its columns are never NULL)."""
    return whole_seconds(func.coalesce(value, 0.0))

"""SQL expressions the statistics need that differ per database.

`hour_of(column)` truncates a UTC timestamp column to its hour, on the server, so hourly
rows can be built with INSERT ... SELECT and never travel through Python. Each dialect gets
a fixed expression: no value is ever put in the SQL text.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from ..store.tables import UTCDateTime

HOUR_S = 3600


class hour_of(FunctionElement[float]):
    """The UTC hour start of a timestamp column (same type as the column: UTCDateTime)."""

    type = UTCDateTime()
    name = "hour_of"
    inherit_cache = True


def _arg(element: hour_of, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    return compiler.process(column, **kw)


@compiles(hour_of, "sqlite")
def _hour_sqlite(element: hour_of, compiler: Any, **kw: Any) -> str:
    # Timestamps are stored as 'YYYY-MM-DD HH:MM:SS.ffffff' text in UTC: keep that format.
    return f"strftime('%Y-%m-%d %H:00:00.000000', {_arg(element, compiler, **kw)})"


@compiles(hour_of, "postgresql")
def _hour_postgresql(element: hour_of, compiler: Any, **kw: Any) -> str:
    # date_trunc on timestamptz would cut in the session's time zone (wrong in +05:30).
    return f"(date_trunc('hour', {_arg(element, compiler, **kw)} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"


@compiles(hour_of, "mysql")
@compiles(hour_of, "mariadb")
def _hour_mysql(element: hour_of, compiler: Any, **kw: Any) -> str:
    # DATETIME(6) holds naive UTC; no '%' in the SQL (the driver's paramstyle uses it).
    col = _arg(element, compiler, **kw)
    return f"TIMESTAMPADD(HOUR, TIMESTAMPDIFF(HOUR, '1970-01-01', {col}), '1970-01-01')"


def floor_hour(ts: float) -> float:
    return float(int(ts // HOUR_S) * HOUR_S)


def ceil_hour(ts: float) -> float:
    return float(-(-ts // HOUR_S) * HOUR_S)


def hours(lo: float, hi: float) -> list[float]:
    """Hour starts in [lo, hi) (both hour-aligned)."""
    return [float(h) for h in range(int(lo), int(hi), HOUR_S)]

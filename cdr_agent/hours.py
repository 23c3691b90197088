"""Hour arithmetic on epoch seconds (UTC): the statistics' unit of time.

Per-call rows carry their hours as computed here when the call is written, so no statement
needs a database's own date functions to group by hour.
"""
from __future__ import annotations

HOUR_S = 3600


def floor_hour(ts: float) -> float:
    return float(int(ts // HOUR_S) * HOUR_S)


def ceil_hour(ts: float) -> float:
    return float(-(-ts // HOUR_S) * HOUR_S)


def hours(lo: float, hi: float) -> list[float]:
    """Hour starts in [lo, hi) (both hour-aligned)."""
    return [float(h) for h in range(int(lo), int(hi), HOUR_S)]

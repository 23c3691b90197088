"""Queue and agent reports: hourly counters summed over a window, turned into the figures a
call-centre manager reads.

Definitions (every one computed from sums, so any grouping of hours gives the same answer):
- offered: callers who reached the queue (one per call per queue: an overflowed call counts
  in each queue it waited in); answered includes calls an agent then transferred out.
- abandon rate = abandoned / offered; service level = answered within N s / offered (strict:
  timeouts and full/closed queues count against it); ASA = wait of answered calls / answered;
  average wait = wait of all offered calls / offered; longest wait = the longest stay of any
  caller; AHT = talk time / answered (talk only: hold and wrap-up are not in the call tree).
- agents: ring-no-answer = rang until the member timeout; rejected = declined (busy);
  occupancy = talk / (login - pause).
Periods are hours or days in the report's time zone (days are exact for whole-hour offsets).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any, Callable, Optional
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, Table, select

from ..calltree.vocab import SL_THRESHOLDS, sl_column
from ..store.stats_tables import stat_agent_hourly, stat_agent_presence_hourly, stat_queue_hourly

_MAX = frozenset({"wait_max_s", "answered_wait_max_s", "abandoned_wait_max_s"})
_OTHER = ("joinempty", "leaveempty", "full", "closed", "divert_ca_ratio", "divert_waittime", "exited")
Counters = dict[str, float]


def period_of(by: Optional[str], tz: ZoneInfo) -> Callable[[float], str]:
    """hour start (epoch) -> period label: the hour or the day, in `tz`; '' for the whole window."""
    if by == "hour":
        return lambda h: datetime.fromtimestamp(h, tz).strftime("%Y-%m-%d %H:00")
    if by == "day":
        return lambda h: datetime.fromtimestamp(h, tz).date().isoformat()
    return lambda h: ""


def rollup(
    rows: Iterable[Mapping[str, Any]], key: Callable[[Mapping[str, Any]], str], period: Callable[[float], str]
) -> dict[tuple[str, str], Counters]:
    """Sum hourly rows per (period, key(row)); maxima stay maxima."""
    out: dict[tuple[str, str], Counters] = defaultdict(lambda: defaultdict(float))
    for row in rows:
        into = out[(period(row["hour"]), key(row))]
        for name, value in row.items():
            if name in ("hour", "server", "queue", "agent") or value is None:
                continue
            into[name] = max(into[name], value) if name in _MAX else into[name] + value
    return out


def _ratio(part: float, whole: float, scale: float = 1.0) -> Optional[float]:
    return round(scale * part / whole, 1 if scale == 100 else 3) if whole else None


def queue_figures(c: Mapping[str, float], sl: int) -> dict[str, Any]:
    offered, answered = int(c.get("offered", 0)), int(c.get("answered", 0))
    return {
        "offered": offered,
        "answered": answered,
        "abandoned": int(c.get("abandoned", 0)),
        "abandon_rate": _ratio(c.get("abandoned", 0), offered, 100),
        "service_level": _ratio(c.get(sl_column(sl), 0), offered, 100),
        "asa_s": _ratio(c.get("answered_wait_s", 0), answered),
        "avg_wait_s": _ratio(c.get("wait_s", 0), offered),
        "max_wait_s": round(c.get("wait_max_s", 0), 3),
        "aht_s": _ratio(c.get("talk_s", 0), answered),
        "transferred": int(c.get("transferred", 0)),
        "timeout": int(c.get("timeout", 0)),
        "other": int(sum(c.get(s, 0) for s in _OTHER)),
        **{s: int(c.get(s, 0)) for s in _OTHER},
    }


def agent_figures(c: Mapping[str, float]) -> dict[str, Any]:
    answered = int(c.get("answered", 0))
    login, pause, talk = c.get("login_s", 0.0), c.get("pause_s", 0.0), c.get("talk_s", 0.0)
    return {
        "answered": answered,
        "ring_no_answer": int(c.get("ring_no_answer", 0)),
        "rejected": int(c.get("rejected", 0)),
        "transferred": int(c.get("transferred", 0)),
        "talk_s": round(talk, 3),
        "aht_s": _ratio(talk, answered),
        "login_s": round(login, 3),
        "pause_s": round(pause, 3),
        "occupancy": _ratio(talk, login - pause, 100) if login > pause else None,
    }


def _hourly(engine: Engine, table: Table, lo: float, hi: float, queues: Sequence[str], server: Optional[str]) -> list[dict[str, Any]]:
    c = table.c
    stmt = select(table).where(c.hour >= lo, c.hour < hi)
    if queues and "queue" in c:
        stmt = stmt.where(c.queue.in_(list(queues)))
    if server is not None:
        stmt = stmt.where(c.server == server)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def queue_report(
    engine: Engine, lo: float, hi: float, *, queues: Sequence[str] = (), server: Optional[str] = None,
    by: Optional[str] = None, tz: ZoneInfo = ZoneInfo("UTC"), sl: int = 20,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rows per period and queue, totals per period over the queues shown)."""
    if sl not in SL_THRESHOLDS:
        raise ValueError(f"service level threshold {sl} s is not kept; choose one of {SL_THRESHOLDS}")
    hourly = _hourly(engine, stat_queue_hourly, lo, hi, queues, server)
    period = period_of(by, tz)
    per_queue = rollup(hourly, itemgetter("queue"), period)
    overall = rollup(hourly, lambda r: "", period)
    return (
        [{"period": p, "queue": q, **queue_figures(c, sl)} for (p, q), c in sorted(per_queue.items())],
        [{"period": p, "queue": "", **queue_figures(c, sl)} for (p, _), c in sorted(overall.items())],
    )


def agent_report(
    engine: Engine, lo: float, hi: float, *, queues: Sequence[str] = (), server: Optional[str] = None,
    by: Optional[str] = None, tz: ZoneInfo = ZoneInfo("UTC"),
) -> list[dict[str, Any]]:
    """Rows per period and agent: call figures (of `queues` if given) and presence (over all
    queues: presence is not kept per queue)."""
    period = period_of(by, tz)
    by_agent = itemgetter("agent")
    sums = rollup(_hourly(engine, stat_agent_hourly, lo, hi, queues, server), by_agent, period)
    present = rollup(_hourly(engine, stat_agent_presence_hourly, lo, hi, (), server), by_agent, period)
    keys = set(sums) | (set(present) if not queues else set())
    return [
        {"period": p, "agent": a, **agent_figures({**present.get((p, a), {}), **sums.get((p, a), {})})}
        for p, a in sorted(keys)
    ]

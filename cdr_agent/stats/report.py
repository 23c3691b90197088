"""Queue and agent reports: hourly counters summed over a window, turned into the figures a
call-centre manager reads.

Definitions (every one computed from sums, so any grouping of hours gives the same answer):
- offered: callers who reached the queue (one per call per queue: an overflowed call counts
  in each queue it waited in); answered includes calls an agent then transferred out.
- abandon rate = abandoned / offered; service level = answered within N s / offered (strict:
  timeouts and full/closed queues count against it); ASA = wait of answered calls / answered;
  average wait = wait of all offered calls / offered; longest wait = the longest stay of any
  caller; AHT = talk time / answered (talk only: hold and wrap-up are not in the call tree).
- short abandons: callers who gave up within N s (--short-abandon, default 5), from the
  per-call rows; average abandon time = wait of abandoned calls / abandoned.
- agents: rung = every ring (ring time and average ring too); ring-no-answer = rang until the
  member timeout; rejected = declined (busy); occupancy = talk / (login - pause), presence
  over all queues, or over the queues asked for (sessions are kept per queue).
Periods are hours or days in the report's time zone (days are exact for whole-hour offsets).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any, Callable, Optional
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, Select, Table, func, select, union

from ..calltree.vocab import SL_THRESHOLDS, sl_column
from ..store.stats_tables import (
    stat_agent_hourly,
    stat_agent_presence_hourly,
    stat_agent_sessions,
    stat_queue_calls,
    stat_queue_hourly,
)
from .presence import hourly_presence
from .recorder import load_queue_spans

_MAX = frozenset({"wait_max_s", "answered_wait_max_s", "abandoned_wait_max_s"})
_KEYS = frozenset({"hour", "server", "queue", "agent"})
DEFAULT_SHORT_ABANDON_S = 5.0
_OTHER = ("joinempty", "leaveempty", "full", "closed", "divert_ca_ratio", "divert_waittime", "exited")
Counters = dict[str, float]


def window_label(lo: float, hi: float, tz: ZoneInfo) -> str:
    """The report's window, in its time zone: the period of a report not cut by hour or day."""
    def at(t: float) -> str:
        return datetime.fromtimestamp(t, tz).strftime("%Y-%m-%d %H:%M")
    return f"{at(lo)} .. {at(hi)} {tz.key}"


def period_of(by: Optional[str], tz: ZoneInfo, window: str = "") -> Callable[[float], str]:
    """hour start (epoch) -> period label: the hour or the day, in `tz`; `window` (the whole
    window's label) when not cut."""
    if by == "hour":
        return lambda h: datetime.fromtimestamp(h, tz).strftime("%Y-%m-%d %H:00")
    if by == "day":
        return lambda h: datetime.fromtimestamp(h, tz).date().isoformat()
    return lambda h: window


def rollup(
    rows: Iterable[Mapping[str, Any]], key: Callable[[Mapping[str, Any]], str], period: Callable[[float], str]
) -> dict[tuple[str, str], Counters]:
    """Sum hourly rows per (period, key(row)); maxima stay maxima."""
    out: dict[tuple[str, str], Counters] = defaultdict(lambda: defaultdict(float))
    for row in rows:
        into = out[(period(row["hour"]), key(row))]
        for name, value in row.items():
            if name in _KEYS or value is None:
                continue
            into[name] = max(into[name], value) if name in _MAX else into[name] + value
    return out


def _ratio(part: float, whole: float, scale: float = 1.0) -> Optional[float]:
    return round(scale * part / whole, 1 if scale == 100 else 3) if whole else None


def queue_figures(c: Mapping[str, float], sl: int) -> dict[str, Any]:
    offered, answered, abandoned = int(c.get("offered", 0)), int(c.get("answered", 0)), int(c.get("abandoned", 0))
    return {
        "offered": offered,
        "answered": answered,
        "abandoned": abandoned,
        "abandon_rate": _ratio(abandoned, offered, 100),
        "avg_abandon_s": _ratio(c.get("abandoned_wait_s", 0), abandoned),
        "short_abandoned": int(c.get("short_abandoned", 0)),
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
    answered, rung = int(c.get("answered", 0)), int(c.get("rung", 0))
    login, pause, talk = c.get("login_s", 0.0), c.get("pause_s", 0.0), c.get("talk_s", 0.0)
    return {
        "rung": rung,
        "ring_s": round(c.get("ring_s", 0.0), 3),
        "avg_ring_s": _ratio(c.get("ring_s", 0.0), rung),
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


def _scoped(stmt: Select[Any], c: Any, queues: Sequence[str], server: Optional[str]) -> Select[Any]:
    """`stmt` kept to these queues (if the table has queues) and this server."""
    if queues and "queue" in c:
        stmt = stmt.where(c.queue.in_(list(queues)))
    return stmt if server is None else stmt.where(c.server == server)


def _rows(engine: Engine, stmt: Select[Any]) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def _hourly(engine: Engine, table: Table, lo: float, hi: float, queues: Sequence[str], server: Optional[str]) -> list[dict[str, Any]]:
    c = table.c
    return _rows(engine, _scoped(select(table).where(c.hour >= lo, c.hour < hi), c, queues, server))


def _short_abandons(engine: Engine, lo: float, hi: float, queues: Sequence[str], server: Optional[str],
                    below_s: float) -> list[dict[str, Any]]:
    """Callers who abandoned within `below_s` seconds, per hour and queue, from the per-call
    rows (hours [lo, hi) only: those the hourly rows are filled for)."""
    c = stat_queue_calls.c
    stmt = (select(c.hour, c.server, c.queue, func.count().label("short_abandoned"))
            .where(c.hour >= lo, c.hour < hi, c.status == "abandoned", c.wait_s < below_s)
            .group_by(c.hour, c.server, c.queue))
    return _rows(engine, _scoped(stmt, c, queues, server))


def known_queues(engine: Engine) -> list[str]:
    """Every queue the statistics have seen: callers waited in it, or agents logged in to it."""
    stmt = union(select(stat_queue_hourly.c.queue), select(stat_agent_sessions.c.queue))
    with engine.connect() as conn:
        return sorted(conn.scalars(stmt))


@dataclass(frozen=True)
class Window:
    """What a report covers: hours [lo, hi) (`filled` = end of the filled hours), cut `by` hour
    or day in `tz`, optionally some queues and one server."""

    lo: float
    hi: float
    tz: ZoneInfo = ZoneInfo("UTC")
    by: Optional[str] = None
    queues: Sequence[str] = ()
    server: Optional[str] = None
    filled: Optional[float] = None

    @property
    def label(self) -> str:
        return window_label(self.lo, self.hi, self.tz)

    def period(self) -> Callable[[float], str]:
        return period_of(self.by, self.tz, self.label)


def queue_fields(sl: int) -> list[str]:
    """The keys of a queue report row (a CSV header without rows)."""
    return ["period", "queue", *queue_figures({}, sl)]


def agent_fields(per_queue: bool) -> list[str]:
    return ["period", "agent", *(["queue"] if per_queue else []), *agent_figures({}), "presence"]


def queue_report(
    engine: Engine, w: Window, *, sl: int = 20, short_abandon_s: float = DEFAULT_SHORT_ABANDON_S,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rows per period and queue, totals per period over the queues shown)."""
    if sl not in SL_THRESHOLDS:
        raise ValueError(f"service level threshold {sl} s is not kept; choose one of {SL_THRESHOLDS}")
    hourly = _hourly(engine, stat_queue_hourly, w.lo, w.hi, w.queues, w.server)
    filled_hi = w.hi if w.filled is None else min(w.hi, w.filled)
    hourly += _short_abandons(engine, w.lo, filled_hi, w.queues, w.server, short_abandon_s)
    period = w.period()
    per_queue = rollup(hourly, itemgetter("queue"), period)
    overall = rollup(hourly, lambda r: "", period)
    return (
        [{"period": p, "queue": q, **queue_figures(c, sl)} for (p, q), c in sorted(per_queue.items())],
        [{"period": p, "queue": "", **queue_figures(c, sl)} for (p, _), c in sorted(overall.items())],
    )


ALL_QUEUES = "over all queues"


def agent_report(
    engine: Engine, w: Window, *, per_queue: bool = False,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rows per period and agent, or per period, agent and queue; totals per period).

    Presence (login, pause, occupancy) is over all queues when no queue is asked for; with
    `w.queues` it is the time logged in to (paused in) at least one of them; `per_queue` gives
    each queue's own. Each row says which in `presence`."""
    period = w.period()
    key: Callable[[Mapping[str, Any]], Any] = (lambda r: (r["agent"], r["queue"])) if per_queue else itemgetter("agent")
    calls = _hourly(engine, stat_agent_hourly, w.lo, w.hi, w.queues, w.server)
    if per_queue or w.queues:
        presence = _queue_presence(engine, w, per_queue)
        scope = "per queue" if per_queue else "in " + ", ".join(w.queues)
    else:
        presence = _hourly(engine, stat_agent_presence_hourly, w.lo, w.hi, (), w.server)
        scope = ALL_QUEUES
    sums, present = rollup(calls, key, period), rollup(presence, key, period)
    rows = []
    for p, k in sorted(set(sums) | set(present)):
        agent, queue = k if per_queue else (k, None)
        figures = agent_figures({**present.get((p, k), {}), **sums.get((p, k), {})})
        rows.append({"period": p, "agent": agent, **({"queue": queue} if per_queue else {}), **figures,
                     "presence": scope})
    overall = rollup(calls + presence, lambda r: "", period)
    totals = [{"period": p, "agent": "", **({"queue": ""} if per_queue else {}), **agent_figures(c), "presence": scope}
              for (p, _), c in sorted(overall.items())]
    return rows, totals


def _queue_presence(engine: Engine, w: Window, per_queue: bool) -> list[dict[str, Any]]:
    """Hourly login and pause seconds of the queues asked for (merged over them), or of each
    queue, from the captured sessions."""
    with engine.connect() as conn:
        spans = load_queue_spans(conn, w.lo, w.hi, w.queues, w.server)
    groups: dict[Optional[str], list[Any]] = defaultdict(list)
    for queue, span in spans:
        groups[queue if per_queue else None].append(span)
    return [
        {"hour": hour, "server": server, "agent": agent, "queue": queue, **figures}
        for queue, group in groups.items()
        for (hour, server, agent), figures in hourly_presence(group, w.lo, w.hi).items()
    ]

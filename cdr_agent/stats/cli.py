"""The statistics sub-commands: `stats fill` and `report queues|agents`."""
from __future__ import annotations

import argparse
import sys
from contextlib import nullcontext
from datetime import datetime, timezone, tzinfo
from typing import Optional

from ..calltree.vocab import SL_THRESHOLDS
from ..cli import add_db, when

FORMATS = ("table", "csv", "json")


def register(sub: argparse._SubParsersAction) -> None:
    st = sub.add_parser("stats", help="call-centre statistics tables")
    st_sub = st.add_subparsers(dest="stats_command", required=True)
    f = st_sub.add_parser("fill", help="derive queue and agent statistics from the stored calls (complete hours)")
    add_db(f)
    f.add_argument("--start", type=when, help="rebuild from this time (ISO 8601, naive = UTC, or epoch)")
    f.add_argument("--end", type=when, help="rebuild up to this time (default: the last complete hour)")
    f.add_argument("--lookback", type=int, default=3, metavar="HOURS",
                   help="refill filled hours this recent whose calls changed since (default 3)")
    f.add_argument("--rederive", action="store_true",
                   help="first derive the per-call rows again from the stored call trees (after an upgrade;"
                        " every call, or those started in --start/--end), then rebuild their hours")
    f.set_defaults(run=fill)

    r = sub.add_parser("report", help="queue or agent report from the statistics tables")
    r.add_argument("what", choices=("queues", "agents"), help="one row per queue, or per agent")
    add_db(r)
    r.add_argument("--from", dest="start", required=True, help="start (ISO 8601 in --tz, or epoch)")
    r.add_argument("--to", dest="end", help="end, excluded (default: now)")
    r.add_argument("--queue", action="append", default=[], help="only this queue (repeatable)")
    r.add_argument("--server", help="only this Asterisk server")
    r.add_argument("--by", choices=("hour", "day"), help="one row per hour or day (default: the whole window)")
    r.add_argument("--format", choices=FORMATS, default="table", help="table (default), csv or json")
    r.add_argument("--tz", default="UTC", help="time zone of --from/--to and of hours and days (default UTC)")
    r.add_argument("--sl", type=int, default=20, choices=SL_THRESHOLDS, metavar="SECONDS",
                   help="service level: answered within this many seconds, one of"
                        f" {', '.join(map(str, SL_THRESHOLDS))} (kept per hour; default 20)")
    r.add_argument("--short-abandon", type=float, default=5.0, metavar="SECONDS",
                   help="queues: count the callers who abandoned within this many seconds apart (default 5)")
    r.add_argument("--per-queue", action="store_true",
                   help="agents: one row per agent and queue, login and pause of that queue")
    r.set_defaults(run=report)


def fill(args: argparse.Namespace) -> int:
    import structlog

    from ..progress import bar
    from ..store.engine import open_engine
    from .fill import fill as run_fill, filled_until, first_hour

    engine = open_engine(args.db)
    with bar("rederive", unit="call") if args.rederive else nullcontext() as progress:
        result = run_fill(engine, args.start, args.end, lookback_h=args.lookback, rederive=args.rederive,
                          progress=progress.update if progress is not None else None)
    structlog.get_logger("cdr_agent.stats").info(
        "stats_filled", hours=result.hours, queue_calls=result.queue_calls, refilled=len(result.refilled),
        rederived=result.rederived)
    if args.rederive:
        print(f"derived the per-call rows of {result.rederived} call(s) again")
    if not result.hours:
        print(_why_nothing(filled_until(engine), first_hour(engine)))
        return 0
    span = f"{_utc(result.first)} .. {_utc(result.last)} UTC"
    again = f"; {len(result.refilled)} hour(s) refilled: their calls changed" if result.refilled else ""
    print(f"filled {result.hours} hour(s), {span}: {result.queue_calls} queue calls{again}")
    return 0


def _why_nothing(filled: Optional[float], first: Optional[float]) -> str:
    if filled is not None:
        return f"nothing to fill: no complete hour since the last fill (filled up to {_utc(filled)} UTC)"
    if first is None:
        return "nothing to fill: no calls or agent sessions are stored yet"
    return (f"nothing to fill yet: the first data is in the running hour ({_utc(first)} UTC);"
            " an hour is filled once it is complete")


def report(args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from ..hours import ceil_hour, floor_hour
    from ..store.engine import open_reader, require_tables
    from . import render
    from .fill import filled_until
    from .report import Window, agent_fields, agent_report, known_queues, queue_fields, queue_report

    try:
        tz = ZoneInfo(args.tz)
    except (ZoneInfoNotFoundError, ValueError):
        print(f"cdr-agent: unknown time zone {args.tz!r}", file=sys.stderr)
        return 2
    now = datetime.now(timezone.utc).timestamp()
    try:
        lo = floor_hour(_moment(args.start, tz))
        hi = ceil_hour(_moment(args.end, tz) if args.end else now)
    except argparse.ArgumentTypeError as exc:
        print(f"cdr-agent: {exc}", file=sys.stderr)
        return 2
    if lo >= hi:
        print(f"cdr-agent: --from {args.start} is not before --to {args.end or 'now'}", file=sys.stderr)
        return 2
    engine = open_reader(args.db)
    require_tables(engine, args.db, "stat_fill_hours", "stat_queue_hourly", "stat_agent_hourly")
    done = filled_until(engine)
    if done is None:
        print("cdr-agent: no statistics yet: `cdr-agent stats fill` has never run on this database", file=sys.stderr)
        return 1
    unknown = [q for q in args.queue if q not in set(known_queues(engine))]
    if unknown:
        print(f"cdr-agent: no queue {unknown[0]!r} in the statistics (queues: {', '.join(known_queues(engine)) or 'none'})",
              file=sys.stderr)
        return 2
    if done < min(hi, floor_hour(now)):
        print(f"cdr-agent: statistics are filled up to {_utc(done)} UTC; later hours show nothing until"
              " `cdr-agent stats fill` runs", file=sys.stderr)
    w = Window(lo, hi, tz, args.by, args.queue, args.server, done)
    empty = f"no {'queue calls' if args.what == 'queues' else 'agent activity'} in {w.label}"
    if args.what == "queues":
        rows, totals = queue_report(engine, w, sl=args.sl, short_abandon_s=args.short_abandon)
        columns, fields = render.queue_columns(args.sl, args.short_abandon), queue_fields(args.sl)
    else:
        rows, totals = agent_report(engine, w, per_queue=args.per_queue)
        columns, fields = render.agent_columns(args.per_queue), agent_fields(args.per_queue)
    if args.format == "table":
        heading = f"period {w.label}" if args.by is None else f"periods: {args.by}s in {tz.key}, {w.label}"
        if args.what == "agents":
            heading += f"; login and pause {rows[0]['presence'] if rows else 'over all queues'}"
        print(render.table(rows, columns, totals, heading=heading, by_period=args.by is not None, empty=empty))
    else:
        print(render.to_csv(rows, fields) if args.format == "csv" else render.to_json(rows))
    return 0
def _moment(text: str, tz: tzinfo) -> float:
    """Like `when()`, except that a naive ISO time is a wall-clock time in `tz`."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return when(text)  # epoch seconds, or a clear error
    return moment.timestamp() if moment.tzinfo else moment.replace(tzinfo=tz).timestamp()


def _utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M")

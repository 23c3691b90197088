"""The statistics sub-commands: `stats fill` and `report queues|agents`."""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone, tzinfo

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
    r.add_argument("what", choices=("queues", "agents"))
    add_db(r)
    r.add_argument("--from", dest="start", required=True, help="start (ISO 8601 in --tz, or epoch)")
    r.add_argument("--to", dest="end", help="end, excluded (default: now)")
    r.add_argument("--queue", action="append", default=[], help="only this queue (repeatable)")
    r.add_argument("--server", help="only this Asterisk server")
    r.add_argument("--by", choices=("hour", "day"), help="one row per hour or day (default: the whole window)")
    r.add_argument("--format", choices=FORMATS, default="table")
    r.add_argument("--tz", default="UTC", help="time zone of --from/--to and of hours and days (default UTC)")
    r.add_argument("--sl", type=int, default=20, metavar="SECONDS",
                   help="service level: answered within this many seconds (default 20)")
    r.set_defaults(run=report)


def fill(args: argparse.Namespace) -> int:
    import structlog

    from ..store.engine import open_engine
    from .fill import fill as run_fill

    result = run_fill(open_engine(args.db), args.start, args.end, lookback_h=args.lookback, rederive=args.rederive)
    structlog.get_logger("cdr_agent.stats").info(
        "stats_filled", hours=result.hours, queue_calls=result.queue_calls, refilled=len(result.refilled),
        rederived=result.rederived)
    if args.rederive:
        print(f"derived the per-call rows of {result.rederived} call(s) again")
    if not result.hours:
        print("nothing to fill: no complete hour since the last fill")
        return 0
    span = f"{_utc(result.first)} .. {_utc(result.last)} UTC"
    again = f"; {len(result.refilled)} hour(s) refilled: their calls changed" if result.refilled else ""
    print(f"filled {result.hours} hour(s), {span}: {result.queue_calls} queue calls{again}")
    return 0


def report(args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from ..calltree.vocab import SL_THRESHOLDS
    from ..hours import ceil_hour, floor_hour
    from ..store.engine import open_engine
    from . import render
    from .fill import filled_until
    from .report import agent_report, queue_report

    try:
        tz = ZoneInfo(args.tz)
    except (ZoneInfoNotFoundError, ValueError):
        print(f"cdr-agent: unknown time zone {args.tz!r}", file=sys.stderr)
        return 2
    if args.sl not in SL_THRESHOLDS:
        print(f"cdr-agent: --sl must be one of {', '.join(map(str, SL_THRESHOLDS))} (kept per hour)", file=sys.stderr)
        return 2
    try:
        lo = floor_hour(_moment(args.start, tz))
        hi = ceil_hour(_moment(args.end, tz) if args.end else datetime.now(timezone.utc).timestamp())
    except argparse.ArgumentTypeError as exc:
        print(f"cdr-agent: {exc}", file=sys.stderr)
        return 2
    engine = open_engine(args.db)  # not open_reader yet: a fresh database reports "no data" today
    done = filled_until(engine)
    if done is None or done < hi:
        print(f"cdr-agent: statistics are filled up to {_utc(done) if done else 'nothing'} UTC;"
              " run `cdr-agent stats fill` for later hours", file=sys.stderr)
    window = dict(queues=args.queue, server=args.server, by=args.by, tz=tz)
    if args.what == "queues":
        rows, totals = queue_report(engine, lo, hi, sl=args.sl, **window)
        columns = render.queue_columns(args.sl)
    else:
        rows, totals, columns = agent_report(engine, lo, hi, **window), [], render.AGENT_COLUMNS
    if args.format == "table":
        print(render.table(rows, columns, totals))
    else:
        print(render.to_csv(rows) if args.format == "csv" else render.to_json(rows))
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

"""The `cdr-agent` command: replay recordings, list calls, show one, export all."""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional, Sequence

from .logs import configure_logging

DEFAULT_DB = "sqlite:///cdr.sqlite"


def _time(text: str) -> float:
    """ISO 8601 (naive = UTC) or epoch seconds."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a time: {text!r} (use ISO 8601 or epoch seconds)") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cdr-agent", description="Call-detail recorder for Asterisk: every call as a call tree.")
    sub = p.add_subparsers(dest="command", required=True)

    def db(cmd: argparse.ArgumentParser) -> None:
        cmd.add_argument("--db", default=DEFAULT_DB, help=f"SQLAlchemy URL (default {DEFAULT_DB})")

    r = sub.add_parser("replay", help="build and store the calls of recorded AMI streams")
    r.add_argument("paths", nargs="+", type=Path, help="trace folder(s) or raw AMI capture file(s)")
    r.add_argument("--server", default="default", help="server name for a single stream (default: default)")
    db(r)

    c = sub.add_parser("calls", help="one line per stored call")
    db(c)
    c.add_argument("--since", type=_time)
    c.add_argument("--until", type=_time)
    c.add_argument("--number", help="calls where this number is a party")
    c.add_argument("--limit", type=int)

    s = sub.add_parser("show", help="one call as a readable tree (or --json)")
    s.add_argument("call_id", help="a call id, or a unique prefix of one")
    db(s)
    s.add_argument("--json", action="store_true")

    e = sub.add_parser("export", help="all calls, one JSON document per line")
    db(e)
    e.add_argument("--json", action="store_true", required=True, help="JSON lines (the only format)")
    e.add_argument("--since", type=_time)
    e.add_argument("--until", type=_time)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    configure_logging()
    from . import commands  # SQLAlchemy is imported only by commands that need it

    try:
        return commands.run(args)
    except BrokenPipeError:  # `cdr-agent calls | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())

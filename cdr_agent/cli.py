"""The `cdr-agent` command. Each area registers its own sub-commands (`register(sub)`);
their implementations are imported only when run, so `cdr-agent --help` stays cheap."""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from importlib import import_module
from typing import Optional, Sequence

from .logs import configure_logging

DEFAULT_DB = "sqlite:///cdr.sqlite"

# Modules with a `register(subparsers)` function, in help order.
AREAS = ("cdr_agent.commands", "cdr_agent.daemon.cli", "cdr_agent.agi.cli", "cdr_agent.stats.cli",
         "cdr_agent.callgen.cli", "cdr_agent.store.cli")


def when(text: str) -> float:
    """ISO 8601 (naive = UTC) or epoch seconds -> epoch seconds."""
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


def add_db(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--db", default=DEFAULT_DB, help=f"SQLAlchemy URL (default {DEFAULT_DB})")


def version() -> str:
    from importlib.metadata import PackageNotFoundError, version as installed

    try:
        return installed("cdr-agent")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cdr-agent", description="Call-detail recorder for Asterisk: every call as a call tree.")
    p.add_argument("--version", action="version", version=f"cdr-agent {version()}", help="print the version and exit")
    sub = p.add_subparsers(dest="command", required=True)
    for area in AREAS:
        import_module(area).register(sub)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parser().parse_args(argv)
    configure_logging()
    try:
        return args.run(args)
    except BrokenPipeError:  # `cdr-agent calls | head`
        sys.stderr.close()
        return 0
    except Exception as exc:
        from .store.engine import database_problem

        problem = database_problem(exc, getattr(args, "db", None))
        if problem is None:
            raise
        print(f"cdr-agent: {problem}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

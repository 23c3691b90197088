"""`cdr-agent callgen`: write a simulated call centre's AMI stream and its truth."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import when


def register(sub: argparse._SubParsersAction) -> None:
    g = sub.add_parser("callgen", help="write a simulated call centre's AMI stream (ami.log) and its truth (truth.json)")
    g.add_argument("--out", type=Path, required=True, help="folder to write ami.log and truth.json to")
    g.add_argument("--calls", type=int, default=10_000, help="callers arriving (default 10000)")
    g.add_argument("--queues", type=int, default=10, help="queues (1-12, default 10)")
    g.add_argument("--agents", type=int, default=50, help="agents (default 50)")
    g.add_argument("--seed", type=int, default=1, help="same seed, same stream (default 1)")
    g.add_argument("--start", type=when, help="first hour of traffic (default 2026-11-02T00:00Z)")
    g.add_argument("--load", type=float, default=0.85, help="offered load per available agent (default 0.85)")
    g.add_argument("--server", default="callgen", help="server name the truth's ids are made for")
    g.add_argument("--full", action="store_true", help="every header and event Asterisk sends (default: the ones a recorder reads)")
    g.set_defaults(run=callgen)


def callgen(args: argparse.Namespace) -> int:
    from ..progress import bar
    from .config import default_scenario
    from .stream import CallGenerator

    start = {"start": args.start} if args.start is not None else {}
    try:
        scenario = default_scenario(args.calls, args.queues, args.agents, args.seed, load=args.load,
                                    server=args.server, **start)
    except ValueError as exc:
        print(f"cdr-agent: {exc}", file=sys.stderr)
        return 2
    generator = CallGenerator(scenario, full=args.full)
    with bar("callgen", args.calls, unit="call") as progress:
        doc = generator.write(args.out, progress.update)
    totals = doc["totals"]
    print(f"{args.out / 'ami.log'}: {generator.events} events, {totals['calls']} calls, "
          f"{totals['queue_visits']} queue visits; truth in {args.out / 'truth.json'}")
    return 0

"""What each `cdr-agent` sub-command does (argument parsing lives in cli.py)."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import structlog

from .render import render_call, render_listing
from .replay import Ingest, replay_path
from .store import queries
from .store.writer import CallWriter, open_engine

log = structlog.get_logger("cdr_agent")


def run(args: argparse.Namespace) -> int:
    return COMMANDS[args.command](args)


def replay(args: argparse.Namespace) -> int:
    engine = open_engine(args.db)
    ingest = Ingest(CallWriter(engine))
    for path in args.paths:
        if not path.exists():
            print(f"cdr-agent: no such file or folder: {path}", file=sys.stderr)
            return 2
        replay_path(ingest, path, args.server)
    ingest.close()
    s = ingest.stats
    log.info("replayed", events=s.events, agi_observations=s.observations, calls_finished=s.calls_finished,
             calls_in_progress=s.calls_open, skipped=s.skipped, failed=s.failures, reader=s.reader)
    print(f"{s.events} events, {s.observations} AGI observations -> {s.calls_finished} calls stored"
          f" ({s.calls_open} still in progress) in {args.db}")
    return 0


def calls(args: argparse.Namespace) -> int:
    rows = queries.list_calls(open_engine(args.db), since=args.since, until=args.until,
                              number=args.number, limit=args.limit)
    print(render_listing(rows))
    return 0


def show(args: argparse.Namespace) -> int:
    engine = open_engine(args.db)
    doc = queries.load_document(engine, args.call_id)
    if doc is None:
        print(f"cdr-agent: no call {args.call_id!r} (or the prefix is not unique)", file=sys.stderr)
        return 1
    print(json.dumps(doc, ensure_ascii=False, indent=2) if args.json else render_call(doc))
    return 0


def export(args: argparse.Namespace) -> int:
    out = sys.stdout
    for doc in queries.iter_documents(open_engine(args.db), since=args.since, until=args.until):
        out.write(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n")
    return 0


COMMANDS: dict[str, Any] = {"replay": replay, "calls": calls, "show": show, "export": export}

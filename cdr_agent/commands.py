"""The call-tree sub-commands: replay, calls, show, export."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .calltree.settings import SettingsError
from .cli import add_db, when


def register(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser("replay", help="build and store the calls of recorded AMI streams")
    r.add_argument("paths", nargs="+", type=Path, help="trace folder(s) or raw AMI capture file(s)")
    r.add_argument("--server", default="default", help="server name for a single stream (default: default)")
    r.add_argument("--app-context", action="append", default=[], metavar="CONTEXT=KIND",
                   help="a dialplan context that is an application: KIND is ivr, ringgroup or voicemail"
                        " (repeatable; voicemail, vm and macro-vm are voicemail already)")
    add_db(r)
    r.set_defaults(run=replay)

    c = sub.add_parser("calls", help="one line per stored call")
    add_db(c)
    c.add_argument("--since", type=when)
    c.add_argument("--until", type=when)
    c.add_argument("--number", help="calls where this number is a party")
    c.add_argument("--limit", type=int)
    c.set_defaults(run=calls)

    s = sub.add_parser("show", help="one call as a readable tree (or --json)")
    s.add_argument("call_id", help="a call id, or a unique prefix of one")
    add_db(s)
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=show)

    e = sub.add_parser("export", help="all calls, one JSON document per line")
    add_db(e)
    e.add_argument("--json", action="store_true", required=True, help="JSON lines (the only format)")
    e.add_argument("--since", type=when)
    e.add_argument("--until", type=when)
    e.set_defaults(run=export)


def replay(args: argparse.Namespace) -> int:
    import structlog

    from .calltree.settings import TreeSettings
    from .replay import replay_path, storing_ingest
    from .store.engine import open_engine

    missing = [p for p in args.paths if not p.exists()]
    if missing:
        print(f"cdr-agent: no such file or folder: {missing[0]}", file=sys.stderr)
        return 2
    try:
        settings = TreeSettings.with_contexts(dict(_pair(text) for text in args.app_context))
    except SettingsError as exc:
        print(f"cdr-agent: --app-context: {exc}", file=sys.stderr)
        return 2
    ingest = storing_ingest(open_engine(args.db), settings)
    for path in args.paths:
        replay_path(ingest, path, args.server)
    ingest.close()
    s = ingest.stats
    structlog.get_logger("cdr_agent").info(
        "replayed", events=s.events, agi_observations=s.observations, calls_finished=s.calls_finished,
        calls_restored=s.calls_restored,
        calls_in_progress=s.calls_open, skipped=s.skipped, failed=s.failures, reader=s.reader)
    print(f"{s.events} events, {s.observations} AGI observations -> {s.calls_finished - s.calls_restored} calls stored"
          f" ({s.calls_open} still in progress) in {args.db}")
    return 0


def _pair(text: str) -> tuple[str, str]:
    context, sep, kind = text.partition("=")
    if not sep or not context:
        raise SettingsError(f"expected CONTEXT=KIND, got {text!r}")
    return context, kind


def calls(args: argparse.Namespace) -> int:
    from .render import render_listing
    from .store import queries
    from .store.engine import open_reader

    rows = queries.list_calls(open_reader(args.db), since=args.since, until=args.until,
                              number=args.number, limit=args.limit)
    print(render_listing(rows))
    return 0


def show(args: argparse.Namespace) -> int:
    from .render import render_call
    from .store import queries
    from .store.engine import open_reader

    doc = queries.load_document(open_reader(args.db), args.call_id)
    if doc is None:
        print(f"cdr-agent: no call {args.call_id!r} (or the prefix is not unique)", file=sys.stderr)
        return 1
    print(json.dumps(doc, ensure_ascii=False, indent=2) if args.json else render_call(doc))
    return 0


def export(args: argparse.Namespace) -> int:
    from .store import queries
    from .store.engine import open_reader

    out = sys.stdout
    for doc in queries.iter_documents(open_reader(args.db), since=args.since, until=args.until):
        out.write(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n")
    return 0

"""The call-tree sub-commands: replay, calls, show, export."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .calltree.settings import SettingsError
from .cli import add_db, when

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from .replay import Replayed

FORMATS = ("table", "csv", "json")
DEFAULT_SERVER = "default"
# store.summary.DISPOSITIONS (a test keeps them equal), spelled here so that `--help` imports
# no store and no SQLAlchemy.
STATUSES = ("answered", "abandoned", "no answer", "busy", "failed", "in progress")


def register(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser("replay", help="build and store the calls of recorded AMI streams")
    r.add_argument("paths", nargs="+", type=Path, help="trace folder(s) or raw AMI capture file(s)")
    r.add_argument("--server", help=f"server name for a single stream (default: {DEFAULT_SERVER})")
    r.add_argument("--app-context", action="append", default=[], metavar="CONTEXT=KIND",
                   help="a dialplan context that is an application: KIND is ivr, ringgroup or voicemail"
                        " (repeatable; voicemail, vm and macro-vm are voicemail already)")
    add_db(r)
    r.set_defaults(run=replay)

    c = sub.add_parser("calls", help="one line per stored call: disposition, queue, agent, wait, who hung up")
    add_db(c)
    c.add_argument("--since", type=when, help="calls started at or after (ISO 8601, naive = UTC, or epoch)")
    c.add_argument("--until", type=when, help="calls started before (ISO 8601, naive = UTC, or epoch)")
    c.add_argument("--number", help="calls where this number is a party")
    c.add_argument("--queue", help="calls that waited in this queue")
    c.add_argument("--agent", help="calls that rang this queue member (its MemberName)")
    c.add_argument("--status", choices=STATUSES, metavar="DISPOSITION",
                   help=f"calls that ended so: {', '.join(STATUSES)}")
    c.add_argument("--server", help="calls of this Asterisk server")
    c.add_argument("--limit", type=int, help="at most this many calls")
    c.add_argument("--format", choices=FORMATS, default="table",
                   help="table (caller names cut to fit), csv or json (every field whole); default table")
    c.set_defaults(run=calls)

    s = sub.add_parser("show", help="one call as a readable tree (or --json)")
    s.add_argument("call_id", help="a call id, a unique prefix of one, or a leg label ID/Ln as `show` prints")
    add_db(s)
    s.add_argument("--json", action="store_true", help="the call document (public format) instead of the tree")
    s.set_defaults(run=show)

    e = sub.add_parser("export", help="all calls, one JSON document per line")
    add_db(e)
    e.add_argument("--json", action="store_true", help="JSON lines (the only format and the default; accepted)")
    e.add_argument("--since", type=when, help="calls started at or after (ISO 8601, naive = UTC, or epoch)")
    e.add_argument("--until", type=when, help="calls started before (ISO 8601, naive = UTC, or epoch)")
    e.set_defaults(run=export)


def replay(args: argparse.Namespace) -> int:
    import structlog

    from .calltree.settings import TreeSettings
    from .progress import bar
    from .replay import replay_path, storing_ingest, stream_bytes
    from .store.engine import open_engine, safe_url

    missing = [p for p in args.paths if not p.exists()]
    if missing:
        print(f"cdr-agent: no such file or folder: {missing[0]}", file=sys.stderr)
        return 2
    try:
        settings = TreeSettings.with_contexts(dict(_pair(text) for text in args.app_context))
    except SettingsError as exc:
        print(f"cdr-agent: --app-context: {exc}", file=sys.stderr)
        return 2
    engine = open_engine(args.db)
    server = args.server or DEFAULT_SERVER
    ingest = storing_ingest(engine, settings)
    with bar("replay", stream_bytes(args.paths, server), unit="B", scale=True) as progress:
        found = [replay_path(ingest, path, server, progress) for path in args.paths]
    ingest.close()
    s = ingest.stats
    structlog.get_logger("cdr_agent").info(
        "replayed", events=s.events, agi_observations=s.observations, calls_finished=s.calls_finished,
        calls_restored=s.calls_restored,
        calls_in_progress=s.calls_open, skipped=s.skipped, failed=s.failures, reader=s.reader)
    print(f"{s.events} events, {s.observations} AGI observations -> {s.calls_finished - s.calls_restored} calls stored"
          f" ({s.calls_open} still in progress) in {safe_url(args.db)}")
    if args.server is None:
        _warn_same_calls(engine, found)
    empty = [(f.path, f.problem()) for f in found if f.problem()]
    for path, problem in empty:
        print(f"cdr-agent: {path}: {problem}", file=sys.stderr)
    return 1 if empty else 0


def _warn_same_calls(engine: "Engine", found: "list[Replayed]") -> None:
    """Replayed under the default name, calls stored before under another name would be stored
    twice: say so, with the --server that replaces them instead."""
    from .store.queries import other_servers

    sample = sorted(set().union(*(f.uniqueids.get(DEFAULT_SERVER, set()) for f in found)))
    others = other_servers(engine, DEFAULT_SERVER, sample)
    if others:
        print(f"cdr-agent: warning: calls with these uniqueids are stored under server {others[0]!r} too;"
              f" replay with --server {others[0]} to replace them instead of keeping both", file=sys.stderr)


def _pair(text: str) -> tuple[str, str]:
    context, sep, kind = text.partition("=")
    if not sep or not context:
        raise SettingsError(f"expected CONTEXT=KIND, got {text!r}")
    return context, kind


def _reader(url: str) -> "Engine":
    """A read-only engine on a database that holds calls (never creates one)."""
    from .store.engine import open_reader, require_tables

    engine = open_reader(url)
    require_tables(engine, url, "calls")
    return engine


def calls(args: argparse.Namespace) -> int:
    from .render import listing_csv, render_listing
    from .store.queries import CallFilter, list_calls

    where = CallFilter(since=args.since, until=args.until, number=args.number, queue=args.queue,
                       agent=args.agent, server=args.server, status=args.status)
    rows = list_calls(_reader(args.db), limit=args.limit, where=where)
    if args.format == "csv":
        print(listing_csv(rows))
    elif args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        print(render_listing(rows))
    return 0


def show(args: argparse.Namespace) -> int:
    from .render import render_call
    from .store import queries

    engine = _reader(args.db)
    call_id = args.call_id.partition("/")[0]  # a leg label `ID/L3` names its call
    found = queries.load_shown(engine, call_id)
    if found is None:
        candidates = queries.find_call_ids(engine, call_id, limit=11) if call_id else []
        if len(candidates) > 1:
            more = " ..." if len(candidates) > 10 else ""
            print(f"cdr-agent: {call_id!r} is the start of {'more than 10' if more else len(candidates)} call ids:"
                  f" {', '.join(candidates[:10])}{more}; give more characters", file=sys.stderr)
        else:
            print(f"cdr-agent: no call {call_id!r}", file=sys.stderr)
        return 1
    doc, summary = found
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return 0
    own = {leg["leg_id"] for leg in doc["legs"]}
    foreign = sorted(_leg_refs(doc) - own)
    print(render_call(doc, summary, queries.leg_labels(engine, foreign)))
    return 0


def _leg_refs(doc: dict[str, Any]) -> set[str]:
    """Every leg id the document refers to."""
    keys = ("from_leg", "to_leg", "hop_leg", "transferer_leg", "transferee_leg", "target_leg", "leg", "local_peer")
    items = [*doc["legs"], *doc["attempts"], *doc["transfers"], *doc["apps"],
             *(m for c in doc["conferences"] for m in c["members"])]
    return {item[k] for item in items for k in keys if item.get(k)}


def export(args: argparse.Namespace) -> int:
    from .store import queries

    out = sys.stdout
    for doc in queries.iter_documents(_reader(args.db), since=args.since, until=args.until):
        out.write(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n")
    return 0

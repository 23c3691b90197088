"""`cdr-agent daemon`: live capture from AMI (and FastAGI) into the database."""
from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import DaemonConfig

DEFAULT_CONFIG = Path("/etc/cdr-agent/daemon.toml")
HERE = Path(__file__).resolve().parent  # the unit and the example configuration ship here
# The production install (README "Production install"): a virtualenv of its own, outside any
# home (the unit runs with ProtectHome) and outside a checkout (whose next `git pull` or
# removed .venv would change or stop the service).
INSTALLED = "/opt/cdr-agent/bin/cdr-agent"
CONNECT_TIMEOUT = 5.0


def register(sub: argparse._SubParsersAction) -> None:
    d = sub.add_parser("daemon", help="capture live from AMI (and FastAGI) into the database (systemd service)")
    d.add_argument("--config", type=Path, default=DEFAULT_CONFIG,
                   help=f"TOML configuration (default {DEFAULT_CONFIG}); secrets belong there, not here")
    d.add_argument("--check", action="store_true", help="validate the configuration, print a summary and exit")
    d.add_argument("--connect", action="store_true",
                   help=f"--check, and also log in to each AMI and connect to the database ({CONNECT_TIMEOUT:g} s each)")
    d.add_argument("--print-unit", action="store_true",
                   help=f"print the systemd unit (ExecStart = {INSTALLED}, the production install)")
    d.add_argument("--print-example-config", action="store_true", help="print a commented example configuration")
    d.set_defaults(run=run)


def unit_text() -> str:
    """The packaged systemd unit: ExecStart is the production install, whichever cdr-agent
    prints it."""
    return (HERE / "cdr-agent.service").read_text(encoding="utf-8")


def _not_installed_note() -> str:
    """A warning when the unit's program is not there yet, or is not this one."""
    here = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0] else None
    if not Path(INSTALLED).exists():
        return f"cdr-agent: note: the unit starts {INSTALLED}, which does not exist yet (README: Production install)"
    if here is not None and here.name == "cdr-agent" and here != Path(INSTALLED).resolve():
        return f"cdr-agent: note: the unit starts {INSTALLED}, not this {here}"
    return ""


def run(args: argparse.Namespace) -> int:
    if args.print_unit:
        sys.stdout.write(unit_text())
        note = _not_installed_note()
        if note:
            print(note, file=sys.stderr)
        return 0
    if args.print_example_config:
        sys.stdout.write((HERE / "daemon.example.toml").read_text(encoding="utf-8"))
        return 0
    import structlog

    from .config import ConfigError, load

    # A service logs JSON lines on stdout (journald keeps them); the other commands use stderr.
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sys.stdout))
    try:
        config = load(args.config)
    except ConfigError as exc:
        print(f"cdr-agent: {exc}", file=sys.stderr)
        return 2
    placeholders = config.placeholders()
    for problem in placeholders:
        print(f"cdr-agent: {args.config}: {problem}", file=sys.stderr)
    if placeholders:
        return 2
    if args.check or args.connect:
        for target in config.ami:
            print(f"ami {target.server}: {target.username}@{target.host}:{target.port}")
        print(f"database: {config.safe_database()}")
        print(f"journal: {config.journal.directory}")
        print(f"metrics: {config.metrics or 'off'}; fastagi: {config.fastagi or 'off'}")
        return asyncio.run(_connect(config)) if args.connect else 0
    from .supervisor import Supervisor

    return asyncio.run(Supervisor(config).run())


async def _connect(config: "DaemonConfig") -> int:
    """--check --connect: each AMI login and the database, one line each; 1 if any failed."""
    from ..ami.probe import try_login
    from ..store.engine import StoreError, try_database

    results = await asyncio.gather(*(try_login(t, CONNECT_TIMEOUT) for t in config.ami))
    failed = 0
    for target, (ok, message) in zip(config.ami, results):
        print(f"ami {target.server}: {'ok' if ok else 'FAILED'}: {message}")
        failed += not ok
    try:
        found = await asyncio.to_thread(try_database, config.database, CONNECT_TIMEOUT)
        print(f"database: ok: {found}")
    except StoreError as exc:
        print(f"database: FAILED: {exc}")
        failed += 1
    return 1 if failed else 0

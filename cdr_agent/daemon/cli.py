"""`cdr-agent daemon`: live capture from AMI (and FastAGI) into the database."""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

DEFAULT_CONFIG = Path("/etc/cdr-agent/daemon.toml")
HERE = Path(__file__).resolve().parent  # the unit and the example configuration ship here


def register(sub: argparse._SubParsersAction) -> None:
    d = sub.add_parser("daemon", help="capture live from AMI (and FastAGI) into the database (systemd service)")
    d.add_argument("--config", type=Path, default=DEFAULT_CONFIG,
                   help=f"TOML configuration (default {DEFAULT_CONFIG}); secrets belong there, not here")
    d.add_argument("--check", action="store_true", help="validate the configuration, print a summary and exit")
    d.add_argument("--print-unit", action="store_true", help="print the systemd unit (ExecStart = this cdr-agent)")
    d.add_argument("--print-example-config", action="store_true", help="print a commented example configuration")
    d.set_defaults(run=run)


def unit_text() -> str:
    """The packaged systemd unit, its ExecStart pointing at the installed `cdr-agent` if found."""
    text = (HERE / "cdr-agent.service").read_text(encoding="utf-8")
    installed = shutil.which("cdr-agent")
    return text.replace("/opt/cdr-agent/bin/cdr-agent", installed) if installed else text


def run(args: argparse.Namespace) -> int:
    if args.print_unit:
        sys.stdout.write(unit_text())
        return 0
    if args.print_example_config:
        sys.stdout.write((HERE / "daemon.example.toml").read_text(encoding="utf-8"))
        return 0
    import asyncio

    import structlog

    from .config import ConfigError, load

    # A service logs JSON lines on stdout (journald keeps them); the other commands use stderr.
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sys.stdout))
    try:
        config = load(args.config)
    except ConfigError as exc:
        print(f"cdr-agent: {exc}", file=sys.stderr)
        return 2
    if args.check:
        for target in config.ami:
            print(f"ami {target.server}: {target.username}@{target.host}:{target.port}")
        print(f"database: {config.safe_database()}")
        print(f"journal: {config.journal.directory}")
        print(f"metrics: {config.metrics or 'off'}; fastagi: {config.fastagi or 'off'}")
        return 0
    from .supervisor import Supervisor

    return asyncio.run(Supervisor(config).run())

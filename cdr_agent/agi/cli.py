"""The AGI sub-commands: `fastagi` (serve the AGI scripts over TCP) and `spool import|status`.

Both are for installs without the AMI daemon (the daemon hosts FastAGI and reads the spool
itself). Settings come from the AGI settings file the classic scripts read (see
`cdr_agent.agi.config`); command-line options override it.
"""
from __future__ import annotations

import argparse
import sys

from ..cli import add_db
from .config import CONFIG_ENV, DEFAULT_PATH, DEFAULT_PORT, AgiConfig, load


def register(sub: argparse._SubParsersAction) -> None:
    f = sub.add_parser("fastagi", help="serve the AGI scripts over FastAGI, storing calls (no daemon)")
    f.add_argument("--listen", default=f"127.0.0.1:{DEFAULT_PORT}", type=listen_address,
                   help=f"HOST:PORT to listen on (default 127.0.0.1:{DEFAULT_PORT})")
    _settings(f)
    add_db(f)
    f.set_defaults(run=fastagi)

    s = sub.add_parser("spool", help="AGI observations waiting in the spool")
    spool_sub = s.add_subparsers(dest="spool_command", required=True)
    i = spool_sub.add_parser("import", help="store spooled observations and rebuild their calls (no daemon)")
    _settings(i)
    add_db(i)
    i.set_defaults(run=spool_import)
    st = spool_sub.add_parser("status", help="count the files waiting and rejected")
    _settings(st)
    st.set_defaults(run=spool_status)


def _settings(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--config", default="", help=f"AGI settings file (default ${CONFIG_ENV} or {DEFAULT_PATH})")
    cmd.add_argument("--spool", help="spool directory (default: from the settings file)")
    cmd.add_argument("--server", help="server name (default: from the settings file)")


def listen_address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    try:
        number = int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not HOST:PORT: {text!r}") from None
    if not 0 < number < 65536:
        raise argparse.ArgumentTypeError(f"port out of range: {number}")
    return host or "127.0.0.1", number


def settings(args: argparse.Namespace) -> AgiConfig:
    import structlog

    cfg, problems = load(args.config)
    for problem in problems:
        structlog.get_logger("cdr_agent.agi").warning("agi_config_problem", problem=problem)
    return AgiConfig(server=args.server or cfg.server, spool=args.spool or cfg.spool,
                     user_keys=cfg.user_keys, deadline_s=cfg.deadline_s)


def fastagi(args: argparse.Namespace) -> int:
    import asyncio
    import signal

    import structlog

    from ..store.engine import open_engine
    from .fastagi import FastAgiStats, serve_fastagi
    from .importer import ObservationStore
    from .sink import StoringHandler
    from .spool import Spool

    cfg = settings(args)
    log = structlog.get_logger("cdr_agent.agi")
    handler = StoringHandler(ObservationStore(open_engine(args.db, create=False)), Spool(cfg.spool)).start()
    stats = FastAgiStats()

    async def serve() -> None:
        host, port = args.listen
        server = await serve_fastagi(host, port, handler, server_name=cfg.server, deadline_s=cfg.deadline_s,
                                     user_keys=cfg.user_keys, stats=stats)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log.info("fastagi_listening", host=host, port=port, server=cfg.server, spool=cfg.spool)
        await stop.wait()
        server.close()
        await server.wait_closed()

    try:
        asyncio.run(serve())
    except OSError as exc:
        print(f"cdr-agent: cannot listen on {args.listen[0]}:{args.listen[1]}: {exc}", file=sys.stderr)
        return 1
    finally:
        handler.close()
    log.info("fastagi_stopped", **vars(stats), **vars(handler.stats))
    return 0


def spool_import(args: argparse.Namespace) -> int:
    import structlog

    from ..store.engine import database_problem, open_engine, safe_url
    from .importer import ObservationStore, import_spool
    from .spool import Spool

    cfg = settings(args)
    try:
        s = import_spool(Spool(cfg.spool), ObservationStore(open_engine(args.db, create=False)))
    except Exception as exc:  # noqa: BLE001 - the database is down: the files stay
        problem = database_problem(exc, args.db)
        print(f"cdr-agent: spool import stopped, files kept for the next run: {problem or f'{type(exc).__name__}: {exc}'}",
              file=sys.stderr)
        return 2 if problem else 1
    structlog.get_logger("cdr_agent.agi").info(
        "spool_imported", observations=s.observations, duplicates=s.duplicates, rejected=s.rejected,
        calls_written=s.calls_written, calls_removed=s.calls_removed)
    print(f"{s.observations} observations stored ({s.duplicates} already there, {s.rejected} unreadable)"
          f" -> {s.calls_written} calls written in {safe_url(args.db)}")
    return 0


def spool_status(args: argparse.Namespace) -> int:
    from .spool import Spool

    spool = Spool(settings(args).spool)
    print(f"{spool.root}: {len(spool.pending())} waiting, {len(spool.rejected_files())} rejected (in {spool.bad})")
    return 0

"""FastAGI: the AGI scripts' work over TCP (`AGI(agi://127.0.0.1/dial-result)`), no process
per call.

Built on asyncio streams rather than panoramisk's fast_agi (which busy-loops on a client
that closes before the blank line, and cannot run plain routes on 3.11+, see NOTES.md).
Every session has a deadline (250 ms by default): a client that connects and closes, sends
garbage, never sends the blank line or hangs up mid-session costs one short-lived task and
a counter, never a blocked event loop. The connection is closed as soon as the variables
are read (Asterisk goes on with the dialplan), then `handle(observation)` is called: a plain
callable that must not block (the daemon puts the observation on its queue).
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Optional

import structlog

from .observation import Observation
from .protocol import MAX_LINE, Reply
from .session import SCRIPTS, Environment, ReplyReader, VariableReading, names_to_read, observation

log = structlog.get_logger("cdr_agent.fastagi")

_BACKLOG = 1024


@dataclass
class FastAgiStats:
    """Counters for the metrics endpoint and the logs."""

    sessions: int = 0
    observations: int = 0
    dropped: int = 0  # closed, garbage or too slow before a usable environment
    partial: int = 0  # recorded with some variables unread (deadline, EOF, dead channel)
    hung_up: int = 0  # the channel hung up mid-session (Asterisk sent HANGUP); reads went on
    garbage_lines: int = 0  # environment lines that were not `agi_key: value`
    unknown_script: int = 0  # agi://host/<something we do not serve>: recorded as post-Dial
    handler_errors: int = 0


async def serve_fastagi(
    host: str,
    port: int,
    handle: Callable[[Observation], None],
    *,
    server_name: str,
    deadline_s: float = 0.25,
    user_keys: tuple[str, ...] = (),
    stats: Optional[FastAgiStats] = None,
) -> asyncio.base_events.Server:
    """Start serving; the caller owns the returned server (close() + wait_closed())."""
    counters = stats if stats is not None else FastAgiStats()
    names = names_to_read(user_keys)

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        counters.sessions += 1
        obs = await _session(reader, writer, names, server_name, user_keys, deadline_s, counters)
        if obs is None:
            return
        counters.observations += 1
        try:
            handle(obs)
        except Exception as exc:  # noqa: BLE001 - one bad observation must not stop the server
            counters.handler_errors += 1
            log.error("fastagi_handler_failed", error=f"{type(exc).__name__}: {exc}", uniqueid=obs.uniqueid)

    # A deep accept queue: a burst of hang-ups must not overflow it into 1 s SYN retries.
    return await asyncio.start_server(session, host, port, limit=2 * MAX_LINE, backlog=_BACKLOG)


async def _session(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    names: list[str],
    server_name: str,
    user_keys: tuple[str, ...],
    deadline_s: float,
    counters: FastAgiStats,
) -> Optional[Observation]:
    env, reading, replies = Environment(), VariableReading(names), ReplyReader()
    at: Optional[float] = None
    try:
        async with asyncio.timeout(deadline_s):
            while not env.done:
                line = await reader.readline()
                if not line.endswith(b"\n"):  # EOF, possibly mid-line
                    break
                env.feed(line.decode("utf-8", "replace"))
            if env.usable:
                at = time.time()
                while (cmd := reading.next_command()) is not None:
                    writer.write(cmd.encode("utf-8"))
                    await writer.drain()
                    reading.take(await _reply(reader, replies))
    except (TimeoutError, OSError, ValueError) as exc:  # OSError: reset; ValueError: a line over the limit
        log.debug("fastagi_session_cut", reason=type(exc).__name__)
    finally:
        writer.close()
    counters.garbage_lines += env.garbage
    counters.hung_up += replies.hung_up
    if at is None:
        counters.dropped += 1
        return None
    if any(value is None for value in reading.values.values()):
        counters.partial += 1
    script = env.values.get("agi_network_script", "").strip("/").split("?", 1)[0]
    if script not in SCRIPTS:
        counters.unknown_script += 1
    return observation(script, env.values, reading.values, at, server_name, user_keys)


async def _reply(reader: asyncio.StreamReader, replies: ReplyReader) -> Optional[Reply]:
    while (line := await reader.readline()).endswith(b"\n"):
        reply = replies.feed(line.decode("utf-8", "replace"))
        if reply is not None:
            return reply
    return None

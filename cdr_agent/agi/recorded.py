"""Asterisk's side of an AGI session, played from a recording (one `agi.jsonl` line).

Tests and benchmarks run the real `agi-bin/` scripts and the FastAGI server against it:
it sends the recorded `agi_*` environment and answers `GET [FULL] VARIABLE` from the
recorded variables, evaluating the expressions our scripts send (`${NAME}`,
`${BASE64_ENCODE(${NAME})}`, joined by commas) as Asterisk would. A variable the recording
does not have reads as unset (empty), as it would on a server where it was never set.
"""
from __future__ import annotations

import asyncio
import base64
import re
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Optional

_EXPR = re.compile(r"\$\{BASE64_ENCODE\((\$\{[^{}]*\}|[^${}()]*)\)\}|\$\{([^{}]*)\}")
_GET = re.compile(r'^GET (FULL )?VARIABLE "?(.*?)"?$')


@dataclass
class RecordedSession:
    """One recorded AGI run: its environment and the variables Asterisk had."""

    env: dict[str, str]
    variables: dict[str, Optional[str]]
    ts: Optional[float] = None

    @classmethod
    def from_line(cls, line: dict) -> "RecordedSession":
        return cls(dict(line.get("env") or {}), dict(line.get("vars") or {}), line.get("ts"))

    def env_bytes(self, fastagi_script: Optional[str] = None, port: int = 4573) -> bytes:
        env = dict(self.env)
        if fastagi_script is not None:
            env.update(agi_network="yes", agi_network_script=fastagi_script,
                       agi_request=f"agi://127.0.0.1:{port}/{fastagi_script}")
        lines = [f"{k}: {v}\n" for k, v in env.items()]
        return ("".join(lines) + "\n").encode("utf-8")

    def value(self, name: str) -> str:
        return self.variables.get(name) or ""

    def evaluate(self, expr: str) -> str:
        def sub(m: re.Match) -> str:
            if m.group(1) is not None:
                inner = m.group(1)
                text = self.value(inner[2:-1]) if inner.startswith("${") else inner
                return base64.b64encode(text.encode("utf-8")).decode("ascii")
            return self.value(m.group(2))

        return _EXPR.sub(sub, expr)

    def answer(self, command: str) -> str:
        """Asterisk's reply line to one command line."""
        m = _GET.match(command.rstrip("\r\n"))
        if m is None:
            return "510 Invalid or unknown command\n"
        full, expr = m.groups()
        if full:
            return f"200 result=1 ({self.evaluate(expr)})\n"
        value = self.value(expr)
        return f"200 result=1 ({value})\n" if value else "200 result=0\n"


@dataclass
class Played:
    returncode: Optional[int]
    seconds: float  # process start (or connect) to exit (or close)
    commands: list[str]
    stderr: str = ""
    released: Optional[float] = None  # process start to its stdout closing: the dialplan goes on


def play_classic(argv: Sequence[str], session: RecordedSession, env: Optional[dict[str, str]] = None,
                 timeout: float = 10.0, answer: Optional[Callable[[str], Optional[str]]] = None,
                 env_bytes: Optional[bytes] = None) -> Played:
    """Run a classic AGI script as Asterisk would: env on stdin, answer each command line.
    `answer` replaces the recorded answers (None from it: close stdin, as on a dead pipe)."""
    reply = answer or session.answer
    commands: list[str] = []
    started = time.perf_counter()
    proc = subprocess.Popen(list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(session.env_bytes() if env_bytes is None else env_bytes)
        proc.stdin.flush()
        for raw in proc.stdout:
            text = raw.decode("utf-8", "replace")
            commands.append(text.rstrip("\r\n"))
            out = reply(text)
            if out is None:
                break
            proc.stdin.write(out.encode("utf-8"))
            proc.stdin.flush()
    except BrokenPipeError:
        pass
    released = time.perf_counter() - started
    try:
        proc.stdin.close()
    except BrokenPipeError:
        pass
    try:
        code = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = None
    seconds = time.perf_counter() - started
    stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    return Played(code, seconds, commands, stderr, released)


async def play_fastagi(host: str, port: int, session: RecordedSession, script: str,
                       timeout: float = 5.0) -> Played:
    """One FastAGI session as Asterisk would run it; `seconds` is connect to server close."""
    commands: list[str] = []
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(session.env_bytes(fastagi_script=script, port=port))
        await writer.drain()
        while line := await asyncio.wait_for(reader.readline(), timeout):
            text = line.decode("utf-8", "replace")
            commands.append(text.rstrip("\r\n"))
            writer.write(session.answer(text).encode("utf-8"))
            await writer.drain()
    except (ConnectionError, asyncio.TimeoutError):
        pass
    finally:
        writer.close()
    return Played(0, time.perf_counter() - started, commands)

"""Classic AGI (one process per call): read, hand the dialplan back, spool, exit 0.

Never breaks a call: whatever happens (odd environment, HANGUP/EOF/511, the deadline, a
full disk) the process exits 0 and Asterisk goes on with the dialplan. Asterisk is released
as soon as the variables are read (stdout closed); the observation is then written to the
spool, from which `cdr-agent spool import` or the daemon stores it.

Start-up is the cost here: standard library only, no SQLAlchemy or structlog (NOTES.md).
Problems go to stderr as one line each, which Asterisk shows in its log.
"""
from __future__ import annotations

import _signal  # signal's C half: the module `signal` imports enum, ~5 ms of every run
import os
import select
import time

from .config import AgiConfig, load
from .observation import Observation
from .protocol import MAX_LINE, Reply
from .session import Environment, ReplyReader, VariableReading, names_to_read, observation
from .spool import Spool


class PipeLines:
    """Lines from a file descriptor, with a deadline: None on EOF, timeout or an endless line."""

    def __init__(self, fd: int, deadline: float) -> None:
        self.fd, self.deadline = fd, deadline
        self._buf = b""

    def readline(self) -> str | None:
        while b"\n" not in self._buf:
            left = self.deadline - time.monotonic()
            if left <= 0 or len(self._buf) > MAX_LINE:
                return None
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(self.fd, 65536)
            if not chunk:
                return None
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return line.decode("utf-8", "replace")


def read_observation(script: str, cfg: AgiConfig, rx: PipeLines, out_fd: int) -> Observation | None:
    """Run one AGI session on the pipes; None when there is nothing to record (no usable
    environment)."""
    env = Environment()
    while not env.done:
        line = rx.readline()
        if line is None:
            return None
        env.feed(line)
    if not env.usable:
        return None
    at = time.time()
    reading, replies = VariableReading(names_to_read(cfg.user_keys)), ReplyReader()
    while (cmd := reading.next_command()) is not None:
        try:
            os.write(out_fd, cmd.encode("utf-8"))
        except OSError:  # Asterisk went away
            break
        reading.take(_reply(rx, replies))
    return observation(script, env.values, reading.values, at, cfg.server, cfg.user_keys)


def _reply(rx: PipeLines, replies: ReplyReader) -> Reply | None:
    while (line := rx.readline()) is not None:
        reply = replies.feed(line)
        if reply is not None:
            return reply
    return None


def main(script: str) -> None:
    """Entry point of `agi-bin/cdr-agent-<script>`; always exits 0. Asterisk sends SIGHUP
    when the channel hangs up (unless AGISIGHUP=no): ignored, the run finishes its work (the
    scripts ignore it before importing anything, too)."""
    _signal.signal(_signal.SIGHUP, _signal.SIG_IGN)
    started = time.monotonic()
    try:
        cfg, problems = load()
        for problem in problems:
            _say(problem)
        obs = read_observation(script, cfg, PipeLines(0, started + cfg.deadline_s), 1)
        os.close(1)  # the dialplan goes on now; the rest is ours
        if obs is not None:
            Spool(cfg.spool).put(obs)
    except BaseException as exc:  # noqa: BLE001 - never break a call
        _say(f"observation not recorded: {type(exc).__name__}: {exc}")
    os._exit(0)


def _say(message: str) -> None:
    try:
        os.write(2, f"cdr-agent AGI: {message}\n".encode("utf-8", "replace"))
    except OSError:
        pass

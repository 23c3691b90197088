"""systemd's notify protocol (sd_notify): one datagram to $NOTIFY_SOCKET, a few lines of stdlib.

Outside systemd (no $NOTIFY_SOCKET) every call is a no-op, so the daemon runs the same in a
terminal, a container or the tests.
"""
from __future__ import annotations

import os
import socket
from typing import Optional


class Notifier:
    def __init__(self, environ: Optional[dict[str, str]] = None) -> None:
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET", "")
        self.address = "\0" + address[1:] if address.startswith("@") else address
        self.watchdog_s = _watchdog_seconds(env)

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def send(self, *lines: str) -> bool:
        """Send `READY=1`, `WATCHDOG=1`, `STATUS=...`, `STOPPING=1`...; False if not under systemd,
        or the socket is gone or full. Never raises, never blocks: it runs on the event loop,
        and systemd trouble must not stop the capture."""
        if not self.address:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.setblocking(False)
                sock.connect(self.address)
                sock.sendall("\n".join(lines).encode())
            return True
        except OSError:
            return False


def _watchdog_seconds(env: dict[str, str]) -> Optional[float]:
    """WatchdogSec= as systemd passes it (WATCHDOG_USEC, for WATCHDOG_PID if set)."""
    usec = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 1e6

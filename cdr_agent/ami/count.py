"""Counting AMI messages as the bytes arrive, without parsing them: the capture side's own
figure, which goes on while the builder or the database lags behind."""
from __future__ import annotations

_END = b"\r\n\r\n"  # every message ends with a blank line


class MessageCounter:
    """Messages (events and responses) in one AMI byte stream; a blank line split across two
    reads is counted once."""

    def __init__(self) -> None:
        self.messages = 0
        self._tail = b""

    def feed(self, data: bytes) -> None:
        joined = self._tail + data if self._tail else data
        self.messages += joined.count(_END)
        self._tail = joined[-(len(_END) - 1):]

"""The store as a call sink: what an `Ingest` hands over is written in batches.

One transaction per flush (the Ingest flushes every 200 finished calls and at the end), so
a replay writes as fast as before the sink existed; merged-away calls are deleted at once.
"""
from __future__ import annotations

from ..calltree.model import Call
from .writer import CallWriter


class WritingSink:
    """A `CallSink` (cdr_agent.ingest) that writes through a `CallWriter`."""

    def __init__(self, writer: CallWriter) -> None:
        self.writer = writer
        self.pending: list[Call] = []

    def finished(self, calls: list[Call]) -> None:
        self.pending.extend(calls)

    def dropped(self, call_ids: list[str]) -> None:
        self.writer.delete(call_ids)

    def in_progress(self, calls: list[Call]) -> None:
        self.writer.write(calls)

    def flush(self) -> None:
        if self.pending:
            self.writer.write(self.pending)
        self.pending = []

"""Ingest: AMI events and AGI observations in, call trees out to the sinks.

`core` feeds the builder and hands the calls to an `EventSink` and a `CallSink`; `journal`
applies the daemon's capture journal to an Ingest, for the live daemon and for `cdr-agent
replay JOURNAL` alike. Below the store: nothing here imports SQL.
"""
from __future__ import annotations

from .core import AGI_MARKER, CallSink, EventSink, Ingest, IngestStats
from .journal import FeedSettings, JournalFeed, ServerStream, replay_journal, worth_logging

__all__ = [
    "AGI_MARKER",
    "CallSink",
    "EventSink",
    "FeedSettings",
    "Ingest",
    "IngestStats",
    "JournalFeed",
    "ServerStream",
    "replay_journal",
    "worth_logging",
]

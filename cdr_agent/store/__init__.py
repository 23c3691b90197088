"""Persistent store of call trees (SQLAlchemy Core; SQLite, PostgreSQL, MySQL/MariaDB).

Imports SQLAlchemy (~0.5 s): keep it off the per-call AGI path.
"""
from __future__ import annotations

from .queries import (
    find_call_ids,
    iter_calls,
    iter_documents,
    list_calls,
    load_call,
    load_document,
)
from . import stats_tables  # noqa: F401  (puts the statistics tables on `metadata`)
from . import agi_tables  # noqa: F401  (puts the AGI observations table on `metadata`)
from . import sqlviews  # noqa: F401  (the reporting views, created with the tables)
from .tables import metadata
from .comments import apply as _apply_comments

_apply_comments(metadata)  # the data dictionary, before any table is created
from .engine import DEFAULT_URL, StoreError, open_engine, open_reader
from .writer import CallWriter

__all__ = [
    "DEFAULT_URL",
    "CallWriter",
    "find_call_ids",
    "iter_calls",
    "iter_documents",
    "list_calls",
    "load_call",
    "load_document",
    "metadata",
    "open_engine",
    "open_reader",
    "StoreError",
]

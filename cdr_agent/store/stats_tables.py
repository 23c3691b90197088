"""Call-centre statistics tables, derived from the call trees.

Per-call rows (`stat_queue_calls`, `stat_agent_calls`) are written with their call by the
call writer (store/percall.py); hourly rows are added up from them by `cdr-agent stats fill`.
Nothing here comes from queue configuration: changing a queue's timeout or service level in
queues.conf never forces a rebuild. Every row can be rebuilt from the call trees (`stats fill
--rederive`), so the tables are a cache a DBA may truncate; `stat_agent_sessions` is the
exception (agent presence is not part of a call tree: it is captured from QueueMember* events).

Hours are UTC hour starts. A queue call counts in the hour the caller entered the queue, and
so do the agent attempts made for it: queue and agent figures of one hour add up.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Double, Index, Integer, PrimaryKeyConstraint, String, Table, Text

from ..calltree.vocab import QUEUE_STATUSES, SL_THRESHOLDS, sl_column
from .tables import _TABLE_KW, ID, REF, SERVER, WORD, UTCDateTime, metadata

__all__ = [
    "stat_queue_calls",
    "stat_agent_calls",
    "stat_queue_hourly",
    "stat_agent_hourly",
    "stat_agent_presence_hourly",
    "stat_agent_sessions",
    "stat_fill_hours",
]

QUEUE = String(128)
AGENT = String(255)  # queue member name (MemberName, else Interface)

def _count(name: str) -> Column[int]:
    return Column(name, Integer, nullable=False, default=0)


def _seconds(name: str) -> Column[float]:
    return Column(name, Double, nullable=False, default=0.0)


def _agent_figures() -> list[Column[Any]]:
    """What an agent's attempts add up to (per visit, or per hour)."""
    return [
        _count("rung"),  # every ring, including those cut because someone else answered
        _count("answered"),
        _count("ring_no_answer"),  # rang until the member timeout (DIALSTATUS NOANSWER)
        _count("rejected"),  # the phone refused: BUSY, CONGESTION, CHANUNAVAIL
        _count("transferred"),  # answered, then transferred the caller out of the queue
        _seconds("ring_s"),
        _seconds("talk_s"),  # answered attempts
    ]


def _per_hour(*keys: tuple[str, String]) -> list[Column[Any]]:
    """The key of an hourly table: hour, server, then `keys` (name, type)."""
    return [
        Column("hour", UTCDateTime(), primary_key=True),
        Column("server", SERVER, primary_key=True),
        *(Column(name, type_, primary_key=True) for name, type_ in keys),
    ]


# One row per call per queue visit (a call that overflowed from one queue to another has two).
# Keyed by the hourly row it counts in (hour, server, queue), then the visit: the rows of an
# hour are stored together and in the order the fill groups them (SQLite WITHOUT ROWID and
# InnoDB store the table as that key's B-tree), so an hourly GROUP BY reads one range and
# sorts nothing. The writer replaces a call's rows by call_id; the fill finds the hours a
# window of call starts touched by call_hour.
stat_queue_calls = Table(
    "stat_queue_calls",
    metadata,
    Column("hour", UTCDateTime(), nullable=False),  # hour the caller entered the queue
    Column("call_id", ID, nullable=False),
    Column("app_id", REF, nullable=False),  # the queue application context of the call tree
    Column("call_hour", UTCDateTime(), nullable=False),  # hour the call started: a fill's unit
    Column("server", SERVER, nullable=False),
    Column("queue", QUEUE, nullable=False),
    Column("status", WORD, nullable=False),  # one of QUEUE_STATUSES
    Column("agent", AGENT),  # who answered
    Column("entered_at", UTCDateTime()),
    Column("left_at", UTCDateTime()),  # connected to the agent, or gone
    Column("wait_s", Double),  # entered -> left
    Column("ring_s", Double),  # the answering agent's ring
    Column("talk_s", Double),  # the answering agent's talk (until the transfer, if any)
    PrimaryKeyConstraint("hour", "server", "queue", "call_id", "app_id"),
    Index("ix_stat_queue_calls_call_hour", "call_hour", "hour"),
    Index("ix_stat_queue_calls_call_id", "call_id"),
    sqlite_with_rowid=False,
    **_TABLE_KW,
)

# One row per queue visit per agent rung for it, adding up that agent's attempts; keyed like
# stat_queue_calls by its hourly row (the hour and queue are the visit's, so queue and agent
# hours add up).
stat_agent_calls = Table(
    "stat_agent_calls",
    metadata,
    Column("hour", UTCDateTime(), nullable=False),
    Column("call_id", ID, nullable=False),
    Column("app_id", REF, nullable=False),
    Column("agent", AGENT, nullable=False),
    Column("server", SERVER, nullable=False),
    Column("queue", QUEUE, nullable=False),
    *_agent_figures(),
    PrimaryKeyConstraint("hour", "server", "queue", "agent", "call_id", "app_id"),
    Index("ix_stat_agent_calls_call_id", "call_id"),
    sqlite_with_rowid=False,
    **_TABLE_KW,
)

stat_queue_hourly = Table(
    "stat_queue_hourly",
    metadata,
    *_per_hour(("queue", QUEUE)),
    _count("offered"),
    *(_count(status) for status in QUEUE_STATUSES),  # `answered` includes `transferred`
    _seconds("wait_s"),  # all offered calls
    _seconds("wait_max_s"),
    _seconds("answered_wait_s"),  # answered calls: ASA = answered_wait_s / answered
    _seconds("answered_wait_max_s"),
    _seconds("abandoned_wait_s"),
    _seconds("abandoned_wait_max_s"),
    _seconds("talk_s"),  # answered calls: AHT = talk_s / answered
    *(_count(sl_column(n)) for n in SL_THRESHOLDS),
    **_TABLE_KW,
)

stat_agent_hourly = Table(
    "stat_agent_hourly",
    metadata,
    *_per_hour(("queue", QUEUE), ("agent", AGENT)),
    *_agent_figures(),
    **_TABLE_KW,
)

# Presence over all queues: logged in = member of at least one queue; paused = paused in at
# least one (Asterisk's usual pause covers every queue of the member).
stat_agent_presence_hourly = Table(
    "stat_agent_presence_hourly",
    metadata,
    *_per_hour(("agent", AGENT)),
    _seconds("login_s"),
    _seconds("pause_s"),
    **_TABLE_KW,
)

# Source data, not derived: one row per membership or pause, from QueueMemberAdded/Removed/
# Pause/Status. `ended_at` NULL while open; `seen_at` is the last moment the capture saw it hold
# (for an ended session, its end: never before `ended_at`, so a window is found by `seen_at`).
stat_agent_sessions = Table(
    "stat_agent_sessions",
    metadata,
    Column("session_id", ID, primary_key=True),
    Column("server", SERVER, nullable=False),
    Column("agent", AGENT, nullable=False),
    Column("queue", QUEUE, nullable=False),
    Column("kind", WORD, nullable=False),  # login | pause
    Column("started_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime()),
    Column("seen_at", UTCDateTime(), nullable=False),
    Column("reason", Text),  # PausedReason
    Index("ix_stat_agent_sessions_started_at", "started_at"),
    Index("ix_stat_agent_sessions_seen_at", "seen_at"),
    **_TABLE_KW,
)

# What each fill saw, per hour of call start: `queue_visits` counts the queue visits of the
# finished calls that started in the hour. A later fill refills an hour whose count changed (a
# call written late, or finished).
stat_fill_hours = Table(
    "stat_fill_hours",
    metadata,
    Column("hour", UTCDateTime(), primary_key=True),
    Column("queue_visits", Integer, nullable=False),
    Column("filled_at", UTCDateTime(), nullable=False),
    **_TABLE_KW,
)

"""Raw AGI observations: what AGI-only calls are rebuilt from (installs without the daemon).

A classic AGI run sees one moment of one channel; the call is rebuilt from every
observation of its linkedid group each time one arrives (see `cdr_agent.agi.rebuild`).
`obs_id` is the observation's own deterministic id, so an observation imported twice (a
spool file read again after a crash) is kept once.
"""
from __future__ import annotations

from sqlalchemy import Column, Index, String, Table

from .tables import _TABLE_KW, ID, JSON_TEXT, SERVER, UNIQUEID, UTCDateTime, metadata

agi_observations = Table(
    "agi_observations",
    metadata,
    Column("obs_id", String(32), primary_key=True),
    Column("server", SERVER, nullable=False),
    Column("group_key", UNIQUEID, nullable=False),  # linkedid of the channel's first observation
    Column("uniqueid", UNIQUEID, nullable=False),
    Column("observed_at", UTCDateTime()),
    Column("call_id", ID),  # the call it was last built into
    Column("document", JSON_TEXT, nullable=False),  # Observation.to_json()
    Index("ix_agi_observations_group", "server", "group_key"),
    Index("ix_agi_observations_uniqueid", "server", "uniqueid"),
    **_TABLE_KW,
)

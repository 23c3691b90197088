"""Storing AGI observations and the AGI-only calls rebuilt from them.

Nothing lost, nothing stored twice:
- an observation is stored under its deterministic `obs_id`, at most once;
- its linkedid group is then rebuilt from every stored observation of the group and the
  resulting calls are upserted (deterministic call ids), calls the group no longer makes
  are deleted: running the same import twice leaves the same rows;
- a spool file is deleted only after both steps committed; a crash in between means the
  file is imported again, which is harmless (see above).

For installs without the AMI daemon. With the daemon, observations go to its builder
instead (hosted FastAGI, or its `[spool]` drain, daemon/spooldrain.py): never run both
against one database, the AGI-only trees would replace the daemon's.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import structlog
from sqlalchemy import Engine, and_, bindparam, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ..store.agi_tables import agi_observations as table
from ..store.tables import id_in, metadata
from ..store.writer import CallWriter
from .observation import Observation
from .rebuild import rebuild
from .spool import Spool

log = structlog.get_logger("cdr_agent.agi")

_BATCH = 500  # spool files per transaction
_RETRIES = 2  # another importer stored the same observation meanwhile: read again, once

Group = tuple[str, str]  # (server, group key)


@dataclass
class ImportStats:
    observations: int = 0  # stored now
    duplicates: int = 0  # already stored (a spool file read again, a retried batch)
    rejected: int = 0  # unreadable spool files, moved to bad/
    calls_written: int = 0
    calls_removed: int = 0  # calls a group no longer makes (a late observation reordered it)
    groups: set[Group] = field(default_factory=set)


class ObservationStore:
    """The agi_observations table and the calls built from it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.writer = CallWriter(engine)
        self._in = id_in(table.c.obs_id, engine.dialect.name)
        self._tables_ready = False  # created on first use: the database may be down at start

    def _ensure_tables(self) -> None:
        if not self._tables_ready:
            metadata.create_all(self.engine)
            self._tables_ready = True

    def add(self, observations: Iterable[Observation], stats: ImportStats | None = None) -> ImportStats:
        """Store the observations (each once) and rebuild the calls of their groups."""
        stats = stats if stats is not None else ImportStats()
        batch = {obs.obs_id: obs for obs in observations}
        if not batch:
            return stats
        self._ensure_tables()
        for attempt in range(_RETRIES):
            try:
                groups = self._insert(batch, stats)
                break
            except IntegrityError:
                if attempt + 1 == _RETRIES:
                    raise
        for group in sorted(groups):
            self._rebuild(group, stats)
        stats.groups |= groups
        return stats

    def _insert(self, batch: dict[str, Observation], stats: ImportStats) -> set[Group]:
        with self.engine.begin() as conn:
            known = {
                row.obs_id: (row.server, row.group_key)
                for row in conn.execute(select(table.c.obs_id, table.c.server, table.c.group_key).where(self._in),
                                        {"ids": list(batch)})
            }
            groups = set(known.values())
            fresh = [obs for obs_id, obs in batch.items() if obs_id not in known]
            rows = []
            chosen: dict[tuple[str, str], str] = {}  # (server, uniqueid) -> group key, this batch
            for obs in sorted(fresh, key=lambda o: (o.time or 0.0, o.obs_id)):
                key = chosen.get((obs.server, obs.uniqueid)) or self._group_of(conn, obs)
                chosen[(obs.server, obs.uniqueid)] = key
                groups.add((obs.server, key))
                rows.append({"obs_id": obs.obs_id, "server": obs.server, "group_key": key, "uniqueid": obs.uniqueid,
                             "observed_at": obs.time, "call_id": None, "document": obs.to_json()})
            if rows:
                conn.execute(table.insert(), rows)
        stats.observations += len(rows)
        stats.duplicates += len(batch) - len(rows)
        return groups

    @staticmethod
    def _group_of(conn: Connection, obs: Observation) -> str:
        """A channel stays in the group of its first observation (its linkedid may change)."""
        found = conn.execute(
            select(table.c.group_key).where(and_(table.c.server == obs.server, table.c.uniqueid == obs.uniqueid)).limit(1)
        ).scalar()
        return found or obs.linkedid or obs.uniqueid

    def _rebuild(self, group: Group, stats: ImportStats) -> None:
        server, key = group
        where = and_(table.c.server == server, table.c.group_key == key)
        with self.engine.connect() as conn:
            rows = conn.execute(select(table.c.obs_id, table.c.call_id, table.c.document).where(where)).all()
        observations = [Observation.from_json(row.document) for row in rows]
        calls = rebuild(observations)
        call_of = {leg.uniqueid: call.call_id for call in calls for leg in call.legs}
        stale = {row.call_id for row in rows if row.call_id} - {call.call_id for call in calls}
        if stale:
            stats.calls_removed += self.writer.delete(sorted(stale))
        stats.calls_written += self.writer.write(calls)
        updates = [{"oid": obs.obs_id, "cid": call_of.get(obs.uniqueid)} for obs in observations]
        stmt = update(table).where(table.c.obs_id == bindparam("oid")).values(call_id=bindparam("cid"))
        with self.engine.begin() as conn:
            conn.execute(stmt, updates)


def import_spool(spool: Spool, store: ObservationStore, limit: int | None = None) -> ImportStats:
    """Store what waits in the spool, oldest first; files are deleted once stored. Stops at
    the first database error (the files stay for the next run) and raises it."""
    stats = ImportStats()
    done = 0
    while (limit is None or done < limit) and (paths := spool.pending(_BATCH)):
        read = [(path, spool.read(path)) for path in paths]
        store.add([obs for _, obs in read if obs is not None], stats)
        for path, _ in read:
            spool.done(path)
        done += len(paths)
    stats.rejected = spool.rejected
    if stats.rejected:
        log.warning("spool_files_rejected", count=stats.rejected, moved_to=str(spool.bad))
    return stats

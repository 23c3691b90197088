"""Table definitions (SQLAlchemy Core) for the call tree, portable to SQLite, PostgreSQL, MySQL.

One row per call plus child tables keyed by `call_id` and a `seq` giving the order of the
list in the model, so a stored call reads back into the same document. Leg references
(`from_leg`, `target_leg`, ...) carry no foreign key: they may name a leg of another call.
Free text (names, channels, dial strings, JSON) is `Text` so nothing is ever truncated;
indexed or key columns are `VARCHAR` with a length because MySQL needs one.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    any_,
    bindparam,
    false,
)
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = [
    "metadata",
    "calls",
    "legs",
    "attempts",
    "transfers",
    "conference_members",
    "apps",
    "CHILD_TABLES",
    "UTCDateTime",
    "id_in",
]

ID = String(36)  # call ids are uuid text
REF = String(64)  # leg ids (uuid) and app ids ("<call_id>:<n>")
SERVER = String(255)
UNIQUEID = String(150)  # AST_MAX_UNIQUEID
WORD = String(64)  # status words: call status, DIALSTATUS, via, transfer kind, app
# JSON documents may exceed MySQL's 64 KB TEXT.
JSON_TEXT = Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
# MySQL's DATETIME drops microseconds unless asked for them.
_DATETIME = DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
_TABLE_KW: dict[str, Any] = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}
_MYSQL_PREFIX = 64  # index prefix length for TEXT columns on MySQL


class UTCDateTime(TypeDecorator[float]):
    """A timestamp column that takes and returns float epoch seconds (UTC).

    PostgreSQL stores an aware `timestamptz`; SQLite and MySQL keep a naive value, which we
    always write and read as UTC, so every backend gives back the same float.
    """

    impl = _DATETIME
    cache_ok = True

    def process_bind_param(self, value: Optional[float], dialect: Dialect) -> Optional[datetime]:
        if value is None:
            return None
        if isinstance(value, datetime):
            dt = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        else:
            dt = datetime.fromtimestamp(float(value), tz=timezone.utc)
        if dialect.name == "postgresql":
            return dt
        return dt.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> Optional[float]:
        if value is None:
            return None
        if isinstance(value, str):  # defensive: raw SQLite text
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.timestamp()


def id_in(column: Column[str], dialect_name: str, name: str = "ids") -> ColumnElement[bool]:
    """`column IN :ids` for a list bound at execution time.

    PostgreSQL gets `= ANY(:ids)` with one array parameter: the SQL text stays the same for
    any list length, so psycopg's statement cache works (a long expanded IN list is re-parsed
    by psycopg on every call and cost more than the delete itself).
    """
    if dialect_name == "postgresql":
        return column == any_(bindparam(name, type_=postgresql.ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


def _call_fk() -> ForeignKey:
    return ForeignKey("calls.call_id", ondelete="CASCADE")


metadata = MetaData()

calls = Table(
    "calls",
    metadata,
    Column("call_id", ID, primary_key=True),
    Column("server", SERVER, nullable=False),
    Column("status", WORD, nullable=False),
    Column("started_at", UTCDateTime()),
    Column("answered_at", UTCDateTime()),
    Column("ended_at", UTCDateTime()),
    Column("linkedids", JSON_TEXT, nullable=False),  # JSON list
    Column("user_data", JSON_TEXT, nullable=False),  # JSON object
    Column("caller_num", Text),  # Call.caller: who started the interaction
    Column("caller_name", Text),
    Column("dialed", Text),  # Call.dialed: what they dialled
    Column("flags", JSON_TEXT, nullable=False),  # JSON list: Call.flags (gap, stale)
    Column("answered", Boolean, nullable=False, server_default=false()),  # the caller reached a person
    Column("time_source", WORD, nullable=False, server_default="none"),  # asterisk | arrival | none
    Index("ix_calls_started_at", "started_at"),
    Index("ix_calls_server", "server"),
    Index("ix_calls_caller_num", "caller_num", mysql_length=_MYSQL_PREFIX),
    Index("ix_calls_dialed", "dialed", mysql_length=_MYSQL_PREFIX),
    **_TABLE_KW,
)

legs = Table(
    "legs",
    metadata,
    Column("leg_id", REF, primary_key=True),
    Column("call_id", ID, _call_fk(), nullable=False),
    Column("seq", Integer, nullable=False),  # position in call.legs
    Column("server", SERVER, nullable=False),
    Column("uniqueid", UNIQUEID, nullable=False),
    Column("channel", Text, nullable=False),
    Column("caller_num", Text),
    Column("caller_name", Text),
    Column("connected_num", Text),
    Column("connected_name", Text),
    Column("created_at", UTCDateTime()),
    Column("answered_at", UTCDateTime()),
    Column("ended_at", UTCDateTime()),
    Column("hangup_cause", Integer),
    Column("local_peer", REF),
    Column("context", Text),
    Column("exten", Text),
    Column("answered", Boolean, nullable=False, server_default=false()),  # went Up (answered_at may be unknown)
    Index("ix_legs_call_id", "call_id", "seq"),
    Index("ix_legs_server_uniqueid", "server", "uniqueid"),
    **_TABLE_KW,
)

attempts = Table(
    "attempts",
    metadata,
    Column("call_id", ID, _call_fk(), primary_key=True),
    Column("seq", Integer, primary_key=True),  # Attempt.seq, = position + 1
    Column("from_leg", REF),
    Column("to_leg", REF),
    Column("hop_leg", REF),
    Column("dialstring", Text),
    Column("outcome", WORD),
    Column("via", WORD, nullable=False),
    Column("app_id", REF),
    Column("agent", Text),  # queue member name
    Column("began_at", UTCDateTime()),
    Column("answered_at", UTCDateTime()),
    Column("ended_at", UTCDateTime()),
    Column("ring_s", Double),
    Column("talk_s", Double),
    **_TABLE_KW,
)

transfers = Table(
    "transfers",
    metadata,
    Column("call_id", ID, _call_fk(), primary_key=True),
    Column("seq", Integer, primary_key=True),  # Transfer.seq, = position + 1
    Column("kind", WORD, nullable=False),
    Column("transferer_leg", REF),
    Column("transferee_leg", REF),
    Column("target_leg", REF),
    Column("target_exten", Text),
    Column("target_context", Text),
    Column("at", UTCDateTime()),
    Column("completed", Boolean, nullable=False),
    **_TABLE_KW,
)

# One row per member; a conference without members is kept as one row with `leg` NULL.
conference_members = Table(
    "conference_members",
    metadata,
    Column("call_id", ID, _call_fk(), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("room", Text, nullable=False),
    Column("bridge_id", String(64), nullable=False),
    Column("leg", REF),
    Column("joined_at", UTCDateTime()),
    Column("left_at", UTCDateTime()),
    **_TABLE_KW,
)

apps = Table(
    "apps",
    metadata,
    Column("call_id", ID, _call_fk(), primary_key=True),
    Column("app_id", REF, primary_key=True),
    Column("seq", Integer, nullable=False),  # position in call.apps
    Column("app", WORD, nullable=False),
    Column("name", Text),
    Column("leg", REF),
    Column("entered_at", UTCDateTime()),
    Column("left_at", UTCDateTime()),
    Column("result", Text),
    Column("wait_s", Double),
    Column("position", Integer),
    Column("data", JSON_TEXT, nullable=False),  # JSON object
    **_TABLE_KW,
)

# Children of `calls`, in the order they are read back.
CHILD_TABLES: tuple[Table, ...] = (legs, attempts, transfers, conference_members, apps)

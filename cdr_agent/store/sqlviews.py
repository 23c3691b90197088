"""The public SQL interface: views over the call-tree tables for reporting tools.

`cdr_fixed` is Asterisk's CDR layout, one row per attempt, but right (see the README,
"Reporting from SQL"); `report_calls`, `report_queue_calls` and `report_agent_sessions` answer
the common questions. They are views, not tables written with the call: a view is always
exactly what the call tree says (a call rewritten as it grows, or re-derived, needs no second
write), costs no storage, and the same SQLAlchemy definition compiles for SQLite, PostgreSQL
and MySQL/MariaDB. Their names and columns keep their meaning across versions, like the JSON
document; columns may be added at the end.

Views are created with the tables (`open_engine`, `schema/*.sql`) and by migration 0006.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Integer,
    MetaData,
    String,
    and_,
    case,
    cast,
    event,
    func,
    inspect,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import ExecutableDDLElement
from sqlalchemy.sql.compiler import DDLCompiler
from sqlalchemy.sql.expression import ColumnElement, Select

from ..calltree.vocab import ANSWER, IN_PROGRESS
from .sqlfuncs import asterisk_seconds, seconds_between, utc_wall
from .stats_tables import stat_agent_sessions, stat_queue_calls
from .tables import apps, attempts, calls, legs, metadata, transfers

__all__ = ["View", "ViewColumn", "VIEWS", "CreateView", "DropView"]

# Asterisk's default AMA flag, DOCUMENTATION, as its database backends write it.
AMA_DOCUMENTATION = 3


@dataclass(frozen=True)
class ViewColumn:
    """One column of a view: its name, the expression and what it means (the dictionary)."""

    name: str
    expr: ColumnElement[Any]
    comment: str


@dataclass(frozen=True)
class View:
    """A view: its name, what a row is (the dictionary), its query and its columns."""

    name: str
    comment: str
    select: Select[Any]
    columns: tuple[ViewColumn, ...]


class CreateView(ExecutableDDLElement):
    """CREATE VIEW for any dialect (SQLAlchemy has no view construct): the query compiled with
    its literals inline, as DDL cannot take parameters."""

    def __init__(self, view: View) -> None:
        self.view = view


class DropView(ExecutableDDLElement):
    def __init__(self, view: View) -> None:
        self.view = view


@compiles(CreateView)
def _create_view(element: CreateView, compiler: DDLCompiler, **kw: Any) -> str:
    body = compiler.sql_compiler.process(element.view.select, literal_binds=True)
    return f"CREATE VIEW {compiler.preparer.quote(element.view.name)} AS {body}"


@compiles(DropView)
def _drop_view(element: DropView, compiler: DDLCompiler, **kw: Any) -> str:
    return f"DROP VIEW IF EXISTS {compiler.preparer.quote(element.view.name)}"


def _view(name: str, comment: str, query: Select[Any], *columns: ViewColumn) -> View:
    return View(name, comment, query.add_columns(*(c.expr.label(c.name) for c in columns)), columns)


def _text(value: ColumnElement[Any]) -> ColumnElement[str]:
    """Asterisk's text columns are never NULL: '' for unknown."""
    return func.coalesce(value, "")


# --- cdr_fixed ------------------------------------------------------------------------------

_from = legs.alias("from_leg")
_to = legs.alias("to_leg")
_first = legs.alias("first_leg")
_queue = apps.alias("queue_app")
_xfer = transfers.alias("xfer")
_row_attempt = attempts.alias("row_attempt")


def _transfer_of(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """A transfer's value for the attempt that rang its target (one value, never a row more)."""
    return (select(func.min(column))
            .where(_xfer.c.call_id == attempts.c.call_id, _xfer.c.target_leg == attempts.c.to_leg)
            .scalar_subquery())


def _clid(name: ColumnElement[Any], num: ColumnElement[Any]) -> ColumnElement[str]:
    """`"name" <num>` as Asterisk merges a caller ID, or the number alone without a name."""
    return case(
        (and_(name.is_not(None), name != ""), literal('"') + name + literal('" <') + _text(num) + literal(">")),
        else_=_text(num),
    )


_DISPOSITION = case(
    (attempts.c.outcome == ANSWER, literal("ANSWERED")),
    (attempts.c.outcome == "BUSY", literal("BUSY")),
    (or_(attempts.c.outcome.in_(("NOANSWER", "CANCEL")), attempts.c.outcome.is_(None)), literal("NO ANSWER")),
    else_=literal("FAILED"),
)
_dialled_here = func.coalesce(func.nullif(func.nullif(_to.c.exten, ""), "s"), _to.c.caller_num)
_attempt_dst = case(
    (attempts.c.via == "transfer", func.coalesce(_transfer_of(_xfer.c.target_exten), _dialled_here)),
    # Retrieving a parked call rings no phone: the number dialled is the slot, the extension
    # the retriever's channel ran ParkedCall() in.
    (attempts.c.via == "park", func.coalesce(_from.c.exten, calls.c.dialed)),
    else_=func.coalesce(_dialled_here, calls.c.dialed),
)
_attempt_queue = case((attempts.c.via == "queue", _queue.c.name), else_=null())
_attempt_billsec = case((attempts.c.outcome == ANSWER, asterisk_seconds(attempts.c.talk_s)), else_=0)
# A call's own row: the first queue it waited in, and the first application it reached.
_first_queue = (select(func.min(apps.c.name)).where(apps.c.call_id == calls.c.call_id, apps.c.app == "queue")
                .scalar_subquery())


def _first_app(column: ColumnElement[Any]) -> ColumnElement[Any]:
    return (select(column).where(apps.c.call_id == calls.c.call_id).order_by(apps.c.seq).limit(1)
            .scalar_subquery())


# Our application kinds (vocab.APP_KINDS) by the Asterisk application a CDR would name.
ASTERISK_APPS = {"queue": "Queue", "ivr": "Background", "ringgroup": "Dial", "voicemail": "VoiceMail",
                 "conference": "ConfBridge", "park": "Park", "parkedcall": "ParkedCall"}
_call_lastapp = case(ASTERISK_APPS, value=_first_app(apps.c.app), else_=literal(""))
_attempt_duration = asterisk_seconds(func.coalesce(attempts.c.ring_s, 0.0) + func.coalesce(attempts.c.talk_s, 0.0))

_ROWS_OF_ATTEMPTS = (
    select()
    .select_from(attempts)
    .join(calls, calls.c.call_id == attempts.c.call_id)
    .outerjoin(_from, _from.c.leg_id == attempts.c.from_leg)
    .outerjoin(_to, _to.c.leg_id == attempts.c.to_leg)
    .outerjoin(_first, and_(_first.c.call_id == calls.c.call_id, _first.c.seq == 0))
    .outerjoin(_queue, and_(_queue.c.call_id == attempts.c.call_id, _queue.c.app_id == attempts.c.app_id))
    .where(attempts.c.via != "originate", calls.c.status != IN_PROGRESS)
)

# The columns, Asterisk's then ours: (name, expression for an attempt's row, for a call's own
# row, meaning).
_CDR: tuple[tuple[str, Any, Any, str], ...] = (
    ("calldate", utc_wall(attempts.c.began_at), utc_wall(calls.c.started_at),
     "when the row's attempt began (the call's start for a call's own row); UTC, no time zone"),
    ("start", utc_wall(attempts.c.began_at), utc_wall(calls.c.started_at), "same as calldate (Asterisk 12+ name)"),
    ("answer", utc_wall(attempts.c.answered_at), case((calls.c.answered, utc_wall(calls.c.answered_at)), else_=null()),
     "when the attempt was answered, NULL if never; UTC"),
    ("end", utc_wall(attempts.c.ended_at), utc_wall(calls.c.ended_at), "when the attempt ended; UTC"),
    ("clid", _clid(_from.c.caller_name, func.coalesce(_from.c.caller_num, calls.c.caller_num)),
     _clid(calls.c.caller_name, calls.c.caller_num), 'caller ID of the dialling channel, "name" <number>'),
    ("src", _text(func.coalesce(_from.c.caller_num, calls.c.caller_num)), _text(calls.c.caller_num),
     "caller number of the dialling channel (Party A)"),
    ("dst", _text(_attempt_dst), _text(calls.c.dialed),
     "the number really dialled by this attempt (a blind transfer's target extension); the call's dialled number on a call's own row"),
    ("dcontext", _text(_from.c.context), _text(_first.c.context), "dialplan context of the dialling channel"),
    ("channel", _text(_from.c.channel), _text(_first.c.channel), "the dialling channel (Party A)"),
    ("dstchannel", _text(_to.c.channel), literal(""), "the channel rung ('' on a call's own row)"),
    ("lastapp", case((attempts.c.via == "queue", literal("Queue")), (attempts.c.via == "park", literal("ParkedCall")),
                     else_=literal("Dial")),
     _call_lastapp,
     "Dial, Queue, or ParkedCall (a parked call retrieved): the application that rang; on a call's own row the "
     "first application reached (Queue, ConfBridge, VoiceMail, Background for an IVR...)"),
    ("lastdata", _text(case((attempts.c.via == "queue", _queue.c.name), else_=attempts.c.dialstring)),
     _text(_first_app(apps.c.name)),
     "the dial string, or the queue name for a queue's attempt; the application's name (queue, room) on a call's own row"),
    ("duration", _attempt_duration,
     case((calls.c.ended_at.is_(None), 0), else_=asterisk_seconds(seconds_between(calls.c.started_at, calls.c.ended_at))),
     "whole seconds from start to end (ring + talk)"),
    ("billsec", _attempt_billsec,
     case((calls.c.answered, asterisk_seconds(seconds_between(calls.c.answered_at, calls.c.ended_at))), else_=0),
     "whole seconds of talk: 0 unless ANSWERED; never ringing, also after a blind transfer"),
    ("disposition", _DISPOSITION, case((calls.c.answered, literal("ANSWERED")), else_=literal("NO ANSWER")),
     "ANSWERED, NO ANSWER (rang out or cancelled), BUSY or FAILED (congestion, unavailable), as the attempt ended"),
    ("amaflags", literal(AMA_DOCUMENTATION, Integer), literal(AMA_DOCUMENTATION, Integer),
     "always 3 (DOCUMENTATION), Asterisk's default"),
    ("accountcode", literal(""), literal(""), "always '' (not captured)"),
    ("uniqueid", attempts.c.call_id + literal(":") + cast(attempts.c.seq, String),
     calls.c.call_id + literal(":0"),
     "call_id:sequence, unique across servers and restarts (ours, not Asterisk's channel uniqueid)"),
    ("linkedid", _text(_first.c.uniqueid), _text(_first.c.uniqueid),
     "Asterisk's uniqueid of the call's first channel (its linkedid), to find the call in Asterisk's own records"),
    ("userfield", literal(""), literal(""), "always ''"),
    ("sequence", attempts.c.seq, literal(0, Integer),
     "the attempt's number within the call (0: the call's own row)"),
    ("peeraccount", literal(""), literal(""), "always '' (not captured)"),
    ("call_id", attempts.c.call_id, calls.c.call_id, "our call (calls.call_id): every row of one call shares it"),
    ("server", calls.c.server, calls.c.server, "the Asterisk server (calls.server)"),
    ("queue", _attempt_queue, _first_queue, "the queue that rang this attempt, NULL outside queues"),
    ("agent", attempts.c.agent, null(), "the queue member rung (MemberName), NULL outside queues"),
    ("transfer", case((attempts.c.via == "transfer", _transfer_of(_xfer.c.kind)), else_=null()),
     null(), "blind or attended when a transfer made this attempt, else NULL"),
)

# A call that rang nobody (an IVR, voicemail, a queue no member was rung for) keeps one row of
# its own, so every call is in the CDR.
_ROWS_OF_CALLS = (
    select()
    .select_from(calls)
    .outerjoin(_first, and_(_first.c.call_id == calls.c.call_id, _first.c.seq == 0))
    .where(calls.c.status != IN_PROGRESS,
           ~select(_row_attempt.c.seq)
           .where(_row_attempt.c.call_id == calls.c.call_id, _row_attempt.c.via != "originate")
           .exists())
)

CDR_FIXED = View(
    "cdr_fixed",
    "Asterisk's CDR layout, one row per attempt (a call that rang nobody: one row of its own), "
    "corrected from the call tree; finished calls only",
    _ROWS_OF_ATTEMPTS.add_columns(*(e.label(n) for n, e, _, _ in _CDR))
    .union_all(_ROWS_OF_CALLS.add_columns(*(e.label(n) for n, _, e, _ in _CDR)))
    .subquery("cdr").select(),
    tuple(ViewColumn(n, e, c) for n, e, _, c in _CDR),
)

# --- report_calls ---------------------------------------------------------------------------

_rung = attempts.alias("rung")


def _rung_where(*cond: ColumnElement[bool]) -> Any:
    return select().where(_rung.c.call_id == calls.c.call_id, _rung.c.via != "originate", *cond)


_first_answer = (_rung_where(_rung.c.outcome == ANSWER)
                 .add_columns(func.min(_rung.c.answered_at)).scalar_subquery())
_outcomes = _rung.c.outcome
_abandoned_queue = (select(apps.c.app_id)
                    .where(apps.c.call_id == calls.c.call_id, apps.c.app == "queue", apps.c.result == "abandoned")
                    .exists())
_any_app = select(apps.c.app_id).where(apps.c.call_id == calls.c.call_id).exists()


def _had(*outcomes: str) -> Any:
    return _rung_where(_outcomes.in_(outcomes)).add_columns(_rung.c.seq).exists()


# The same rule, in the same order, as store.summary.disposition (a test holds them together).
_CALL_DISPOSITION = case(
    (calls.c.answered, literal("answered")),
    (calls.c.status == IN_PROGRESS, literal("in progress")),
    (or_(_abandoned_queue, _had("CANCEL")), literal("abandoned")),
    (_had("BUSY"), literal("busy")),
    (or_(_had("NOANSWER"),
         select(apps.c.app_id).where(apps.c.call_id == calls.c.call_id, apps.c.app == "queue",
                                     apps.c.result == "timeout").exists()), literal("no answer")),
    (_had("CONGESTION", "CHANUNAVAIL"), literal("failed")),
    (_any_app, literal("abandoned")),
    else_=literal("no answer"),
)

REPORT_CALLS = _view(
    "report_calls", "One row per call: when it started, was first answered and ended, and how it ended for the caller",
    select().select_from(calls.outerjoin(_first, and_(_first.c.call_id == calls.c.call_id, _first.c.seq == 0))),
    ViewColumn("call_id", calls.c.call_id, "our call id (calls.call_id)"),
    ViewColumn("server", calls.c.server, "the Asterisk server"),
    ViewColumn("started_at", calls.c.started_at, "the call's start, UTC"),
    ViewColumn("first_answer_at", _first_answer, "when a rung phone first answered, UTC; NULL if none did"),
    ViewColumn("ended_at", calls.c.ended_at, "the call's end, UTC"),
    ViewColumn("ring_s", seconds_between(calls.c.started_at, _first_answer),
            "seconds from the start to the first answer; NULL if never answered"),
    ViewColumn("duration_s", seconds_between(calls.c.started_at, calls.c.ended_at), "seconds from start to end"),
    ViewColumn("caller_num", calls.c.caller_num, "who called: caller number"),
    ViewColumn("caller_name", calls.c.caller_name, "who called: caller name"),
    ViewColumn("dialed", calls.c.dialed, "what the caller dialled"),
    ViewColumn("caller_channel", _first.c.channel,
            "the caller's channel (the call's first): a trunk's channel when the call came in on a trunk"),
    ViewColumn("answered", calls.c.answered, "true when the caller reached a person"),
    ViewColumn("disposition", _CALL_DISPOSITION,
            "final disposition for the caller: answered, abandoned, no answer, busy, failed, in progress"),
    ViewColumn("attempts", _rung_where().add_columns(func.count()).scalar_subquery(), "phones rung for the call"),
    ViewColumn("transfers", select(func.count()).where(transfers.c.call_id == calls.c.call_id).scalar_subquery(),
            "transfers in the call"),
    ViewColumn("status", calls.c.status, "complete, incomplete or in_progress (calls.status)"),
)

REPORT_QUEUE_CALLS = _view(
    "report_queue_calls", "One row per queue visit of a call: the queue, how it ended, the wait and the answering agent",
    select().select_from(stat_queue_calls),
    ViewColumn("call_id", stat_queue_calls.c.call_id, "our call id"),
    ViewColumn("server", stat_queue_calls.c.server, "the Asterisk server"),
    ViewColumn("queue", stat_queue_calls.c.queue, "the queue name"),
    ViewColumn("entered_at", stat_queue_calls.c.entered_at, "when the caller entered the queue, UTC"),
    ViewColumn("left_at", stat_queue_calls.c.left_at, "when the caller was connected or left, UTC"),
    ViewColumn("status", stat_queue_calls.c.status,
            "answered, transferred, abandoned, timeout, joinempty, leaveempty, full, closed, divert_ca_ratio, "
            "divert_waittime or exited"),
    ViewColumn("agent", stat_queue_calls.c.agent, "the member who answered, NULL if none"),
    ViewColumn("wait_s", stat_queue_calls.c.wait_s, "seconds in the queue until connected or gone"),
    ViewColumn("ring_s", stat_queue_calls.c.ring_s, "seconds the answering agent's phone rang"),
    ViewColumn("talk_s", stat_queue_calls.c.talk_s, "seconds the answering agent talked (until a transfer)"),
    ViewColumn("hour", stat_queue_calls.c.hour, "UTC hour the caller entered the queue (as in stat_queue_hourly)"),
)

REPORT_AGENT_SESSIONS = _view(
    "report_agent_sessions", "One row per agent login or pause, from the queue member events",
    select().select_from(stat_agent_sessions),
    ViewColumn("session_id", stat_agent_sessions.c.session_id, "the session's own id"),
    ViewColumn("server", stat_agent_sessions.c.server, "the Asterisk server"),
    ViewColumn("agent", stat_agent_sessions.c.agent, "the queue member name"),
    ViewColumn("queue", stat_agent_sessions.c.queue, "the queue"),
    ViewColumn("kind", stat_agent_sessions.c.kind, "login or pause"),
    ViewColumn("started_at", stat_agent_sessions.c.started_at, "start, UTC"),
    ViewColumn("ended_at", stat_agent_sessions.c.ended_at, "end, UTC; NULL while it lasts"),
    ViewColumn("duration_s", seconds_between(stat_agent_sessions.c.started_at, stat_agent_sessions.c.ended_at),
            "seconds from start to end; NULL while it lasts"),
    ViewColumn("reason", stat_agent_sessions.c.reason, "the pause reason, if any"),
)

VIEWS: tuple[View, ...] = (CDR_FIXED, REPORT_CALLS, REPORT_QUEUE_CALLS, REPORT_AGENT_SESSIONS)


@event.listens_for(metadata, "after_create")
def _create_views(target: MetaData, conn: Connection, **kw: Any) -> None:
    """`create_all` makes the views that are missing, after the tables."""
    present = set(inspect(conn).get_view_names())
    for view in VIEWS:
        if view.name not in present:
            conn.execute(CreateView(view))


@event.listens_for(metadata, "before_drop")
def _drop_views(target: MetaData, conn: Connection, **kw: Any) -> None:
    for view in VIEWS:
        conn.execute(DropView(view))

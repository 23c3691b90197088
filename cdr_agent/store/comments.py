"""The data dictionary: what every table and column means, set as the models' `comment`.

SQLAlchemy writes these comments into the database (`COMMENT ON` on PostgreSQL, `COMMENT` on
MySQL/MariaDB; SQLite has none) and `store/dictionary.py` renders docs/schema.md from them.
They live here, one entry per column, rather than on each `Column(...)` line, so the table
modules stay readable and a change to a table and to its meaning merge apart; `apply()` runs
when the store is imported, before any table is created, and tests/test_dictionary.py fails
when a column has no comment here. Units: times are UTC, durations seconds.
"""
from __future__ import annotations

from sqlalchemy import MetaData

from ..calltree.vocab import SL_THRESHOLDS, sl_column

__all__ = ["TABLES", "apply"]

_CALL = "the call (calls.call_id)"
_SERVER = "the Asterisk server the call was captured from (the name given to the capture)"
_HOUR = "UTC start of the hour counted in"
_QUEUE = "queue name"
_AGENT = "queue member name (MemberName, else its interface)"

_AGENT_FIGURES = {
    "rung": "rings of the agent's phone, including rings cut because another answered",
    "answered": "rings the agent answered",
    "ring_no_answer": "rings that ran to the member timeout (DIALSTATUS NOANSWER)",
    "rejected": "rings the phone refused: BUSY, CONGESTION, CHANUNAVAIL",
    "transferred": "answered calls the agent then transferred out of the queue",
    "ring_s": "seconds of ringing, all rings",
    "talk_s": "seconds of talk of the answered rings (until a transfer)",
}

# table -> (what a row is, {column: meaning})
TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "calls": ("One row per call: one customer interaction, however many channels, transfers and servers' linkedids it spans", {
        "call_id": "our call id: a UUID derived from the server and the first channel, unique across servers",
        "server": _SERVER,
        "status": "complete, incomplete (the capture missed part of it) or in_progress",
        "started_at": "UTC time the first channel was created",
        "answered_at": "UTC time something first answered the caller (a phone, or an Answer() by the PBX)",
        "ended_at": "UTC time the last channel hung up",
        "linkedids": "JSON list of Asterisk linkedids that make up the call",
        "user_data": "JSON object of the dialplan variables captured for the call",
        "caller_num": "caller number of whoever started the call",
        "caller_name": "caller name of whoever started the call",
        "dialed": "what the caller dialled: the first channel's extension",
        "flags": "JSON list of warnings: gap (the stream broke during the call), stale (no hangup seen)",
        "answered": "true when the caller reached a person (phone answered or conference joined)",
        "time_source": "where the times come from: asterisk (event timestamps), arrival (time read), none",
    }),
    "legs": ("One row per channel of a call", {
        "leg_id": "our leg id: a UUID derived from the server and the channel's uniqueid",
        "call_id": _CALL,
        "seq": "position of the leg in the call, from 0 (0: the caller's channel)",
        "server": _SERVER,
        "uniqueid": "Asterisk's uniqueid of the channel (unique on one server only)",
        "channel": "Asterisk channel name, e.g. PJSIP/201-0000002a",
        "caller_num": "the channel's caller ID number",
        "caller_name": "the channel's caller ID name",
        "connected_num": "the connected line number (who the channel talks to)",
        "connected_name": "the connected line name",
        "created_at": "UTC time the channel was created",
        "answered_at": "UTC time the channel went Up",
        "ended_at": "UTC time the channel hung up",
        "hangup_cause": "Q.850 hangup cause code",
        "local_peer": "for a Local channel half, the leg_id of its other half",
        "context": "the dialplan context the channel first ran in",
        "exten": "the dialplan extension the channel first ran in",
        "answered": "true when the channel went Up (answered_at may be unknown)",
    }),
    "attempts": ("One row per destination rung: a Dial() target, a queue member, a transfer target", {
        "call_id": _CALL,
        "seq": "the attempt's number within the call, from 1",
        "from_leg": "leg_id of the dialling channel",
        "to_leg": "leg_id of the channel rung (may be a leg of another call)",
        "hop_leg": "leg_id of the Local channel half that dialled for from_leg",
        "dialstring": "what was dialled (DialBegin DialString)",
        "outcome": "Asterisk's DIALSTATUS word: ANSWER, NOANSWER, BUSY, CANCEL, CONGESTION, CHANUNAVAIL...",
        "via": "how it came about: dial, queue, ringgroup, transfer, forward, pickup, originate, park",
        "app_id": "the application context (apps.app_id) that rang, e.g. the queue",
        "agent": "queue member name when a queue rang",
        "began_at": "UTC time the ringing began",
        "answered_at": "UTC time it was answered",
        "ended_at": "UTC time the attempt ended (ring stopped or talk ended)",
        "ring_s": "seconds of ringing",
        "talk_s": "seconds of talk (0 when not answered)",
    }),
    "transfers": ("One row per transfer (blind or attended)", {
        "call_id": _CALL,
        "seq": "the transfer's number within the call, from 1",
        "kind": "blind or attended",
        "transferer_leg": "leg_id of who transferred",
        "transferee_leg": "leg_id of who was transferred",
        "target_leg": "leg_id of the transfer target",
        "target_exten": "the extension transferred to",
        "target_context": "the context transferred to",
        "at": "UTC time of the transfer",
        "completed": "false when the transfer failed or was aborted",
    }),
    "conference_members": ("One row per conference member (a member-less conference: one row, leg NULL)", {
        "call_id": _CALL,
        "seq": "position within the call's conferences",
        "room": "conference room name",
        "bridge_id": "Asterisk bridge uniqueid of the conference",
        "leg": "leg_id of the member",
        "joined_at": "UTC time the member joined",
        "left_at": "UTC time the member left",
    }),
    "apps": ("One row per application a call went through: queue, IVR, ring group, voicemail, conference, park", {
        "call_id": _CALL,
        "app_id": "id of the application context: call_id:n (n counts from 1)",
        "seq": "position in the call",
        "app": "queue, ivr, ringgroup, voicemail, conference, park or parkedcall",
        "name": "the queue, room, IVR or ring group name",
        "leg": "leg_id of the channel in the application",
        "entered_at": "UTC time it entered",
        "left_at": "UTC time it left",
        "result": "how it left, e.g. answered, abandoned, timeout (queues), left (conferences)",
        "wait_s": "seconds from entering to leaving",
        "position": "queue position on entering",
        "data": "JSON object of application details",
    }),
    "agi_observations": ("One row per AGI observation: what AGI-only installs rebuild calls from", {
        "obs_id": "the observation's deterministic id (kept once)",
        "server": _SERVER,
        "group_key": "linkedid of the channel's first observation: the rebuild group",
        "uniqueid": "Asterisk uniqueid of the observed channel",
        "observed_at": "UTC time of the observation",
        "call_id": "the call it was last built into",
        "document": "the observation as JSON",
    }),
    "stat_queue_calls": ("One row per queue visit of a call (a cache of the call trees, written with the call)", {
        "hour": "UTC hour the caller entered the queue",
        "call_id": _CALL,
        "app_id": "the queue visit (apps.app_id)",
        "call_hour": "UTC hour the call started",
        "server": _SERVER,
        "queue": _QUEUE,
        "status": "answered, transferred, abandoned, timeout, joinempty, leaveempty, full, closed, divert_ca_ratio, divert_waittime or exited",
        "agent": "the member who answered",
        "entered_at": "UTC time the caller entered the queue",
        "left_at": "UTC time the caller was connected or left",
        "wait_s": "seconds from entering to connected or gone",
        "ring_s": "seconds the answering agent's phone rang",
        "talk_s": "seconds the answering agent talked (until a transfer)",
    }),
    "stat_agent_calls": ("One row per queue visit per agent rung for it (a cache, written with the call)", {
        "hour": "UTC hour the caller entered the queue",
        "call_id": _CALL,
        "app_id": "the queue visit (apps.app_id)",
        "agent": _AGENT,
        "server": _SERVER,
        "queue": _QUEUE,
        **_AGENT_FIGURES,
    }),
    "stat_queue_hourly": ("Queue figures per UTC hour, added up from stat_queue_calls by cdr-agent stats fill", {
        "hour": _HOUR,
        "server": _SERVER,
        "queue": _QUEUE,
        "offered": "calls that entered the queue",
        "answered": "calls answered by an agent (transferred ones included)",
        "transferred": "answered calls the agent transferred out",
        "abandoned": "callers who hung up while waiting",
        "timeout": "callers who left at the queue timeout",
        "joinempty": "callers refused because no member could take calls",
        "leaveempty": "callers sent out when the members went away",
        "full": "callers refused because the queue was full",
        "closed": "callers refused because the queue was closed",
        "divert_ca_ratio": "callers sent out by the callers/agents ratio rule",
        "divert_waittime": "callers sent out by the expected wait rule",
        "exited": "callers who left any other way (a key pressed, withdrawn)",
        "wait_s": "seconds of waiting, all offered calls",
        "wait_max_s": "longest wait in seconds",
        "answered_wait_s": "seconds of waiting of answered calls (ASA = answered_wait_s / answered)",
        "answered_wait_max_s": "longest wait of an answered call, seconds",
        "abandoned_wait_s": "seconds of waiting of abandoned calls",
        "abandoned_wait_max_s": "longest wait of an abandoned call, seconds",
        "talk_s": "seconds of talk of answered calls (AHT = talk_s / answered)",
        **{sl_column(n): f"calls answered within {n} seconds of waiting (service level)" for n in SL_THRESHOLDS},
    }),
    "stat_agent_hourly": ("Agent figures per UTC hour and queue, added up from stat_agent_calls", {
        "hour": _HOUR,
        "server": _SERVER,
        "queue": _QUEUE,
        "agent": _AGENT,
        **_AGENT_FIGURES,
    }),
    "stat_agent_presence_hourly": ("Agent logged-in and paused seconds per UTC hour, over all queues", {
        "hour": _HOUR,
        "server": _SERVER,
        "agent": _AGENT,
        "login_s": "seconds logged in (member of at least one queue) within the hour",
        "pause_s": "seconds paused within the hour",
    }),
    "stat_agent_sessions": ("One row per agent login or pause, from the QueueMember events (source data)", {
        "session_id": "the session's own id",
        "server": _SERVER,
        "agent": _AGENT,
        "queue": _QUEUE,
        "kind": "login or pause",
        "started_at": "UTC start",
        "ended_at": "UTC end, NULL while open",
        "seen_at": "UTC time the capture last saw it hold (its end once ended)",
        "reason": "pause reason (PausedReason)",
    }),
    "stat_fill_hours": ("What each statistics fill saw, per UTC hour of call start", {
        "hour": "UTC hour of call start",
        "queue_visits": "queue visits of the finished calls that started in the hour",
        "filled_at": "UTC time the hour was last filled",
    }),
}


def apply(metadata: MetaData) -> None:
    """Set every table's and column's `comment` from TABLES (a name missing here is left
    without one: the dictionary test names it)."""
    for table in metadata.tables.values():
        entry = TABLES.get(table.name)
        if entry is None:
            continue
        table.comment, columns = entry[0], entry[1]
        for column in table.columns:
            column.comment = columns.get(column.name)

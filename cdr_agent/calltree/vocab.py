"""The words of the call tree, in one pure module (no imports): statuses, flags, `via`, app
kinds, DIALSTATUS outcomes, queue exit statuses and service-level thresholds.

The builder writes them, the store keeps them, statistics and the call generator count by
them; none of them needs a table module for a list of words.
"""
from __future__ import annotations

# Call status (Call.status).
COMPLETE = "complete"
IN_PROGRESS = "in_progress"
INCOMPLETE = "incomplete"

# Call flags: why a stored call may lack events (set by calltree/resync.py, never guessed over).
GAP = "gap"  # in progress while the AMI stream broke (link lost, AMI frozen, daemon restarted)
STALE = "stale"  # closed after the hangup timeout: a Hangup never came

# Where a call's times come from (Call.time_source): the events' `Timestamp:` header, the
# moment the live capture read them (a manager without timestampevents), or nowhere (a file
# without timestamps: times stay null, never invented).
TIME_SOURCES = ("asterisk", "arrival", "none")

# How an attempt came about (Attempt.via).
VIA = ("dial", "queue", "ringgroup", "transfer", "forward", "pickup", "originate", "park")

# Where a call spent time (AppContext.app).
APP_KINDS = ("queue", "ivr", "ringgroup", "voicemail", "conference", "park", "parkedcall")

# What an admin may map a dialplan context to (calltree/settings.py).
CONTEXT_KINDS = ("ivr", "ringgroup", "voicemail")

# Attempt outcomes are Asterisk's DIALSTATUS words; these are the ones statistics count by.
ANSWER = "ANSWER"
NOANSWER = "NOANSWER"
REJECTED = ("BUSY", "CONGESTION", "CHANUNAVAIL")  # the phone refused

# How a caller left a queue (stat_queue_calls.status). `transferred`: answered by an agent of
# the queue who then transferred the caller out; `exited`: any other way out (a key pressed,
# QueueWithdrawCaller, Queue() returning CONTINUE).
QUEUE_STATUSES: tuple[str, ...] = (
    "answered", "transferred", "abandoned", "timeout", "joinempty", "leaveempty", "full",
    "closed", "divert_ca_ratio", "divert_waittime", "exited",
)
ANSWERED = ("answered", "transferred")  # the queue statuses that count as answered

# Service-level thresholds kept per hour: "answered within N s" for each N. A report may ask
# for any of them; none depends on the queue's own `servicelevel` setting.
SL_THRESHOLDS: tuple[int, ...] = (10, 15, 20, 30, 45, 60, 90, 120, 180, 300)


def sl_column(seconds: int) -> str:
    """The name of the "answered within `seconds`" figure (a column of the hourly table)."""
    return f"answered_within_{seconds}"

"""What the AGI scripts read, and the observation they make of it.

The `Observation` type is the call tree's (calltree/observation.py): agi produces it, the
builder consumes it, and the call tree never imports agi. Standard library only: the classic
AGI script imports this on every call.
"""
from __future__ import annotations

from ..calltree.observation import HANGUP, LABELS, POSTDIAL, POSTQUEUE, TRANSFER, Observation

__all__ = ["HANGUP", "LABELS", "POSTDIAL", "POSTQUEUE", "TRANSFER", "VARIABLES", "Observation"]

# What the scripts read: the Dial() result, transfer markers, queue outcome, caller id, and
# our dialplan's own CDRAGENT_* notes (the dial string, which a failed Dial does not keep).
VARIABLES = (
    "CHANNEL(linkedid)",
    "CHANNEL(state)",
    "CONTEXT",
    "EXTEN",
    "CALLERID(num)",
    "CALLERID(name)",
    "DIALSTATUS",
    "DIALEDTIME",
    "DIALEDTIME_MS",
    "ANSWEREDTIME",
    "ANSWEREDTIME_MS",
    "DIALEDPEERNAME",
    "DIALEDPEERNUMBER",
    "HANGUPCAUSE",
    "BLINDTRANSFER",
    "ATTENDEDTRANSFER",
    "QUEUENAME",
    "QUEUESTATUS",
    "MEMBERNAME",
    "MEMBERINTERFACE",
    "ABANDONED",
    "CDRAGENT_DIALSTRING",
    "CDRAGENT_EXTEN",
    "CDRAGENT_CONTEXT",
)

"""The JSON call document: cdr-agent's public format (see README, "The call document").

Reporting tools and tests read this shape; keys may be added, never change meaning.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from .model import Call, Party


def iso(ts: Optional[float]) -> Optional[str]:
    """Epoch seconds -> ISO 8601 UTC with microseconds (`2026-11-23T19:43:06.351354+00:00`)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="microseconds")


def from_iso(text: Optional[str]) -> Optional[float]:
    if text is None:
        return None
    return datetime.fromisoformat(text).timestamp()


def _party(p: Party) -> dict[str, Optional[str]]:
    return {"num": p.num, "name": p.name}


def to_document(call: Call) -> dict[str, Any]:
    return {
        "call_id": call.call_id,
        "server": call.server,
        "linkedids": list(call.linkedids),
        "started_at": iso(call.started_at),
        "answered_at": iso(call.answered_at),
        "ended_at": iso(call.ended_at),
        "status": call.status,
        "answered": call.answered,
        "time_source": call.time_source,
        "caller": _party(call.caller),
        "dialed": call.dialed,
        "legs": [
            {
                "leg_id": leg.leg_id,
                "uniqueid": leg.uniqueid,
                "channel": leg.channel,
                "caller": _party(leg.caller),
                "connected": _party(leg.connected),
                "created_at": iso(leg.created_at),
                "answered_at": iso(leg.answered_at),
                "ended_at": iso(leg.ended_at),
                "answered": leg.answered,
                "hangup_cause": leg.hangup_cause,
                "local_peer": leg.local_peer,
                "context": leg.context,
                "exten": leg.exten,
            }
            for leg in call.legs
        ],
        "attempts": [
            {
                "seq": a.seq,
                "from_leg": a.from_leg,
                "to_leg": a.to_leg,
                "dialstring": a.dialstring,
                "outcome": a.outcome,
                "via": a.via,
                "app_id": a.app_id,
                "began_at": iso(a.began_at),
                "answered_at": iso(a.answered_at),
                "ended_at": iso(a.ended_at),
                "ring_s": a.ring_s,
                "talk_s": a.talk_s,
                "hop_leg": a.hop_leg,
                "agent": a.agent,
            }
            for a in call.attempts
        ],
        "transfers": [
            {
                "seq": t.seq,
                "kind": t.kind,
                "transferer_leg": t.transferer_leg,
                "transferee_leg": t.transferee_leg,
                "target_leg": t.target_leg,
                "target_exten": t.target_exten,
                "target_context": t.target_context,
                "at": iso(t.at),
                "completed": t.completed,
            }
            for t in call.transfers
        ],
        "conferences": [
            {
                "room": c.room,
                "bridge_id": c.bridge_id,
                "members": [
                    {"leg": m.leg, "joined_at": iso(m.joined_at), "left_at": iso(m.left_at)}
                    for m in c.members
                ],
            }
            for c in call.conferences
        ],
        "apps": [
            {
                "app_id": a.app_id,
                "app": a.app,
                "name": a.name,
                "leg": a.leg,
                "entered_at": iso(a.entered_at),
                "left_at": iso(a.left_at),
                "result": a.result,
                "wait_s": a.wait_s,
                "position": a.position,
                "data": dict(a.data),
            }
            for a in call.apps
        ],
        "user_data": dict(call.user_data),
        "flags": list(call.flags),
    }

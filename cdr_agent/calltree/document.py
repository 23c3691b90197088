"""The JSON call document: cdr-agent's public format (see README, "The call document").

Reporting tools and tests read this shape; keys may be added, never change meaning.
"""
from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import datetime, timezone
from typing import Any, Optional

from .model import AppContext, Attempt, Call, Leg, Transfer


def iso(ts: Optional[float]) -> Optional[str]:
    """Epoch seconds -> ISO 8601 UTC with microseconds (`2026-11-23T19:43:06.351354+00:00`)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="microseconds")


def from_iso(text: Optional[str]) -> Optional[float]:
    if text is None:
        return None
    return datetime.fromisoformat(text).timestamp()


# The key order of the document as first published (README, "The call document"), where it
# is not the order of the fields, and the derived values it carries (properties). Fields not
# named here, such as fields added later, follow in field order.
PUBLISHED_ORDER: dict[type, tuple[str, ...]] = {
    Leg: ("leg_id", "uniqueid", "channel", "caller", "connected", "created_at", "answered_at", "ended_at",
          "answered", "hangup_cause", "local_peer", "context", "exten"),
    Attempt: ("seq", "from_leg", "to_leg", "dialstring", "outcome", "via", "app_id", "began_at", "answered_at",
              "ended_at", "ring_s", "talk_s", "hop_leg", "agent"),
    Transfer: ("seq", "kind", "transferer_leg", "transferee_leg", "target_leg", "target_exten", "target_context",
               "at", "completed"),
    AppContext: ("app_id", "app", "name", "leg", "entered_at", "left_at", "result", "wait_s", "position", "data"),
}


def to_document(call: Call) -> dict[str, Any]:
    return _document(call)


def _document(obj: Any) -> dict[str, Any]:
    """Any model object as a JSON object: times as ISO text, lists and dicts copied."""
    published = PUBLISHED_ORDER.get(type(obj), ())
    keys = [*published, *(f.name for f in fields(obj) if f.name not in published)]
    return {key: _value(key, getattr(obj, key)) for key in keys}


def _value(key: str, value: Any) -> Any:
    if is_dataclass(value):
        return _document(value)
    if isinstance(value, list):
        return [_value(key, item) for item in value]
    if isinstance(value, dict):
        return dict(value)
    return iso(value) if is_time(key) else value


def is_time(name: str) -> bool:
    """Times in the model are float epoch seconds in fields named `at` or `..._at`."""
    return name == "at" or name.endswith("_at")

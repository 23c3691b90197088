"""An AMI message as the rest of cdr-agent sees it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass(slots=True)
class Event:
    """One AMI message (event or response).

    `headers` holds the first value of each key; `repeats` holds every value of keys that
    occurred more than once (ChanVariable, Variable...), in order, first value included.
    `time` is the `Timestamp:` header (epoch seconds) when the server sends one, else None;
    `seq` is the arrival order within one stream, so streams without timestampevents still
    have an order. `arrival` says `time` is when the live capture read the event, for a
    manager that sends no Timestamp.
    """

    name: str
    headers: dict[str, str]
    seq: int = 0
    time: Optional[float] = None
    server: str = ""
    repeats: dict[str, list[str]] = field(default_factory=dict)
    arrival: bool = False

    @property
    def time_source(self) -> str:
        """`asterisk`, `arrival` or `none` (calltree.model.TIME_SOURCES)."""
        if self.time is None:
            return "none"
        return "arrival" if self.arrival else "asterisk"

    def get(self, key: str, default: Optional[str] = None) -> Optional[str]:
        return self.headers.get(key, default)

    def getall(self, key: str) -> list[str]:
        if key in self.repeats:
            return list(self.repeats[key])
        value = self.headers.get(key)
        return [] if value is None else [value]

"""An AMI message as the rest of cdr-agent sees it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass(slots=True)
class Event:
    """One AMI message (event or response).

    `headers` holds the first value of each key; `repeats` holds every value of keys that
    occurred more than once (ChanVariable, Variable...), in order, first value included.
    `time` is the `Timestamp:` header (epoch seconds) when the server sends one, else None;
    `seq` is the arrival order within one stream, so streams without timestampevents still
    have an order. `arrival` says `time` is when the live capture read the event, for a
    manager that sends no Timestamp.

    The reader makes most events `unparsed`: their headers are parsed from `source` when
    first asked for, as most events (AGIExecStart/End: over half of a busy stream) are never
    looked into past their name and time.
    """

    name: str
    headers: dict[str, str]
    seq: int = 0
    time: Optional[float] = None
    server: str = ""
    repeats: dict[str, list[str]] = field(default_factory=dict)
    arrival: bool = False
    source: Optional[tuple[str, str]] = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def unparsed(cls, name: str, text: str, eol: str, seq: int, time: Optional[float], server: str) -> Event:
        """An event whose headers are `parse_lines(text.split(eol))`, parsed when first used.
        The caller checked that parsing finds no odd line (nothing for the reader to count)."""
        event = cls.__new__(cls)
        event.name, event.seq, event.time, event.server, event.arrival = name, seq, time, server, False
        event.source = (text, eol)
        return event

    def __getattr__(self, key: str) -> Any:
        """Only for slots not set: the headers of an `unparsed` event, or the `source` of
        an event pickled before it existed."""
        if key == "source":
            return None
        source = self.source
        if source is None or key not in ("headers", "repeats"):
            raise AttributeError(key)
        self.headers, self.repeats, _ = parse_lines(source[0].split(source[1]))
        self.source = None
        return getattr(self, key)

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


def parse_lines(lines: list[str]) -> tuple[dict[str, str], dict[str, list[str]], list[str]]:
    """A message's lines -> (headers, repeats, odd lines: without a colon or with an empty key,
    for the reader to count or take as the banner)."""
    headers: dict[str, str] = {}
    for line in lines:  # fast path: every line 'Key: Value', keys unique
        key, sep, value = line.partition(": ")
        if not sep:
            break
        headers[key] = value
    if len(headers) == len(lines) and "" not in headers and ":" not in "".join(headers):
        return headers, {}, []
    return _parse_exactly(lines)


def _parse_exactly(lines: list[str]) -> tuple[dict[str, str], dict[str, list[str]], list[str]]:
    """The slower path: repeated keys, 'Key:Value', lines without colon, the banner."""
    headers: dict[str, str] = {}
    repeats: dict[str, list[str]] = {}
    odd: list[str] = []
    for line in lines:
        key, sep, value = line.partition(":")
        if not sep or not key:
            odd.append(line)
            continue
        if value[:1] == " ":
            value = value[1:]
        if key in headers:
            if key in repeats:
                repeats[key].append(value)
            else:
                repeats[key] = [headers[key], value]
        else:
            headers[key] = value
    return headers, repeats, odd

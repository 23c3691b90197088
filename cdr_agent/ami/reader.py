"""Incremental AMI wire reader: raw bytes in any chunking -> `Event` objects.

Pure (no I/O), so a socket, a recorded `ami.log` and the tests all feed it the same way.
It exists because panoramisk's parser decodes each TCP chunk separately with errors='ignore'
(a UTF-8 character split across reads is lost), strips the last empty header and drops lines
without ': ' (see NOTES.md). Here the stream is split on bytes, each message is decoded once,
nothing raises, and every defect is counted in `stats` instead of being logged line by line.

Speed matters (the whole pipeline must beat panoramisk twice over): a feed is framed with
bytes.split over the whole buffer; an event whose lines all hold a colon (nothing to count)
gets its name and time now and its headers when first asked for (`Event.unparsed`), since
most events are never looked into; the others are parsed at once (`parse_lines`: one tight
str.partition loop, the rare odd cases to a slower exact path). Framing is leftmost-first on
the byte stream, so any chunking of the same bytes gives the same events and counters.
"""
from __future__ import annotations

import math
import re
from typing import Any, Iterator, Optional, Union

from .event import Event, parse_lines
from .stats import ReaderStats

__all__ = ["AmiReader", "read_file", "BANNER_PREFIX"]

BANNER_PREFIX = "Asterisk Call Manager/"
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")  # message separator when LF and CRLF are mixed
_KEEP = 3  # a blank line is 2-4 bytes: its first 3 may be in the buffer before the rest arrives
_SLICE = 64 * 1024  # big feeds are parsed in slices this size: measured faster (CPU caches)
_isfinite = math.isfinite

_NOT_MARKS = bytes(b for b in range(256) if b not in b":\n")  # all bytes but ':' and LF

Buffer = Union[bytes, bytearray]


def _well_formed(raw: Buffer) -> bool:
    """Every line of the message has a colon and none starts with one, so parsing it finds
    no odd line (nothing to count). Checked in C on its colons and line feeds alone; a bare
    LF inside a CRLF stream's line makes it False (the message is then parsed at once)."""
    marks = raw.translate(None, _NOT_MARKS)
    return marks[:1] == b":" and marks[-1:] == b":" and b"\n\n" not in marks and b"\n:" not in raw


def _rest_well_formed(buf: Buffer, separators: int) -> bool:
    """`_well_formed` for every complete message of `buf` but the first (a stream's first
    message carries the banner line), in one pass: after the first blank line, the marks
    are messages' colons and line feeds with two line feeds between messages, and a line
    without a colon would add two more. Errs only towards False."""
    marks = buf.translate(None, _NOT_MARKS)
    first = marks.find(b"\n\n")
    rest = marks[first + 2:]
    return (first >= 0 and rest[:1] == b":" and b"\n\n\n" not in rest
            and rest.count(b"\n\n") == separators - 1 and b"\n:" not in buf)


def _timestamp(text: str, eol: str) -> Optional[float]:
    """`_epoch` of the first `Timestamp:` line's value, as parsing would give it (one space
    after the colon dropped), without parsing the other lines."""
    at = text.find(eol + "Timestamp:")
    if at < 0:
        return None
    start = at + len(eol) + 10
    end = text.find(eol, start)
    value = text[start:end] if end >= 0 else text[start:]
    return _epoch(value[1:] if value[:1] == " " else value)


def _epoch(value: Optional[str]) -> Optional[float]:
    """A Timestamp header's value as epoch seconds; None when absent or not a finite number."""
    if value is None:
        return None
    try:
        time = float(value)
    except ValueError:
        return None
    return time if _isfinite(time) else None


def _has_separator(buf: Buffer, start: int) -> bool:
    return buf.rfind(b"\n\n", start) >= 0 or buf.rfind(b"\n\r\n", start) >= 0


def _first_separator_end(buf: Buffer) -> int:
    """Offset just past the first blank line in buf (as _BLANK_LINE would match it), or -1."""
    i = buf.find(b"\n\n")
    j = buf.find(b"\n\r\n")
    if i < 0:
        return j + 3 if j >= 0 else -1
    return i + 2 if j < 0 or i < j else j + 3


def _split(buf: Buffer) -> tuple[list, str, bool]:
    """Split on blank lines -> (pieces, line separator, mixed); the last piece is incomplete.

    Pure CRLF and pure LF buffers use bytes.split; mixed ones the equivalent regex. All three
    split leftmost-first, so the framing is the same whatever the chunking of the stream.
    """
    n_lf = buf.count(b"\n")
    n_crlf = buf.count(b"\r\n")
    if n_crlf == n_lf:
        return buf.split(b"\r\n\r\n"), "\r\n", False
    if not n_crlf:
        return buf.split(b"\n\n"), "\n", False
    return _BLANK_LINE.split(buf), "\n", True


class AmiReader:
    """Turns an AMI byte stream into `Event`s; one reader per connection (or file).

    `banner` is the last 'Asterisk Call Manager/x.y.z' greeting seen (None before it).
    A message longer than `max_message_bytes` is counted and dropped up to the next blank line,
    so a peer that never sends a newline cannot make the reader buffer unbounded memory.
    """

    def __init__(self, server: str = "", max_message_bytes: int = 64 * 1024, log: Any = None):
        self.server = server
        self.max_message_bytes = max_message_bytes
        self.stats = ReaderStats()
        self.banner: Optional[str] = None
        self._log = log
        self._pending = bytearray()  # start of a message whose blank line has not arrived yet
        self._scanned = 0  # _pending[:_scanned] was searched: no blank line there
        self._discarding = False  # inside an oversize message: drop bytes up to the next blank line

    @property
    def log(self) -> Any:
        """structlog logger, imported lazily (structlog costs ~180 ms to import)."""
        if self._log is None:
            import structlog

            self._log = structlog.get_logger("cdr_agent.ami.reader")
        return self._log

    def feed(self, data: bytes) -> list[Event]:
        """Add received bytes; return the messages they complete, in order."""
        if len(data) <= _SLICE:
            return self._feed(data if isinstance(data, bytes) else bytes(data))
        view = memoryview(data)
        events: list[Event] = []
        for i in range(0, len(view), _SLICE):
            events += self._feed(bytes(view[i:i + _SLICE]))
        return events

    def _feed(self, data: bytes) -> list[Event]:
        if self._discarding:
            data = self._skip_oversize(data)
            if not data:
                return []
        pending = self._pending
        if pending:
            pending += data
            buf: Buffer = pending
            start = max(0, self._scanned - _KEEP)
        else:
            buf, start = data, 0
        if not _has_separator(buf, start):  # no message completed: just keep the bytes
            if buf is data:
                self._pending = bytearray(data)
            self._scanned = len(buf)
            self._check_pending_size()
            return []
        raws, eol, mixed = _split(buf)
        clean = len(raws) > 2 and _rest_well_formed(buf, len(raws) - 1)
        tail = raws.pop()
        self._pending = bytearray(tail)
        self._scanned = len(tail)
        events = self._parse(raws, eol, mixed, clean)
        self._check_pending_size()
        return events

    def close(self) -> list[Event]:
        """End of stream: return a last message that had no blank line after it, and reset."""
        pending, discarding = self._pending, self._discarding
        self._pending, self._scanned, self._discarding = bytearray(), 0, False
        body = bytes(pending).rstrip(b"\r\n")
        if discarding or not body.strip():
            return []
        raws, eol, mixed = _split(body + (b"\r\n\r\n" if b"\r\n" in body else b"\n\n"))
        return self._parse(raws[:-1], eol, mixed)

    # -- framing -------------------------------------------------------------------------

    def _check_pending_size(self) -> None:
        # + _KEEP: the buffered bytes may end with the start of the blank line
        if len(self._pending) > self.max_message_bytes + _KEEP:
            self._oversize(len(self._pending))
            self._pending = bytearray(self._pending[-_KEEP:])
            self._discarding = True

    def _skip_oversize(self, data: bytes) -> bytes:
        """Drop bytes up to the blank line ending the oversize message; return what follows."""
        buf = bytes(self._pending) + data
        end = _first_separator_end(buf)
        if end < 0:
            self._pending = bytearray(buf[-_KEEP:])
            return b""
        self._pending, self._scanned, self._discarding = bytearray(), 0, False
        return buf[end:]

    def _parse(self, raws: list, eol: str, mixed: bool, clean: bool = False) -> list[Event]:
        """Complete messages (bytes without their blank line) -> Events. `clean`: every
        message but the first is known to be `_well_formed`."""
        events: list[Event] = []
        append = events.append
        unparsed = Event.unparsed
        server = self.server
        max_bytes = self.max_message_bytes
        stats = self.stats
        seq = stats.messages
        n_events = n_responses = 0
        for i, raw in enumerate(raws):
            if len(raw) > max_bytes:
                self._oversize(len(raw))
                continue
            lazy = raw[:7] == b"Event: " and ((clean and i > 0) or _well_formed(raw))
            try:
                text = raw.decode()
            except UnicodeDecodeError:
                text, lazy = self._undecodable(raw), False
            if mixed:
                text = text.replace("\r\n", "\n")
            if lazy:  # name and time now, the headers when someone asks (Event.unparsed)
                end = text.find(eol)
                seq += 1
                n_events += 1
                append(unparsed(text[7:end] if end >= 0 else text[7:], text, eol, seq,
                                _timestamp(text, eol), server))
                continue
            headers, repeats, odd = parse_lines(text.split(eol))
            if odd:
                self._odd_lines(odd)
            name = headers.get("Event")
            if name is None:
                if "Response" not in headers:
                    if headers:
                        stats.unknown += 1
                    continue
                name = ""
                n_responses += 1
            else:
                n_events += 1
            seq += 1
            append(Event(name, headers, seq, _epoch(headers.get("Timestamp")), server, repeats))
        stats.messages = seq
        stats.events += n_events
        stats.responses += n_responses
        return events

    def _odd_lines(self, lines: list[str]) -> None:
        """Lines that are no header: the banner, or counted and skipped."""
        for line in lines:
            if line.startswith(BANNER_PREFIX):
                self.banner = line.rstrip("\r")
                self.stats.banner += 1
            elif line.strip():
                self.stats.skipped_lines += 1
                self._note("ami_line_without_colon", self.stats.skipped_lines, line=line[:80])

    # -- defects: counted always, logged rarely ----------------------------------------

    def _oversize(self, size: int) -> None:
        self.stats.oversize += 1
        self._note("ami_message_oversize", self.stats.oversize, size=size, limit=self.max_message_bytes)

    def _undecodable(self, raw: Buffer) -> str:
        self.stats.undecodable += 1
        self._note("ami_message_not_utf8", self.stats.undecodable, head=bytes(raw[:80]))
        return raw.decode("utf-8", "replace")

    def _note(self, event: str, count: int, **fields: Any) -> None:
        """Log the 1st-3rd occurrence, then only the 4th, 8th, 16th... (a flood costs log2 lines)."""
        if count <= 3 or count & (count - 1) == 0:
            try:
                self.log.warning(event, count=count, server=self.server, **fields)
            except Exception:  # a broken logger must not break the reader
                pass


def read_file(path: str, server: str = "", chunk_size: int = 1 << 20) -> Iterator[Event]:
    """Events of a recorded AMI stream (e.g. traces/*/ami.log), read in `chunk_size` pieces."""
    reader = AmiReader(server)
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            view = memoryview(chunk)
            for i in range(0, len(view), _SLICE):  # few events alive at once: faster
                yield from reader.feed(view[i:i + _SLICE])
    yield from reader.close()

"""The capture journal: what the daemon receives, appended before anything else looks at it.
The database is written from it, a crashed daemon resumes from it, `cdr-agent replay` reads it.

A journal is a directory of segment files `<12 digits>.cdrj`. Each segment starts with
`SEGMENT_HEADER`, then records, little endian:

    magic b"\\xcdJ" | kind u8 | server length u8 | payload length u32 | receive time f64 | crc32 u32
    | server name (UTF-8) | payload

The CRC covers kind, lengths, time, server and payload. Kinds: START (the daemon started; JSON
settings), CONNECT (an AMI session began; JSON peer), GAP (it ended; JSON reason), DATA (AMI
bytes exactly as read from the socket) and AGI (one FastAGI observation, JSON).

Raw chunks rather than parsed events: one write per socket read and no per-event work on the
reading path; the reader frames the same bytes into the same events whatever the chunking, so
a replay sees exactly what the live capture saw.

Durability: an append is one write(2), so a crash of the process (SIGKILL) loses nothing that
was appended. fsync happens off the reading path (`sync()`, called every `fsync_interval` by the
daemon, at checkpoints and at shutdown): a power cut loses at most that interval. An fsync on
the reading path would stall AMI reads for milliseconds, and Asterisk drops a client that does
not read within its writetimeout. A torn record (power cut mid-write) ends its segment: readers
count it and go on with the next segment.
"""
from __future__ import annotations

import os
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Optional, Union

__all__ = ["START", "CONNECT", "GAP", "DATA", "AGI", "KINDS", "Position", "Record", "JournalWriter",
           "JournalReader", "is_journal", "records", "SEGMENT_HEADER"]

START, CONNECT, GAP, DATA, AGI = 1, 2, 3, 4, 5
KINDS = {START: "start", CONNECT: "connect", GAP: "gap", DATA: "data", AGI: "agi"}

SEGMENT_HEADER = b"cdr-agent journal 1\n"
SUFFIX = ".cdrj"
_MAGIC = b"\xcdJ"
_HEAD = struct.Struct("<2sBBIdI")  # magic, kind, server length, payload length, time, crc
_FIELDS = struct.Struct("<BBId")  # what the CRC covers before server and payload
_MAX_PAYLOAD = (1 << 32) - 1


@dataclass(frozen=True, order=True, slots=True)
class Position:
    """A place in a journal: segment number and byte offset in it."""

    segment: int
    offset: int


@dataclass(slots=True)
class Record:
    kind: int
    server: str
    time: float  # receive time, epoch seconds (our clock)
    payload: bytes
    end: Position  # just after this record: where to resume


def encode(kind: int, server: str, time: float, payload: bytes) -> bytes:
    name = server.encode()
    if len(name) > 255 or len(payload) > _MAX_PAYLOAD or kind not in KINDS:
        raise ValueError(f"cannot journal kind {kind} for server {server!r} with {len(payload)} bytes")
    fields = _FIELDS.pack(kind, len(name), len(payload), time)
    crc = zlib.crc32(payload, zlib.crc32(name, zlib.crc32(fields)))
    return b"".join((_HEAD.pack(_MAGIC, kind, len(name), len(payload), time, crc), name, payload))


def segment_path(directory: Path, number: int) -> Path:
    return directory / f"{number:012d}{SUFFIX}"


def segment_numbers(directory: Path) -> list[int]:
    numbers = []
    for entry in os.scandir(directory):
        stem, dot, suffix = entry.name.partition(".")
        if dot and "." + suffix == SUFFIX and stem.isdigit():
            numbers.append(int(stem))
    return sorted(numbers)


def disk_bytes(directory: Path) -> int:
    return sum(segment_path(directory, n).stat().st_size for n in segment_numbers(directory))


class JournalWriter:
    """Appends records to a new segment (a restart never appends to a possibly torn one) and
    rotates at `segment_bytes`. `append` may be called from one thread while others `wait`,
    read, `sync` and `prune`."""

    def __init__(self, directory: Union[str, Path], segment_bytes: int = 64 << 20) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.segment_bytes = segment_bytes
        self._cond = threading.Condition()
        self._unsynced: list[int] = []  # fds of rotated segments, fsynced and closed by sync()
        self._closed = False
        existing = segment_numbers(self.directory)
        self.first_segment = (existing[-1] + 1) if existing else 1
        self._fd = -1
        self.committed = self._open(self.first_segment)

    def _open(self, number: int) -> Position:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(segment_path(self.directory, number), flags, 0o640)
        _write_all(fd, SEGMENT_HEADER)
        if self._fd >= 0:
            self._unsynced.append(self._fd)
        self._fd = fd
        return Position(number, len(SEGMENT_HEADER))

    def append(self, kind: int, server: str, time: float, payload: bytes) -> Position:
        """Write one record; returns the position just after it (in its segment). One write(2)."""
        data = encode(kind, server, time, payload)
        with self._cond:
            if self._closed:
                raise ValueError("journal is closed")
            _write_all(self._fd, data)
            end = Position(self.committed.segment, self.committed.offset + len(data))
            self.committed = self._open(end.segment + 1) if end.offset >= self.segment_bytes else end
            self._cond.notify_all()
        return end

    def wait(self, beyond: Position, timeout: float) -> Position:
        """Block until something is committed after `beyond` (or the journal closes, or
        `timeout` passes); returns the committed end."""
        with self._cond:
            self._cond.wait_for(lambda: self.committed > beyond or self._closed, timeout)
            return self.committed

    @property
    def closed(self) -> bool:
        return self._closed

    def sync(self) -> None:
        """fsync what was written. The lock is held only to pick the files, so an append
        never waits for the disk; after `close` there is nothing left to sync."""
        with self._cond:
            rotated, self._unsynced = self._unsynced, []
            current = os.dup(self._fd) if self._fd >= 0 else -1
        self._sync_and_close(rotated + ([current] if current >= 0 else []), bool(rotated))

    def close(self) -> None:
        """Stop appends and sync everything. The file descriptors are taken out of the writer
        under the lock, before they are closed, so a `sync` racing with the close (the last
        checkpoint of a stopping daemon) never touches a closed descriptor."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            rotated, self._unsynced = self._unsynced, []
            current, self._fd = self._fd, -1
            self._cond.notify_all()
        self._sync_and_close(rotated + ([current] if current >= 0 else []), bool(rotated))

    def _sync_and_close(self, fds: list[int], rotated: bool) -> None:
        for fd in fds:
            _fsync_and_close(fd)
        if rotated:
            fsync_dir(self.directory)

    def prune(self, before_segment: int, keep_bytes: int) -> list[int]:
        """Delete the oldest segments below `before_segment` (already checkpointed) until those
        left below it take at most `keep_bytes`; returns the deleted numbers."""
        old = [n for n in segment_numbers(self.directory) if n < before_segment]
        sizes = {n: segment_path(self.directory, n).stat().st_size for n in old}
        total = sum(sizes.values())
        deleted = []
        for n in old:
            if total <= keep_bytes:
                break
            segment_path(self.directory, n).unlink()
            total -= sizes[n]
            deleted.append(n)
        return deleted


class JournalReader:
    """Reads records from a position on, following segments; tolerant of a torn tail.

    With `until` (the writer's committed end) it never reads past what the writer finished,
    so it can follow a journal being written.
    """

    def __init__(self, directory: Union[str, Path]) -> None:
        self.directory = Path(directory)
        self.torn = 0  # segments that ended in a damaged record
        self._file: Optional[BinaryIO] = None
        self._number = 0

    def first(self) -> Optional[Position]:
        numbers = segment_numbers(self.directory)
        return Position(numbers[0], 0) if numbers else None

    def read(self, pos: Position, until: Optional[Position] = None, max_bytes: int = 1 << 20) -> tuple[list[Record], Position]:
        """Records from `pos` (about `max_bytes` of them, at least one if there is one) and
        the position after the last one."""
        out: list[Record] = []
        budget = max_bytes
        while budget > 0 and (until is None or pos < until):
            f = self._open(pos.segment)
            if f is None:
                nxt = self._next_segment(pos.segment)
                if nxt is None:
                    break
                pos = Position(nxt, 0)
                continue
            start = Position(pos.segment, max(pos.offset, len(SEGMENT_HEADER)))
            limit = until.offset if until is not None and until.segment == pos.segment else None
            got, pos, finished = self._read_segment(f, start, limit, budget)
            out += got
            budget -= pos.offset - start.offset
            if not finished:
                break
            nxt = self._next_segment(pos.segment)
            if nxt is None:
                break
            pos = Position(nxt, 0)
        return out, pos

    def _read_segment(self, f: BinaryIO, pos: Position, limit: Optional[int], budget: int) -> tuple[list[Record], Position, bool]:
        """Records of one segment from `pos` -> (records, new position, segment finished).
        `limit` is where the writer is (None: the segment is complete)."""
        size = limit if limit is not None else os.fstat(f.fileno()).st_size
        number, offset = pos.segment, pos.offset
        f.seek(offset)
        data = f.read(max(0, min(size - offset, budget)))
        out: list[Record] = []
        at = 0
        while True:
            here = offset + at
            if here >= size:
                return out, Position(number, here), limit is None
            need = 0
            if len(data) - at >= _HEAD.size:
                magic, kind, slen, plen, time, crc = _HEAD.unpack_from(data, at)
                if magic != _MAGIC or kind not in KINDS:
                    return self._torn(out, number, size)
                need = _HEAD.size + slen + plen
            if not need or len(data) - at < need:  # the buffer ends inside this record
                if out:
                    return out, Position(number, here), False
                f.seek(here)
                data, offset, at = f.read(max(need, _HEAD.size)), here, 0
                if len(data) < _HEAD.size or (need and len(data) < need):
                    if limit is not None:
                        return out, Position(number, here), False
                    return self._torn(out, number, size)
                continue
            body = at + _HEAD.size
            name, payload = data[body:body + slen], data[body + slen:at + need]
            if zlib.crc32(payload, zlib.crc32(name, zlib.crc32(_FIELDS.pack(kind, slen, plen, time)))) != crc:
                return self._torn(out, number, size)
            at += need
            out.append(Record(kind, name.decode("utf-8", "replace"), time, payload, Position(number, offset + at)))

    def _torn(self, out: list[Record], number: int, size: int) -> tuple[list[Record], Position, bool]:
        """A damaged record: the rest of this segment cannot be trusted."""
        self.torn += 1
        return out, Position(number, size), True

    def _open(self, number: int) -> Optional[BinaryIO]:
        if self._file is not None and self._number == number:
            return self._file
        self.close()
        try:
            f = open(segment_path(self.directory, number), "rb")
        except FileNotFoundError:
            return None
        if f.read(len(SEGMENT_HEADER)) != SEGMENT_HEADER:
            f.close()
            self.torn += 1
            return None
        self._file, self._number = f, number
        return f

    def _next_segment(self, number: int) -> Optional[int]:
        later = [n for n in segment_numbers(self.directory) if n > number]
        return later[0] if later else None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def is_journal(path: Path) -> bool:
    """A journal directory, or one segment file of it."""
    if path.is_dir():
        return bool(segment_numbers(path))
    with open(path, "rb") as f:
        return f.read(len(SEGMENT_HEADER)) == SEGMENT_HEADER


def records(path: Path, start: Optional[Position] = None) -> Iterator[Record]:
    """Every record of a journal directory (from `start`), or of one segment file."""
    if path.is_file():
        directory, only = path.parent, int(path.name.partition(".")[0])
        start = Position(only, 0)
    else:
        directory, only = path, None
    reader = JournalReader(directory)
    pos = start or reader.first()
    try:
        while pos is not None:
            batch, pos = reader.read(pos)
            if not batch:
                break
            for record in batch:
                if only is not None and record.end.segment != only:
                    return
                yield record
    finally:
        reader.close()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def fsync_dir(directory: Path) -> None:
    """Make a rename or a new file in `directory` durable."""
    _fsync_and_close(os.open(directory, os.O_RDONLY))


def _fsync_and_close(fd: int) -> None:
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

"""The capture journal: records come back exactly, across segments, while being written, and a
damaged tail costs only itself."""
from __future__ import annotations

import os
import random
import threading
from pathlib import Path

import pytest

from cdr_agent.ami.journal import (
    AGI,
    CONNECT,
    DATA,
    GAP,
    START,
    JournalReader,
    JournalWriter,
    Position,
    SEGMENT_HEADER,
    encode,
    is_journal,
    records,
    segment_numbers,
    segment_path,
)

SAMPLES = [(START, "", b'{"hangup_timeout": 60}'), (CONNECT, "pbx-1", b'{"peer": "127.0.0.1:5038"}'),
           (DATA, "pbx-1", "Event: Newchannel\r\nCallerIDName: Müller 山田\r\n\r\n".encode()),
           (DATA, "pbx-2 ☎", b""), (AGI, "pbx-1", b'{"label": "hangup"}'), (GAP, "pbx-1", b'{"reason": "frozen"}')]


def _payloads(n: int, seed: int = 1) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(rng.randrange(0, 3000)) for _ in range(n)]


def _all(directory: Path) -> list:
    return list(records(directory))


def test_records_come_back_exactly_across_segments(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path, segment_bytes=4096)
    payloads = _payloads(200)
    ends = [writer.append(DATA, "pbx-1", 1795463070.5 + i, p) for i, p in enumerate(payloads)]
    for kind, server, payload in SAMPLES:
        writer.append(kind, server, 1.25, payload)
    writer.close()
    got = _all(tmp_path)
    assert len(segment_numbers(tmp_path)) > 20
    assert [r.payload for r in got[:200]] == payloads
    assert [r.time for r in got[:200]] == [1795463070.5 + i for i in range(200)]
    assert [r.end for r in got[:200]] == ends
    assert [(r.kind, r.server, r.payload) for r in got[200:]] == SAMPLES


def test_reader_follows_a_journal_being_written(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path, segment_bytes=64 * 1024)
    payloads = _payloads(2000, seed=2)

    def produce() -> None:
        for p in payloads:
            writer.append(DATA, "a", 0.0, p)
        writer.close()

    thread = threading.Thread(target=produce)
    thread.start()
    reader, pos, got = JournalReader(tmp_path), Position(writer.first_segment, 0), []
    while True:
        committed = writer.wait(pos, 1.0)
        batch, pos = reader.read(pos, committed, max_bytes=10_000)
        got += [r.payload for r in batch]
        if writer.closed and pos >= writer.committed:
            break
    thread.join()
    assert got == payloads
    assert reader.torn == 0


def test_reader_never_reads_past_the_committed_end(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path)
    first = writer.append(DATA, "a", 0.0, b"one")
    writer.append(DATA, "a", 0.0, b"two")
    batch, pos = JournalReader(tmp_path).read(Position(1, 0), until=first)
    assert [r.payload for r in batch] == [b"one"] and pos == first


def test_torn_tail_costs_only_itself_and_a_restart_writes_a_new_segment(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path)
    for i in range(5):
        writer.append(DATA, "a", float(i), b"x" * 100)
    writer.close()
    path = segment_path(tmp_path, 1)
    path.write_bytes(path.read_bytes()[:-7])  # power cut in the middle of the last write
    again = JournalWriter(tmp_path)
    assert again.first_segment == 2
    again.append(DATA, "a", 9.0, b"after the restart")
    again.close()
    reader = JournalReader(tmp_path)
    got, pos = [], reader.first()
    while True:
        batch, pos = reader.read(pos)
        if not batch:
            break
        got += batch
    assert [r.time for r in got] == [0.0, 1.0, 2.0, 3.0, 9.0]
    assert reader.torn == 1


def test_a_corrupted_record_ends_its_segment(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path, segment_bytes=1000)
    for i in range(6):
        writer.append(DATA, "a", float(i), bytes([i]) * 300)
    writer.close()
    path = segment_path(tmp_path, 1)
    data = bytearray(path.read_bytes())
    data[len(SEGMENT_HEADER) + 40] ^= 0xFF  # a flipped bit in the first record's payload
    path.write_bytes(bytes(data))
    assert [r.time for r in _all(tmp_path)][0] > 0.0  # the damaged record is not handed out


def test_single_segment_file_and_detection(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path / "j", segment_bytes=500)
    for i in range(10):
        writer.append(DATA, "a", float(i), b"y" * 200)
    writer.close()
    second = segment_path(tmp_path / "j", 2)
    assert is_journal(tmp_path / "j") and is_journal(second)
    assert [r.time for r in records(second)] == [3.0, 4.0, 5.0]  # 3 records of 221 bytes per segment
    (tmp_path / "ami.log").write_bytes(b"Asterisk Call Manager/11.0.0\r\n")
    assert not is_journal(tmp_path / "ami.log") and not is_journal(tmp_path)


def test_prune_keeps_unconsumed_segments_and_the_newest_within_budget(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path, segment_bytes=1000)
    for i in range(40):
        writer.append(DATA, "a", float(i), b"z" * 400)
    numbers = segment_numbers(tmp_path)
    size = segment_path(tmp_path, numbers[0]).stat().st_size
    deleted = writer.prune(before_segment=numbers[10], keep_bytes=3 * size)
    assert deleted == numbers[:7]
    assert segment_numbers(tmp_path) == numbers[7:]
    assert writer.prune(before_segment=numbers[10], keep_bytes=0) == numbers[7:10]
    writer.append(DATA, "a", 99.0, b"still writing")
    writer.close()
    assert _all(tmp_path)[-1].payload == b"still writing"


def test_sync_closes_rotated_segments(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path, segment_bytes=500)
    for _ in range(10):
        writer.append(DATA, "a", 0.0, b"w" * 300)
    rotated = len(segment_numbers(tmp_path)) - 1
    open_before = len(os.listdir("/proc/self/fd"))
    writer.sync()
    assert rotated >= 4 and len(os.listdir("/proc/self/fd")) == open_before - rotated
    writer.close()


def test_bad_records_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        encode(DATA, "x" * 256, 0.0, b"")  # server names are at most 255 bytes
    with pytest.raises(ValueError):
        encode(99, "a", 0.0, b"")
    writer = JournalWriter(tmp_path)
    writer.close()
    with pytest.raises(ValueError):
        writer.append(DATA, "a", 0.0, b"after close")


def test_a_sync_racing_the_close_never_meets_a_closed_descriptor(tmp_path: Path) -> None:
    """A stopping daemon closes the journal while the pipeline's last checkpoint syncs it:
    200 stops under load (appends rotating segments, syncs in a loop), not one EBADF."""
    for round_ in range(200):
        journal = JournalWriter(tmp_path / str(round_), segment_bytes=4096)
        failures: list[BaseException] = []
        go = threading.Event()

        def load() -> None:
            go.wait()
            try:
                while not journal.closed:
                    try:
                        journal.append(DATA, "a", 1.0, os.urandom(300))
                    except ValueError:  # "journal is closed": the stop won the race, as it may
                        return
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        def checkpoints() -> None:
            go.wait()
            try:
                for _ in range(50):
                    journal.sync()
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        threads = [threading.Thread(target=load), threading.Thread(target=checkpoints)]
        for t in threads:
            t.start()
        go.set()
        journal.close()
        for t in threads:
            t.join(10)
        journal.sync()  # the pipeline's final checkpoint comes after the close
        assert not failures, f"round {round_}: {failures[0]!r}"

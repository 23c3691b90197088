"""Throughput of cdr_agent's AmiReader vs panoramisk's bare parser on the recorded trace corpus.

Corpus: every traces/*/ami.log and traces/20_two_servers/*/ami.log concatenated (so the greeting
line also appears glued to mid-stream messages). Both parsers get the same bytes in the same
chunk sizes (64 KiB ~ a busy socket read, 1 MiB = read_file's default). Best of N runs, one core.
Our events' headers are asked for, so that they are parsed as panoramisk's are (the reader
leaves them to their first use: see bench/ingest.py for what that saves a replay).

panoramisk "bare" reproduces AMIProtocol.data_received line for line (decode each chunk with
errors='ignore', version sniff, queue the tail, split on '\\r\\n\\r\\n', strip, Message.from_line)
without its debug logging and response dispatch; "protocol" calls the real
AMIProtocol.data_received with handle_message replaced by a counter.

    /tmp/venv/bin/python bench/reader_speed.py [TRACES_DIR] [--runs N]
"""
from __future__ import annotations

import argparse
import glob
import os
import statistics
import sys
import tempfile
import time
from collections import deque

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from panoramisk import utils as pk_utils  # noqa: E402
from panoramisk.ami_protocol import AMIProtocol  # noqa: E402
from panoramisk.message import Message  # noqa: E402

from cdr_agent.ami.reader import AmiReader, read_file  # noqa: E402


def load_corpus(traces: str) -> bytes:
    files = sorted(glob.glob(os.path.join(traces, "*/ami.log")))
    files += sorted(glob.glob(os.path.join(traces, "20_two_servers/*/ami.log")))
    if not files:
        sys.exit(f"no ami.log under {traces}")
    return b"".join(open(f, "rb").read() for f in files)


def chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


def run_reader(parts: list[bytes]) -> int:
    reader = AmiReader("bench")
    n = 0
    for part in parts:
        for ev in reader.feed(part):
            n += ev.name != "" and ev.headers is not None
    for ev in reader.close():
        n += ev.name != "" and ev.headers is not None
    return n


def run_read_file(path: str) -> int:
    return sum(ev.name != "" and ev.headers is not None for ev in read_file(path, "bench"))


def run_panoramisk_bare(parts: list[bytes]) -> int:
    """AMIProtocol.data_received (panoramisk 1.4) minus logging and dispatch."""
    queue: deque[str] = deque()
    version = None
    eol = pk_utils.EOL
    n = 0
    for data in parts:
        data = data.decode("ascii", "ignore")
        if version is None and data.startswith("Asterisk Call Manager/"):
            version, __, __ = data.partition(eol)
            __, __, version = version.partition("/")
            version = version.strip()
        if queue:
            data = queue.popleft() + data
        lines = data.split(eol + eol)
        queue.append(lines.pop(-1))
        for line in lines:
            line = line.strip()
            message = Message.from_line(line)
            if message is None:
                continue
            n += "event" in message
    return n


def run_panoramisk_protocol(parts: list[bytes]) -> int:
    """The real AMIProtocol.data_received, handle_message replaced by a counter."""
    proto = AMIProtocol()
    proto.connection_made(None)
    count = [0]
    proto.handle_message = lambda message: count.__setitem__(0, count[0] + ("event" in message))
    for data in parts:
        proto.data_received(data)
    return count[0]


def measure(fn, parts: list[bytes], runs: int) -> tuple[int, float, float]:
    times = []
    n = 0
    for _ in range(runs):
        t0 = time.perf_counter()
        n = fn(parts)
        times.append(time.perf_counter() - t0)
    return n, min(times), statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("traces", nargs="?", default="/work/shared/traces")
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    data = load_corpus(args.traces)
    n_event_lines = sum(1 for line in data.split(b"\r\n") if line.startswith(b"Event:"))
    print(f"corpus: {len(data):,} bytes, {n_event_lines:,} 'Event:' lines, "
          f"{len(data) / n_event_lines:.0f} bytes/event; best / median of {args.runs} runs")
    for size in (64 * 1024, 1 << 20):
        parts = chunks(data, size)
        for label, fn in (("cdr_agent AmiReader", run_reader),
                          ("panoramisk bare parse", run_panoramisk_bare),
                          ("panoramisk AMIProtocol", run_panoramisk_protocol)):
            n, best, med = measure(fn, parts, args.runs)
            print(f"  chunk {size >> 10:>5} KiB  {label:<24} {n:>6} events  "
                  f"{n / best:>9,.0f} ev/s best  {n / med:>9,.0f} ev/s median")
    with tempfile.NamedTemporaryFile(suffix=".ami.log") as tmp:
        tmp.write(data)
        tmp.flush()
        n, best, med = measure(run_read_file, tmp.name, args.runs)
        print(f"  read_file(1 MiB reads, page cache)  {n:>6} events  "
              f"{n / best:>9,.0f} ev/s best  {n / med:>9,.0f} ev/s median")


if __name__ == "__main__":
    main()

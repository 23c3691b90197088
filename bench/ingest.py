"""Ingest benchmark: `replay` (parse + build + store to SQLite) vs panoramisk's bare parser.

The stream is the recorded trace corpus repeated with shifted ids and times (every
`1795xxxxxx.` epoch prefix, i.e. uniqueids, linkedids and timestamps, moves by 100000 s per
repetition), so each repetition is a new set of calls. Prints events/s of both on the same
bytes, their ratio (target >= 2.0), and the peak RSS of the pipeline at 1x and 4x the stream
(target: flat), each measured in a fresh child process.

    python bench/ingest.py [--events 1000000]
"""
from __future__ import annotations

import argparse
import glob
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)

from reader_speed import run_panoramisk_bare  # noqa: E402

from cdr_agent.replay import ingest_bytes  # noqa: E402
from cdr_agent.store.engine import open_engine  # noqa: E402

TRACES = os.path.join(HERE, "..", "tests", "fixtures", "traces")
_EPOCH = re.compile(rb"\b(1795\d{6})\.")
_CHUNK = 1 << 20


def corpus() -> list[bytes]:
    files = sorted(glob.glob(os.path.join(TRACES, "*/ami.log")))
    files.append(os.path.join(TRACES, "20_two_servers", "server_a", "ami.log"))
    return [open(f, "rb").read() for f in files]


def events_per_repetition(parts: list[bytes]) -> int:
    return sum(p.count(b"\r\nEvent: ") + p.startswith(b"Event: ") for p in parts)


def repetitions(parts: list[bytes], count: int) -> Iterator[bytes]:
    """The corpus `count` times, each time with its ids shifted, in 1 MiB chunks."""
    for k in range(count):
        shift = k * 100000
        for data in parts:
            shifted = _EPOCH.sub(lambda m: b"%d." % (int(m.group(1)) + shift), data) if shift else data
            for i in range(0, len(shifted), _CHUNK):
                yield shifted[i:i + _CHUNK]


def pipeline(chunks, db_url: str):
    return ingest_bytes(chunks, "bench", open_engine(db_url))


def child_memory(reps: int) -> None:
    """Run the pipeline over a generated stream and print the peak RSS (KiB)."""
    with tempfile.TemporaryDirectory() as tmp:
        stats = pipeline(repetitions(corpus(), reps), f"sqlite:///{tmp}/mem.sqlite")
    print(stats.events, peak_rss_kib())


def peak_rss_kib() -> int:
    """VmHWM of this process. (ru_maxrss would carry over the parent's peak across exec.)"""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure_memory(reps: int) -> tuple[int, int]:
    out = subprocess.run([sys.executable, __file__, "--child-memory", str(reps)],
                         check=True, capture_output=True, text=True).stdout.split()
    return int(out[0]), int(out[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000, help="at least this many events (1x)")
    ap.add_argument("--child-memory", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_memory:
        child_memory(args.child_memory)
        return
    parts = corpus()
    per_rep = events_per_repetition(parts)
    reps = -(-args.events // per_rep)
    chunks = list(repetitions(parts, reps))
    size = sum(map(len, chunks))
    print(f"stream: {reps} x corpus = {reps * per_rep} events (+ AMI responses), {size / 1e6:.0f} MB")

    t = time.perf_counter()
    parsed = run_panoramisk_bare(chunks)
    bare = time.perf_counter() - t
    print(f"panoramisk bare parse : {parsed / bare:10.0f} events/s ({bare:.1f} s)")

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        stats = pipeline(chunks, f"sqlite:///{tmp}/ingest.sqlite")
        ours = time.perf_counter() - t
    del chunks
    print(f"cdr-agent replay      : {stats.events / ours:10.0f} events/s ({ours:.1f} s, "
          f"{stats.calls_finished - stats.calls_restored} calls stored ({stats.calls_restored} stored again after a change), {stats.calls_open} open, failures {sum(stats.failures.values())})")
    print(f"ratio (ours / panoramisk parse only): {(stats.events / ours) / (parsed / bare):.2f}  (target >= 2.0)")

    one_events, one_rss = measure_memory(reps)
    four_events, four_rss = measure_memory(4 * reps)
    print(f"peak RSS 1x ({one_events} messages): {one_rss / 1024:.0f} MiB")
    print(f"peak RSS 4x ({four_events} messages): {four_rss / 1024:.0f} MiB")
    print(f"memory ratio 4x/1x: {four_rss / one_rss:.2f}  (target ~1.0: flat)")


if __name__ == "__main__":
    main()

"""Daemon benchmark: live capture over loopback TCP into SQLite and PostgreSQL.

A long AMI stream of 200 concurrent calls is generated from the recorded single-call traces
(each copy with its own uniqueids, bridge ids and times, copies started so that 200 are in
progress at any moment), served by tests/fakeami.py in its own process, and captured by
`cdr-agent daemon` in another. Three figures per backend:

- sustained events/s: the stream sent as fast as the daemon reads it, events applied and
  stored per second between 10 % and 90 % of the stream (target >= 20k/s);
- lag from event time to stored row, p50 / p99, with the stream paced at --rate events/s and
  every Timestamp set to the moment it is sent (target p99 < 1 s);
- daemon RSS sampled along the unpaced run: peak in the first and the last quarter (target: flat).

    python bench/daemon_capture.py [--events 500000] [--rate 20000] [--pg URL]
    python bench/daemon_capture.py --events 2000000 --rate 0     # memory over a longer stream

PostgreSQL is used when --pg or $CDR_TEST_PG_URL names a server (scripts/postgres.sh start prints
one): the bench works in a database `cdr_bench` of its own there, created if missing, emptied.
"""
from __future__ import annotations

import argparse
import heapq
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))

from fakeami import free_port, scrape  # noqa: E402 - the fake AMI and its plumbing live with the tests
TRACES = ROOT / "tests" / "fixtures" / "traces"
BASES = ("01_basic_answered", "03_noanswer_failover", "06_blind_transfer", "10_queue_answered", "14_ringgroup")
CONCURRENT = 200
SECRET = "bench-" + os.urandom(4).hex()
_TOKEN = re.compile(rb"(?<=\r\nTimestamp: )(\d+\.\d+)|\b(1795\d{6})\.(\d+)\b|"
                    rb"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
_NS = uuid.UUID("0b6e1f3c-6f8e-4d52-9a1d-2f1f6c9c8a10")


class Template:
    """One recorded call, cut into fixed text and the tokens a copy changes."""

    def __init__(self, name: str) -> None:
        data = (TRACES / name / "ami.log").read_bytes()
        blocks = [b for b in data.split(b"\r\n\r\n")[1:] if b.strip() and not b.startswith(b"Response: Goodbye")]
        self.messages: list[tuple[float, list]] = []
        epochs, last = [], 0.0
        for block in blocks:
            parts: list = []
            at = 0
            for m in _TOKEN.finditer(block):
                parts.append(block[at:m.start()])
                if m.group(1):
                    last = float(m.group(1))
                    parts.append(("t", last))
                elif m.group(2):
                    epochs.append(int(m.group(2)))
                    parts.append(("u", int(m.group(2)), m.group(3)))
                else:
                    parts.append(("b", m.group(4)))
                at = m.end()
            parts.append(block[at:] + b"\r\n\r\n")
            self.messages.append((last, parts))
        self.start = next(t for t, _ in self.messages if t)
        self.duration = self.messages[-1][0] - self.start
        self.first_epoch = min(epochs)

    def copy(self, k: int, start: float) -> Iterator[tuple[float, int, bytes]]:
        shift = start - self.start
        bridges: dict[bytes, bytes] = {}
        for i, (t, parts) in enumerate(self.messages):
            out = []
            for p in parts:
                if isinstance(p, bytes):
                    out.append(p)
                elif p[0] == "t":
                    out.append(b"%.6f" % (p[1] + shift))
                elif p[0] == "u":  # uniqueids and linkedids: unique per copy, still epoch.sequence
                    out.append(b"%d.%s" % (2_000_000_000 + k * 1000 + p[1] - self.first_epoch, p[2]))
                else:
                    if p[1] not in bridges:
                        bridges[p[1]] = str(uuid.uuid5(_NS, f"{k}:{p[1].decode()}")).encode()
                    out.append(bridges[p[1]])
            yield t + shift, k * 100_000 + i, b"".join(out)


def generate(path: Path, events: int) -> tuple[int, int]:
    """Write the stream; returns (messages, calls)."""
    templates = [Template(name) for name in BASES]
    per_call = sum(len(t.messages) for t in templates) / len(templates)
    duration = sum(t.duration for t in templates) / len(templates)
    calls = max(1, int(events / per_call))
    gap = duration / CONCURRENT  # a call starts every `gap` s: ~200 in progress at once
    t0 = time.time() - 86400
    copies = (templates[k % len(templates)].copy(k, t0 + k * gap) for k in range(calls))
    written = 0
    with open(path, "wb", buffering=1 << 20) as f:
        for _, _, message in heapq.merge(*copies):
            f.write(message)
            written += 1
    return written, calls


def proc_stat(pid: int) -> tuple[int, float]:
    """(RSS KiB, CPU seconds) of a process."""
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return rss, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_database(url: str) -> str:
    """An empty database `cdr_bench` on the server of `url` (never the tests' database)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    server = create_engine(url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = 'cdr_bench'")).scalar():
            conn.execute(text("CREATE DATABASE cdr_bench"))
    server.dispose()
    bench = make_url(url).set(database="cdr_bench")
    engine = create_engine(bench)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return bench.render_as_string(hide_password=False)


def run(stream: Path, calls: int, db_url: str, rate: float, tmp: Path) -> dict:
    """One capture: fake AMI process -> daemon process -> database. Returns what was seen."""
    fake_args = [sys.executable, str(ROOT / "tests" / "fakeami.py"), str(stream), "--secret", SECRET]
    if rate:
        fake_args += ["--rate", str(rate), "--restamp"]
    fake = subprocess.Popen(fake_args, stdout=subprocess.PIPE, text=True)
    ami_port = int(fake.stdout.readline())
    metrics_port = free_port()
    config = tmp / "daemon.toml"
    config.write_text(f'database = "{db_url}"\n[journal]\ndirectory = "{tmp / "journal"}"\n'
                      f'[[ami]]\nserver = "bench"\nport = {ami_port}\nusername = "recorder"\nsecret = "{SECRET}"\n'
                      f'[metrics]\nlisten = "127.0.0.1:{metrics_port}"\n')
    daemon = subprocess.Popen([sys.executable, "-m", "cdr_agent.cli", "daemon", "--config", str(config)],
                              cwd=ROOT, stdout=open(tmp / "daemon.log", "w"), stderr=subprocess.STDOUT)
    samples = []  # (seconds, events applied, calls stored, rss KiB)
    try:
        t0 = None
        while True:
            time.sleep(0.25)
            m = scrape(metrics_port)
            if not m or daemon.poll() is not None:
                if daemon.poll() is not None:
                    raise SystemExit(f"daemon exited {daemon.returncode}: see {tmp / 'daemon.log'}")
                continue
            now = time.monotonic()
            if t0 is None and m["cdr_agent_events_total"] > 0:
                t0 = now
            rss, cpu = proc_stat(daemon.pid)
            samples.append((now - (t0 or now), m["cdr_agent_events_total"], m["cdr_agent_calls_stored_total"], rss, cpu))
            if m["cdr_agent_calls_stored_total"] >= calls and m["cdr_agent_journal_backlog_bytes"] == 0:
                break
        final = m
    finally:
        daemon.terminate()
        daemon.wait(60)
        fake.terminate()
        fake.wait(10)
    return {"samples": samples, "final": final}


def sustained(samples: list) -> tuple[float, float]:
    """Events/s between 10 % and 90 % of the stream, and events per CPU second of the daemon."""
    total = samples[-1][1]
    lo = next(s for s in samples if s[1] >= 0.1 * total)
    hi = next(s for s in samples if s[1] >= 0.9 * total)
    rate = (hi[1] - lo[1]) / (hi[0] - lo[0]) if hi[0] > lo[0] else float("nan")
    per_cpu = (hi[1] - lo[1]) / (hi[4] - lo[4]) if hi[4] > lo[4] else float("nan")
    return rate, per_cpu


def quarters(samples: list) -> list[int]:
    total = samples[-1][1]
    out = []
    for q in range(4):
        rss = [s[3] for s in samples if q * total / 4 <= s[1] <= (q + 1) * total / 4]
        out.append(max(rss) if rss else 0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=500_000)
    ap.add_argument("--rate", type=float, default=20_000.0, help="events/s for the lag run (0: no lag run)")
    ap.add_argument("--pg", default=os.environ.get("CDR_TEST_PG_URL"), help="PostgreSQL server URL")
    args = ap.parse_args()
    backends = [("sqlite", None)] + ([("postgresql", args.pg)] if args.pg else [])
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        stream = tmp / "stream.ami"
        t = time.perf_counter()
        messages, calls = generate(stream, args.events)
        print(f"stream: {messages} AMI messages, {calls} calls, {CONCURRENT} in progress at once, "
              f"{stream.stat().st_size / 1e6:.0f} MB (generated in {time.perf_counter() - t:.0f} s)")
        for name, url in backends:
            runs = [("unpaced", 0.0)] + ([(f"paced {args.rate:.0f}/s", args.rate)] if args.rate else [])
            for mode, rate in runs:
                work = tmp / f"{name}-{rate:.0f}"
                work.mkdir()
                db_url = bench_database(url) if url else f"sqlite:///{work / 'cdr.sqlite'}"
                seen = run(stream, calls, db_url, rate, work)
                samples, final = seen["samples"], seen["final"]
                events_s, per_cpu = sustained(samples)
                if not rate:
                    q = quarters(samples)
                    print(f"{name:10} {mode:14}: {events_s:8.0f} events/s sustained (target >= 20000), "
                          f"{per_cpu:6.0f} events per daemon CPU-second; {final['cdr_agent_calls_stored_total']:.0f} calls")
                    print(f"{'':10} {'':14}  RSS peak by quarter of the stream: "
                          + " / ".join(f"{r / 1024:.0f}" for r in q) + f" MiB; last/first {q[-1] / q[0]:.2f} (target ~1.0)")
                else:
                    p50 = final['cdr_agent_store_lag_seconds{quantile="0.5"}']
                    p99 = final['cdr_agent_store_lag_seconds{quantile="0.99"}']
                    print(f"{name:10} {mode:14}: {events_s:8.0f} events/s; lag event time -> stored row "
                          f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms (target p99 < 1000 ms)")


if __name__ == "__main__":
    main()

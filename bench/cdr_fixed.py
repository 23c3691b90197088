"""cdr_fixed benchmark: a FreePBX-style day report on the view beside the hand-written floor.

Generated calls (10 queues, 50 agents; the call generator through the real builder and
writer) are stored on each database given, then, each query run --repeat times, best time:
- ours: FreePBX's CDR listing of one day on `cdr_fixed`, every column fetched;
- the floor: the least SQL that gives the same rows' facts, hand-written: attempts of the
  day joined to their call and both legs, no CASE, no subqueries, no union;
- their ratio (what the Asterisk layout and its corrections cost per report).

    python bench/cdr_fixed.py [--calls 20000] [--pg URL] [--mariadb URL]

`--pg`/`--mariadb` name scratch databases: every cdr-agent table and view in them is dropped.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

from sqlalchemy import Engine, text  # noqa: E402

from cdr_agent.callgen.config import default_scenario  # noqa: E402
from cdr_agent.callgen.stream import CallGenerator  # noqa: E402
from cdr_agent.ingest import Ingest  # noqa: E402
from cdr_agent.replay import read_events  # noqa: E402
from cdr_agent.store import CallWriter, metadata, open_engine  # noqa: E402

START = 1793577600.0  # the generator's default start: 2026-11-02 00:00 UTC
DAY = ("2026-11-02 00:00:00", "2026-11-02 23:59:59")

OURS = f"""
SELECT calldate, clid, src, dst, dcontext, channel, dstchannel, lastapp, lastdata, duration, billsec,
       disposition, amaflags, accountcode, uniqueid, userfield
FROM cdr_fixed
WHERE calldate >= '{DAY[0]}' AND calldate <= '{DAY[1]}'
ORDER BY calldate DESC
"""
FLOOR = f"""
SELECT a.began_at, f.caller_name, f.caller_num, t.exten, f.context, f.channel, t.channel, a.via, a.dialstring,
       a.ring_s, a.talk_s, a.outcome, a.call_id, a.seq
FROM attempts a JOIN calls c ON c.call_id = a.call_id
LEFT JOIN legs f ON f.leg_id = a.from_leg LEFT JOIN legs t ON t.leg_id = a.to_leg
WHERE a.began_at >= '{DAY[0]}' AND a.began_at <= '{DAY[1]}'
ORDER BY a.began_at DESC
"""


def generated(n: int) -> list:
    ingest = Ingest()
    scenario = default_scenario(n, queues=10, agents=50, seed=7, start=START)
    ingest.events(read_events(CallGenerator(scenario).chunks(), scenario.server))
    ingest.close()
    return ingest.finished


def best(engine: Engine, sql: str, repeat: int) -> tuple[float, int]:
    times, rows = [], 0
    for _ in range(repeat):
        with engine.connect() as conn:
            t0 = time.perf_counter()
            rows = len(conn.execute(text(sql)).all())
            times.append(time.perf_counter() - t0)
    return min(times), rows


def run(name: str, url: str, calls: list, repeat: int) -> None:
    engine = open_engine(url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    writer = CallWriter(engine)
    for i in range(0, len(calls), 1000):
        writer.write(calls[i:i + 1000])
    ours, n_ours = best(engine, OURS, repeat)
    floor, n_floor = best(engine, FLOOR, repeat)
    engine.dispose()
    print(f"{name:10s} rows {n_ours:7d} (floor {n_floor:7d})  cdr_fixed {ours * 1000:8.1f} ms"
          f"  floor {floor * 1000:8.1f} ms  ratio {ours / floor:5.2f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--calls", type=int, default=20_000)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--pg", help="scratch PostgreSQL URL")
    p.add_argument("--mariadb", help="scratch MariaDB/MySQL URL")
    args = p.parse_args()
    calls = generated(args.calls)
    print(f"{len(calls)} calls generated; FreePBX day listing ({DAY[0][:10]}), best of {args.repeat}")
    with tempfile.TemporaryDirectory() as tmp:
        run("sqlite", f"sqlite:///{tmp}/bench.sqlite", calls, args.repeat)
    if args.pg:
        run("postgresql", args.pg, calls, args.repeat)
    if args.mariadb:
        run("mariadb", args.mariadb, calls, args.repeat)


if __name__ == "__main__":
    main()

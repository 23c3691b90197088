"""Statistics fill benchmark: `stats fill` over >= 1M calls beside one hand-written GROUP BY.

The call trees come from the call generator (10 queues, 50 agents): a base stream is built
by the real builder, then its rows (the call trees and the per-call statistics rows the
writer derives with them) are repeated with shifted ids and times until the store holds
--calls calls. Printed, per database:
- what the per-call statistics rows cost at capture, where they are now derived and written:
  the Python derivation per call (measured on the base calls), and the share of the insert
  time that goes to their rows while loading the store;
- two floors, each one hand-written SQL GROUP BY computing 7 hourly queue counters, its result
  fetched: over the call-tree rows (calls + apps; reads no attempts, writes nothing: the floor
  since this bench was first written, and the one the target is read against), and over the
  per-call queue rows the fill itself reads (stat_queue_calls), a stricter one;
- a full `stats fill` of every hour (hourly queue and agent counters, presence), and its
  ratio to each floor (target <= 2 against the first);
- an incremental fill of one new hour, with the store at 10% and at 100% of its size: the
  ratio of the two shows whether its cost follows the hour or the table (target ~1).

    python bench/stats_fill.py [--calls 1000000] [--pg postgresql+psycopg://.../scratch_db]

`--pg` names a scratch database: every cdr-agent table in it is dropped first.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

from sqlalchemy import Engine, bindparam, delete, text  # noqa: E402

from cdr_agent.callgen.config import default_scenario  # noqa: E402
from cdr_agent.callgen.stream import CallGenerator  # noqa: E402
from cdr_agent.ingest import Ingest  # noqa: E402
from cdr_agent.replay import read_events  # noqa: E402
from cdr_agent.stats.fill import fill  # noqa: E402
from cdr_agent.stats.presence import Session  # noqa: E402
from cdr_agent.store.percall import stat_rows  # noqa: E402
from cdr_agent.stats.recorder import write_sessions  # noqa: E402
from cdr_agent.store.stats_tables import stat_agent_calls, stat_queue_calls  # noqa: E402
from cdr_agent.store.tables import CHILD_TABLES, UTCDateTime, calls, metadata  # noqa: E402
from cdr_agent.store.engine import open_engine  # noqa: E402
from cdr_agent.store.writer import call_rows, insert_rows  # noqa: E402

HOUR = 3600.0
BASE_CALLS = 20_000
_TIMES = ("started_at", "answered_at", "ended_at", "created_at", "began_at", "at", "entered_at", "left_at",
          "hour", "call_hour")
_IDS = ("call_id", "leg_id", "local_peer", "from_leg", "to_leg", "hop_leg", "app_id", "transferer_leg",
        "transferee_leg", "target_leg", "leg")
DERIVED = (stat_queue_calls, stat_agent_calls)
TABLES = (calls, *CHILD_TABLES, *DERIVED)

# The floor: hourly queue counters in one GROUP BY over the queue visits of the call trees
# (apps, with calls for the window), hand-written. It reads no attempts and writes nothing:
# a lower bound for anything that computes the same counters from the same rows.
_FLOOR = """
SELECT {hour} AS hour, a.name AS queue, count(*) AS offered,
       sum(CASE WHEN a.result = 'answered' THEN 1 ELSE 0 END) AS answered,
       sum(CASE WHEN a.result = 'abandoned' THEN 1 ELSE 0 END) AS abandoned,
       sum(CASE WHEN a.result = 'timeout' THEN 1 ELSE 0 END) AS timeout,
       sum(a.wait_s) AS wait_s, max(a.wait_s) AS wait_max_s,
       sum(CASE WHEN a.result = 'answered' AND a.wait_s <= 20 THEN 1 ELSE 0 END) AS within_20
FROM calls c
JOIN apps a ON a.call_id = c.call_id
WHERE a.app = 'queue' AND c.started_at >= :lo AND c.started_at < :hi
GROUP BY 1, 2
"""
# The stricter floor: the same counters from the rows the fill reads, its per-call queue rows.
_FLOOR_PER_CALL = """
SELECT q.hour, q.queue, count(*) AS offered,
       sum(CASE WHEN q.status IN ('answered', 'transferred') THEN 1 ELSE 0 END) AS answered,
       sum(CASE WHEN q.status = 'abandoned' THEN 1 ELSE 0 END) AS abandoned,
       sum(CASE WHEN q.status = 'timeout' THEN 1 ELSE 0 END) AS timeout,
       sum(q.wait_s) AS wait_s, max(q.wait_s) AS wait_max_s,
       sum(CASE WHEN q.status IN ('answered', 'transferred') AND q.wait_s <= 20 THEN 1 ELSE 0 END) AS within_20
FROM stat_queue_calls q
WHERE q.hour >= :lo AND q.hour < :hi
GROUP BY 1, 2
"""
_HOUR_SQL = {
    "sqlite": "strftime('%Y-%m-%d %H:00:00', a.entered_at)",
    "postgresql": "date_trunc('hour', a.entered_at AT TIME ZONE 'UTC')",
}


def base_calls() -> tuple[list, list[Session], float, float]:
    """Call trees and presence of a generated stream; its first hour and its span in hours."""
    scenario = default_scenario(BASE_CALLS, queues=10, agents=50, seed=21)
    generator = CallGenerator(scenario)
    sessions: list[Session] = []

    class Keep:  # the presence sink, keeping sessions in memory
        def __init__(self) -> None:
            from cdr_agent.stats.presence import PresenceTracker

            self.tracker = PresenceTracker()

        def feed(self, event) -> None:
            self.tracker.feed(event)

        def flush(self) -> None:
            sessions.extend(self.tracker.take())

    ingest = Ingest(sink=Keep())
    ingest.events(read_events(generator.chunks(), scenario.server))
    ingest.close()
    first = min(c.started_at for c in ingest.finished) // HOUR * HOUR
    last = max(c.ended_at for c in ingest.finished)
    latest = {s.session_id: s for s in sessions}  # the last state of each session
    return ingest.finished, list(latest.values()), first, (last - first) // HOUR + 2


def shifted(rows: dict[str, list[dict]], k: int, shift: float) -> dict[str, list[dict]]:
    """Copy k of the rows: ids with a new 3-hex prefix, times moved by `shift` seconds."""
    prefix = f"{k:03x}"
    out = {}
    for name, table_rows in rows.items():
        copies = []
        for row in table_rows:
            row = dict(row)
            for key in _IDS:
                if row.get(key) is not None:
                    row[key] = prefix + row[key][3:]
            for key in _TIMES:
                if row.get(key) is not None:
                    row[key] += shift
            copies.append(row)
        out[name] = copies
    return out


def insert(engine: Engine, rows: dict[str, list[dict]]) -> float:
    """Insert the rows; returns the seconds spent on the per-call statistics rows."""
    derived_s = 0.0
    with engine.begin() as conn:
        for table in TABLES:
            t = time.perf_counter()
            insert_rows(conn, table, rows.get(table.name, []))
            derived_s += time.perf_counter() - t if table in DERIVED else 0.0
    return derived_s


def timed(label: str, work: Callable[[], object]) -> float:
    t = time.perf_counter()
    work()
    took = time.perf_counter() - t
    print(f"  {label:44} {took:8.2f} s", flush=True)
    return took


def floor_query(engine: Engine, lo: float, hi: float, template: str = _FLOOR) -> int:
    sql = text(template.format(hour=_HOUR_SQL[engine.dialect.name]))
    sql = sql.bindparams(bindparam("lo", type_=UTCDateTime()), bindparam("hi", type_=UTCDateTime()))
    with engine.connect() as conn:
        return len(conn.execute(sql, {"lo": lo, "hi": hi}).all())


def run(engine: Engine, total_calls: int, base: tuple) -> None:
    trees, sessions, first, span_h = base
    metadata.drop_all(engine)
    metadata.create_all(engine)
    rows: dict[str, list[dict]] = {t.name: [] for t in TABLES}
    for call in trees:
        for name, table_rows in call_rows(call).items():
            rows[name].extend(table_rows)
    reps = -(-total_calls // len(trees))
    span = span_h * HOUR
    small = max(1, reps // 10)

    spent = {"insert": 0.0, "derived": 0.0}

    def load(k_from: int, k_to: int) -> None:
        for k in range(k_from, k_to):
            copy = shifted(rows, k, k * span)
            t = time.perf_counter()
            spent["derived"] += insert(engine, copy)
            spent["insert"] += time.perf_counter() - t
            write_sessions(engine, [Session(s.server, s.agent, s.queue, s.kind, s.started_at + k * span,
                                            s.seen_at + k * span, s.ended_at + k * span if s.ended_at else None,
                                            s.reason) for s in sessions])

    base_hour = first + 2 * HOUR
    keep = {r["call_id"] for r in rows["calls"] if base_hour <= r["started_at"] < base_hour + HOUR}
    hour_rows = {name: [r for r in table_rows if r["call_id"] in keep] for name, table_rows in rows.items()}

    def new_hours(k: int) -> float:
        """Median time of an incremental fill after each of 5 new hours of calls (one base
        hour's calls moved just after what is stored), with the store at k repetitions."""
        took = []
        for i in range(5):
            target = first + k * span + i * HOUR
            insert(engine, shifted(hour_rows, 0xFFF - 8 * k - i, target - base_hour))
            t = time.perf_counter()
            fill(engine, now=target + HOUR)
            took.append(time.perf_counter() - t)
        return sorted(took)[2]

    def drop_new_hours(k: int) -> None:
        with engine.begin() as conn:
            for i in range(5):
                for table in reversed(TABLES):
                    conn.execute(delete(table).where(table.c.call_id.startswith(f"{0xFFF - 8 * k - i:03x}")))

    print(f"  loading {small} x {len(trees)} calls ...", flush=True)
    load(0, small)
    fill(engine, now=first + small * span)
    t_small = new_hours(small)
    print(f"  {'incremental fill of 1 new hour (median of 5), ' + format(small * len(trees), ',') + ' calls stored':44} {t_small:8.3f} s")
    drop_new_hours(small)

    print(f"  loading {reps - small} x {len(trees)} calls more ...", flush=True)
    load(small, reps)
    with engine.connect() as conn:
        stored = conn.scalar(text("SELECT count(*) FROM calls"))
        queued = conn.scalar(text("SELECT count(*) FROM apps WHERE app = 'queue'"))
        attempt_rows = conn.scalar(text("SELECT count(*) FROM attempts"))
    print(f"  store: {stored:,} calls, {queued:,} queue visits, {attempt_rows:,} attempts, {reps * span_h:.0f} hours")
    print(f"  capture: inserting every row took {spent['insert']:.1f} s, {spent['derived']:.1f} s of it"
          f" the per-call statistics rows ({spent['derived'] / spent['insert']:.0%})")
    lo, hi = first - HOUR, first + reps * span
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    floor_query(engine, lo, hi)  # warm the cache the same way for all
    floor_query(engine, lo, hi, _FLOOR_PER_CALL)
    t_floor = timed("floor: GROUP BY over calls + apps", lambda: floor_query(engine, lo, hi))
    t_floor_q = timed("floor: GROUP BY over stat_queue_calls", lambda: floor_query(engine, lo, hi, _FLOOR_PER_CALL))
    for table in ("stat_queue_hourly", "stat_agent_hourly", "stat_agent_presence_hourly", "stat_fill_hours"):
        with engine.begin() as conn:
            conn.execute(text(f"DELETE FROM {table}"))
    t_fill = timed("stats fill, every hour", lambda: fill(engine, lo, hi, now=hi))
    print(f"  ratio fill / floor over the call trees: {t_fill / t_floor:.2f}  (target <= 2 on PostgreSQL)")
    print(f"  ratio fill / floor over the per-call rows: {t_fill / t_floor_q:.2f}  (stricter: this floor adds up"
          " 7 queue figures; the fill writes every queue, agent and presence figure)")
    t_big = new_hours(reps)
    print(f"  {'incremental fill of 1 new hour (median of 5), ' + format(stored, ',') + ' calls stored':44} {t_big:8.3f} s")
    print(f"  ratio incremental at 100% / at 10% of the store: {t_big / t_small:.2f}  (target ~1: the hour, not the table)")
    print(f"  one hour's share of the full fill: {t_fill / (hi - lo) * HOUR:.3f} s ({len(keep)} calls in a new hour)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=1_000_000)
    ap.add_argument("--pg", help="scratch PostgreSQL URL (its cdr-agent tables are dropped)")
    args = ap.parse_args()
    t = time.perf_counter()
    base = base_calls()
    print(f"base stream: {len(base[0]):,} calls built in {time.perf_counter() - t:.1f} s, {base[3]:.0f} hours")
    t = time.perf_counter()
    for call in base[0]:
        call_rows(call)
    t_rows = time.perf_counter() - t
    t = time.perf_counter()
    for call in base[0]:
        stat_rows(call)
    t_stat = time.perf_counter() - t
    print(f"capture, Python: a call's rows {t_rows / len(base[0]) * 1e6:.0f} us, of which its statistics rows"
          f" {t_stat / len(base[0]) * 1e6:.0f} us ({t_stat / t_rows:.0%})")
    targets = [] if args.pg is None else [("postgresql", args.pg)]
    with tempfile.TemporaryDirectory() as tmp:
        targets.insert(0, ("sqlite", f"sqlite:///{tmp}/bench.sqlite"))
        for name, url in targets:
            print(f"{name}:")
            engine = open_engine(url, create=False)
            try:
                run(engine, args.calls, base)
            finally:
                engine.dispose()


if __name__ == "__main__":
    main()

"""Statistics of the recorded queue traces: the per-call rows and hourly counters match each
trace's truth.json, and agree with Asterisk's own queue_log wherever queue_log is right.

Where queue_log differs, ours is the better account (asserted below, line by line):
- A member whose phone rejects the call (BUSY) is logged RINGNOANSWER|0 (trace 10, M2): we
  count it as `rejected`, not as a ring the agent let time out.
- A ring that the queue timeout cuts is logged RINGNOANSWER with the time it had rung (trace
  12, M2, 3000 ms of a 4 s member timeout): the agent never had the full member timeout to
  answer, so it is a cancelled ring, not the agent's no-answer.
- queue_log's wait and talk are whole seconds; ours are the times the events carry (ms).
- A call an agent transferred out ends in queue_log with BLINDTRANSFER instead of COMPLETE*;
  ours says `transferred`, and still counts it as answered (the caller reached an agent).
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from cdr_agent.replay import replay_path, storing_ingest
from cdr_agent.stats.fill import fill
from cdr_agent.store.stats_tables import (
    stat_agent_hourly,
    stat_agent_presence_hourly,
    stat_queue_calls,
    stat_queue_hourly,
)
from test_traces import _pairs
from tracekit import TRACE_NAMES, TRACES, replay_documents

QUEUE_TRACES = [n for n in TRACE_NAMES if (TRACES / n / "queue_log").is_file() and (TRACES / n / "queue_log").stat().st_size]
AFTER = 1795500000.0  # a moment after every trace: all their hours are complete
HOUR = 1795460400.0  # 2026-11-23 19:00 UTC, the hour every trace was recorded in


def load(engine: Engine, names: list[str]) -> None:
    for name in names:
        ingest = storing_ingest(engine)
        replay_path(ingest, TRACES / name, "a")
        ingest.close()
    fill(engine, now=AFTER)


def rows(engine: Engine, table) -> list:
    with engine.connect() as conn:
        return list(conn.execute(select(table)))


def _queue_calls(call: dict) -> list[dict]:
    return [a for a in call["attempts"] if a["via"] == "queue"]


def _expected(call: dict) -> dict:
    """The stat_queue_calls row a truth.json call with a queue must give."""
    (app,) = [a for a in call["apps"] if a["app"] == "Queue"]
    rung = _queue_calls(call)
    answer = next((a for a in rung if a["outcome"] == "ANSWER"), None)
    transferred = answer is not None and any(t["by"] == answer["to"] and t["completed"] for t in call["transfers"])
    outcomes = Counter(a["outcome"] for a in rung)
    return {
        "queue": app["name"],
        "status": "transferred" if transferred else app["result"],
        "agents": set(answer["to"].removeprefix("one of ").split("/")) if answer else {None},
        "agents_rung": len(rung),
        "ring_no_answer": outcomes["NOANSWER"],
        "rejected": outcomes["BUSY"],
        "ring_s": answer.get("ring_s_approx") if answer else None,
        "talk_s": answer.get("talk_s_approx") if answer else None,
    }


@pytest.mark.parametrize("name", QUEUE_TRACES)
def test_per_call_rows_match_truth(name: str, engine: Engine) -> None:
    load(engine, [name])
    ours = {r.call_id: r for r in rows(engine, stat_queue_calls)}
    pairs, _ = _pairs(name)
    queued = [(call, doc) for call, doc in pairs if any(a["app"] == "Queue" for a in call["apps"])]
    assert len(ours) == len(queued), "one row per call per queue"
    for call, doc in queued:
        want, row = _expected(call), ours[doc["call_id"]]
        assert (row.queue, row.status) == (want["queue"], want["status"]), call["origin"]
        assert row.agent in want["agents"]
        for key in ("ring_s", "talk_s"):
            if want[key] is not None:
                assert abs(getattr(row, key) - want[key]) <= 1.0, (key, getattr(row, key), want[key])
        assert row.hour == HOUR and row.server == "a"


@pytest.mark.parametrize("name", QUEUE_TRACES)
def test_hourly_counters_match_truth(name: str, engine: Engine) -> None:
    load(engine, [name])
    pairs, _ = _pairs(name)
    wanted = [_expected(call) for call, _ in pairs if any(a["app"] == "Queue" for a in call["apps"])]
    statuses = Counter(w["status"] for w in wanted)
    (hourly,) = rows(engine, stat_queue_hourly)
    assert (hourly.hour, hourly.queue, hourly.offered) == (HOUR, "support", len(wanted))
    assert hourly.answered == statuses["answered"] + statuses["transferred"]
    for status in ("transferred", "abandoned", "timeout"):
        assert getattr(hourly, status) == statuses[status], status
    agents = rows(engine, stat_agent_hourly)
    assert sum(a.ring_no_answer for a in agents) == sum(w["ring_no_answer"] for w in wanted)
    assert sum(a.answered for a in agents) == hourly.answered
    assert sum(a.rung for a in agents) == sum(w["agents_rung"] for w in wanted)
    assert sum(a.rejected for a in agents) == sum(w["rejected"] for w in wanted)
    assert sum(a.transferred for a in agents) == statuses["transferred"]
    assert {a.agent for a in agents} <= {"M1", "M2", "M3"}


def test_agent_figures_of_trace_10() -> None:
    """M1 rang out, M2 rejected (busy), M3 answered: each agent gets exactly that."""
    from cdr_agent.store.engine import open_engine

    engine = open_engine("sqlite://")
    load(engine, ["10_queue_answered"])
    figures = {a.agent: (a.rung, a.answered, a.ring_no_answer, a.rejected) for a in rows(engine, stat_agent_hourly)}
    assert figures == {"M1": (1, 0, 1, 0), "M2": (1, 0, 0, 1), "M3": (1, 1, 0, 0)}
    (m3,) = [a for a in rows(engine, stat_agent_hourly) if a.agent == "M3"]
    assert m3.talk_s == pytest.approx(3.006)
    # Static members, seen through QueueMemberStatus only: logged in since their LoginTime.
    presence = {p.agent: p.login_s for p in rows(engine, stat_agent_presence_hourly)}
    assert set(presence) == {"M1", "M2", "M3"} and all(s > 40 for s in presence.values())


# -- queue_log -------------------------------------------------------------------------------

def queue_log(name: str) -> list[list[str]]:
    text = (TRACES / name / "queue_log").read_text(encoding="utf-8")
    return [line.split("|") for line in text.splitlines() if line.strip()]


def _call_of_uniqueid(name: str) -> dict[str, str]:
    return {leg["uniqueid"]: doc["call_id"] for doc in replay_documents(name) for leg in doc["legs"]}


def _within_a_second(ours: float, whole_seconds: str) -> bool:
    """queue_log's seconds are ours cut to a whole second (or rounded: allow either)."""
    return abs(ours - int(whole_seconds)) < 1.0


@pytest.mark.parametrize("name", QUEUE_TRACES)
def test_cross_check_with_queue_log(name: str, tmp_path: Path) -> None:
    from cdr_agent.store.engine import open_engine

    engine = open_engine(f"sqlite:///{tmp_path / 'q.sqlite'}")
    load(engine, [name])
    call_of = _call_of_uniqueid(name)
    ours = {r.call_id: r for r in rows(engine, stat_queue_calls)}
    with engine.connect() as conn:
        from cdr_agent.store.tables import attempts

        tried = [r for r in conn.execute(select(attempts).where(attempts.c.via == "queue"))]
    lines = queue_log(name)
    entered = [line for line in lines if line[4] == "ENTERQUEUE"]
    assert len(entered) == len(ours), "ENTERQUEUE lines = offered calls"
    for epoch, callid, queue, agent, event, *data in lines:
        row = ours[call_of[callid]]
        assert row.queue == queue
        if event == "CONNECT":  # holdtime|bridged uniqueid|ringtime
            assert row.status in ("answered", "transferred") and row.agent == agent
            assert _within_a_second(row.wait_s, data[0]) and _within_a_second(row.ring_s, data[2])
        elif event in ("COMPLETECALLER", "COMPLETEAGENT"):  # holdtime|calltime|position
            assert row.status == "answered" and _within_a_second(row.talk_s, data[1])
        elif event == "BLINDTRANSFER":  # exten|context|holdtime|calltime|position
            assert row.status == "transferred" and _within_a_second(row.talk_s, data[3])
        elif event == "ABANDON":  # position|origposition|waittime
            assert row.status == "abandoned" and _within_a_second(row.wait_s, data[2])
        elif event == "EXITWITHTIMEOUT":  # position|origposition|waittime
            assert row.status == "timeout" and _within_a_second(row.wait_s, data[2])
        elif event == "RINGNOANSWER":  # ringtime in ms
            mine = [a for a in tried if a.call_id == row.call_id and a.agent == agent]
            assert len(mine) == 1, "one ring per member here"
            ring = mine[0]
            if ring.outcome == "BUSY":
                assert data[0] == "0", "app_queue logs a rejecting member as RINGNOANSWER|0"
            elif ring.outcome == "CANCEL":
                assert row.status == "timeout" and abs(ring.ended_at - row.left_at) < 0.1, \
                    "a ring cut by the queue timeout, logged as RINGNOANSWER"
            else:
                assert ring.outcome == "NOANSWER" and abs(ring.ring_s * 1000 - int(data[0])) < 50
        else:
            assert event == "ENTERQUEUE", f"queue_log event not cross-checked: {event}"

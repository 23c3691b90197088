"""Per-call rows and counters from hand-built call trees: the cases the recorded traces and
the generator do not show (Local members, queue results the builder may add, odd names)."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import Engine, select

from cdr_agent.calltree.model import AppContext, Attempt, Call, Leg, Transfer
from cdr_agent.calltree.vocab import COMPLETE
from cdr_agent.stats.fill import fill
from cdr_agent.store.stats_tables import stat_agent_calls, stat_agent_hourly, stat_queue_calls, stat_queue_hourly
from cdr_agent.store.writer import CallWriter

HOUR = 1795460400.0
NOW = HOUR + 10 * 3600


def queue_call(n: int, queue: str, result: Optional[str], rings: list[tuple[str, str]] = (),
               local_member: bool = False, transfer: bool = False) -> Call:
    """A caller who waited 10 s in `queue`; `rings`: (member name, DIALSTATUS) in order.

    A `local_member` is rung as Local/...;1 whose ;2 half dials the phone (FreePBX style): the
    answered ring then has a second ANSWER attempt of the same visit, from the hop, with no
    agent. `transfer`: the phone (or the rung leg) transfers the caller afterwards."""
    t = HOUR + 60 * n
    cid = f"00000000-0000-5000-8000-{n:012d}"
    caller = Leg(f"{cid}-c", f"{t}.1", "PJSIP/trunk-1", created_at=t, ended_at=t + 100)
    call = Call(call_id=cid, server="pbx", started_at=t, ended_at=t + 100, status=COMPLETE, legs=[caller])
    app = AppContext(f"{cid}:1", "queue", queue, caller.leg_id, t + 1, t + 11, result)
    call.apps.append(app)
    for i, (agent, outcome) in enumerate(rings):
        rung = Leg(f"{cid}-r{i}", f"{t}.{i + 2}", f"Local/30{i}@from-queue-1;1" if local_member else f"PJSIP/{i}-1",
                   created_at=t + 1)
        call.legs.append(rung)
        answered = t + 11 if outcome == "ANSWER" else None
        call.attempts.append(Attempt(len(call.attempts) + 1, caller.leg_id, rung.leg_id, None, "queue", t + 1,
                                     outcome, app.app_id, answered, t + 50 if answered else t + 5, agent=agent))
        transferer = rung.leg_id
        if local_member and outcome == "ANSWER":
            hop, phone = Leg(f"{cid}-h", f"{t}.8", "Local/300@from-queue-1;2"), Leg(f"{cid}-p", f"{t}.9", "PJSIP/300-1")
            call.legs += [hop, phone]
            call.attempts.append(Attempt(len(call.attempts) + 1, caller.leg_id, phone.leg_id, "PJSIP/300", "queue",
                                         t + 2, "ANSWER", app.app_id, t + 11, t + 50, hop_leg=hop.leg_id))
            transferer = phone.leg_id
        if transfer and outcome == "ANSWER":
            call.transfers.append(Transfer(1, "blind", transferer, caller.leg_id, t + 50, completed=True))
    return call


def filled(engine: Engine, calls: list[Call]) -> tuple[dict, dict, dict]:
    CallWriter(engine).write(calls)
    fill(engine, now=NOW)
    with engine.connect() as conn:
        per_call = {r.call_id[-2:]: r for r in conn.execute(select(stat_queue_calls))}
        hourly = {r.queue: r for r in conn.execute(select(stat_queue_hourly))}
        agents = {(r.queue, r.agent): r for r in conn.execute(select(stat_agent_hourly))}
    return per_call, hourly, agents


def test_local_member_answer_counts_once_and_its_phone_transfer_is_seen(engine: Engine) -> None:
    per_call, hourly, agents = filled(engine, [
        queue_call(1, "support", "answered", [("Ann", "NOANSWER"), ("Bob", "ANSWER")], local_member=True, transfer=True),
        queue_call(2, "support", "answered", [("Bob", "ANSWER")], local_member=True),
    ])
    assert (per_call["01"].status, per_call["01"].agent, per_call["01"].talk_s) == ("transferred", "Bob", 39.0)
    assert (per_call["02"].status, per_call["02"].agent) == ("answered", "Bob")
    support = hourly["support"]
    assert (support.offered, support.answered, support.transferred) == (2, 2, 1)
    bob = agents[("support", "Bob")]
    assert (bob.rung, bob.answered, bob.transferred, bob.talk_s) == (2, 2, 1, 78.0)
    assert agents[("support", "Ann")].ring_no_answer == 1
    assert set(agents) == {("support", "Ann"), ("support", "Bob")}, "the hop's ring is not an agent's"


def test_every_exit_status_has_its_counter(engine: Engine) -> None:
    words = ["answered", "abandoned", "timeout", "joinempty", "leaveempty", "full", "closed",
             "divert_ca_ratio", "divert_waittime", "exit", "continue", None]
    calls = [queue_call(i, "sales", word, [("Ann", "ANSWER")] if word == "answered" else [])
             for i, word in enumerate(words, 1)]
    per_call, hourly, _ = filled(engine, calls)
    assert [per_call[f"{i:02d}"].status for i in range(1, len(words) + 1)] == (
        words[:9] + ["exited", "exited", "exited"])
    sales = hourly["sales"]
    assert sales.offered == len(words) and sales.exited == 3
    for word in words[:9]:
        assert getattr(sales, word) == 1, word
    assert (sales.answered_within_10, sales.answered_within_15) == (1, 1)
    assert sales.wait_max_s == 10.0 and sales.wait_s == 10.0 * len(words)


def test_queue_and_agent_names_are_kept_verbatim(engine: Engine) -> None:
    odd = "q'); DROP TABLE calls;-- \U0001F4DE"
    per_call, hourly, agents = filled(engine, [queue_call(1, odd, "answered", [("Zoë \"Z\" Ünal", "ANSWER")])])
    assert per_call["01"].queue == odd and odd in hourly
    assert (odd, "Zoë \"Z\" Ünal") in agents


def _stat_rows(engine: Engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return {t.name: sorted(tuple(r) for r in conn.execute(select(t))) for t in (stat_queue_calls, stat_agent_calls)}


def test_the_writer_keeps_a_calls_statistics_rows_with_the_call(engine: Engine) -> None:
    """Written with the call, replaced when it is rewritten (never added to), gone with it;
    none while it is in progress."""
    writer = CallWriter(engine)
    calls = [queue_call(1, "sales", "answered", [("Alice", "NOANSWER"), ("Bob", "ANSWER")]),
             queue_call(2, "sales", "abandoned", [("Alice", "NOANSWER"), ("Alice", "BUSY")])]
    writer.write(calls)
    rows = _stat_rows(engine)
    assert len(rows["stat_queue_calls"]) == 2
    agents = {(r[1][-2:], r[3]): r[6:] for r in rows["stat_agent_calls"]}  # (call, agent): figures
    assert agents == {
        ("01", "Alice"): (1, 0, 1, 0, 0, 4.0, 0.0), ("01", "Bob"): (1, 1, 0, 0, 0, 10.0, 39.0),
        ("02", "Alice"): (2, 0, 1, 1, 0, 8.0, 0.0),
    }
    writer.write(calls)
    assert _stat_rows(engine) == rows, "a rewrite replaces the rows"
    calls[0].status = "in_progress"
    writer.write([calls[0]])
    assert {r[1][-2:] for r in _stat_rows(engine)["stat_queue_calls"]} == {"02"}, "unsettled: no rows yet"
    writer.delete([calls[1].call_id])
    assert _stat_rows(engine) == {"stat_queue_calls": [], "stat_agent_calls": []}

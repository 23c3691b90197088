"""Reports: the manager's figures from hourly counters, and the `report` command."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cdr_agent.callgen.config import default_scenario
from cdr_agent.callgen.stream import CallGenerator
from cdr_agent.cli import main
from cdr_agent.stats.report import agent_figures, period_of, queue_figures, rollup
from cdr_agent.store.engine import open_engine
from test_callgen import store_and_fill

T0 = 1795474800.0  # 2026-11-23 23:00 UTC = 2026-11-24 00:00 in Paris


def test_queue_figures() -> None:
    counters = {"offered": 10, "answered": 7, "abandoned": 2, "timeout": 1, "transferred": 1,
                "answered_within_20": 6, "answered_wait_s": 70.0, "wait_s": 100.0, "wait_max_s": 31.5,
                "talk_s": 1400.0, "full": 0}
    f = queue_figures(counters, 20)
    assert (f["abandon_rate"], f["service_level"], f["asa_s"], f["avg_wait_s"], f["aht_s"]) == (20.0, 60.0, 10.0, 10.0, 200.0)
    assert (f["max_wait_s"], f["transferred"], f["timeout"], f["other"]) == (31.5, 1, 1, 0)
    empty = queue_figures({}, 20)
    assert empty["offered"] == 0 and empty["abandon_rate"] is None and empty["asa_s"] is None


def test_agent_figures() -> None:
    f = agent_figures({"answered": 4, "talk_s": 600.0, "login_s": 3600.0, "pause_s": 600.0, "ring_no_answer": 2})
    assert (f["aht_s"], f["occupancy"], f["ring_no_answer"]) == (150.0, 20.0, 2)
    assert agent_figures({})["occupancy"] is None


def test_rollup_by_local_day_sums_counts_and_keeps_maxima() -> None:
    rows = [
        {"hour": T0 - 3600, "queue": "q", "offered": 2, "wait_max_s": 9.0},
        {"hour": T0, "queue": "q", "offered": 3, "wait_max_s": 4.0},
        {"hour": T0 + 3600, "queue": "q", "offered": 5, "wait_max_s": 7.0},
    ]
    days = rollup(rows, lambda r: r["queue"], period_of("day", ZoneInfo("Europe/Paris")))
    assert {k: dict(v) for k, v in days.items()} == {
        ("2026-11-23", "q"): {"offered": 2, "wait_max_s": 9.0},
        ("2026-11-24", "q"): {"offered": 8, "wait_max_s": 7.0},
    }
    utc_days = rollup(rows, lambda r: r["queue"], period_of("day", ZoneInfo("UTC")))
    assert sorted(p for p, _ in utc_days) == ["2026-11-23", "2026-11-24"]
    assert period_of("hour", ZoneInfo("Europe/Paris"))(T0) == "2026-11-24 00:00"


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, CallGenerator]:
    db = f"sqlite:///{tmp_path_factory.mktemp('report') / 'r.sqlite'}"
    generator = CallGenerator(default_scenario(600, queues=3, agents=9, seed=11))
    store_and_fill(generator, open_engine(db))
    return db, generator


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_queue_report_totals_equal_the_truth(filled, capsys) -> None:
    db, generator = filled
    code, out, err = _run(capsys, "report", "queues", "--from", "2026-11-01", "--to", "2026-11-03", "--db", db, "--format", "json")
    assert code == 0 and not err
    rows = json.loads(out)
    truth = generator.truth.totals()["by_queue"]
    assert {r["queue"]: (r["offered"], r["answered"], r["abandoned"], r["timeout"], r["transferred"]) for r in rows} == {
        q: (t["offered"], t["answered"], t["abandoned"], t["timeout"], t["transferred"]) for q, t in truth.items()}
    for r in rows:
        assert r["abandon_rate"] == round(100 * r["abandoned"] / r["offered"], 1)


def test_queue_report_by_hour_as_csv_and_table(filled, capsys) -> None:
    db, generator = filled
    code, out, _ = _run(capsys, "report", "queues", "--from", "2026-11-02T00:00", "--to", "2026-11-02T02:00",
                        "--db", db, "--by", "hour", "--format", "csv", "--queue", "support")
    lines = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [r["period"] for r in lines] == ["2026-11-02 00:00", "2026-11-02 01:00"]
    assert {r["queue"] for r in lines} == {"support"}
    truth = {r["hour"][:13]: r for r in generator.truth.queue_rows() if r["queue"] == "support"}
    assert [int(r["offered"]) for r in lines] == [truth["2026-11-02T00"]["offered"], truth["2026-11-02T01"]["offered"]]
    code, out, _ = _run(capsys, "report", "queues", "--from", "2026-11-02", "--to", "2026-11-03", "--db", db, "--by", "day")
    heading, body = out.split("\n", 1)
    assert heading == "periods: days in UTC, 2026-11-02 00:00 .. 2026-11-03 00:00 UTC"
    assert code == 0 and "all queues" in body and "SL20s%" in body and body.count("2026-11-02") == 4


def test_agent_report(filled, capsys) -> None:
    db, generator = filled
    code, out, _ = _run(capsys, "report", "agents", "--from", "2026-11-01", "--to", "2026-11-03", "--db", db, "--format", "json")
    rows = {r["agent"]: r for r in json.loads(out)}
    assert code == 0 and len(rows) == 9
    truth = generator.truth
    answered: dict[str, int] = {}
    for r in truth.agent_rows():
        answered[r["agent"]] = answered.get(r["agent"], 0) + r["answered"]
    login = {}
    for r in truth.presence_rows():
        login[r["agent"]] = round(login.get(r["agent"], 0) + r["login_s"], 3)
    assert {a: r["answered"] for a, r in rows.items()} == answered
    assert {a: r["login_s"] for a, r in rows.items()} == pytest.approx(login)
    code, out, _ = _run(capsys, "report", "agents", "--from", "2026-11-01", "--to", "2026-11-03", "--db", db)
    assert code == 0 and out.splitlines()[0].endswith("login and pause over all queues") and "occup%" in out.splitlines()[1]


def test_report_errors_and_warnings(filled, capsys, tmp_path: Path) -> None:
    db, _ = filled
    with pytest.raises(SystemExit):
        _run(capsys, "report", "queues", "--from", "2026-11-01", "--db", db, "--sl", "17")
    assert "choose from 10, 15, 20, 30, 45, 60, 90, 120, 180, 300" in capsys.readouterr().err
    assert _run(capsys, "report", "queues", "--from", "2026-11-01", "--db", db, "--tz", "Mars/Olympus")[0] == 2
    assert _run(capsys, "report", "queues", "--from", "yesterday", "--db", db)[0] == 2
    empty = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    code, out, err = _run(capsys, "report", "agents", "--from", "2026-11-01", "--db", empty)
    assert code == 2 and not out and "no such file" in err and not (tmp_path / "empty.sqlite").exists()


def test_stats_fill_command(tmp_path: Path, capsys) -> None:
    gen_dir, db = tmp_path / "gen", f"sqlite:///{tmp_path / 'f.sqlite'}"
    assert main(["callgen", "--calls", "50", "--queues", "2", "--agents", "4", "--out", str(gen_dir)]) == 0
    assert main(["replay", str(gen_dir), "--server", "callgen", "--db", db]) == 0
    capsys.readouterr()
    visits = json.loads((gen_dir / "truth.json").read_text(encoding="utf-8"))["totals"]["queue_visits"]
    assert main(["stats", "fill", "--db", db, "--end", "2026-11-02T03:00"]) == 0
    assert f": {visits} queue calls" in capsys.readouterr().out
    assert main(["stats", "fill", "--db", db, "--start", "2026-11-02T00:00", "--end", "2026-11-02T01:00"]) == 0
    assert "filled 1 hour(s), 2026-11-02 00:00 .. 2026-11-02 00:00 UTC" in capsys.readouterr().out
    calls = json.loads((gen_dir / "truth.json").read_text(encoding="utf-8"))["totals"]["calls"]
    assert main(["stats", "fill", "--db", db, "--rederive", "--end", "2026-11-02T03:00"]) == 0
    out = capsys.readouterr().out
    assert f"derived the per-call rows of {calls} call(s) again" in out and f": {visits} queue calls" in out


def test_reports_give_the_true_reason(filled, capsys, tmp_path: Path) -> None:
    db, _ = filled
    code, out, err = _run(capsys, "report", "queues", "--from", "2026-11-03", "--to", "2026-11-02", "--db", db)
    assert code == 2 and "--from 2026-11-03 is not before --to 2026-11-02" in err and not out
    code, out, err = _run(capsys, "report", "queues", "--from", "2026-11-01", "--to", "2026-11-03", "--db", db,
                          "--queue", "nope")
    assert code == 2 and "no queue 'nope' in the statistics (queues: " in err and "stats fill" not in err
    code, out, err = _run(capsys, "report", "queues", "--from", "2026-10-01", "--to", "2026-10-02", "--db", db,
                          "--format", "csv")
    assert code == 0 and out.startswith("period,queue,offered,answered,abandoned,") and len(out.splitlines()) == 1
    code, out, err = _run(capsys, "report", "queues", "--from", "2026-10-01", "--to", "2026-10-02", "--db", db)
    assert out.splitlines()[1] == "no queue calls in 2026-10-01 00:00 .. 2026-10-02 00:00 UTC" and not err

    never = f"sqlite:///{tmp_path / 'never.sqlite'}"
    generator = CallGenerator(default_scenario(20, queues=1, agents=2, seed=3))
    assert main(["stats", "fill", "--db", never, "--end", "2026-01-01"]) == 0
    assert capsys.readouterr().out.strip() == "nothing to fill: no calls or agent sessions are stored yet"
    gen_dir = tmp_path / "gen"
    generator.write(gen_dir)
    assert main(["replay", str(gen_dir), "--db", never, "--server", "callgen"]) == 0
    capsys.readouterr()
    code, out, err = _run(capsys, "report", "queues", "--from", "2026-11-01", "--db", never)
    assert code == 1 and "`cdr-agent stats fill` has never run on this database" in err and "nothing UTC" not in err


def test_help_lists_the_service_level_thresholds(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    assert "10, 15, 20, 30, 45, 60, 90, 120, 180, 300" in capsys.readouterr().out


def test_agent_presence_per_queue(tmp_path: Path, capsys) -> None:
    """Login and pause of the queues asked for, not of every queue the agent is in."""
    from cdr_agent.stats.presence import LOGIN, PAUSE, Session
    from cdr_agent.stats.recorder import write_sessions

    db = f"sqlite:///{tmp_path / 'p.sqlite'}"
    engine = open_engine(db)
    h = T0 + 11 * 3600  # 2026-11-24 10:00 UTC
    write_sessions(engine, [
        Session("s", "alice", "sales", LOGIN, h, h + 3600, ended_at=h + 3600),
        Session("s", "alice", "support", LOGIN, h, h + 7200, ended_at=h + 7200),
        Session("s", "alice", "support", PAUSE, h + 1800, h + 3600, ended_at=h + 3600),
    ])
    assert main(["stats", "fill", "--db", db, "--end", "2026-11-24T12:00"]) == 0
    capsys.readouterr()
    window = ["--from", "2026-11-24T10:00", "--to", "2026-11-24T12:00", "--db", db, "--format", "json"]

    def presence(*extra: str) -> list[tuple]:
        code, out, err = _run(capsys, "report", "agents", *window, *extra)
        assert code == 0, err
        return [(r.get("queue"), r["login_s"], r["pause_s"], r["presence"]) for r in json.loads(out)]

    assert presence() == [(None, 7200.0, 1800.0, "over all queues")]
    assert presence("--queue", "sales") == [(None, 3600.0, 0.0, "in sales")]
    assert presence("--queue", "support") == [(None, 7200.0, 1800.0, "in support")]
    assert presence("--per-queue") == [("sales", 3600.0, 0.0, "per queue"), ("support", 7200.0, 1800.0, "per queue")]
    code, out, _ = _run(capsys, "report", "agents", *window[:-2], "--queue", "sales")
    assert out.splitlines()[0].endswith("login and pause in sales")


def test_abandon_ring_and_totals_figures(filled, capsys) -> None:
    from sqlalchemy import select

    from cdr_agent.store.stats_tables import stat_agent_calls, stat_queue_calls

    db, _ = filled
    window = ["--from", "2026-11-01", "--to", "2026-11-03", "--db", db]
    code, out, _ = _run(capsys, "report", "queues", *window, "--format", "json", "--short-abandon", "10")
    rows = {r["queue"]: r for r in json.loads(out)}
    with open_engine(db).connect() as conn:
        visits = conn.execute(select(stat_queue_calls.c.queue, stat_queue_calls.c.status, stat_queue_calls.c.wait_s)).all()
        rings = conn.execute(select(stat_agent_calls.c.agent, stat_agent_calls.c.rung, stat_agent_calls.c.ring_s)).all()
    for queue, r in rows.items():
        abandoned = [w for q, s, w in visits if q == queue and s == "abandoned"]
        assert r["short_abandoned"] == sum(w < 10 for w in abandoned) > 0
        assert r["avg_abandon_s"] == pytest.approx(sum(abandoned) / len(abandoned), abs=0.001)
        assert r["period"] == "2026-11-01 00:00 .. 2026-11-03 00:00 UTC"
    code, out, _ = _run(capsys, "report", "agents", *window, "--format", "json")
    agents = {r["agent"]: r for r in json.loads(out)}
    for agent, r in agents.items():
        assert r["rung"] == sum(n for a, n, _ in rings if a == agent) > 0
        assert r["ring_s"] == pytest.approx(sum(s for a, _, s in rings if a == agent), abs=0.01)
    code, out, _ = _run(capsys, "report", "agents", *window)
    total = [line for line in out.splitlines() if line.startswith("all agents")]
    assert len(total) == 1 and str(sum(r["answered"] for r in agents.values())) in total[0].split()
    code, out, _ = _run(capsys, "report", "agents", *window, "--per-queue", "--format", "json")
    per_queue = json.loads(out)
    assert all(r["queue"] and r["presence"] == "per queue" for r in per_queue)
    assert sum(r["answered"] for r in per_queue) == sum(r["answered"] for r in agents.values())
    assert len({r["queue"] for r in per_queue}) == 3
    code, out, _ = _run(capsys, "report", "queues", *window, "--by", "day", "--tz", "Europe/Paris")
    assert out.splitlines()[0] == "periods: days in Europe/Paris, 2026-11-01 00:00 .. 2026-11-03 00:00 Europe/Paris"

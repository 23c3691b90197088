"""The command line, end to end on SQLite."""
from __future__ import annotations

import argparse
import csv
import io
import json
import sys

import pytest

from cdr_agent.calltree.model import Call, Party
from cdr_agent.cli import main, parser
from cdr_agent.render import cause_text
from cdr_agent.store.engine import open_engine
from cdr_agent.store.writer import CallWriter
from tracekit import TRACES


def test_replay_calls_show_export(tmp_path, capsys) -> None:
    db = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    assert main(["replay", str(TRACES / "06_blind_transfer"), str(TRACES / "15_conference"), "--db", db]) == 0
    assert "4 calls stored" in capsys.readouterr().out

    assert main(["calls", "--db", db, "--number", "202"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert len(listing) == 3  # header + the blind transfer (202 is its target) + Carol's conference call

    assert main(["export", "--json", "--db", db]) == 0
    docs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(docs) == 4
    blind = next(d for d in docs if d["transfers"])

    assert main(["show", blind["call_id"][:8], "--db", db]) == 0
    text = capsys.readouterr().out
    assert "transfer 1: blind" in text and "completed" in text

    assert main(["show", blind["call_id"], "--db", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == blind

    assert main(["calls", "--db", db, "--since", "2030-01-01"]) == 0
    assert capsys.readouterr().out.strip() == "no calls"
    assert main(["show", "ffffffff", "--db", db]) == 1


def test_replay_maps_app_contexts(tmp_path, capsys) -> None:
    """The lab's IVR runs in context `ivr`: mapped, the whole context is the IVR stay."""
    db = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    assert main(["replay", str(TRACES / "04_busy"), "--app-context", "voicemail=ivr", "--db", db]) == 0
    capsys.readouterr()
    assert main(["export", "--json", "--db", db]) == 0
    (doc,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(a["app"], a["name"]) for a in doc["apps"]] == [("ivr", "voicemail")]
    assert main(["replay", str(TRACES / "04_busy"), "--app-context", "voicemail", "--db", db]) == 2
    assert "--app-context: expected CONTEXT=KIND, got 'voicemail'" in capsys.readouterr().err
    assert main(["replay", str(TRACES / "04_busy"), "--app-context", "x=mailbox", "--db", db]) == 2
    assert "kind 'mailbox' is not one of ivr, ringgroup, voicemail" in capsys.readouterr().err


def test_replay_missing_path_is_a_clear_error(tmp_path, capsys) -> None:
    assert main(["replay", str(tmp_path / "nope"), "--db", f"sqlite:///{tmp_path / 'x.sqlite'}"]) == 2
    assert "no such file" in capsys.readouterr().err


def _replayed(tmp_path, capsys, *names: str) -> str:
    db = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    assert main(["replay", *(str(TRACES / n) for n in names), "--server", "lab", "--db", db]) == 0
    capsys.readouterr()
    return db


def test_calls_lists_what_a_call_centre_reads_first(tmp_path, capsys) -> None:
    db = _replayed(tmp_path, capsys, "10_queue_answered", "11_queue_abandon", "04_busy", "01_basic_answered")
    assert main(["calls", "--db", db]) == 0
    header, *lines = capsys.readouterr().out.splitlines()
    assert header.split()[:8] == ["started", "(UTC)", "call", "server", "disposition", "queue", "agent", "wait"]
    assert "hung up" in header and len(lines) == 4
    assert main(["calls", "--db", db, "--format", "json"]) == 0
    rows = {r["disposition"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(rows) == {"answered", "abandoned", "busy"}
    abandoned = rows["abandoned"]
    assert (abandoned["queue"], round(abandoned["wait_s"]), abandoned["hung_up_by"]) == ("support", 5, "caller")
    assert main(["calls", "--db", db, "--queue", "support", "--status", "answered", "--format", "csv"]) == 0
    (row,) = csv.DictReader(io.StringIO(capsys.readouterr().out))
    assert (row["queue"], row["agent"], row["disposition"], row["wait_s"][:3]) == ("support", "M3", "answered", "7.0")
    assert main(["calls", "--db", db, "--agent", "M1"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3  # M1 rang in both queue calls
    assert main(["calls", "--db", db, "--status", "busy", "--limit", "1"]) == 0
    assert "busy" in capsys.readouterr().out.splitlines()[1]
    assert main(["calls", "--db", db, "--server", "elsewhere"]) == 0
    assert capsys.readouterr().out.strip() == "no calls"
    assert main(["calls", "--db", db, "--status", "busy", "--format", "csv", "--server", "elsewhere"]) == 0
    assert capsys.readouterr().out.startswith("call_id,server,")  # a header, even with no call


def test_calls_cut_long_names_in_the_table_only(tmp_path, capsys) -> None:
    db = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    writer = CallWriter(open_engine(db))
    call = Call("c1000000-0000-5000-8000-000000000000", "pbx", started_at=1795462986.0, status="complete",
                caller=Party("100", "A" * 60), dialed="201")
    writer.write([call])
    assert main(["calls", "--db", db]) == 0
    table = capsys.readouterr().out
    assert "A" * 60 not in table and "A" * 20 + "\u2026" in table
    for fmt in ("csv", "json"):
        assert main(["calls", "--db", db, "--format", fmt]) == 0
        assert "A" * 60 in capsys.readouterr().out


def test_show_reads_like_a_call(tmp_path, capsys) -> None:
    db = _replayed(tmp_path, capsys, "04_busy", "15_conference", "18_parking")
    assert main(["export", "--db", db]) == 0  # JSON lines without --json
    docs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    busy = next(d for d in docs if any(a["outcome"] == "BUSY" for a in d["attempts"]))
    assert main(["show", busy["call_id"][:8], "--db", db]) == 0
    text = capsys.readouterr().out
    assert "busy; queue -" in text and "user busy (17)" in text and "normal clearing (16)" in text
    assert "19:43:37.828 -> 19:43:40.902" in text  # a leg's times
    conference = next(d for d in docs if d["conferences"])
    assert main(["show", conference["call_id"], "--db", db]) == 0
    text = capsys.readouterr().out
    assert text.count("conference 100") == 1 and "wait" not in text.split("conference 100")[1]
    other = [line for line in text.splitlines() if "conference 100" in line][0].split(", ")[1].split()[0]
    assert main(["show", other, "--db", db]) == 0  # a leg of another call, as printed, resolves
    assert f"call {other[:8]}" in capsys.readouterr().out
    parked = next(d for d in docs if any(a["via"] == "park" for a in d["attempts"]))
    assert main(["show", parked["call_id"], "--db", db]) == 0
    assert "[" not in capsys.readouterr().out.split("attempts:")[1]  # no bare id prefix


def test_show_lists_the_calls_an_ambiguous_prefix_matches(tmp_path, capsys) -> None:
    db = _replayed(tmp_path, capsys, "15_conference", "18_parking")
    assert main(["export", "--db", db]) == 0
    ids = sorted(json.loads(line)["call_id"] for line in capsys.readouterr().out.splitlines())
    prefix = next(i[0] for i in ids if sum(j[0] == i[0] for j in ids) > 1)
    assert main(["show", prefix, "--db", db]) == 1
    err = capsys.readouterr().err
    assert "is the start of" in err and all(i in err for i in ids if i.startswith(prefix))
    assert main(["show", "zzz", "--db", db]) == 1
    assert "no call 'zzz'" in capsys.readouterr().err


def test_cause_names_are_asterisks() -> None:
    assert cause_text(16) == "normal clearing (16)" and cause_text(17) == "user busy (17)"
    assert cause_text(None) == "cause unknown" and cause_text(250) == "cause (250)"


def test_every_option_has_a_help_line() -> None:
    def walk(p: argparse.ArgumentParser, path: str) -> list[str]:
        missing = []
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    missing += walk(sub, f"{path} {name}")
            elif not action.help:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
        return missing

    assert walk(parser(), "cdr-agent") == []


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("cdr-agent 0.")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_only(tmp_path, capsys, monkeypatch) -> None:
    db = f"sqlite:///{tmp_path / 'p.sqlite'}"
    assert main(["replay", str(TRACES / "04_busy"), "--db", db, "--server", "lab"]) == 0
    assert "%|" not in capsys.readouterr().err  # piped: no bar
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["replay", str(TRACES / "04_busy"), "--db", db, "--server", "lab"]) == 0
    assert main(["callgen", "--calls", "20", "--queues", "1", "--agents", "2", "--out", str(tmp_path / "gen")]) == 0
    assert main(["stats", "fill", "--rederive", "--db", db]) == 0
    shown = terminal.getvalue()
    assert "replay" in shown and "callgen" in shown and "rederive" in shown and "%|" in shown


def test_the_status_choices_are_the_dispositions() -> None:
    from cdr_agent.commands import STATUSES
    from cdr_agent.store.summary import DISPOSITIONS

    assert STATUSES == DISPOSITIONS

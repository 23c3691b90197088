"""The command line, end to end on SQLite."""
from __future__ import annotations

import json

from cdr_agent.cli import main
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

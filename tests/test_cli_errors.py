"""A user's first mistakes (issue 12): database problems give one line naming the URL (password
masked) and exit 2, whatever the command; read-only commands never create a database; replay
says what a path held when it held no AMI."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from cdr_agent.cli import main
from conftest import PG_ENV, pg_url_or_skip
from tracekit import TRACES


def dead_port() -> int:
    """A local TCP port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


COMMANDS = [
    ["replay", str(TRACES / "04_busy")],
    ["calls"],
    ["show", "abc"],
    ["export"],
    ["report", "queues", "--from", "2026-11-01", "--to", "2026-11-02"],
    ["stats", "fill"],
]


def _urls(tmp_path: Path) -> dict[str, str]:
    port = dead_port()
    return {
        "unknown scheme": "foo://",
        "not a URL": "notaurl",
        "postgresql dead port": f"postgresql+psycopg://cdr:s3cret@127.0.0.1:{port}/cdr",
        "mysql dead port": f"mysql+pymysql://cdr:s3cret@127.0.0.1:{port}/cdr",
        "sqlite missing folder": f"sqlite:///{tmp_path / 'no' / 'such' / 'x.sqlite'}",
    }


@pytest.mark.parametrize("kind", ["unknown scheme", "not a URL", "postgresql dead port", "mysql dead port",
                                  "sqlite missing folder"])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_database_problem_is_one_line(kind: str, command: list[str], tmp_path: Path, capsys) -> None:
    url = _urls(tmp_path)[kind]
    assert main([*command, "--db", url]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert "s3cret" not in err
    shown = url if "s3cret" not in url else url.replace("s3cret", "***")
    assert shown in lines[0] or repr(url) in lines[0]


@pytest.mark.parametrize("kind", ["unknown scheme", "not a URL", "sqlite missing folder"])
def test_spool_import_with_an_unusable_url(kind: str, tmp_path: Path, capsys) -> None:
    """(A dead server is only found when there is something to import: see test_spool.py.)"""
    url = _urls(tmp_path)[kind]
    assert main(["spool", "import", "--spool", str(tmp_path / "spool"), "--server", "x", "--db", url]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "files kept" in err and (url in err or repr(url) in err)


def test_postgresql_missing_database_and_dead_port(tmp_path: Path, capsys) -> None:
    url = make_url(pg_url_or_skip())
    missing = url.set(database="cdr_no_such_database").render_as_string(hide_password=False)
    dead = url.set(port=dead_port()).render_as_string(hide_password=False)
    for bad, words in ((missing, 'database "cdr_no_such_database" does not exist'), (dead, "refused")):
        for command in (["calls"], ["replay", str(TRACES / "04_busy")], ["report", "agents", "--from", "2026-11-01"]):
            assert main([*command, "--db", bad]) == 2
            err = capsys.readouterr().err
            assert len(err.strip().splitlines()) == 1 and words in err, err


def test_no_traceback_from_the_installed_command(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != PG_ENV}
    done = subprocess.run([sys.executable, "-m", "cdr_agent.cli", "calls", "--db", "foo://"], capture_output=True,
                          text=True, env=env, cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


@pytest.mark.parametrize("command", [["calls"], ["show", "abc"], ["export"], ["export", "--json"],
                                     ["report", "queues", "--from", "2026-11-01"],
                                     ["report", "agents", "--from", "2026-11-01"]])
def test_read_only_commands_never_create_a_database(command: list[str], tmp_path: Path, capsys) -> None:
    typo = tmp_path / "cdr.sqlte"
    assert main([*command, "--db", f"sqlite:///{typo}"]) == 2
    assert not typo.exists() and not list(tmp_path.iterdir())
    assert "no such file" in capsys.readouterr().err


def test_read_only_commands_on_a_database_without_tables(db_url: str, capsys) -> None:
    if db_url.startswith("sqlite"):
        Path(make_url(db_url).database).touch()  # an empty file: a database nothing was stored in
    for command in (["calls"], ["report", "queues", "--from", "2026-11-01"]):
        assert main([*command, "--db", db_url]) == 2
        assert "nothing stored there by cdr-agent yet" in capsys.readouterr().err


def test_replay_of_no_ami_says_what_it_found(tmp_path: Path, capsys) -> None:
    db = f"sqlite:///{tmp_path / 'r.sqlite'}"
    (tmp_path / "empty-folder").mkdir()
    (tmp_path / "other" / "sub").mkdir(parents=True)
    (tmp_path / "empty.log").write_bytes(b"")
    (tmp_path / "random.bin").write_bytes(bytes(range(256)) * 20)
    expected = {"empty-folder": "empty folder", "other": "no ami.log in this folder",
                "empty.log": "empty file", "random.bin": "no AMI event in 5120 bytes"}
    for name, words in expected.items():
        assert main(["replay", str(tmp_path / name), "--db", db]) == 1
        err = capsys.readouterr().err
        assert f"{tmp_path / name}: {words}" in err, err
    # A path with AMI next to one without: the good one is stored, the exit still says no.
    assert main(["replay", str(TRACES / "04_busy"), str(tmp_path / "empty.log"), "--db", db]) == 1
    assert "1 calls stored" in capsys.readouterr().out


def test_replay_warns_when_the_calls_are_stored_under_another_server(tmp_path: Path, capsys) -> None:
    db = f"sqlite:///{tmp_path / 'r.sqlite'}"
    assert main(["replay", str(TRACES / "04_busy"), "--server", "lab", "--db", db]) == 0
    assert "warning" not in capsys.readouterr().err
    assert main(["replay", str(TRACES / "04_busy"), "--db", db]) == 0
    assert "stored under server 'lab' too; replay with --server lab" in capsys.readouterr().err
    assert main(["replay", str(TRACES / "04_busy"), "--server", "lab", "--db", db]) == 0
    assert "warning" not in capsys.readouterr().err

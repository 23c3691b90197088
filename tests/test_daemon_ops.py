"""Operating the daemon: configuration errors are clear and secrets stay secret, the systemd unit
is clean, the notify protocol and the metrics format are right."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from fakeami import fresh_logging  # noqa: F401 - fixture

from cdr_agent.ami.client import action
from cdr_agent.cli import main
from cdr_agent.daemon.cli import HERE, unit_text
from cdr_agent.daemon.config import ConfigError, load, parse
from cdr_agent.ingest import FeedSettings
from cdr_agent.daemon.metrics import Metric, render
from cdr_agent.daemon.notify import Notifier

SECRET = "t0p-s3cret"
GOOD = {"database": "postgresql+psycopg://cdr:dbpass@127.0.0.1/cdr", "journal": {"directory": "j"},
        "ami": [{"server": "pbx-1", "username": "cdr", "secret": SECRET}]}

pytestmark = pytest.mark.usefixtures("fresh_logging")


def _with(**changes: object) -> dict:
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in GOOD.items()}
    data["ami"] = [dict(GOOD["ami"][0])]
    for key, value in changes.items():
        section, _, name = key.partition("__")
        if name:
            target = data["ami"][0] if section == "ami" else data.setdefault(section, {})
            if value is None:
                target.pop(name, None)
            else:
                target[name] = value
        elif value is None:
            data.pop(section, None)
        else:
            data[section] = value
    return data


def test_example_configuration_is_valid_and_complete() -> None:
    config = load(HERE / "daemon.example.toml")
    assert [t.server for t in config.ami] == ["pbx-1"] and config.metrics is not None
    assert config.calls.hangup_timeout == 14400 and config.journal.fsync_interval == 1.0


def test_app_contexts_reach_the_journaled_settings() -> None:
    """The builder's context map is journaled with the other capture settings, so a replay
    of the journal reads the dialplan as the daemon did."""
    config = parse(_with(calltree__app_contexts={"ivr-main": "ivr"}))
    assert config.calls.app_contexts == {"ivr-main": "ivr"}
    assert FeedSettings.from_json(config.calls.to_json()) == config.calls
    assert config.calls.tree().app_contexts["ivr-main"] == "ivr" and config.calls.tree().app_contexts["vm"] == "voicemail"


def test_the_spool_and_the_ami_servers_reach_the_settings() -> None:
    config = parse(_with(spool__directory="spool", spool__interval=2))
    assert config.spool is not None and config.spool.directory == Path("spool") and config.spool.interval == 2.0
    assert config.calls.ami_servers == ("pbx-1",)
    assert parse(_with()).spool is None


@pytest.mark.parametrize("changes,words", [
    ({"colour": "blue"}, "unknown key 'colour'"),
    ({"ami": None}, "at least one [[ami]]"),
    ({"ami__secret_file": "x"}, "exactly one of secret and secret_file"),
    ({"ami__secret": None}, "exactly one of secret and secret_file"),
    ({"ami__port": 70000}, "ami[0].port"),
    ({"ami__username": ""}, "ami[0].username"),
    ({"ami__username": "cdr\r\nAction: Originate"}, "one line"),
    ({"watchdog__ping_interval": -1}, "watchdog.ping_interval"),
    ({"watchdog__ping_interval": "5"}, "watchdog.ping_interval"),
    ({"metrics__listen": "localhost"}, "host:port"),
    ({"journal": None}, "journal.directory"),
    ({"calls__hangup_tiemout": 5}, "unknown key 'hangup_tiemout'"),
    ({"spool__interval": 1}, "spool.directory"),
    ({"spool__directory": "s", "spool__batch": 0}, "spool.batch"),
    ({"calltree__app_contexts": {"my-vm": "mailbox"}}, "calltree.app_contexts: app context 'my-vm': kind 'mailbox'"),
    ({"calltree__app_contexts": ["ivr"]}, "calltree.app_contexts: expected a table"),
    ({"calltree__colour": 1}, "calltree: unknown key 'colour'"),
])
def test_configuration_errors_name_the_key(changes: dict, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse(_with(**changes))
    assert words in str(err.value) and SECRET not in str(err.value)


def test_secrets_come_from_files_and_never_show(tmp_path: Path, monkeypatch, capsys) -> None:
    creds = tmp_path / "credentials"
    creds.mkdir()
    (creds / "ami.secret").write_text(SECRET + "\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    config = parse(_with(ami__secret=None, ami__secret_file="ami.secret"), base=tmp_path)
    assert config.ami[0].secret == SECRET
    assert SECRET not in repr(config) and "dbpass" not in repr(config)
    assert config.safe_database() == "postgresql+psycopg://cdr:***@127.0.0.1/cdr"
    with pytest.raises(ConfigError, match="no such file"):
        parse(_with(ami__secret=None, ami__secret_file="missing.secret"), base=tmp_path)

    path = tmp_path / "daemon.toml"
    path.write_text(f'database = "sqlite:///x.sqlite"\n[journal]\ndirectory = "j"\n[[ami]]\nserver = "a"\n'
                    f'username = "u"\nsecret = "{SECRET}"\n')
    assert main(["daemon", "--check", "--config", str(path)]) == 0
    out = capsys.readouterr()
    assert "ami a: u@127.0.0.1:5038" in out.out and SECRET not in out.out + out.err


def test_a_broken_file_is_one_clear_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "daemon.toml"
    path.write_text("database = 'sqlite://'\n[[ami]\n")
    assert main(["daemon", "--config", str(path)]) == 2
    assert "not valid TOML" in capsys.readouterr().err
    assert main(["daemon", "--config", str(tmp_path / "none.toml")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_ami_actions_refuse_header_injection() -> None:
    assert action("Ping", "cdr-ping-1") == b"Action: Ping\r\nActionID: cdr-ping-1\r\n\r\n"
    with pytest.raises(ValueError):
        action("Login", "x", Username="cdr", Secret="s\r\nAction: Originate")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_unit_verifies_clean(tmp_path: Path) -> None:
    unit = unit_text()
    for line in ("Type=notify", "WatchdogSec=", "Restart=on-failure", "DynamicUser=yes", "LoadCredential="):
        assert line in unit
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    program = exec_start.split("=", 1)[1].split()[0]
    if not os.access(program, os.X_OK):  # not installed here: verify the rest with an existing program
        unit = unit.replace(program, sys.executable)
    path = tmp_path / "cdr-agent.service"
    path.write_text(unit)
    result = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout + result.stderr == "", result.stderr


def test_print_unit_and_example(capsys) -> None:
    assert main(["daemon", "--print-unit"]) == 0
    assert "[Service]" in capsys.readouterr().out
    assert main(["daemon", "--print-example-config"]) == 0
    assert "[[ami]]" in capsys.readouterr().out


def test_notify_protocol(tmp_path: Path) -> None:
    assert not Notifier({}).send("READY=1")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "n"))
    notifier = Notifier({"NOTIFY_SOCKET": str(tmp_path / "n"), "WATCHDOG_USEC": "30000000"})
    assert notifier.watchdog_s == 30.0
    assert notifier.send("READY=1", "STATUS=logged in") and sock.recv(100) == b"READY=1\nSTATUS=logged in"
    for _ in range(50):  # systemd not reading: a full socket drops messages, never blocks
        notifier.send("WATCHDOG=1")
    sock.close()
    assert not notifier.send("WATCHDOG=1")  # socket gone: no exception
    assert Notifier({"NOTIFY_SOCKET": "@sd"}).address == "\0sd"
    assert Notifier({"WATCHDOG_USEC": "5000000", "WATCHDOG_PID": "1"}).watchdog_s is None  # for another process


def test_metrics_text_format() -> None:
    text = render([Metric("x_total", "counter", "things").add(3),
                   Metric("y", "gauge", "ratio").add(0.25, server='pbx "1"\\').add(float("nan"), server="b")])
    assert text == ('# HELP x_total things\n# TYPE x_total counter\nx_total 3\n'
                    '# HELP y ratio\n# TYPE y gauge\ny{server="pbx \\"1\\"\\\\"} 0.25\ny{server="b"} NaN\n')


def test_an_unwritable_journal_is_a_clear_failure(tmp_path: Path) -> None:
    import asyncio

    import structlog

    from cdr_agent.daemon.supervisor import Supervisor

    (tmp_path / "file").write_text("not a directory")
    config = parse({**GOOD, "journal": {"directory": "file/journal"}}, base=tmp_path)
    with structlog.testing.capture_logs() as logs:
        assert asyncio.run(Supervisor(config, Notifier({})).run()) == 1
    assert [e["event"] for e in logs] == ["daemon_starting", "journal_unusable"]


@pytest.mark.parametrize("database,words", [
    ("notaurl", "not a database URL"),
    ("foo://", "unknown kind of database 'foo'"),
    ("sqlite:////nonexistent/dir/x.sqlite", "no folder /nonexistent/dir"),
])
def test_check_rejects_a_database_url_that_cannot_work(tmp_path: Path, capsys, database: str, words: str) -> None:
    path = tmp_path / "daemon.toml"
    path.write_text(f'database = "{database}"\n[journal]\ndirectory = "j"\n[[ami]]\nserver = "a"\nusername = "u"\n'
                    f'secret = "{SECRET}"\n')
    assert main(["daemon", "--check", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1


def test_check_rejects_the_examples_placeholder_secret(tmp_path: Path, capsys) -> None:
    path = tmp_path / "daemon.toml"
    path.write_text((HERE / "daemon.example.toml").read_text().replace("/var/lib/cdr-agent/journal", str(tmp_path / "j")))
    assert main(["daemon", "--check", "--config", str(path)]) == 2
    assert "secret: still the example's 'change-me'" in capsys.readouterr().err


def test_check_connect_tries_each_login_and_the_database(tmp_path: Path, capsys) -> None:
    from fakeami import FakeAmi, free_port

    ami = FakeAmi([], username="cdr", secret=SECRET).start()
    try:
        dead = free_port()
        path = tmp_path / "daemon.toml"
        path.write_text(
            f'database = "sqlite:///{tmp_path / "cdr.sqlite"}"\n[journal]\ndirectory = "j"\n'
            f'[[ami]]\nserver = "good"\nport = {ami.port}\nusername = "cdr"\nsecret = "{SECRET}"\n'
            f'[[ami]]\nserver = "wrong"\nport = {ami.port}\nusername = "cdr"\nsecret = "nope"\n'
            f'[[ami]]\nserver = "down"\nport = {dead}\nusername = "cdr"\nsecret = "{SECRET}"\n')
        assert main(["daemon", "--check", "--connect", "--config", str(path)]) == 1
        out = capsys.readouterr().out
        assert "ami good: ok: logged in" in out
        assert "ami wrong: FAILED: login refused: Authentication failed" in out
        assert f"ami down: FAILED: cannot connect to 127.0.0.1:{dead}" in out
        assert "database: ok: SQLite in" in out and SECRET not in out
        assert not (tmp_path / "cdr.sqlite").exists()
        text = path.read_text().replace(f'database = "sqlite:///{tmp_path / "cdr.sqlite"}"',
                                        f'database = "postgresql+psycopg://cdr:dbpass@127.0.0.1:{dead}/cdr"')
        path.write_text(text.split('[[ami]]\nserver = "wrong"')[0])
        assert main(["daemon", "--check", "--connect", "--config", str(path)]) == 1
        out = capsys.readouterr().out
        assert "ami good: ok" in out and "database: FAILED: database postgresql+psycopg://cdr:***@" in out
        assert "refused" in out and "dbpass" not in out
    finally:
        ami.stop()


def test_the_unit_starts_the_production_install_and_the_dialplan_guide_agrees(capsys) -> None:
    assert main(["daemon", "--print-unit"]) == 0
    out = capsys.readouterr()
    exec_start = next(line for line in out.out.splitlines() if line.startswith("ExecStart="))
    assert exec_start == "ExecStart=/opt/cdr-agent/bin/cdr-agent daemon --config %d/daemon.toml"
    assert "/opt/cdr-agent/bin/cdr-agent" in out.err or Path("/opt/cdr-agent/bin/cdr-agent").exists()
    guide = (HERE.parent.parent / "dialplan" / "README.md").read_text()
    assert "ln -s /opt/cdr-agent/bin/cdr-agent-dial-result" in guide and ".venv" not in guide
    assert "pip install -e" not in guide

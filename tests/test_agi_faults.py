"""A classic AGI run never breaks a call: whatever Asterisk (or the disk) does, exit code 0,
and whatever could be read is recorded."""
from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cdr_agent.agi.importer import ObservationStore, import_spool
from cdr_agent.agi.observation import HANGUP, POSTDIAL
from cdr_agent.agi.recorded import RecordedSession
from cdr_agent.agi.spool import Spool
from cdr_agent.store import iter_documents, open_engine
from test_agi_scripts import AGI_BIN, agi_env, run_script, spooled
from tracekit import TRACES

DIAL_RESULT = AGI_BIN / "cdr-agent-dial-result"
HOSTILE_NAME = "O'Brien \"the boss\"\nDROP TABLE calls; -- ) ( ,|\\ 😀 山田 " + "x" * 2048


def basic_session() -> RecordedSession:
    """02_basic_callee_hangup's post-Dial run: an answered call, callee hung up first."""
    line = json.loads((TRACES / "02_basic_callee_hangup" / "agi.jsonl").read_text().splitlines()[0])
    return RecordedSession.from_line(line)


def test_hangup_notice_mid_session_is_skipped(tmp_path: Path) -> None:
    session = basic_session()
    played = run_script(DIAL_RESULT, session, agi_env(tmp_path), answer=lambda cmd: "HANGUP\n" + session.answer(cmd))
    assert played.returncode == 0
    (obs,) = spooled(tmp_path)
    assert obs.variables["DIALSTATUS"] == "ANSWER"  # dead-channel reads go on after HANGUP


@pytest.mark.parametrize("reply", [None, "511 Command Not Permitted on a dead channel or intercepted\n",
                                   "520-Invalid command syntax.  Proper usage follows:\nUsage: ...\n520 End of proper usage.\n",
                                   "garbage\n"])
def test_eof_or_refusal_mid_session_records_what_was_known(tmp_path: Path, reply) -> None:
    played = run_script(DIAL_RESULT, basic_session(), agi_env(tmp_path), answer=lambda cmd: reply)
    assert played.returncode == 0 and len(played.commands) == 1
    (obs,) = spooled(tmp_path)
    assert obs.label == POSTDIAL and obs.uniqueid == "1795462995.9" and obs.variables == {}


def test_silent_asterisk_hits_the_deadline(tmp_path: Path) -> None:
    """Asterisk never answers: the script gives up at its deadline, the dialplan goes on."""
    played = run_script(DIAL_RESULT, basic_session(), agi_env(tmp_path, extra="deadline_ms = 50\n"), answer=lambda cmd: "")
    assert played.returncode == 0
    (obs,) = spooled(tmp_path)
    assert obs.variables == {}


@pytest.mark.slow
@pytest.mark.parametrize("env_bytes", [b"", b"agi_channel: SIP/x\n", b"\x00\xff garbage\n\n", b"agi_request: x\n\n",
                                       b"agi_x: 1\n" * 400 + b"\n"])
def test_unusable_environment_records_nothing(tmp_path: Path, env_bytes: bytes) -> None:
    played = run_script(DIAL_RESULT, basic_session(), agi_env(tmp_path), env_bytes=env_bytes)
    assert played.returncode == 0 and played.commands == []
    assert spooled(tmp_path) == []


def test_without_func_base64_reads_one_by_one(tmp_path: Path) -> None:
    session = basic_session()

    def no_base64(cmd: str) -> str:  # Asterisk substitutes nothing for an unknown function
        return session.answer(re.sub(r"\$\{BASE64_ENCODE\((\$\{[^{}]*\}|[^${}()]*)\)\}", "", cmd))

    played = run_script(DIAL_RESULT, session, agi_env(tmp_path), answer=no_base64)
    assert played.returncode == 0
    (obs,) = spooled(tmp_path)
    assert obs.variables["DIALSTATUS"] == "ANSWER" and obs.variables["DIALEDPEERNAME"] == "Local/201@phones-00000005;1"
    assert played.commands[1] == 'GET FULL VARIABLE "${CHANNEL(linkedid)}"'


def test_hangup_handler_label_and_hostile_settings(tmp_path: Path) -> None:
    session = basic_session()
    session.env["agi_arg_1"] = "hangup"
    env = agi_env(tmp_path, user_keys=("CAMPAIGN", 'X"}${SHELL(rm -rf /)}'))
    session.variables["CAMPAIGN"] = "spring"
    played = run_script(DIAL_RESULT, session, env)
    assert played.returncode == 0
    assert "user_variables ignored" in played.stderr and "SHELL" not in "".join(played.commands)
    (obs,) = spooled(tmp_path)
    assert obs.label == HANGUP and obs.user_data == {"CAMPAIGN": "spring"}


def test_unwritable_spool_still_exits_zero(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    env = agi_env(tmp_path, spool=blocker / "spool")
    played = run_script(DIAL_RESULT, basic_session(), env)
    assert played.returncode == 0 and "observation not recorded" in played.stderr


def test_hostile_caller_name_is_stored_verbatim(tmp_path: Path, db_url: str) -> None:
    """Quotes, a newline, SQL, emoji and 2 KB: read through base64, stored with bound
    parameters, read back unchanged (the env line it breaks is skipped as garbage)."""
    session = basic_session()
    session.variables["CALLERID(name)"] = HOSTILE_NAME
    session.env["agi_calleridname"] = HOSTILE_NAME
    session.env["agi_arg_1"] = "hangup"
    played = run_script(DIAL_RESULT, session, agi_env(tmp_path))
    assert played.returncode == 0
    engine = open_engine(db_url)
    try:
        import_spool(Spool(tmp_path / "spool"), ObservationStore(engine))
        (doc,) = list(iter_documents(engine))
    finally:
        engine.dispose()
    assert doc["caller"]["name"] == HOSTILE_NAME
    assert doc["legs"][0]["caller"]["name"] == HOSTILE_NAME
    assert doc["status"] == "complete"


def test_sighup_on_hangup_does_not_kill_the_run(tmp_path: Path) -> None:
    """Asterisk signals a hang-up with SIGHUP and the HANGUP line (AGISIGHUP unset)."""
    session = basic_session()
    proc = subprocess.Popen([sys.executable, str(DIAL_RESULT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            env=agi_env(tmp_path))
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(session.env_bytes())
    proc.stdin.flush()
    for raw in proc.stdout:
        proc.send_signal(signal.SIGHUP)
        proc.stdin.write(("HANGUP\n" + session.answer(raw.decode())).encode())
        proc.stdin.flush()
    proc.stdin.close()
    assert proc.wait(10) == 0
    (obs,) = spooled(tmp_path)
    assert obs.variables["DIALSTATUS"] == "ANSWER"

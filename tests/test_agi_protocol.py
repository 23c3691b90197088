"""The AGI wire protocol and settings, without processes or sockets."""
from __future__ import annotations

import base64
from pathlib import Path

import pytest

from cdr_agent.agi.config import DEFAULT_DEADLINE_S, load
from cdr_agent.agi.observation import VARIABLES, Observation
from cdr_agent.agi.protocol import MAX_COMMAND, Reply, batches, command, decode, parse_env_line, parse_reply, valid_name
from cdr_agent.agi.session import Environment, ReplyReader, VariableReading, label_for, names_to_read


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_env_lines() -> None:
    assert parse_env_line("agi_callerid: 100\n") == ("agi_callerid", "100")
    assert parse_env_line("agi_request: agi://127.0.0.1/dial-result") == ("agi_request", "agi://127.0.0.1/dial-result")
    assert parse_env_line("DROP TABLE calls; --") is None  # a caller name's newline spilling over
    assert parse_env_line("Bob: x") is None and parse_env_line("agi x: y") is None
    env = Environment()
    for line in ["agi_uniqueid: 1.2", "garbage", "agi_calleridname: A: B", ""]:
        env.feed(line)
    assert env.usable and env.garbage == 1 and env.values["agi_calleridname"] == "A: B"


def test_endless_environment_is_refused() -> None:
    env = Environment()
    while not env.done:
        env.feed("agi_x: 1")
    assert env.failed and not env.usable


def test_replies() -> None:
    assert parse_reply("200 result=1 (a (b) c)") == Reply(200, 1, "a (b) c")
    assert parse_reply("200 result=0") == Reply(200, 0, None)
    assert parse_reply("511 Command Not Permitted on a dead channel or intercepted") == Reply(511, None, None)
    assert parse_reply("hello") is None
    reader = ReplyReader()
    assert reader.feed("HANGUP\n") is None and reader.hung_up
    assert reader.feed("520-Invalid command syntax.  Proper usage follows:") is None
    assert reader.feed("Usage: GET FULL VARIABLE <variablename> [<channel name>]") is None
    assert reader.feed("520 End of proper usage.") == Reply(520, None, None)
    assert reader.feed("junk") == Reply(0, None, None)


def test_names_that_could_escape_the_expression_are_not_read() -> None:
    assert valid_name("CDR(userfield)") and valid_name("HASH(agent,name)") and valid_name("CAMPAIGN")
    for bad in ['X"', "X}", "${X}", "A B", "X)${SHELL(id)}", "X\n", "", "1X"]:
        assert not valid_name(bad), bad
    assert names_to_read(("CAMPAIGN", "X}", "DIALSTATUS")) == list(VARIABLES) + ["CAMPAIGN"]


def test_batches_stay_under_asterisks_command_buffer() -> None:
    names = [f"VARIABLE_NUMBER_{i}" for i in range(200)]
    groups = batches(names)
    assert len(groups) > 1 and [n for g in groups for n in g] == names
    assert all(len(command(g)) <= MAX_COMMAND for g in groups)


def test_decode_checks_the_sentinel_and_the_count() -> None:
    names = ["A", "B"]
    ok = Reply(200, 1, ",".join(["b2s=", _b64("x,y)"), ""]))
    assert decode(names, ok) == {"A": "x,y)", "B": ""}
    assert decode(names, Reply(200, 1, ",,")) is None  # no func_base64: the sentinel is empty
    assert decode(names, Reply(200, 1, "b2s=," + _b64("x"))) is None  # one value short
    assert decode(names, Reply(511, None, None)) is None


def test_reading_falls_back_to_plain_reads() -> None:
    reading = VariableReading(["A", "B"])
    assert reading.next_command().startswith('GET FULL VARIABLE "${BASE64_ENCODE(ok)},')
    reading.take(Reply(200, 1, ",,"))
    assert reading.next_command() == 'GET FULL VARIABLE "${A}"\n'
    reading.take(Reply(200, 1, "1"))
    assert reading.next_command() == 'GET FULL VARIABLE "${B}"\n'
    reading.take(Reply(200, 1, None))  # a raw value with a newline broke the line: stop
    assert reading.next_command() is None
    assert reading.values == {"A": "1", "B": None}


def test_labels() -> None:
    assert label_for("dial-result", {"agi_arg_1": "hangup"}) == "hangup"
    assert label_for("dial-result", {"agi_arg_1": "whatever"}) == "postdial"
    assert label_for("transfer", {}) == "transfer"
    assert label_for("nonsense", {}) == "postdial"


def test_observation_json_round_trip_and_refusals() -> None:
    obs = Observation.from_agi("a", {"agi_uniqueid": "1.1", "agi_channel": "PJSIP/x-1"}, {"DIALSTATUS": "BUSY"}, 5.0,
                               label="postdial")
    assert Observation.from_json(obs.to_json()) == obs
    assert obs.obs_id == Observation.from_agi("a", {"agi_uniqueid": "1.1"}, {}, 5.0, label="postdial").obs_id
    for text in ["[]", "{}", '{"format": 2}', obs.to_json().replace('"time":5.0', '"time":"5"'),
                 obs.to_json().replace('"DIALSTATUS":"BUSY"', '"DIALSTATUS":1')]:
        with pytest.raises(ValueError):
            Observation.from_json(text)


def test_settings(tmp_path: Path) -> None:
    conf = tmp_path / "agi.conf"
    conf.write_text("[agi]\nserver = pbx1 ; comment\nspool = /x\nuser_variables = A CDR(userfield) B}\n"
                    "deadline_ms = soon\nspool = /y\n")
    cfg, problems = load(str(conf))
    assert (cfg.server, cfg.spool, cfg.user_keys, cfg.deadline_s) == ("pbx1", "/y", ("A", "CDR(userfield)"), DEFAULT_DEADLINE_S)
    assert len(problems) == 2 and "B}" in problems[0] and "soon" in problems[1]
    conf.write_bytes(b"\xff[agi")
    cfg, problems = load(str(conf))
    assert cfg.spool == "/var/spool/cdr-agent" and problems
    assert load(str(tmp_path / "missing.conf"))[1]

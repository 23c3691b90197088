"""AGI observations alone rebuild what the dialplan can see of every recorded trace; with the
AMI stream they add user data and nothing else.

`agi_view()` turns a truth.json call into what AGI can see, by named rules; `AGI_BLIND` says,
per trace, which rules change its truth (the test fails if a rule is listed but changes
nothing, or changes something without being listed). The helpers are shared by the script
and FastAGI tests, which feed the same sessions through the real scripts and server.
"""
from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Optional

import pytest

from cdr_agent.agi.observation import Observation
from cdr_agent.agi.rebuild import rebuild
from cdr_agent.calltree.document import to_document
from tracekit import APP_KINDS, TRACES, TRACE_NAMES, Parties, documents, replay_documents

# One entry per AGI recording: (name, folder, server name).
SOURCES = [(n, TRACES / n, "a") for n in TRACE_NAMES if n != "20_two_servers"] + [
    (f"20_two_servers/{s}", TRACES / "20_two_servers" / s, s) for s in ("server_a", "server_b")
]
USER_KEYS = ("FAILOVER", "DIALTIMEOUT", "QEXIT", "IVRCHOICE", "CFTARGET", "HOLD")  # lab variables as business data


def sessions(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "agi.jsonl").read_text().splitlines()]


def recorded_observations(folder: Path, server: str, user_keys: tuple[str, ...] = ()) -> list[Observation]:
    """The observations as the lab's AGI recorded them (time: when the run started)."""
    return [Observation.from_agi(server, s["env"], s["vars"], s["ts_start"], user_keys) for s in sessions(folder)]


def agi_documents(observations: list[Observation]) -> list[dict]:
    return [to_document(call) for call in rebuild(observations)]


# ---- what AGI can see: truth.json through named rules ------------------------------------


def _unanswered_callee(call: dict) -> None:
    """A Dial() that was not answered keeps no channel name of its callee."""
    for a in call["attempts"]:
        if a["outcome"] != "ANSWER" and a["via"] in ("dial", "transfer"):
            if a["via"] == "transfer":
                for t in call["transfers"]:
                    if t["target"] == a["to"]:
                        t["target"] = None
            a["to"] = None


def _queue_members(call: dict) -> None:
    """After Queue() only the member who answered is known, by name (MEMBERNAME), not by
    channel (unless it then transfers the caller: BLINDTRANSFER names its channel); members
    who rang out are invisible."""
    call["attempts"] = [a for a in call["attempts"] if a["via"] != "queue" or a["outcome"] == "ANSWER"]
    transferers = {t["by"] for t in call["transfers"]}
    for a in call["attempts"]:
        if a["via"] == "queue":
            a["agent"] = a["to"]
            a["to"] = a["to"] if a["to"] in transferers else None


def _ring_group(call: dict) -> None:
    """A ring group is one Dial(): its unanswered branches are invisible, and without our
    dialplan's CDRAGENT_DIALSTRING (the lab's has none) it looks like a plain Dial()."""
    call["attempts"] = [a for a in call["attempts"] if a["via"] != "ringgroup" or a["outcome"] == "ANSWER"]
    for a in call["attempts"]:
        if a["via"] == "ringgroup":
            a["via"] = "dial"
    call["apps"] = [p for p in call["apps"] if p["app"] != "RingGroup"]


def _attended_completion(call: dict) -> None:
    """Whether an attended transfer completed, and the transferee-target talk after it, are
    not visible: no AGI runs when it completes."""
    for t in call["transfers"]:
        if t["type"] == "attended" and t["completed"]:
            t["completed"] = False
            call["attempts"] = [a for a in call["attempts"]
                                if not (a["via"] == "transfer" and a["from"] == t["transferee"] and a["to"] == t["target"])]


def _park(call: dict) -> None:
    """Parking is a blind transfer to an extension outside TRANSFER_CONTEXT's pattern, and
    retrieving runs no Dial(): both invisible."""
    call["transfers"] = [t for t in call["transfers"] if not (t["target"] or "").startswith("park ")]
    call["attempts"] = [a for a in call["attempts"] if a["via"] != "park"]
    call["apps"] = [p for p in call["apps"] if p["app"] not in ("Park", "ParkedCall")]


def _ivr(call: dict) -> None:
    """Menus (Read/Background) run no Dial(): invisible."""
    call["apps"] = [p for p in call["apps"] if p["app"] != "IVR"]


def _voicemail(call: dict) -> None:
    """A voicemail context runs no Dial(): invisible."""
    call["apps"] = [p for p in call["apps"] if p["app"] != "Voicemail"]


def _conference(call: dict) -> None:
    """ConfBridge runs no Dial(): rooms and members are invisible."""
    call["conferences"] = []
    call["apps"] = [p for p in call["apps"] if p["app"] != "ConfBridge"]


RULES: dict[str, Callable[[dict], None]] = {
    "unanswered_callee": _unanswered_callee,
    "queue_members": _queue_members,
    "ring_group": _ring_group,
    "attended_completion": _attended_completion,
    "park": _park,
    "ivr": _ivr,
    "voicemail": _voicemail,
    "conference": _conference,
}

AGI_BLIND: dict[str, tuple[str, ...]] = {
    "01_basic_answered": (),
    "02_basic_callee_hangup": (),
    "03_noanswer_failover": ("unanswered_callee",),
    "04_busy": ("unanswered_callee", "voicemail"),
    "05_caller_cancel": ("unanswered_callee",),
    "06_blind_transfer": (),
    "07_blind_transfer_noanswer": ("unanswered_callee",),
    "08_attended_transfer": ("attended_completion",),
    "09_attended_transfer_abort": (),
    "10_queue_answered": ("queue_members",),
    "11_queue_abandon": ("queue_members",),
    "12_queue_timeout": ("queue_members",),
    "13_queue_then_blind_transfer": ("queue_members",),
    "14_ringgroup": ("ring_group",),
    "15_conference": ("conference",),
    "16_ivr_to_queue": ("queue_members", "ivr"),
    "17_call_forward": (),
    "18_parking": ("park",),
    "19_concurrent_load": ("queue_members",),
    "20_two_servers/server_a": (),
    "20_two_servers/server_b": (),
}

def agi_view(truth_calls: list[dict], rules: tuple[str, ...]) -> list[dict]:
    calls = copy.deepcopy(truth_calls)
    for call in calls:
        for rule in rules:
            RULES[rule](call)
        seen = {p for a in call["attempts"] for p in (a["from"], a["to"])}
        seen |= {p for t in call["transfers"] for p in (t["by"], t["transferee"], t["target"])}
        call["legs"] = [leg for leg in call["legs"] if leg["party"] == call["origin"] or leg["party"] in seen]
    return calls


def truth_calls(folder: Path) -> tuple[list[dict], dict]:
    truth = json.loads((folder / "truth.json").read_text())
    return truth["calls"], truth


# ---- comparison --------------------------------------------------------------------------


def check_agi_trees(name: str, folder: Path, docs: list[dict], timed: bool) -> None:
    """Our AGI-only documents against the AGI view of the truth. `timed`: the observations
    carry the recorded times, so ring times can be checked too."""
    calls, truth = truth_calls(folder)
    expected = agi_view(calls, AGI_BLIND[name])
    parties = Parties(truth, docs)
    assert len(docs) == len(expected), "one call per customer interaction"
    ours: dict[Optional[str], list[dict]] = {}
    for doc in docs:
        ours.setdefault(parties.of(doc["legs"][0]["leg_id"]), []).append(doc)
    for call in expected:
        assert ours.get(call["origin"]), f"no call from {call['origin']}"
        doc = ours[call["origin"]].pop(0)
        assert doc["status"] == "complete"
        _legs(call, doc, parties)
        _attempts(call, doc, parties, timed)
        _transfers(call, doc, parties)
        expected_apps = [(APP_KINDS[p["app"]], p["name"], p["result"]) for p in call["apps"] if p["app"] in APP_KINDS]
        assert Counter((p["app"], p["name"], p["result"]) for p in doc["apps"]) == Counter(expected_apps)
        assert [c["room"] for c in doc["conferences"]] == [c["room"] for c in call["conferences"]]


def _legs(call: dict, doc: dict, parties: Parties) -> None:
    hops = {a["hop_leg"] for a in doc["attempts"]}
    named = {}
    for leg in doc["legs"]:
        party = parties.of(leg["leg_id"])
        assert party is not None or leg["leg_id"] in hops, f"a leg of nobody: {leg['channel']}"
        if party is not None:
            named[party] = named.get(party, False) or leg["answered"]
    assert named == {leg["party"]: leg["answered"] for leg in call["legs"]}


def _to_matches(truth_to: Optional[str], party: Optional[str]) -> bool:
    if truth_to and truth_to.startswith("one of "):
        return party in truth_to[len("one of "):].split("/")
    return truth_to == party


def _attempts(call: dict, doc: dict, parties: Parties, timed: bool) -> None:
    ours = doc["attempts"]
    shown = [(parties.of(a["from_leg"]), parties.of(a["to_leg"]), a["agent"], a["outcome"], a["via"]) for a in ours]
    assert len(ours) == len(call["attempts"]), shown
    for expected, a, mine in zip(call["attempts"], ours, shown):
        assert mine[0] == expected["from"] and mine[3:] == (expected["outcome"], expected["via"]), (expected, shown)
        assert _to_matches(expected["to"], mine[1]), (expected, shown)
        assert _to_matches(expected.get("agent"), mine[2]), (expected, shown)
        if a["outcome"] == "ANSWER":  # an unknown answer moment leaves both times empty, never a 0 s talk
            assert (a["ring_s"] is None) == (a["talk_s"] is None) or a["began_at"] is None, a
            assert a["talk_s"] is None or a["talk_s"] > 0, a
        ring = expected.get("ring_s_approx")
        if timed and ring is not None and a["ring_s"] is not None:
            assert abs(a["ring_s"] - ring) <= 1.5, (expected, a["ring_s"])


def _transfers(call: dict, doc: dict, parties: Parties) -> None:
    assert len(doc["transfers"]) == len(call["transfers"])
    for expected, ours in zip(call["transfers"], doc["transfers"]):
        assert ours["kind"] == expected["type"]
        assert parties.of(ours["transferer_leg"]) == expected["by"]
        assert parties.of(ours["transferee_leg"]) == expected["transferee"]
        assert parties.of(ours["target_leg"]) == expected["target"]
        assert (ours["target_exten"], ours["target_context"]) == (expected["target_exten"], expected["context"])
        assert ours["completed"] == expected["completed"]


# ---- tests -------------------------------------------------------------------------------


@pytest.mark.parametrize("name,folder,server", SOURCES, ids=[s[0] for s in SOURCES])
def test_agi_only_trees_match_what_agi_can_see(name: str, folder: Path, server: str) -> None:
    check_agi_trees(name, folder, agi_documents(recorded_observations(folder, server)), timed=True)


@pytest.mark.parametrize("name,folder,server", SOURCES, ids=[s[0] for s in SOURCES])
def test_each_blind_spot_is_real(name: str, folder: Path, server: str) -> None:
    """Every rule listed for a trace changes its truth, and leaving any one out breaks the
    comparison: the table says exactly what AGI misses there."""
    calls, _ = truth_calls(folder)
    rules = AGI_BLIND[name]
    for rule in rules:
        without = tuple(r for r in rules if r != rule)
        assert agi_view(calls, without) != agi_view(calls, rules), f"{rule} changes nothing in {name}"
    docs = agi_documents(recorded_observations(folder, server))
    for rule in rules:
        AGI_BLIND[name] = tuple(r for r in rules if r != rule)
        try:
            with pytest.raises(AssertionError):
                check_agi_trees(name, folder, docs, timed=True)
        finally:
            AGI_BLIND[name] = rules


def test_unlisted_rules_change_nothing() -> None:
    for name, folder, _ in SOURCES:
        calls, _ = truth_calls(folder)
        listed = AGI_BLIND[name]
        for rule in set(RULES) - set(listed):
            assert agi_view(calls, listed + (rule,)) == agi_view(calls, listed), f"{name} misses {rule}"


def test_agi_runs_in_any_import_order_give_the_same_calls() -> None:
    """A call is rebuilt from all its observations in time order, however they arrived."""
    for name, folder, server in SOURCES:
        observations = recorded_observations(folder, server)
        assert agi_documents(observations[::-1]) == agi_documents(observations), name


@pytest.mark.parametrize("name", [n for n in TRACE_NAMES if n != "20_two_servers"])
def test_ami_plus_agi_is_the_ami_tree_plus_user_data(name: str) -> None:
    from cdr_agent.ingest import Ingest
    from cdr_agent.replay import replay_path

    ingest = Ingest(agi_user_keys=USER_KEYS)
    replay_path(ingest, TRACES / name, server="a")
    with_agi = documents(ingest.finished + ingest.close())
    ami_only = replay_documents(name, with_agi=False)
    assert len(with_agi) == len(ami_only)
    expected_data = _user_data_by_uniqueid(TRACES / name)
    placed = set()
    for ours, ami in zip(with_agi, ami_only):
        data = ours.pop("user_data")
        ami.pop("user_data")
        assert ours == ami
        wanted: dict[str, str] = {}
        for leg in ours["legs"]:
            wanted.update(expected_data.get(leg["uniqueid"], {}))
            placed.add(leg["uniqueid"])
        assert data == wanted
    assert set(expected_data) <= placed, "user data of a channel no call has"


def _user_data_by_uniqueid(folder: Path) -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = {}
    for s in sessions(folder):
        found = {k: s["vars"][k] for k in USER_KEYS if s["vars"].get(k)}
        if found:
            data.setdefault(s["env"]["agi_uniqueid"], {}).update(found)
    return data

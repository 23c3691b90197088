"""Every recorded trace replays into the call trees its truth.json describes."""
from __future__ import annotations

from collections import Counter

import pytest

from tracekit import APP_KINDS, TRACE_NAMES, Parties, replay_documents, truth, without_times

SINGLE = [n for n in TRACE_NAMES if n != "20_two_servers"]


def _origin(doc: dict, parties: Parties) -> str:
    return parties.of(doc["legs"][0]["leg_id"])


def _pairs(name: str, drop: frozenset[str] = frozenset()):
    t = truth(name)
    docs = replay_documents(name, drop=drop)
    parties = Parties(t, docs)
    assert len(docs) == len(t["calls"]), "one call per customer interaction"
    ours = {}
    for doc in docs:
        ours.setdefault(_origin(doc, parties), []).append(doc)
    pairs = []
    for call in t["calls"]:
        candidates = ours.get(call["origin"])
        assert candidates, f"no call from {call['origin']}"
        pairs.append((call, candidates.pop(0)))
    return pairs, parties


def _attempt_groups(call: dict) -> list[list[dict]]:
    groups: dict[int, list[dict]] = {}
    for i, a in enumerate(call["attempts"]):
        groups.setdefault(a.get("order", i + 1), []).append(a)
    return [groups[k] for k in sorted(groups)]


def _to_matches(truth_to: str, party: str) -> bool:
    if truth_to.startswith("one of "):
        return party in truth_to[len("one of "):].split("/")
    return truth_to == party


# manager.conf eventfilter as production PBXs set it: no Newstate, or no queue member events.
FILTERS = {"no-newstate": frozenset({"Newstate"}),
           "no-agent-events": frozenset({"AgentCalled", "AgentRingNoAnswer", "AgentComplete", "AgentDump"})}


@pytest.mark.parametrize("name", SINGLE)
@pytest.mark.parametrize("events", ["all", *FILTERS])
def test_trace_matches_truth(name: str, events: str) -> None:
    pairs, parties = _pairs(name, FILTERS.get(events, frozenset()))
    for call, doc in pairs:
        _check_legs(call, doc, parties)
        _check_attempts(call, doc, parties)
        _check_transfers(call, doc, parties)
        _check_conferences(call, doc, parties)
        _check_apps(call, doc)
        assert doc["status"] == "complete"


def _check_legs(call: dict, doc: dict, parties: Parties) -> None:
    for leg in call["legs"]:
        ours = [l for l in doc["legs"] if parties.of(l["leg_id"]) == leg["party"]]
        assert ours, f"no leg for {leg['party']}"
        assert any(l["answered"] for l in ours) == leg["answered"], f"{leg['party']} answered"


def _check_attempts(call: dict, doc: dict, parties: Parties) -> None:
    ours = [a for a in doc["attempts"] if a["via"] != "originate"]
    assert len(ours) == len(call["attempts"]), [(parties.of(a["from_leg"]), parties.of(a["to_leg"])) for a in ours]
    for group in _attempt_groups(call):
        mine, ours = ours[: len(group)], ours[len(group):]
        for expected in group:
            match = [
                a for a in mine
                if parties.of(a["from_leg"]) == expected["from"]
                and _to_matches(expected["to"], parties.of(a["to_leg"]))
                and a["outcome"] == expected["outcome"]
                and a["via"] == expected["via"]
            ]
            assert match, f"attempt {expected} not in {[(parties.of(a['from_leg']), parties.of(a['to_leg']), a['outcome'], a['via']) for a in mine]}"
            ring = expected.get("ring_s_approx")
            if ring is not None:
                assert abs(match[0]["ring_s"] - ring) <= 1.5, (expected, match[0]["ring_s"])


def _check_transfers(call: dict, doc: dict, parties: Parties) -> None:
    assert len(doc["transfers"]) == len(call["transfers"])
    for expected, ours in zip(call["transfers"], doc["transfers"]):
        assert ours["kind"] == expected["type"]
        assert parties.of(ours["transferer_leg"]) == expected["by"]
        assert parties.of(ours["transferee_leg"]) == expected["transferee"]
        assert ours["completed"] == expected["completed"]
        if expected["target"].startswith("park "):
            assert ours["target_exten"] == expected["target"].split()[1]
        else:
            assert parties.of(ours["target_leg"]) == expected["target"]
            assert ours["target_exten"] == expected["target_exten"]
            assert ours["target_context"] == expected["context"]


def _check_conferences(call: dict, doc: dict, parties: Parties) -> None:
    assert [c["room"] for c in doc["conferences"]] == [c["room"] for c in call["conferences"]]
    for expected, ours in zip(call["conferences"], doc["conferences"]):
        assert sorted(parties.of(m["leg"]) for m in ours["members"]) == sorted(expected["members"])


def _check_apps(call: dict, doc: dict) -> None:
    # A result may be explained after its word: "answered (voicemail-like Answer+Wait, ...)".
    expected = [(APP_KINDS[a["app"]], a["name"], a["result"].split(" (")[0]) for a in call["apps"] if a["app"] in APP_KINDS]
    ours = [(a["app"], a["name"], a["result"]) for a in doc["apps"]]
    assert Counter(ours) == Counter(expected)


def test_two_servers_are_distinct_calls() -> None:
    t = truth("20_two_servers")
    assert t["collision"]
    docs = replay_documents("20_two_servers")
    assert sorted(d["server"] for d in docs) == ["server_a", "server_b"]
    assert len({d["call_id"] for d in docs}) == 2
    assert len({l["leg_id"] for d in docs for l in d["legs"]}) == sum(len(d["legs"]) for d in docs)
    uniqueids = [{l["uniqueid"] for l in d["legs"]} for d in docs]
    assert uniqueids[0] & uniqueids[1], "the trace's point: both servers used the same uniqueids"


def test_agi_observations_do_not_change_the_ami_tree() -> None:
    for name in SINGLE:
        with_agi, without = replay_documents(name), replay_documents(name, with_agi=False)
        assert with_agi == without, name


@pytest.mark.parametrize("name", TRACE_NAMES)
def test_trace_without_timestamps_gives_the_same_trees(name: str) -> None:
    """Who answered, the attempts, transfers and app results come from the order of events,
    never from having a time; without Timestamp headers every time is null, none invented."""
    timed = replay_documents(name, with_agi=False)
    untimed = replay_documents(name, with_agi=False, timestamps=False)
    assert [d["time_source"] for d in timed] == ["asterisk"] * len(timed)
    assert [d["time_source"] for d in untimed] == ["none"] * len(untimed)
    for doc in untimed:
        assert doc == without_times(doc) | {"time_source": "none"}, "a time was invented"
    assert [without_times(d) for d in untimed] == [without_times(d) for d in timed]

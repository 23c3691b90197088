"""Hold our call trees against a production recording's expect.json (tests/fixtures/traces-sip).

The rules are the recordings' own (their README): the calls holding a named party's leg are
exactly the expected calls; each party's `answered`; the expected attempts in order as a
subsequence of ours (a list is any of these words, null any value, a shared `order` rings in
parallel); transfers and apps by their fields. A Local half is plumbing: where an attempt or
transfer names one, it counts for the endpoints on the far side of that Local pair.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

from tracekit import replay_file

SIP_TRACES = Path(__file__).parent / "fixtures" / "traces-sip"
SIP_TRACE_NAMES = sorted(p.name for p in SIP_TRACES.iterdir() if p.is_dir())


def expectation(name: str) -> dict:
    return json.loads((SIP_TRACES / name / "expect.json").read_text())


def _any_of(expected: Any, value: Any) -> bool:
    if expected is None:
        return True
    if isinstance(expected, list):
        return value in expected
    return value == expected


class Endpoints:
    """Resolves our leg ids to the named parties they stand for, through Local hops."""

    def __init__(self, doc: dict, parties: dict[str, str]) -> None:
        self.legs = {leg["leg_id"]: leg for leg in doc["legs"]}
        self.named = {leg_id: p for leg_id, leg in self.legs.items() for p, ch in parties.items() if leg["channel"] == ch}
        self.attempts = doc["attempts"]

    def callee(self, leg_id: Optional[str], seen: frozenset = frozenset()) -> set[str]:
        """Parties a leg in the `to` place stands for: itself, or what its Local pair dialled."""
        if leg_id is None or leg_id in seen:
            return set()
        if leg_id in self.named:
            return {self.named[leg_id]}
        leg = self.legs.get(leg_id)
        if leg is None or not leg["channel"].startswith("Local/"):
            return set()
        seen = seen | {leg_id}
        found: set[str] = set()
        for half in {leg_id, leg["local_peer"]} - {None}:
            for a in self.attempts:
                if half in (a["from_leg"], a["hop_leg"]) and a["to_leg"] not in seen:
                    found |= self.callee(a["to_leg"], seen | {half})
        return found

    def caller(self, leg_id: Optional[str], seen: frozenset = frozenset()) -> set[Optional[str]]:
        """Parties a leg in the `from` place stands for: itself, or who rang its Local pair."""
        if leg_id is None:
            return {None}
        if leg_id in self.named:
            return {self.named[leg_id]}
        leg = self.legs.get(leg_id)
        if leg is None or leg_id in seen or not leg["channel"].startswith("Local/"):
            return set()
        seen = seen | {leg_id}
        found: set[Optional[str]] = set()
        for half in {leg_id, leg["local_peer"]} - {None}:
            for a in self.attempts:
                if a["to_leg"] == half and a["from_leg"] not in seen:
                    found |= self.caller(a["from_leg"], seen | {half})
        return found


def _names(expected: Any) -> list:
    return expected if isinstance(expected, list) else [expected]


def _attempt_fits(expected: dict, ours: dict, ends: Endpoints) -> bool:
    return (
        any(n in ends.caller(ours["from_leg"]) for n in _names(expected["from"]))
        and any(n in ends.callee(ours["to_leg"]) for n in _names(expected["to"]))
        and _any_of(expected.get("outcome"), ours["outcome"])
        and _any_of(expected.get("via"), ours["via"])
    )


def _groups(attempts: list[dict]) -> list[list[dict]]:
    groups: dict[int, list[dict]] = {}
    for i, a in enumerate(attempts):
        groups.setdefault(a.get("order", i + 1), []).append(a)
    return [groups[k] for k in sorted(groups)]


def _check_attempts(expected: list[dict], doc: dict, ends: Endpoints) -> list[str]:
    ours = sorted(doc["attempts"], key=lambda a: a["seq"])
    start = 0
    for group in _groups(expected):
        used: set[int] = set()
        for want in group:
            at = next((i for i in range(start, len(ours)) if i not in used and _attempt_fits(want, ours[i], ends)), None)
            if at is None:
                return [f"attempt {want} not found after position {start} in {describe_attempts(doc, ends)}"]
            used.add(at)
        start = max(used) + 1
    return []


def describe_attempts(doc: dict, ends: Endpoints) -> list[tuple]:
    return [
        (a["seq"], sorted(map(str, ends.caller(a["from_leg"]))), sorted(ends.callee(a["to_leg"])), a["outcome"], a["via"])
        for a in sorted(doc["attempts"], key=lambda a: a["seq"])
    ]


def _check_transfers(expected: list[dict], doc: dict, ends: Endpoints) -> list[str]:
    problems = []
    for want in expected:
        fits = [
            t for t in doc["transfers"]
            if t["kind"] == want["kind"]
            and t["completed"] == want["completed"]
            and any(n in ends.caller(t["transferer_leg"]) | ends.callee(t["transferer_leg"]) for n in _names(want["by"]))
            and any(n in ends.caller(t["transferee_leg"]) | ends.callee(t["transferee_leg"]) for n in _names(want["transferee"]))
            and any(n in ends.callee(t["target_leg"]) for n in _names(want["target"]))
        ]
        if not fits:
            got = [
                (t["kind"], sorted(map(str, ends.caller(t["transferer_leg"]) | ends.callee(t["transferer_leg"]))),
                 sorted(map(str, ends.caller(t["transferee_leg"]) | ends.callee(t["transferee_leg"]))),
                 sorted(ends.callee(t["target_leg"])), t["completed"])
                for t in doc["transfers"]
            ]
            problems.append(f"transfer {want} not in {got}")
    return problems


def check(expect: dict, docs: list[dict]) -> list[str]:
    """What differs between our call documents and one recording's expectations (empty: none)."""
    problems: list[str] = []
    named = {ch for call in expect["calls"] for ch in call["parties"].values()}
    holding = [d for d in docs if any(leg["channel"] in named for leg in d["legs"])]
    if len(holding) != len(expect["calls"]):
        problems.append(f"{len(holding)} calls hold a named party, expected {len(expect['calls'])}")
    for call in expect["calls"]:
        channels = set(call["parties"].values())
        docs_of = [d for d in holding if any(leg["channel"] in channels for leg in d["legs"])]
        if len(docs_of) != 1:
            problems.append(f"parties {sorted(call['parties'])} are in {len(docs_of)} calls")
            continue
        doc = docs_of[0]
        ends = Endpoints(doc, call["parties"])
        for party, flag in call["answered"].items():
            legs = [leg for leg in doc["legs"] if leg["channel"] == call["parties"][party]]
            if flag is not None and (not legs or legs[0]["answered"] != flag):
                problems.append(f"{party} answered should be {flag}")
        problems += _check_attempts(call["attempts"], doc, ends)
        problems += _check_transfers(call.get("transfers") or [], doc, ends)
        for app in call.get("apps") or []:
            if not any(a["app"] == app["app"] and _any_of(app.get("result"), a["result"]) for a in doc["apps"]):
                problems.append(f"app {app} not in {[(a['app'], a['result']) for a in doc['apps']]}")
    return problems


def sip_documents(name: str) -> list[dict]:
    return replay_file(SIP_TRACES / name / "ami.log", server="voipgrid")

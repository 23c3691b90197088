"""Test helpers: replay a fixture trace and compare our call trees with its truth.json."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Optional

from cdr_agent.calltree.document import to_document
from cdr_agent.ingest import Ingest
from cdr_agent.replay import file_chunks, load_agi, read_events, replay_path, streams

TRACES = Path(__file__).parent / "fixtures" / "traces"
TRACE_NAMES = sorted(p.name for p in TRACES.iterdir() if p.is_dir())

# truth.json app words -> ours. The lab's "Voicemail" is an Answer()+Wait() in a context
# named `voicemail`, one of the voicemail contexts the builder knows by default.
APP_KINDS = {"Queue": "queue", "IVR": "ivr", "RingGroup": "ringgroup", "Park": "park",
             "ParkedCall": "parkedcall", "ConfBridge": "conference", "Voicemail": "voicemail"}


def replay_documents(name: str, with_agi: bool = True, timestamps: bool = True,
                     drop: frozenset[str] = frozenset()) -> list[dict]:
    """The call documents of a lab trace; `timestamps=False` replays it with every
    `Timestamp:` header removed, as a manager without timestampevents sends it, and `drop`
    without those events, as manager.conf's eventfilter would."""
    ingest = Ingest()
    path = TRACES / name
    if with_agi and timestamps and not drop:
        replay_path(ingest, path, server="a")
    else:
        for server, ami, agi in streams(path, "a"):
            data = ami.read_bytes() if timestamps else without_timestamps(ami.read_bytes())
            ingest.events(read_events([without_events(data, drop)], server), load_agi(agi) if with_agi and agi else None)
    return _documents(ingest)


def without_events(data: bytes, drop: frozenset[str]) -> bytes:
    if not drop:
        return data
    names = re.compile(rb"(?m)^Event: (" + b"|".join(re.escape(n.encode()) for n in sorted(drop)) + rb")\r$")
    return b"\r\n\r\n".join(m for m in data.split(b"\r\n\r\n") if not names.search(m))


def replay_file(path: Path, server: str) -> list[dict]:
    """The call documents of one AMI capture file."""
    ingest = Ingest()
    replay_path(ingest, path, server=server)
    return _documents(ingest)


def _documents(ingest: Ingest) -> list[dict]:
    """Every call of a finished replay; a handler that failed on an event fails the test."""
    still_open = ingest.close()
    assert not ingest.stats.failures, ingest.stats.failures
    return documents(ingest.finished + still_open)


def documents(calls: list) -> list[dict]:
    """One document per call, in the order calls first finished; a call handed out again
    after a later change (a conference leave, late AGI data) is taken as last handed out."""
    last = {c.call_id: c for c in calls}
    return [to_document(last[call_id]) for call_id in last]


def without_timestamps(data: bytes) -> bytes:
    return re.sub(rb"(?m)^Timestamp: [^\r\n]*\r?\n", b"", data)


def truth(name: str) -> dict:
    return json.loads((TRACES / name / "truth.json").read_text())


class Parties:
    """Maps our legs to the truth's parties (A, B, M1... or caller numbers in the load trace)."""

    def __init__(self, truth_doc: dict, docs: list[dict]) -> None:
        given = truth_doc["parties"]
        self.parties = given if all(isinstance(v, dict) for v in given.values()) else {}
        self.legs = {leg["leg_id"]: leg for doc in docs for leg in doc["legs"]}

    def of(self, leg_id: Optional[str]) -> Optional[str]:
        leg = self.legs.get(leg_id)
        if leg is None:
            return None
        if not self.parties:  # 19_concurrent_load: parties are numbers, members M1..M3
            return self._by_number(leg)
        found = [p for p, info in self.parties.items() if leg["channel"].startswith(info["channel_prefix"])]
        if len(found) > 1:
            nums = {leg["caller"]["num"], self._peer_caller(leg)}
            found = [p for p in found if self.parties[p]["number"] in nums] or found
        return found[0] if found else None

    def _peer_caller(self, leg: dict) -> Optional[str]:
        peer = self.legs.get(leg["local_peer"])
        return peer["caller"]["num"] if peer else None

    def _by_number(self, leg: dict) -> Optional[str]:
        channel = leg["channel"]
        exten = channel.split("/", 1)[1].split("@", 1)[0]
        if "@phones-" in channel:
            return {"301": "M1", "302": "M2", "303": "M3"}.get(exten, exten)
        nums = [n for n in (leg["caller"]["num"], self._peer_caller(leg)) if n]
        return nums[0] if nums else None


_TIME_KEYS = {"started_at", "answered_at", "ended_at", "created_at", "began_at", "at", "joined_at", "left_at",
              "entered_at", "ring_s", "talk_s", "wait_s"}


def without_times(value):
    """A call document with every time (and every duration made of times) set to None and
    no `time_source`: what must not depend on having times."""
    if isinstance(value, dict):
        return {k: None if k in _TIME_KEYS else without_times(v) for k, v in value.items() if k != "time_source"}
    if isinstance(value, list):
        return [without_times(v) for v in value]
    return value

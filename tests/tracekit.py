"""Test helpers: replay a fixture trace and compare our call trees with its truth.json."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from cdr_agent.calltree.document import to_document
from cdr_agent.ingest import Ingest
from cdr_agent.replay import replay_path

TRACES = Path(__file__).parent / "fixtures" / "traces"
TRACE_NAMES = sorted(p.name for p in TRACES.iterdir() if p.is_dir())

# truth.json app words -> ours. The lab's "Voicemail" is a plain Answer()+Wait() context:
# nothing on the wire says voicemail, so it is not an application context we can see.
APP_KINDS = {"Queue": "queue", "IVR": "ivr", "RingGroup": "ringgroup", "Park": "park",
             "ParkedCall": "parkedcall", "ConfBridge": "conference"}


def replay_documents(name: str, with_agi: bool = True) -> list[dict]:
    ingest = Ingest()
    path = TRACES / name
    if with_agi:
        replay_path(ingest, path, server="a")
    else:
        from cdr_agent.replay import file_chunks, read_events, streams
        for server, ami, _agi in streams(path, "a"):
            ingest.events(read_events(file_chunks(ami), server))
    still_open = ingest.close()
    return [to_document(c) for c in ingest.finished + still_open]


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

"""What the generated stream must give: per-visit rows and hourly totals, kept from the
simulation itself (never read back from the stream), in the same terms as the stats tables.

Durations are summed in integer milliseconds, the resolution of the stream, so the totals are
exact; they are written as seconds with three decimals.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any, Optional

from ..calltree.document import iso
from ..calltree.vocab import QUEUE_STATUSES, SL_THRESHOLDS, sl_column
from .config import Scenario
from .simulate import ABANDONED, ANSWER, BUSY, HOUR_MS, NOANSWER, TRANSFERRED, Presence, SimCall, Visit

_ANSWERED = ("answered", TRANSFERRED)
# Sums kept in ms (ints), reported in s.
_QUEUE_MS = ("wait_s", "answered_wait_s", "abandoned_wait_s", "talk_s")
_QUEUE_MAX_MS = ("wait_max_s", "answered_wait_max_s", "abandoned_wait_max_s")
_AGENT_MS = ("ring_s", "talk_s")


@dataclass
class VisitTruth:
    """One row of stat_queue_calls, as it must come out."""

    caller_uniqueid: str
    queue: str
    hour: float
    status: str
    agent: Optional[str]
    wait_s: float
    ring_s: Optional[float]
    talk_s: Optional[float]
    agents_rung: int
    ring_no_answer: int
    rejected: int


def _hour(t_ms: int) -> int:
    return t_ms // HOUR_MS * HOUR_MS


def _s(ms: int) -> float:
    return round(ms / 1000, 3)


class Truth:
    def __init__(self, scenario: Scenario, keep_visits: bool = False) -> None:
        self.sc = scenario
        self.keep_visits = keep_visits
        self.visits: list[VisitTruth] = []
        self.calls = 0
        self.queue_hours: dict[tuple[int, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.agent_hours: dict[tuple[int, str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.presence_hours: dict[tuple[int, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def add(self, call: SimCall, caller_uniqueid: str) -> None:
        self.calls += 1
        for visit in call.visits:
            self._visit(visit, caller_uniqueid)

    def _visit(self, visit: Visit, caller_uniqueid: str) -> None:
        agents = self.sc.agents
        hour = _hour(visit.joined)
        wait = visit.left - visit.joined
        answered = visit.status in _ANSWERED
        q = self.queue_hours[(hour, visit.queue.name)]
        q["offered"] += 1
        q["answered" if answered else visit.status] += 1
        if visit.status == TRANSFERRED:
            q[TRANSFERRED] += 1
        q["wait_s"] += wait
        q["wait_max_s"] = max(q["wait_max_s"], wait)
        if answered or visit.status == ABANDONED:
            kind = "answered" if answered else "abandoned"
            q[f"{kind}_wait_s"] += wait
            q[f"{kind}_wait_max_s"] = max(q[f"{kind}_wait_max_s"], wait)
        talk = visit.talk_end - visit.left if visit.talk_end is not None else None
        if answered:
            q["talk_s"] += talk
            for seconds in SL_THRESHOLDS:
                q[sl_column(seconds)] += wait <= seconds * 1000
        outcomes = [r.outcome for r in visit.rings]
        answering = None
        for ring in visit.rings:
            name = agents[ring.agent].name
            a = self.agent_hours[(hour, visit.queue.name, name)]
            a["rung"] += 1
            a["ring_s"] += ring.ended - ring.began
            if ring.outcome == ANSWER:
                answering = ring
                a["answered"] += 1
                a["talk_s"] += talk
                a[TRANSFERRED] += visit.status == TRANSFERRED
            a["ring_no_answer"] += ring.outcome == NOANSWER
            a["rejected"] += ring.outcome == BUSY
        if self.keep_visits:
            self.visits.append(VisitTruth(
                caller_uniqueid, visit.queue.name, hour / 1000, visit.status,
                agents[visit.agent].name if visit.agent is not None else None, _s(wait),
                _s(answering.ended - answering.began) if answering else None,
                _s(talk) if talk is not None else None,
                len(outcomes), outcomes.count(NOANSWER), outcomes.count(BUSY),
            ))

    def add_presence(self, presence: Presence) -> None:
        for agent, logins, pauses in zip(self.sc.agents, presence.logins, presence.pauses):
            for kind, spans in (("login_s", logins), ("pause_s", [(s, e) for s, e, _ in pauses])):
                for start, end in spans:
                    while start < end:
                        hour = _hour(start)
                        part = min(end, hour + HOUR_MS) - start
                        self.presence_hours[(hour, agent.name)][kind] += part
                        start += part

    # -- output ------------------------------------------------------------------------------

    def queue_rows(self) -> list[dict[str, Any]]:
        counts = ("offered", *QUEUE_STATUSES, *map(sl_column, SL_THRESHOLDS))
        return [
            {"hour": iso(h / 1000), "queue": queue,
             **{k: c.get(k, 0) for k in counts},
             **{k: _s(c.get(k, 0)) for k in _QUEUE_MS + _QUEUE_MAX_MS}}
            for (h, queue), c in sorted(self.queue_hours.items())
        ]

    def agent_rows(self) -> list[dict[str, Any]]:
        counts = ("rung", "answered", "ring_no_answer", "rejected", TRANSFERRED)
        return [
            {"hour": iso(h / 1000), "queue": queue, "agent": agent,
             **{k: c.get(k, 0) for k in counts}, **{k: _s(c.get(k, 0)) for k in _AGENT_MS}}
            for (h, queue, agent), c in sorted(self.agent_hours.items())
        ]

    def presence_rows(self) -> list[dict[str, Any]]:
        return [
            {"hour": iso(h / 1000), "agent": agent, "login_s": _s(c.get("login_s", 0)), "pause_s": _s(c.get("pause_s", 0))}
            for (h, agent), c in sorted(self.presence_hours.items())
        ]

    def totals(self) -> dict[str, Any]:
        per_queue: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for (_, queue), c in self.queue_hours.items():
            for k in ("offered", *QUEUE_STATUSES):
                per_queue[queue][k] += c.get(k, 0)
        overall = {k: sum(q[k] for q in per_queue.values()) for k in ("offered", *QUEUE_STATUSES)}
        return {"calls": self.calls, "queue_visits": overall["offered"], "by_status": overall,
                "by_queue": {q: dict(c) for q, c in sorted(per_queue.items())}}

    def document(self) -> dict[str, Any]:
        sc = self.sc
        scenario = asdict(sc)
        scenario["start"] = iso(sc.start)
        return {
            "generator": "cdr-agent callgen",
            "scenario": scenario,
            "totals": self.totals(),
            "queue_hours": self.queue_rows(),
            "agent_hours": self.agent_rows(),
            "presence_hours": self.presence_rows(),
        }

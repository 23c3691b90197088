"""The simulation: who calls when, which agents ring, who answers, who gives up.

Pure and deterministic (one `random.Random` per scenario). Calls are decided one at a time in
arrival order: the caller first in line gets the first agent free, and an agent takes a new
ring only after everything earlier callers reserved of it, so it never has two calls at once.
Times are integer milliseconds, the resolution of the Timestamp headers written, so the truth
is computed from exactly the moments the stream carries.

What app_queue does that the simulation follows: `rrmemory` rings one member at a time, in
turn after the last one rung; `ringall` rings every free member at once, the first to answer
wins and the others are cancelled; a member that does not answer within the member timeout
is a RINGNOANSWER, the queue waits `retry` seconds before the next round; the queue timeout
and a caller hanging up both cut a ring in progress.
"""
from __future__ import annotations

import heapq
import random
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Optional

from .config import RINGALL, AgentSpec, QueueSpec, Scenario

ANSWER, NOANSWER, BUSY, CANCEL = "ANSWER", "NOANSWER", "BUSY", "CANCEL"
ANSWERED, TRANSFERRED, ABANDONED, TIMEOUT = "answered", "transferred", "abandoned", "timeout"
HOUR_MS = 3_600_000
_NEVER = 1 << 62
_AFTER_RING_MS = 150  # a queue timeout right after a ring-out is moved this far from it
_HOSTILE_NAMES = ('Robert"); DROP TABLE calls;--', "Zoë 🚀 <evil@x>", "tab\there", "名前 テスト",
                  "O'Neil, \"Bob\"", "bell\x07name", "%s%n%x", "x" * 200)
_NAMES = ("Jean Dupont", "Maria Rossi", "Ahmed Benali", "Anna Kowalska", "John Smith",
          "Sofia García", "Lukas Becker", "Emma Wilson", "CUSTOMER", "")


@dataclass
class Ring:
    """One member rung for one caller (a queue attempt)."""

    agent: int  # index in Scenario.agents
    began: int
    ended: int  # answered (ANSWER) or stopped ringing
    outcome: str  # ANSWER | NOANSWER | BUSY | CANCEL


@dataclass
class Visit:
    """A caller's stay in one queue."""

    queue: QueueSpec
    joined: int
    left: int  # connected to the agent, or gone
    position: int
    status: str  # answered | transferred | abandoned | timeout
    rings: list[Ring] = field(default_factory=list)
    agent: Optional[int] = None  # who answered
    talk_end: Optional[int] = None  # the answering agent's first hang-up


@dataclass
class TransferOut:
    at: int  # the agent's BlindTransfer
    number: str
    answered: int
    ended: int


@dataclass
class SimCall:
    arrival: int
    caller_num: str
    caller_name: str
    dnis: str
    visits: list[Visit]
    hangup_by: str  # caller | agent | transfer (who ended the talk; caller when nobody answered)
    ended: int  # the caller's hang-up
    transfer: Optional[TransferOut] = None


@dataclass
class Presence:
    """Per agent: logged-in spans and pauses (start, end, reason), in ms, over all queues."""

    logins: list[list[tuple[int, int]]]
    pauses: list[list[tuple[int, int, str]]]


class Simulation:
    def __init__(self, scenario: Scenario) -> None:
        self.sc = scenario
        self.rng = random.Random(scenario.seed)
        self.start = int(scenario.start * 1000)
        self.queues = {q.name: q for q in scenario.queues}
        self.members = {q.name: [i for i, a in enumerate(scenario.agents) if q.name in a.queues] for q in scenario.queues}
        self.pointer = {q.name: -1 for q in scenario.queues}
        self.waiting: dict[str, list[int]] = {q.name: [] for q in scenario.queues}
        self.arrivals = self._arrivals()
        horizon = (self.arrivals[-1][0] if self.arrivals else self.start) + 3 * HOUR_MS
        self.presence = self._presence(horizon)
        self.free_at = [0] * len(scenario.agents)
        self._spans = [_available(l, p) for l, p in zip(self.presence.logins, self.presence.pauses)]
        self._span_starts = [[s for s, _ in spans] for spans in self._spans]
        self.last_end = self.start

    # -- arrivals and presence ----------------------------------------------------------------

    def _arrivals(self) -> list[tuple[int, QueueSpec]]:
        sc, rng = self.sc, self.rng
        weights = [q.share for q in sc.queues]
        t, out = float(self.start), []
        for _ in range(sc.calls):
            t += rng.expovariate(sc.rate_per_h / HOUR_MS)
            out.append((int(t), rng.choices(sc.queues, weights)[0]))
        return out

    def _presence(self, horizon: int) -> Presence:
        """Everyone logs in 10 min before the first call; once a day each agent logs out for
        30-90 min; breaks come about every `pause_every_s`. The final log-out is set when the
        last call has ended (`finish`)."""
        rng, sc = self.rng, self.sc
        logins, pauses = [], []
        login = self.start - 600_000
        for _ in sc.agents:
            spans, since, day = [], login, login
            while day < horizon:
                gap_at = day + rng.randrange(2 * HOUR_MS, 22 * HOUR_MS)
                spans.append((since, gap_at))
                since = gap_at + rng.randrange(1_800_000, 5_400_000)
                day += 24 * HOUR_MS
            spans.append((since, _NEVER))
            logins.append(spans)
            breaks, t = [], login
            while True:
                t += int(rng.expovariate(1 / (sc.pause_every_s * 1000)))
                if t >= horizon:
                    break
                end = t + rng.randrange(300_000, 900_000)
                if any(s <= t and end < e for s, e in spans):
                    breaks.append((t, end, rng.choice(("break", "lunch", "training", "admin", ""))))
                    t = end
            pauses.append(breaks)
        return Presence(logins, pauses)

    def finish(self) -> Presence:
        """Close the last login of every agent a minute after the last call ended."""
        end = self.last_end + 60_000
        logins = [[(s, min(e, end)) for s, e in spans if s < end] for spans in self.presence.logins]
        pauses = [[(s, min(e, end), r) for s, e, r in p if s < end] for p in self.presence.pauses]
        self.presence = Presence(logins, pauses)
        return self.presence

    # -- calls -------------------------------------------------------------------------------------

    def calls(self) -> Iterator[SimCall]:
        for arrival, queue in self.arrivals:
            call = self._call(arrival, queue)
            self.last_end = max(self.last_end, call.ended + 1)
            yield call

    def _call(self, arrival: int, queue: QueueSpec) -> SimCall:
        rng, sc = self.rng, self.sc
        if rng.random() < sc.hostile_names_p:
            name = rng.choice(_HOSTILE_NAMES)
        else:
            name = rng.choice(_NAMES)
        num = f"+33{rng.randrange(100_000_000, 999_999_999)}"
        joined = arrival + _ms(rng.uniform(*sc.greeting_s))
        visits = [self._visit(queue, joined)]
        if visits[0].status == TIMEOUT and queue.overflow:
            visits.append(self._visit(self.queues[queue.overflow], visits[0].left + 200))
        last = visits[-1]
        call = SimCall(arrival, num, name, _dnis(sc, queue), visits, "caller", last.left + 1)
        if last.agent is None:
            call.ended = last.left + (1000 if last.status == TIMEOUT else 1)
            return call
        talk = _ms(max(5.0, rng.gammavariate(2.0, sc.talk_mean_s / 2)))
        if rng.random() < sc.transfer_p:
            at = last.left + talk
            last.status, last.talk_end = TRANSFERRED, at + 1
            answered = at + 50 + _ms(rng.uniform(2, 8))
            ended = answered + _ms(rng.uniform(20, 120))
            call.transfer = TransferOut(at, f"0{rng.randrange(100_000_000, 999_999_999)}", answered, ended)
            call.hangup_by, call.ended = "transfer", ended
        else:
            last.talk_end = last.left + talk
            call.hangup_by = rng.choice(("caller", "agent"))
            call.ended = last.talk_end + (0 if call.hangup_by == "caller" else 1)
        self.free_at[last.agent] = last.talk_end + _ms(sc.wrapup_s)
        return call

    def _visit(self, queue: QueueSpec, joined: int) -> Visit:
        rng = self.rng
        line = self.waiting[queue.name]
        while line and line[0] <= joined:
            heapq.heappop(line)
        patience = _ms(rng.expovariate(1 / self.sc.patience_mean_s))
        timeout = _ms(queue.timeout_s)
        gives_up = ABANDONED if patience < timeout else TIMEOUT
        visit = Visit(queue, joined, joined + min(patience, timeout), len(line) + 1, gives_up)
        t = joined
        while True:
            free = self._free_members(queue, t)
            if free is None or free[0] >= visit.left:
                break
            ta, agents = free
            if self._ring_round(visit, queue, ta, agents):
                break
            t = max(r.ended for r in visit.rings if r.began == ta) + _ms(queue.retry_s)
        if visit.agent is None:
            self._give_up(visit)
        heapq.heappush(line, visit.left)
        return visit

    def _free_members(self, queue: QueueSpec, t: int) -> Optional[tuple[int, list[int]]]:
        """The earliest moment >= t some member can be rung, and who is rung then."""
        members = self.members[queue.name]
        times = [(self._earliest(a, t), i, a) for i, a in enumerate(members)]
        first = min((at for at, _, _ in times if at is not None), default=None)
        if first is None:
            return None
        ready = [(i, a) for at, i, a in times if at == first]
        if queue.strategy == RINGALL:
            return first, [a for _, a in ready]
        n, last = len(members), self.pointer[queue.name]
        i, agent = min(ready, key=lambda pair: (pair[0] - last - 1) % n)
        self.pointer[queue.name] = i
        return first, [agent]

    def _earliest(self, agent: int, t: int) -> Optional[int]:
        t = max(t, self.free_at[agent])
        starts, spans = self._span_starts[agent], self._spans[agent]
        i = bisect_right(starts, t) - 1
        if i >= 0 and t < spans[i][1]:
            return t
        return starts[i + 1] if i + 1 < len(starts) else None

    def _ring_round(self, visit: Visit, queue: QueueSpec, ta: int, agents: list[int]) -> bool:
        """Ring `agents` at ta; True when the hunt is over (one answered, or the caller left)."""
        rng, sc = self.rng, self.sc
        timeout = _ms(queue.member_timeout_s)
        plans = []
        for a in agents:
            spec: AgentSpec = sc.agents[a]
            r = rng.random()
            if r < spec.answer_p:
                delay = _ms(rng.uniform(*sc.answer_delay_s))
                plans.append((a, ANSWER, ta + delay) if delay < timeout else (a, NOANSWER, ta + timeout))
            elif r < spec.answer_p + spec.reject_p:
                plans.append((a, BUSY, ta + _ms(rng.uniform(*sc.reject_delay_s))))
            else:
                plans.append((a, NOANSWER, ta + timeout))
        answers = sorted((at, a) for a, kind, at in plans if kind == ANSWER and at < visit.left)
        stop = answers[0][0] if answers else visit.left  # rings still going then are cancelled
        for a, kind, at in plans:
            if kind == ANSWER and answers and a == answers[0][1]:
                ring = Ring(a, ta, at, ANSWER)
            elif at < stop and kind != ANSWER:
                ring = Ring(a, ta, at, kind)
            else:
                ring = Ring(a, ta, stop, CANCEL)
            visit.rings.append(ring)
            self.free_at[a] = max(self.free_at[a], ring.ended)
        if answers:
            visit.agent, visit.left, visit.status = answers[0][1], answers[0][0], ANSWERED
            return True
        return any(r.outcome == CANCEL for r in visit.rings if r.began == ta)

    def _give_up(self, visit: Visit) -> None:
        """The caller leaves unanswered at visit.left; keep a queue timeout clear of a ring-out
        that just ended (the builder reads a ring-out at the timeout as cut by it)."""
        if visit.status != TIMEOUT:
            return
        ring_outs = [r.ended for r in visit.rings if r.outcome == NOANSWER and r.ended <= visit.left]
        if ring_outs and visit.left - max(ring_outs) < _AFTER_RING_MS:
            visit.left = max(ring_outs) + _AFTER_RING_MS


def _ms(seconds: float) -> int:
    return int(round(seconds * 1000))


def _dnis(sc: Scenario, queue: QueueSpec) -> str:
    return f"50{sc.queues.index(queue):02d}"


def _available(logins: list[tuple[int, int]], pauses: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
    """Logged-in time minus pauses, as sorted spans."""
    out: list[tuple[int, int]] = []
    for start, end in logins:
        cursor = start
        for p_start, p_end, _ in pauses:
            if p_end <= cursor or p_start >= end:
                continue
            if p_start > cursor:
                out.append((cursor, p_start))
            cursor = max(cursor, p_end)
        if cursor < end:
            out.append((cursor, end))
    return out

"""From simulated calls to one AMI byte stream, in time order, with its truth beside it.

The stream is what a recorder connected to a PJSIP call centre would receive: one channel per
party (`PJSIP/trunk-...` for callers, `PJSIP/agentNNN-...` for agents), app_queue's events for
every queue step, a BlindTransfer when an agent sends the caller on, QueueMember* events for
log-ins, log-outs and breaks. app_queue's own quirks are kept, since a recorder must cope with
them: a member rejecting a call is reported RINGNOANSWER as well as BUSY, a queue timeout is
sent as QueueCallerAbandon (QUEUESTATUS=TIMEOUT tells it apart) and the ring it cuts as a
RINGNOANSWER.

Calls are rendered as they are simulated and kept in a heap until no later call can come
before them, so memory stays bounded however long the stream.
"""
from __future__ import annotations

import heapq
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Optional

from .config import Scenario
from .simulate import ANSWER, BUSY, CANCEL, NOANSWER, TIMEOUT, Presence, SimCall, Simulation, Visit
from .truth import Truth
from .wire import BANNER, CAUSES, GOODBYE, LOGIN, Channel, member, message

_CHUNK = 1 << 20


class CallGenerator:
    """`chunks()` yields the stream; `truth` is complete once it has been consumed."""

    def __init__(self, scenario: Scenario, full: bool = False, keep_visits: bool = False) -> None:
        self.sc = scenario
        self.full = full
        self.truth = Truth(scenario, keep_visits)
        self.events = 0
        self.calls = 0  # calls rendered so far
        self._heap: list[tuple[int, int, str]] = []
        self._seq = 0
        self._ids = 0

    def chunks(self, size: int = _CHUNK) -> Iterator[bytes]:
        parts, length = [BANNER + LOGIN], 0
        for text in self._messages():
            parts.append(text)
            length += len(text)
            if length >= size:
                yield "".join(parts).encode()
                parts, length = [], 0
        parts.append(GOODBYE)
        yield "".join(parts).encode()

    def write(self, folder: Path, progress: Optional[Callable[[int], object]] = None) -> dict:
        """folder/ami.log (the stream) and folder/truth.json; returns the truth document.
        `progress(n)` is told each time n more calls are written."""
        folder.mkdir(parents=True, exist_ok=True)
        done = 0
        with open(folder / "ami.log", "wb") as fh:
            for chunk in self.chunks():
                fh.write(chunk)
                if progress is not None:
                    progress(self.calls - done)
                    done = self.calls
        doc = self.truth.document()
        (folder / "truth.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
        return doc

    # -- ordering ----------------------------------------------------------------------------

    def _messages(self) -> Iterator[str]:
        sim = Simulation(self.sc)
        plan = self._presence_events(sim.presence)
        planned = 0
        for call in sim.calls():
            while planned < len(plan) and plan[planned][0] < call.arrival:
                self._push(*plan[planned])
                planned += 1
            yield from self._due(call.arrival)
            self._render(call)
        final = sim.finish()
        self.truth.add_presence(final)
        end = sim.last_end + 60_000
        for t, text in plan[planned:]:
            if t < end:
                self._push(t, text)
        self._log_out_all(final, end)
        yield from self._due(None)

    def _push(self, t_ms: int, text: str) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (t_ms, self._seq, text))

    def _due(self, before: Optional[int]) -> Iterator[str]:
        heap = self._heap
        while heap and (before is None or heap[0][0] < before):
            self.events += 1
            yield heapq.heappop(heap)[2]

    def _uniqueid(self, t_ms: int) -> tuple[str, int]:
        self._ids += 1
        return f"{t_ms // 1000}.{self._ids}", self._ids

    # -- presence ----------------------------------------------------------------------------

    def _presence_events(self, presence: Presence) -> list[tuple[int, str]]:
        """Log-ins, log-outs and pauses as planned (the final log-out comes later)."""
        out = []
        for agent, logins, pauses in zip(self.sc.agents, presence.logins, presence.pauses):
            for start, end in logins:
                out += [(start, self._member("QueueMemberAdded", start, agent, q, start)) for q in agent.queues]
                out += [(end, self._member("QueueMemberRemoved", end, agent, q, start)) for q in agent.queues]
            for start, end, reason in pauses:
                login = max(s for s, _ in logins if s <= start)
                out += [(start, self._member("QueueMemberPause", start, agent, q, login, True, reason)) for q in agent.queues]
                out += [(end, self._member("QueueMemberPause", end, agent, q, login, False)) for q in agent.queues]
        out.sort(key=lambda item: item[0])
        return out

    def _member(self, name, t_ms, agent, queue, login_ms, paused=False, reason="") -> str:
        return member(name, t_ms, self.full, queue, agent.name, agent.interface, login_ms, paused, reason)

    def _log_out_all(self, presence: Presence, end: int) -> None:
        for agent, logins in zip(self.sc.agents, presence.logins):
            if logins and logins[-1][1] == end:
                for queue in agent.queues:
                    self._push(end, self._member("QueueMemberRemoved", end, agent, queue, logins[-1][0]))

    # -- one call ----------------------------------------------------------------------------

    def _event(self, name: str, t_ms: int, *parts: str, **headers: object) -> None:
        self._push(t_ms, message(name, t_ms, self.full, *parts, **headers))

    def _render(self, call: SimCall) -> None:
        full = self.full
        uid, n = self._uniqueid(call.arrival)
        self.calls += 1
        caller = Channel(f"PJSIP/trunk-{n:08x}", uid, uid, call.caller_num, call.caller_name, "from-trunk", call.dnis, "Ring")
        self.truth.add(call, uid)
        self._event("Newchannel", call.arrival, caller.snapshot("", full))
        caller.state = "Up"  # answered before the greeting
        self._event("Newstate", call.arrival + 20, caller.snapshot("", full))
        agent_chan = None
        for visit in call.visits:
            agent_chan = self._visit(visit, caller)
        if agent_chan is None:
            self._hangup(caller, call.ended)
            return
        self._talk_end(call, call.visits[-1], caller, agent_chan)

    def _visit(self, visit: Visit, caller: Channel) -> Optional[Channel]:
        """The queue steps of one visit; returns the answering agent's channel."""
        full, q = self.full, visit.queue.name
        me = caller.snapshot("", full)
        self._event("QueueCallerJoin", visit.joined, me, Queue=q, Position=visit.position, Count=visit.position)
        answered = None
        for ring in visit.rings:
            spec = self.sc.agents[ring.agent]
            uid, n = self._uniqueid(ring.began)
            chan = Channel(f"{spec.interface}-{n:08x}", uid, caller.uniqueid, caller.num, caller.cid_name, "agents", "s")
            who = {"Queue": q, "Interface": spec.interface, "MemberName": spec.name}
            self._event("Newchannel", ring.began, chan.snapshot("", full))
            self._event("AgentCalled", ring.began, me, chan.snapshot("Dest", full), **who)
            self._event("DialBegin", ring.began, me, chan.snapshot("Dest", full), DialString=spec.interface[6:])
            chan.state = "Ringing"
            if full:
                self._event("Newstate", ring.began, chan.snapshot("", full))
            if ring.outcome == ANSWER:
                answered = (ring, chan, who)
                continue
            self._ring_end(visit, ring, chan, me, who)
        if answered is None:
            self._leave(visit, caller)
            return None
        ring, chan, who = answered
        chan.state = "Up"
        self._event("DialEnd", ring.ended, me, chan.snapshot("Dest", full), DialStatus=ANSWER)
        if full:
            self._event("Newstate", ring.ended, chan.snapshot("", full))
        self._event("QueueCallerLeave", visit.left, me, Queue=q, Position=1, Count=0)
        self._event("AgentConnect", visit.left, me, chan.snapshot("Dest", full), **who,
                    HoldTime=(visit.left - visit.joined) // 1000, RingTime=(ring.ended - ring.began) // 1000)
        return chan

    def _ring_end(self, visit: Visit, ring, chan: Channel, me: str, who: dict) -> None:
        full, t = self.full, ring.ended
        dest = chan.snapshot("Dest", full)
        ring_ms = t - ring.began
        if ring.outcome == CANCEL and not (visit.status == TIMEOUT and t == visit.left):
            self._event("DialEnd", t, me, dest, DialStatus=CANCEL)
            cause = 26 if visit.agent is not None else 16
        elif ring.outcome == BUSY:
            self._event("DialEnd", t, me, dest, DialStatus=BUSY)
            self._event("AgentRingNoAnswer", t, me, dest, **who, RingTime=ring_ms)
            cause = 17
        else:  # NOANSWER, or a ring the queue timeout cut, which app_queue reports the same way
            self._event("AgentRingNoAnswer", t, me, dest, **who, RingTime=ring_ms)
            self._event("DialEnd", t, me, dest, DialStatus=NOANSWER)
            cause = 19
        self._hangup(chan, t, cause)

    def _leave(self, visit: Visit, caller: Channel) -> None:
        me, q = caller.snapshot("", self.full), visit.queue.name
        hold = (visit.left - visit.joined) // 1000
        self._event("QueueCallerAbandon", visit.left, me, Queue=q, Position=1, OriginalPosition=visit.position, HoldTime=hold)
        self._event("QueueCallerLeave", visit.left, me, Queue=q, Position=1, Count=0)
        if visit.status == TIMEOUT:
            self._event("VarSet", visit.left, me, Variable="QUEUESTATUS", Value="TIMEOUT")

    def _talk_end(self, call: SimCall, visit: Visit, caller: Channel, agent: Channel) -> None:
        full = self.full
        spec = self.sc.agents[visit.agent]
        who = {"Queue": visit.queue.name, "Interface": spec.interface, "MemberName": spec.name}
        hold, talk = (visit.left - visit.joined) // 1000, (visit.talk_end - visit.left) // 1000
        transfer = call.transfer
        if transfer is not None:
            self._event("BlindTransfer", transfer.at, Result="Success", **_prefixed("Transferer", agent, full),
                        **_prefixed("Transferee", caller, full), IsExternal="Yes",
                        Context="from-internal", Extension=transfer.number)
            caller.move("from-internal", transfer.number)
            self._event("AgentComplete", transfer.at, caller.snapshot("", full), agent.snapshot("Dest", full),
                        **who, HoldTime=hold, TalkTime=talk, Reason="transfer")
            self._hangup(agent, visit.talk_end)
            self._transfer_out(call, caller)
            return
        first, second = (caller, agent) if call.hangup_by == "caller" else (agent, caller)
        self._hangup(first, visit.talk_end)
        self._event("AgentComplete", visit.talk_end, caller.snapshot("", full), agent.snapshot("Dest", full),
                    **who, HoldTime=hold, TalkTime=talk, Reason=call.hangup_by)
        self._hangup(second, visit.talk_end + 1)

    def _transfer_out(self, call: SimCall, caller: Channel) -> None:
        full, transfer = self.full, call.transfer
        start = transfer.at + 50
        uid, n = self._uniqueid(start)
        target = Channel(f"PJSIP/trunk-{n:08x}", uid, caller.uniqueid, transfer.number, "", "from-trunk", "s")
        me = caller.snapshot("", full)
        self._event("Newchannel", start, target.snapshot("", full))
        self._event("DialBegin", start, me, target.snapshot("Dest", full), DialString=f"trunk/{transfer.number}")
        target.state = "Up"
        self._event("DialEnd", transfer.answered, me, target.snapshot("Dest", full), DialStatus=ANSWER)
        self._hangup(caller, transfer.ended)
        self._hangup(target, transfer.ended + 1)

    def _hangup(self, chan: Channel, t_ms: int, cause: int = 16) -> None:
        self._event("Hangup", t_ms, chan.snapshot("", self.full), Cause=cause, Cause_txt=CAUSES[cause])


def _prefixed(prefix: str, chan: Channel, full: bool) -> dict[str, str]:
    """A channel snapshot as `prefix`-named headers (BlindTransfer's Transferer*/Transferee*)."""
    lines = chan.snapshot(prefix, full).split("\r\n")
    return dict(line.split(": ", 1) for line in lines if line)

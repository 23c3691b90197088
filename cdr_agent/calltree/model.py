"""The call tree: call -> legs -> attempts, transfers, conferences, application contexts.

Plain dataclasses, filled in by the builder and read by the store and renderers. Times are
float epoch seconds (UTC) as carried by the events; conversion to ISO text happens only in
`document.py`. Leg references between objects are our `leg_id`s, never Asterisk uniqueids,
and may point at a leg of another call (a parked call retrieved by a new call, a conference).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .vocab import IN_PROGRESS


@dataclass
class Party:
    """A caller-id or connected-line pair; `None` where Asterisk said `<unknown>`."""

    num: Optional[str] = None
    name: Optional[str] = None


@dataclass
class Leg:
    """One channel. A Local channel is two legs (`;1` and `;2`) pointing at each other."""

    leg_id: str
    uniqueid: str
    channel: str
    caller: Party = field(default_factory=Party)
    connected: Party = field(default_factory=Party)
    created_at: Optional[float] = None
    answered_at: Optional[float] = None
    ended_at: Optional[float] = None
    hangup_cause: Optional[int] = None
    local_peer: Optional[str] = None
    context: Optional[str] = None
    exten: Optional[str] = None
    # Went Up, whether or not the stream says when: a stream without timestamps still
    # tells who answered, by the order and content of its events.
    answered: bool = False


@dataclass
class Attempt:
    """One destination rung from one leg. `outcome` uses Asterisk's DIALSTATUS words."""

    seq: int
    from_leg: Optional[str]
    to_leg: Optional[str]
    dialstring: Optional[str]
    via: str
    began_at: Optional[float]
    outcome: Optional[str] = None
    app_id: Optional[str] = None
    answered_at: Optional[float] = None
    ended_at: Optional[float] = None
    hop_leg: Optional[str] = None  # the Local ;2 leg that dialled on behalf of from_leg
    agent: Optional[str] = None  # queue member name (AgentCalled MemberName)

    @property
    def ring_s(self) -> Optional[float]:
        stop = self.answered_at if self.answered_at is not None else self.ended_at
        if stop is None or self.began_at is None:
            return None
        return round(max(0.0, stop - self.began_at), 3)

    @property
    def talk_s(self) -> Optional[float]:
        if self.answered_at is None:
            return 0.0 if self.ended_at is not None and self.outcome != "ANSWER" else None
        if self.ended_at is None:
            return None
        return round(max(0.0, self.ended_at - self.answered_at), 3)


@dataclass
class Transfer:
    seq: int
    kind: str  # "blind" | "attended"
    transferer_leg: Optional[str]
    transferee_leg: Optional[str]
    at: Optional[float]
    target_leg: Optional[str] = None
    target_exten: Optional[str] = None
    target_context: Optional[str] = None
    completed: bool = False


@dataclass
class ConferenceMember:
    leg: str
    joined_at: Optional[float]
    left_at: Optional[float] = None


@dataclass
class Conference:
    room: str
    bridge_id: str
    members: list[ConferenceMember] = field(default_factory=list)


@dataclass
class AppContext:
    """Where the call spent time in an application: queue, ivr, ringgroup, park, parkedcall..."""

    app_id: str
    app: str
    name: Optional[str]
    leg: Optional[str]
    entered_at: Optional[float]
    left_at: Optional[float] = None
    result: Optional[str] = None
    position: Optional[int] = None
    data: dict[str, str] = field(default_factory=dict)

    @property
    def wait_s(self) -> Optional[float]:
        if self.entered_at is None or self.left_at is None:
            return None
        return round(max(0.0, self.left_at - self.entered_at), 3)


@dataclass
class Call:
    call_id: str
    server: str
    linkedids: list[str] = field(default_factory=list)
    started_at: Optional[float] = None
    answered_at: Optional[float] = None
    ended_at: Optional[float] = None
    status: str = IN_PROGRESS
    answered: bool = False  # the caller reached a person (see BuildState.finish)
    time_source: str = "none"  # TIME_SOURCES: where the times come from
    caller: Party = field(default_factory=Party)  # who started the interaction
    dialed: Optional[str] = None  # what they dialled (the first leg's extension)
    legs: list[Leg] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    transfers: list[Transfer] = field(default_factory=list)
    conferences: list[Conference] = field(default_factory=list)
    apps: list[AppContext] = field(default_factory=list)
    user_data: dict[str, str] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)  # vocab.GAP, vocab.STALE: see resync.py

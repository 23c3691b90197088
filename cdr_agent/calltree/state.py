"""The builder's working memory: live legs, calls, bridges and open attempts.

Everything here is plain data indexed the ways the event handlers need to look it up.
Asterisk's uniqueid is only ever used together with the server name, and only while the
call it belongs to is open: a finished call is dropped from every index but `recent`, which
keeps the last few thousand for AGI observations that come after the call ended.
"""
from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional

from ..ami.event import Event
from .model import Attempt, AppContext, Call, Conference, Leg, Party, Transfer
from .observation import Observation
from .settings import TreeSettings
from .vocab import COMPLETE, IN_PROGRESS, INCOMPLETE

if TYPE_CHECKING:
    from .agionly import AgiLeg

# Our ids are uuid5 of (server, Asterisk uniqueid): deterministic, so replaying the same
# stream twice gives the same ids (idempotent writes), and distinct across servers.
_NAMESPACE = uuid.UUID("6f1d3c1e-2b0a-4c8e-9a57-3d9f2f0c0a11")

UNKNOWN_IDS = {"<unknown>", ""}

# Finished calls remembered by their legs' uniqueids, for AGI observations that arrive after
# the call ended (a classic AGI's spool file is read up to a second or so later). Counted in
# legs, oldest forgotten first: at 50 new calls a second this is about half a minute of slack.
RECENT_LEGS = 4096


def make_id(kind: str, server: str, uniqueid: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{kind}\x1f{server}\x1f{uniqueid}"))


def mark_up(st: Optional["LegState"], ev: Event) -> None:
    """Note when a channel was first seen answered (its snapshot says Up)."""
    if st is not None and not st.leg.answered and ev.headers.get("ChannelStateDesc") == "Up":
        answer_once(st, ev.time)


def answer_once(st: "LegState", at: Optional[float]) -> None:
    """A channel answered at `at` unless it already had: the first sign of an answer is kept
    (AMI reports it as it happens); the two halves of a Local channel answer together."""
    for half in (st, st.peer):
        if half is not None and not half.leg.answered:
            half.leg.answered, half.leg.answered_at = True, at


def describe(call: Call) -> None:
    """Fill the call's origin: the first leg that runs dialplan for its party (for a Local
    pair the `;2` half; the `;1` half's caller id follows connected-line updates)."""
    origin = next(
        (leg for leg in call.legs if not (leg.channel.startswith("Local/") and leg.channel.endswith(";1"))),
        call.legs[0] if call.legs else None,
    )
    if origin is not None:
        call.caller = Party(origin.caller.num, origin.caller.name)
        call.dialed = origin.exten or None


def party(num: Optional[str], name: Optional[str]) -> Party:
    return Party(
        num=None if num is None or num in UNKNOWN_IDS else num,
        name=None if name is None or name in UNKNOWN_IDS else name,
    )


@dataclass(eq=False)
class LegState:
    """A live channel: its model leg plus what the builder tracks about it."""

    leg: Leg
    call: "CallState"
    server: str
    bridge: Optional[str] = None  # bridge uniqueid it is in now
    left_bridge: Optional[str] = None  # the bridge it last left
    peer: Optional["LegState"] = None  # the other half of a Local channel
    pending_transfer: Optional[Transfer] = None  # blind transfer whose target it dials next
    queue: Optional["QueueVisit"] = None  # queue it waits in
    ivr: Optional[AppContext] = None
    ringgroup: Optional[AppContext] = None
    open_attempts: list[Attempt] = field(default_factory=list)  # as caller, still ringing
    dialled_by: Optional[Attempt] = None  # the attempt that rang this leg
    consult_of: Optional["Consultation"] = None  # attended-transfer consultation it serves
    parked: Optional[AppContext] = None
    last_queue: Optional["QueueVisit"] = None
    queue_entry: Optional[tuple[str, Optional[float]]] = None  # Queue() started: (queue, when)
    from_ami: bool = True  # False for a leg known only from AGI observations
    hung_up: bool = False  # its Hangup was seen (ended_at may still be unknown: no timestamps)
    hanging_up: bool = False  # a (Soft)HangupRequest was seen: what it runs now is cleanup
    vanished: bool = False  # a channel list said it was gone (resync.py); an event of it revives it
    # What vanishing took from it, given back if an event revives it: its bridge, and the
    # answered attempts its hang-up would end.
    kept: Optional[tuple[Optional[str], list[Attempt]]] = None
    context_app: Optional[AppContext] = None  # the application its dialplan context is (contexts.py)
    park_return: Optional[AppContext] = None  # parked, timed out: its next dial calls the parker back
    dial_args: Optional[str] = None  # Newexten's AppData of a Dial() about to start
    dialling: Optional["DialApp"] = None  # the Dial() it runs, until it returns (calltree/dialapp.py)
    forwarding: bool = False  # its Dial() was redirected (302): the next destination is a forward
    ordinal: int = 0  # creation order among the builder's legs (order, not time)
    agi: Optional["AgiLeg"] = None  # AGI-only bookkeeping (calltree/agionly.py)

    def dialplan_went_on(self) -> None:
        """It runs dialplan (other than hang-up handling) after leaving its queue: Queue()
        returned to it, so it did not abandon."""
        visit = self.last_queue
        if visit is not None and self.queue is None and not self.hanging_up:
            visit.went_on = True

    @property
    def is_local_one(self) -> bool:
        return self.leg.channel.startswith("Local/") and self.leg.channel.endswith(";1")

    @property
    def is_local_two(self) -> bool:
        return self.leg.channel.startswith("Local/") and self.leg.channel.endswith(";2")


@dataclass(eq=False)
class DialApp:
    """A Dial() the leg runs: its destinations, and those that became a DialBegin."""

    destinations: list[str]
    began_at: Optional[float]
    legs_made: int  # BuildState.legs_made when it began: channels it made come after
    rung: list[tuple[str, str]] = field(default_factory=list)  # (DestChannel, DialString)


@dataclass(eq=False)
class QueueVisit:
    """A caller's stay in one queue, and the facts its result is settled from."""

    app: AppContext
    leg: LegState
    connected: bool = False
    left: bool = False  # QueueCallerLeave, QueueCallerAbandon or AgentConnect was seen
    went_on: bool = False  # after leaving, the caller's dialplan went on (it did not hang up)
    status: Optional[str] = None  # QUEUESTATUS, when the dialplan variable was seen
    # Rings that ended unanswered since the queue last called an agent: the ones a queue
    # timeout may have cut.
    last_no_answers: list[Attempt] = field(default_factory=list)


@dataclass(eq=False)
class Consultation:
    """An attended transfer under way: the transferer talks to `target` while the
    transferee waits in `held_bridge`."""

    transfer: Transfer
    transferer: LegState
    held_bridge: str
    target: LegState


@dataclass(eq=False)
class CallState:
    call: Call
    legs: dict[str, LegState] = field(default_factory=dict)  # leg_id -> state
    live: int = 0  # legs not hung up yet
    queues: list[QueueVisit] = field(default_factory=list)
    seen_at: Optional[float] = None  # when a channel list last showed it alive (resync.py)
    done: bool = False  # finished and handed out; a later change hands it out again (restore)
    joined_mid_call: bool = False  # a leg was first seen after its start (status incomplete)
    merged_into: Optional["CallState"] = None  # merged into another call: that one stands for it

    def add_attempt(self, attempt: Attempt) -> Attempt:
        attempt.seq = len(self.call.attempts) + 1
        self.call.attempts.append(attempt)
        return attempt

    def add_transfer(self, transfer: Transfer) -> Transfer:
        transfer.seq = len(self.call.transfers) + 1
        self.call.transfers.append(transfer)
        return transfer

    def add_app(self, app: str, name: Optional[str], leg: Optional[LegState], at: Optional[float]) -> AppContext:
        ctx = AppContext(
            app_id=f"{self.call.call_id}:{len(self.call.apps) + 1}",
            app=app,
            name=name,
            leg=leg.leg.leg_id if leg else None,
            entered_at=at,
        )
        self.call.apps.append(ctx)
        return ctx


@dataclass(eq=False)
class Bridge:
    bridge_id: str
    kind: str  # BridgeType: basic, parking, base (confbridge)...
    members: list[LegState] = field(default_factory=list)
    conference: Optional[Conference] = None
    # The calls whose documents hold this conference (one shared member list): each is
    # stored again when a member joins or leaves after it finished.
    calls: list["CallState"] = field(default_factory=list)


class BuildState:
    """Indexes over live calls for one builder (possibly several servers)."""

    legs_made = 0  # a class default keeps checkpoints of older builders loading
    restored = 0  # finished calls handed out again after a change
    settings = TreeSettings()

    def __init__(self, settings: Optional[TreeSettings] = None) -> None:
        self.settings = settings or TreeSettings()
        self.legs: dict[tuple[str, str], LegState] = {}  # (server, uniqueid)
        self.calls_by_linkedid: dict[tuple[str, str], CallState] = {}
        self.open_calls: dict[str, CallState] = {}  # call_id -> state, in creation order
        self.bridges: dict[tuple[str, str], Bridge] = {}
        self.talking: dict[str, list[Attempt]] = {}  # leg_id -> answered attempts not ended
        self.consultations: dict[str, Consultation] = {}  # transferer leg_id -> consultation
        self.finished: list[Call] = []
        self.dropped_call_ids: list[str] = []  # calls merged into another call
        self.skipped: dict[str, int] = {}
        # Legs a resync found gone (their Hangup was missed), and calls it closed for that, by
        # linkedid: an event of such a leg, or a new channel of such a call, revives them.
        # The last RECENT_LEGS of each are remembered.
        self.gone: OrderedDict[tuple[str, str], CallState] = OrderedDict()
        self.closed_unseen: OrderedDict[tuple[str, str], CallState] = OrderedDict()
        self.recent: OrderedDict[tuple[str, str], Call] = OrderedDict()  # (server, uniqueid), see RECENT_LEGS
        self.unplaced: list[Observation] = []  # AGI observations no call could take (enrich-only mode)

    def restore(self, call: Call) -> None:
        """A call that finished changed afterwards (a conference member left, late AGI user
        data): hand it out again, so whatever stored it stores it again. The one way a stored
        call is brought up to date."""
        if all(c is not call for c in self.finished):
            self.restored += 1
            self.finished.append(call)

    def restore_finished(self, states: list["CallState"]) -> None:
        """`restore` those of these calls that have finished (merged ones stand for theirs)."""
        for cs in states:
            while cs.merged_into is not None:
                cs = cs.merged_into
            if cs.done:
                self.restore(cs.call)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def talk(self, attempt: Attempt) -> None:
        """Register an answered attempt so the first hang-up of either party ends it (not of
        the Local hop between them: an optimised-away hop hangs up while they talk on)."""
        for leg_id in {attempt.from_leg, attempt.to_leg} - {None}:
            self.talking.setdefault(leg_id, []).append(attempt)

    # ---- legs and calls -------------------------------------------------------------

    def new_call(self, server: str, uniqueid: str, linkedid: Optional[str]) -> CallState:
        call = CallState(Call(call_id=make_id("call", server, uniqueid), server=server))
        self.open_calls[call.call.call_id] = call
        if linkedid:
            self.link(call, server, linkedid)
        return call

    def link(self, call: CallState, server: str, linkedid: str) -> None:
        if linkedid not in call.call.linkedids:
            call.call.linkedids.append(linkedid)
        self.calls_by_linkedid.setdefault((server, linkedid), call)

    def add_leg(self, ev: Event, prefix: str = "", call: Optional[CallState] = None) -> Optional[LegState]:
        """Create a leg from a channel snapshot (`prefix` selects `Dest`, `Transferee`...)."""
        h = ev.headers
        uniqueid = h.get(prefix + "Uniqueid")
        channel = h.get(prefix + "Channel")
        if not uniqueid or channel is None:
            return None
        server = ev.server
        linkedid = h.get(prefix + "Linkedid")
        if call is None and linkedid:
            call = self.calls_by_linkedid.get((server, linkedid))
            if call is None and (server, linkedid) in self.closed_unseen:
                call = self.closed_unseen.pop((server, linkedid))  # closed by a wrong channel list
                self.reopen(call)
        if call is None:
            call = self.new_call(server, uniqueid, linkedid)
        elif linkedid:
            self.link(call, server, linkedid)
        leg = Leg(
            leg_id=make_id("leg", server, uniqueid),
            uniqueid=uniqueid,
            channel=channel,
            caller=party(h.get(prefix + "CallerIDNum"), h.get(prefix + "CallerIDName")),
            connected=party(h.get(prefix + "ConnectedLineNum"), h.get(prefix + "ConnectedLineName")),
            created_at=ev.time,
            context=h.get(prefix + "Context"),
            exten=h.get(prefix + "Exten"),
        )
        self.legs_made += 1
        state = LegState(leg=leg, call=call, server=server, ordinal=self.legs_made)
        call.call.legs.append(leg)
        call.legs[leg.leg_id] = state
        call.live += 1
        if call.call.started_at is None or (ev.time is not None and ev.time < call.call.started_at):
            call.call.started_at = ev.time
        if call.call.time_source == "none":
            call.call.time_source = ev.time_source
        self.legs[(server, uniqueid)] = state
        if state.is_local_two:
            one = self.find_channel(server, channel[:-1] + "1", call)
            if one is not None:
                self.pair_local(one, state)
        return state

    def find_channel(self, server: str, channel: str, call: CallState) -> Optional[LegState]:
        for st in reversed(list(call.legs.values())):
            if st.leg.channel == channel and not st.hung_up and st.server == server:
                return st
        return None

    @staticmethod
    def pair_local(one: LegState, two: LegState) -> None:
        one.peer, two.peer = two, one
        one.leg.local_peer, two.leg.local_peer = two.leg.leg_id, one.leg.leg_id

    def leg(self, ev: Event, prefix: str = "", create: bool = True) -> Optional[LegState]:
        """The live leg an event speaks of; a leg first seen mid-call is created and its
        call flagged incomplete (we did not see it start)."""
        uniqueid = ev.headers.get(prefix + "Uniqueid")
        if not uniqueid:
            return None
        key = (ev.server, uniqueid)
        state = self.legs.get(key)
        if state is None:
            if key in self.gone:
                state = self.revive(key)
            elif create:
                state = self.add_leg(ev, prefix)
                if state is not None:
                    self.joined_mid_call(state.call)
        return state

    @staticmethod
    def joined_mid_call(cs: "CallState") -> None:
        cs.joined_mid_call, cs.call.status = True, INCOMPLETE

    def revive(self, key: tuple[str, str]) -> Optional["LegState"]:
        """An event of a leg a channel list called gone: it was alive, the list was wrong.
        The leg, and its call if that had been closed, are live again; the end comes with its
        real Hangup."""
        cs = self.gone.pop(key)
        while cs.merged_into is not None:
            cs = cs.merged_into
        st = next((s for s in cs.legs.values() if (s.server, s.leg.uniqueid) == key), None)
        if st is None:
            return None
        st.vanished = False
        self.legs[key] = st
        if st.kept is not None:
            (bridge_id, talk), st.kept = st.kept, None
            self.talking.setdefault(st.leg.leg_id, []).extend(talk)
            bridge = self.bridges.get((st.server, bridge_id or ""))
            if bridge is not None and st not in bridge.members:
                bridge.members.append(st)
                st.bridge = bridge_id
        cs.live += 1
        self.reopen(cs)
        return st

    def reopen(self, cs: "CallState") -> None:
        """A call closed because its legs seemed gone is open again (never split in two)."""
        if cs.call.call_id in self.open_calls:
            return
        self.open_calls[cs.call.call_id] = cs
        for linkedid in cs.call.linkedids:
            self.calls_by_linkedid[(cs.call.server, linkedid)] = cs
            self.closed_unseen.pop((cs.call.server, linkedid), None)
        cs.done = False
        cs.call.status = INCOMPLETE if cs.joined_mid_call else IN_PROGRESS
        cs.call.ended_at = None

    def bridge(self, ev: Event, prefix: str = "") -> Optional[Bridge]:
        bridge_id = ev.headers.get(prefix + "BridgeUniqueid")
        if not bridge_id:
            return None
        key = (ev.server, bridge_id)
        bridge = self.bridges.get(key)
        if bridge is None:
            bridge = Bridge(bridge_id=bridge_id, kind=ev.headers.get(prefix + "BridgeType", ""))
            self.bridges[key] = bridge
        return bridge

    def leave_bridge(self, st: LegState) -> None:
        if st.bridge is None:
            return
        bridge = self.bridges.get((st.server, st.bridge))
        if bridge is not None and st in bridge.members:
            bridge.members.remove(st)
        st.left_bridge, st.bridge = st.bridge, None

    def finish(self, state: CallState) -> None:
        """Every leg has hung up: the call is done; forget its Asterisk ids."""
        call = state.call
        ended = [leg.ended_at for leg in call.legs if leg.ended_at is not None]
        call.ended_at = max(ended) if ended else None
        reached = [a for a in call.attempts if a.outcome == "ANSWER" and a.via != "originate"]
        joined = [app for app in call.apps if app.app == "conference"]
        call.answered = bool(reached or joined)
        moments = [a.answered_at for a in reached] + [app.entered_at for app in joined]
        moments = [t for t in moments if t is not None]
        call.answered_at = min(moments) if moments else None
        unseen = any(st.vanished for st in state.legs.values())
        call.status = INCOMPLETE if state.joined_mid_call or unseen else COMPLETE
        describe(call)
        for st in state.legs.values():
            key = (st.server, st.leg.uniqueid)
            if self.legs.get(key) is st:
                del self.legs[key]
            self.consultations.pop(st.leg.leg_id, None)
            self.recent[key] = call
            self.recent.move_to_end(key)
        while len(self.recent) > RECENT_LEGS:
            self.recent.popitem(last=False)
        for linkedid in call.linkedids:
            if self.calls_by_linkedid.get((call.server, linkedid)) is state:
                del self.calls_by_linkedid[(call.server, linkedid)]
        self.open_calls.pop(call.call_id, None)
        state.done = True
        self.finished.append(call)

    def merge(self, src: CallState, into: CallState) -> None:
        """Two calls turned out to be one interaction (an attended transfer joined them)."""
        dst = into
        for st in src.legs.values():
            st.call = dst
            dst.legs[st.leg.leg_id] = st
        dst.call.legs.extend(src.call.legs)
        dst.live += src.live
        renamed: dict[str, str] = {}
        for app in src.call.apps:
            new_id = f"{dst.call.call_id}:{len(dst.call.apps) + 1}"
            renamed[app.app_id], app.app_id = new_id, new_id
            dst.call.apps.append(app)
        for attempt in src.call.attempts:
            attempt.app_id = renamed.get(attempt.app_id, attempt.app_id) if attempt.app_id else None
            dst.add_attempt(attempt)
        for transfer in src.call.transfers:
            dst.add_transfer(transfer)
        for conference in src.call.conferences:
            if conference not in dst.call.conferences:
                dst.call.conferences.append(conference)
        dst.queues.extend(src.queues)
        for linkedid in src.call.linkedids:
            if linkedid not in dst.call.linkedids:
                dst.call.linkedids.append(linkedid)
            self.calls_by_linkedid[(src.call.server, linkedid)] = dst
        starts = [t for t in (dst.call.started_at, src.call.started_at) if t is not None]
        dst.call.started_at = min(starts) if starts else None
        dst.call.user_data = {**src.call.user_data, **dst.call.user_data}
        dst.call.flags += [flag for flag in src.call.flags if flag not in dst.call.flags]
        self.open_calls.pop(src.call.call_id, None)
        self.dropped_call_ids.append(src.call.call_id)
        src.merged_into = dst


def upgrade(b: BuildState) -> None:
    """State saved by a release before who answered was kept apart from when (a daemon
    checkpoint): set the flags its times stood for."""
    calls = [cs.call for cs in b.open_calls.values()] + list(b.recent.values())
    for call in calls:
        if "time_source" not in vars(call):
            call.time_source = "asterisk" if call.started_at is not None else "none"
        for leg in call.legs:
            if "answered" not in vars(leg):
                leg.answered = leg.answered_at is not None
    for bridge in b.bridges.values():
        if "calls" not in vars(bridge):
            bridge.calls = []
    if "closed_unseen" not in vars(b):
        b.gone, b.closed_unseen = OrderedDict(b.gone), OrderedDict()
    for cs in b.open_calls.values():
        if "joined_mid_call" not in vars(cs):
            cs.joined_mid_call = cs.call.status == INCOMPLETE
        for st in cs.legs.values():
            if "hung_up" not in vars(st):
                st.hung_up = st.leg.ended_at is not None
        for visit in cs.queues:
            if "left" not in vars(visit):
                visit.left = visit.app.left_at is not None or vars(visit).get("abandoned_at") is not None

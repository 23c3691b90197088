"""AMI messages as Asterisk 22 writes them (see the recorded traces): `Key: Value` lines ending
in CRLF, a blank line after each message, `Timestamp:` (timestampevents=yes) on every event.

`full` writes every header Asterisk sends; the compact form keeps the headers a recorder
reads (what `eventfilter` cannot trim, but a generator may, to keep test streams small).
"""
from __future__ import annotations

from dataclasses import dataclass, field

BANNER = "Asterisk Call Manager/11.0.0\r\n"
LOGIN = "Response: Success\r\nActionID: callgen-1\r\nMessage: Authentication accepted\r\n\r\n"
GOODBYE = "Response: Goodbye\r\nActionID: bye\r\nMessage: Thanks for all the fish.\r\n\r\n"

_STATE_CODES = {"Down": "0", "Ring": "4", "Ringing": "5", "Up": "6"}
_AGENT_EVENTS = frozenset({
    "QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon", "AgentCalled", "AgentRingNoAnswer",
    "AgentConnect", "AgentComplete", "QueueMemberAdded", "QueueMemberRemoved", "QueueMemberPause",
    "QueueMemberStatus",
})
CAUSES = {16: "Normal Clearing", 17: "User busy", 19: "No user responding", 26: "Answered elsewhere"}


def clock(t_ms: int) -> str:
    """Epoch milliseconds as a Timestamp header value (Asterisk prints microseconds)."""
    return f"{t_ms // 1000}.{t_ms % 1000:03d}000"


@dataclass(eq=False)
class Channel:
    """A channel's snapshot, as repeated in every event about it."""

    name: str
    uniqueid: str
    linkedid: str
    num: str
    cid_name: str
    context: str
    exten: str
    state: str = "Down"
    _cache: dict[tuple[str, str, bool], str] = field(default_factory=dict, repr=False)

    def move(self, context: str, exten: str) -> None:
        self.context, self.exten = context, exten
        self._cache.clear()

    def snapshot(self, prefix: str, full: bool) -> str:
        key = (prefix, self.state, full)
        text = self._cache.get(key)
        if text is None:
            text = self._cache[key] = self._render(prefix, full)
        return text

    def _render(self, p: str, full: bool) -> str:
        name = self.cid_name or "<unknown>"
        if not full:
            return (f"{p}Channel: {self.name}\r\n{p}ChannelStateDesc: {self.state}\r\n"
                    f"{p}CallerIDNum: {self.num}\r\n{p}CallerIDName: {name}\r\n"
                    f"{p}Context: {self.context}\r\n{p}Exten: {self.exten}\r\n"
                    f"{p}Uniqueid: {self.uniqueid}\r\n{p}Linkedid: {self.linkedid}\r\n")
        return (f"{p}Channel: {self.name}\r\n{p}ChannelState: {_STATE_CODES[self.state]}\r\n"
                f"{p}ChannelStateDesc: {self.state}\r\n{p}CallerIDNum: {self.num}\r\n"
                f"{p}CallerIDName: {name}\r\n{p}ConnectedLineNum: <unknown>\r\n"
                f"{p}ConnectedLineName: <unknown>\r\n{p}Language: en\r\n{p}AccountCode: \r\n"
                f"{p}Context: {self.context}\r\n{p}Exten: {self.exten}\r\n{p}Priority: 1\r\n"
                f"{p}Uniqueid: {self.uniqueid}\r\n{p}Linkedid: {self.linkedid}\r\n")


def message(name: str, t_ms: int, full: bool, *parts: str, **headers: object) -> str:
    """One event: `parts` are channel snapshots, `headers` the event's own fields in order."""
    head = f"Event: {name}\r\n"
    if full:
        head += f"Privilege: {'agent' if name in _AGENT_EVENTS else 'call'},all\r\n"
    own = "".join(f"{key.replace('_', '-')}: {value}\r\n" for key, value in headers.items())
    return f"{head}Timestamp: {clock(t_ms)}\r\n{''.join(parts)}{own}\r\n"


def member(name: str, t_ms: int, full: bool, queue: str, agent: str, interface: str, login_ms: int,
           paused: bool, reason: str = "") -> str:
    """A QueueMember* event (the member's whole state, as app_queue sends it)."""
    if not full:
        return message(name, t_ms, full, Queue=queue, MemberName=agent, Interface=interface,
                       LoginTime=login_ms // 1000, Paused=int(paused), PausedReason=reason)
    return message(
        name, t_ms, full, Queue=queue, MemberName=agent, Interface=interface, StateInterface=interface,
        Membership="dynamic", Penalty=0, CallsTaken=0, LastCall=0, LastPause=0,
        LoginTime=login_ms // 1000, InCall=0, Status=1, Paused=int(paused), PausedReason=reason,
        Ringinuse=0, Wrapuptime=0,
    )

"""Hand-written AMI streams for rules no recording holds: a channel is a small object that
writes the events Asterisk sends about it, without timestamps unless a test asks for them."""
from __future__ import annotations

from typing import Optional

from cdr_agent.calltree.settings import TreeSettings
from cdr_agent.ingest import Ingest
from cdr_agent.replay import read_events
from tracekit import documents


class Chan:
    """One channel's snapshot headers (Asterisk's names), under one linkedid."""

    def __init__(self, name: str, uid: str, linkedid: Optional[str] = None, num: str = "", context: str = "from-internal",
                 exten: str = "s") -> None:
        self.name, self.uid, self.linkedid = name, uid, linkedid or uid
        self.num, self.context, self.exten, self.state = num, context, exten, "Down"

    def snap(self, prefix: str = "") -> dict[str, str]:
        return {f"{prefix}Channel": self.name, f"{prefix}ChannelStateDesc": self.state,
                f"{prefix}CallerIDNum": self.num, f"{prefix}CallerIDName": "", f"{prefix}ConnectedLineNum": "",
                f"{prefix}ConnectedLineName": "", f"{prefix}Context": self.context, f"{prefix}Exten": self.exten,
                f"{prefix}Uniqueid": self.uid, f"{prefix}Linkedid": self.linkedid}

    def ev(self, name: str, **extra: str) -> dict[str, str]:
        return {"Event": name, **self.snap(), **extra}

    def new(self) -> dict[str, str]:
        return self.ev("Newchannel")

    def up(self) -> dict[str, str]:
        self.state = "Up"
        return self.ev("Newstate")

    def hangup(self, cause: str = "16") -> dict[str, str]:
        return self.ev("Hangup", Cause=cause)

    def exten_app(self, app: str, data: str = "", context: Optional[str] = None, exten: Optional[str] = None) -> dict[str, str]:
        self.context, self.exten = context or self.context, exten or self.exten
        return self.ev("Newexten", Application=app, AppData=data)

    def var(self, name: str, value: str) -> dict[str, str]:
        return self.ev("VarSet", Variable=name, Value=value)

    def dial_begin(self, dest: "Chan", dialstring: str = "") -> dict[str, str]:
        return {"Event": "DialBegin", **self.snap(), **dest.snap("Dest"), "DialString": dialstring}

    def dial_end(self, dest: "Chan", status: str, **extra: str) -> dict[str, str]:
        return {"Event": "DialEnd", **self.snap(), **dest.snap("Dest"), "DialStatus": status, **extra}

    def enter(self, bridge: str) -> dict[str, str]:
        return self.ev("BridgeEnter", BridgeUniqueid=bridge, BridgeType="basic")

    def leave(self, bridge: str) -> dict[str, str]:
        return self.ev("BridgeLeave", BridgeUniqueid=bridge, BridgeType="basic")


def local_pair(name: str, uid: str, linkedid: str, context: str = "from-internal") -> tuple[Chan, Chan]:
    return (Chan(f"Local/{name}@{context}-00000001;1", uid + "1", linkedid, context=context),
            Chan(f"Local/{name}@{context}-00000001;2", uid + "2", linkedid, context=context))


def wire(events: list[dict[str, str]], times: bool = False) -> bytes:
    """AMI bytes of the events; with `times`, one second apart from an arbitrary epoch."""
    out = ["Asterisk Call Manager/5.0.0\r\n"]
    for i, e in enumerate(events):
        headers = {**e, "Timestamp": f"{1795000000 + i:.6f}"} if times else e
        out.append("".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n")
    return "".join(out).encode()


def replay(events: list[dict[str, str]], settings: Optional[TreeSettings] = None, times: bool = False) -> list[dict]:
    ingest = Ingest(settings=settings)
    ingest.events(read_events([wire(events, times)], "pbx"))
    still_open = ingest.close()
    assert not ingest.stats.failures, ingest.stats.failures
    return documents(ingest.finished + still_open)


def names(doc: dict) -> dict[Optional[str], str]:
    """leg id -> channel name (None -> None), to read attempts by channel."""
    return {None: None, **{leg["leg_id"]: leg["channel"] for leg in doc["legs"]}}  # type: ignore[dict-item]


def attempts(doc: dict) -> list[tuple]:
    """(from channel, to channel, outcome, via) in order."""
    n = names(doc)
    return [(n.get(a["from_leg"]), n.get(a["to_leg"]), a["outcome"], a["via"]) for a in doc["attempts"]]

"""Beyond the lab's Local channels: real PJSIP channels, SystemName-prefixed uniqueids, and
streams cut down by manager.conf `eventfilter`."""
from __future__ import annotations

import pytest

from cdr_agent.ingest import Ingest
from cdr_agent.replay import file_chunks, read_events
from tracekit import TRACES, documents

T0 = 1795000000.0


def _ami(events: list[dict[str, str]]) -> bytes:
    out = ["Asterisk Call Manager/11.0.0"]
    for e in events:
        out.append("".join(f"{k}: {v}\r\n" for k, v in e.items()))
    return ("\r\n".join(out[:1]) + "\r\n" + "\r\n".join(out[1:]) + "\r\n").encode()


def _chan(name: str, uid: str, t: float, state: str = "Ring", num: str = "", **extra: str) -> dict[str, str]:
    return {"Timestamp": f"{T0 + t:.6f}", "Channel": name, "ChannelStateDesc": state, "CallerIDNum": num,
            "CallerIDName": "", "ConnectedLineNum": "", "ConnectedLineName": "", "Context": "from-internal",
            "Exten": extra.pop("Exten", "201"), "Uniqueid": uid, "Linkedid": "pbx1-1795000000.1", **extra}


def _dial(event: str, caller: tuple[str, str], dest: tuple[str, str], t: float, **extra: str) -> dict[str, str]:
    e = {"Event": event, **_chan(*caller, t, "Up"), "DestChannel": dest[0], "DestUniqueid": dest[1],
         "DestChannelStateDesc": "Ringing", "DestLinkedid": "pbx1-1795000000.1", **extra}
    return e


ALICE = ("PJSIP/alice-00000001", "pbx1-1795000000.1")
BOB = ("PJSIP/bob-00000002", "pbx1-1795000000.2")
CAROL = ("PJSIP/carol-00000003", "pbx1-1795000005.3")
BRIDGE = {"BridgeUniqueid": "b-1", "BridgeType": "basic", "BridgeTechnology": "simple_bridge"}
BRIDGE2 = {"BridgeUniqueid": "b-2", "BridgeType": "basic", "BridgeTechnology": "simple_bridge"}

PJSIP_BLIND_TRANSFER = [
    {"Event": "Newchannel", **_chan(*ALICE, 0, num="100")},
    {"Event": "Newchannel", **_chan(*BOB, 0.1, "Down", num="201")},
    _dial("DialBegin", ALICE, BOB, 0.1, DialString="bob"),
    _dial("DialEnd", ALICE, BOB, 2.0, DialStatus="ANSWER"),
    {"Event": "BridgeEnter", **_chan(*BOB, 2.0, "Up"), **BRIDGE},
    {"Event": "BridgeEnter", **_chan(*ALICE, 2.0, "Up"), **BRIDGE},
    {"Event": "BlindTransfer", "Timestamp": f"{T0 + 5:.6f}", "Result": "Success",
     "TransfererChannel": BOB[0], "TransfererUniqueid": BOB[1], "TransfereeChannel": ALICE[0],
     "TransfereeUniqueid": ALICE[1], "IsExternal": "Yes", "Context": "from-internal", "Extension": "202", **BRIDGE},
    {"Event": "BridgeLeave", **_chan(*BOB, 5.0, "Up"), **BRIDGE},
    {"Event": "Hangup", **_chan(*BOB, 5.0, "Up"), "Cause": "16"},
    {"Event": "BridgeLeave", **_chan(*ALICE, 5.0, "Up"), **BRIDGE},
    {"Event": "Newchannel", **_chan(*CAROL, 5.1, "Down", num="202")},
    _dial("DialBegin", ALICE, CAROL, 5.1, DialString="carol"),
    _dial("DialEnd", ALICE, CAROL, 8.1, DialStatus="ANSWER"),
    {"Event": "BridgeEnter", **_chan(*CAROL, 8.1, "Up"), **BRIDGE2},
    {"Event": "BridgeEnter", **_chan(*ALICE, 8.1, "Up"), **BRIDGE2},
    {"Event": "Hangup", **_chan(*ALICE, 12.0, "Up"), "Cause": "16"},
    {"Event": "Hangup", **_chan(*CAROL, 12.0, "Up"), "Cause": "16"},
]


def _build(data: bytes) -> list[dict]:
    ingest = Ingest()
    ingest.events(read_events([data], "pbx1"))
    return documents(ingest.finished + ingest.close())


def test_pjsip_blind_transfer_with_systemname_uniqueids() -> None:
    [doc] = _build(_ami(PJSIP_BLIND_TRANSFER))
    chan = {leg["leg_id"]: leg["channel"].split("-")[0] for leg in doc["legs"]}
    assert doc["status"] == "complete"
    assert [leg["uniqueid"] for leg in doc["legs"]] == [ALICE[1], BOB[1], CAROL[1]]
    assert all(leg["answered"] and leg["local_peer"] is None for leg in doc["legs"])
    assert [(chan[a["from_leg"]], chan[a["to_leg"]], a["via"], a["outcome"], a["ring_s"]) for a in doc["attempts"]] == [
        ("PJSIP/alice", "PJSIP/bob", "dial", "ANSWER", 1.9),
        ("PJSIP/alice", "PJSIP/carol", "transfer", "ANSWER", 3.0),
    ]
    [t] = doc["transfers"]
    assert (t["kind"], chan[t["transferer_leg"]], chan[t["transferee_leg"]], chan[t["target_leg"]], t["completed"]) == (
        "blind", "PJSIP/bob", "PJSIP/alice", "PJSIP/carol", True)
    assert doc["caller"] == {"num": "100", "name": None} and doc["dialed"] == "201"


# What an eventfilter that keeps only call-flow events lets through.
FILTERED_OUT = {b"Newstate", b"Newexten", b"VarSet", b"NewCallerid", b"NewConnectedLine", b"LocalBridge",
                b"AGIExecStart", b"AGIExecEnd", b"DeviceStateChange", b"Cdr", b"UserEvent", b"HangupRequest",
                b"SoftHangupRequest", b"MusicOnHoldStart", b"MusicOnHoldStop", b"Hold", b"Unhold"}


def _filtered(data: bytes) -> bytes:
    kept = [m for m in data.split(b"\r\n\r\n") if not any(m.startswith(b"Event: " + n + b"\r\n") for n in FILTERED_OUT)]
    return b"\r\n\r\n".join(kept)


def _shape(doc: dict) -> tuple:
    chan = {leg["leg_id"]: leg["channel"] for leg in doc["legs"]}
    return (
        sorted((leg["channel"], leg["answered"]) for leg in doc["legs"]),
        [(chan.get(a["from_leg"]), chan.get(a["to_leg"]), a["via"], a["outcome"]) for a in doc["attempts"]],
        [(t["kind"], chan.get(t["target_leg"]), t["completed"]) for t in doc["transfers"]],
        [(a["app"], a["result"]) for a in doc["apps"]],
    )


@pytest.mark.parametrize("name", ["01_basic_answered", "05_caller_cancel", "06_blind_transfer",
                                  "08_attended_transfer", "10_queue_answered", "14_ringgroup", "18_parking"])
def test_eventfiltered_stream_gives_the_same_tree(name: str) -> None:
    data = b"".join(file_chunks(TRACES / name / "ami.log"))
    full, cut = _build(data), _build(_filtered(data))
    assert len(cut) == len(full)
    assert [_shape(d) for d in cut] == [_shape(d) for d in full]


AGENT_HOP_1 = ("Local/301@agents-00000001;1", "pbx1-1795000001.4")
AGENT_HOP_2 = ("Local/301@agents-00000001;2", "pbx1-1795000001.5")
AGENT = ("PJSIP/agent1-00000004", "pbx1-1795000001.6")
QUEUE = {"Queue": "support", "Interface": "Local/301@agents/n", "MemberName": "M1"}

QUEUE_WITH_LOCAL_MEMBER = [
    {"Event": "Newchannel", **_chan(*ALICE, 0, num="100", Exten="600")},
    {"Event": "QueueCallerJoin", **_chan(*ALICE, 0.5, "Up", num="100", Exten="600"), "Queue": "support", "Position": "1"},
    {"Event": "Newchannel", **_chan(*AGENT_HOP_1, 0.6, "Down", Exten="301")},
    {"Event": "Newchannel", **_chan(*AGENT_HOP_2, 0.6, Exten="301")},
    {**_dial("AgentCalled", ALICE, AGENT_HOP_1, 0.6), **QUEUE},
    _dial("DialBegin", ALICE, AGENT_HOP_1, 0.6, DialString="Local/301@agents/n"),
    {"Event": "Newchannel", **_chan(*AGENT, 0.7, "Down", num="301")},
    _dial("DialBegin", AGENT_HOP_2, AGENT, 0.7, DialString="agent1"),
    _dial("DialEnd", AGENT_HOP_2, AGENT, 3.0, DialStatus="ANSWER"),
    _dial("DialEnd", ALICE, AGENT_HOP_1, 3.0, DialStatus="ANSWER"),
    {"Event": "QueueCallerLeave", **_chan(*ALICE, 3.0, "Up", num="100", Exten="600"), "Queue": "support", "Position": "1"},
    {**_dial("AgentConnect", ALICE, AGENT_HOP_1, 3.0), **QUEUE, "HoldTime": "3", "RingTime": "2"},
    {"Event": "BridgeEnter", **_chan(*AGENT_HOP_1, 3.0, "Up"), **BRIDGE},
    {"Event": "BridgeEnter", **_chan(*ALICE, 3.0, "Up"), **BRIDGE},
    {"Event": "BridgeEnter", **_chan(*AGENT_HOP_2, 3.0, "Up"), **BRIDGE2},
    {"Event": "BridgeEnter", **_chan(*AGENT, 3.0, "Up"), **BRIDGE2},
    # Local channel optimisation: the hop leaves, Alice and the agent talk on.
    {"Event": "LocalOptimizationBegin", "Timestamp": f"{T0 + 3.5:.6f}", "LocalOneChannel": AGENT_HOP_1[0],
     "LocalOneUniqueid": AGENT_HOP_1[1], "LocalTwoChannel": AGENT_HOP_2[0], "LocalTwoUniqueid": AGENT_HOP_2[1]},
    {"Event": "BridgeLeave", **_chan(*AGENT_HOP_1, 3.6, "Up"), **BRIDGE},
    {"Event": "BridgeLeave", **_chan(*AGENT, 3.6, "Up"), **BRIDGE2},
    {"Event": "BridgeEnter", **_chan(*AGENT, 3.6, "Up"), **BRIDGE},
    {"Event": "Hangup", **_chan(*AGENT_HOP_1, 3.6, "Up"), "Cause": "16"},
    {"Event": "Hangup", **_chan(*AGENT_HOP_2, 3.6, "Up"), "Cause": "16"},
    {"Event": "Hangup", **_chan(*ALICE, 20.0, "Up"), "Cause": "16"},
    {"Event": "Hangup", **_chan(*AGENT, 20.0, "Up"), "Cause": "16"},
]


def test_queue_member_behind_an_optimised_local_channel_is_one_attempt() -> None:
    [doc] = _build(_ami(QUEUE_WITH_LOCAL_MEMBER))
    chan = {leg["leg_id"]: leg["channel"] for leg in doc["legs"]}
    [attempt] = doc["attempts"]
    assert (chan[attempt["from_leg"]], chan[attempt["to_leg"]], chan[attempt["hop_leg"]]) == (ALICE[0], AGENT[0], AGENT_HOP_2[0])
    assert (attempt["via"], attempt["outcome"], attempt["agent"]) == ("queue", "ANSWER", "M1")
    assert attempt["ring_s"] == 2.4 and attempt["talk_s"] == 17.0  # talk goes on after the hop is gone
    [queue] = doc["apps"]
    assert (queue["app"], queue["result"], attempt["app_id"]) == ("queue", "answered", queue["app_id"])
    assert doc["status"] == "complete" and len(doc["legs"]) == 4


@pytest.mark.parametrize("status, result", [("JOINEMPTY", "joinempty"), ("FULL", "full")])
def test_queue_the_caller_never_joined_is_recorded(status: str, result: str) -> None:
    events = [
        {"Event": "Newchannel", **_chan(*ALICE, 0, num="100", Exten="600")},
        {"Event": "Newexten", **_chan(*ALICE, 0.5, "Up", num="100", Exten="600"),
         "Application": "Queue", "AppData": "support,t,,,300"},
        {"Event": "VarSet", **_chan(*ALICE, 0.6, "Up", num="100", Exten="600"),
         "Variable": "QUEUESTATUS", "Value": status},
        {"Event": "Hangup", **_chan(*ALICE, 3.0, "Up", num="100", Exten="600"), "Cause": "16"},
    ]
    [doc] = _build(_ami(events))
    [queue] = doc["apps"]
    assert (queue["app"], queue["name"], queue["result"], queue["wait_s"]) == ("queue", "support", result, 0.1)
    assert doc["attempts"] == []

"""Beyond the lab's Local channels: real PJSIP channels, SystemName-prefixed uniqueids, and
streams cut down by manager.conf `eventfilter`."""
from __future__ import annotations

import pytest

from cdr_agent.calltree.document import to_document
from cdr_agent.replay import Ingest, file_chunks, read_events
from tracekit import TRACES

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
    ingest = Ingest(writer=None)
    ingest.events(read_events([data], "pbx1"))
    return [to_document(c) for c in ingest.finished + ingest.close()]


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

"""AGI-only building on dialplans the lab did not record: our own dialplan's notes, retries,
ring groups, a callee that transfers, and an AGI channel inside an AMI call."""
from __future__ import annotations

from cdr_agent.agi.observation import Observation
from cdr_agent.agi.rebuild import rebuild
from cdr_agent.calltree.builder import CallTreeBuilder
from cdr_agent.calltree.document import to_document
from tracekit import replay_documents

A, B, C = "PJSIP/100-00000001", "PJSIP/201-00000002", "PJSIP/202-00000003"
T0 = 1795000000.0  # uniqueids carry their creation second: "1795000000.1"


def obs(label: str, uniqueid: str, channel: str, t: float, **variables: str) -> Observation:
    env = {"agi_uniqueid": uniqueid, "agi_channel": channel}
    values = {"CHANNEL(linkedid)": "1795000000.1", "CHANNEL(state)": "Up", "CALLERID(num)": "100", **variables}
    return Observation.from_agi("pbx", env, values, T0 + t, label=label)


def _doc(observations: list[Observation]) -> dict:
    (call,) = rebuild(observations)
    return to_document(call)


def test_retries_to_the_same_busy_phone_are_two_attempts() -> None:
    """Two Dial()s that both fail the same way look alike; each post-Dial run is its own
    attempt, and the hangup handler's repeat of the last one is not."""
    fail = {"DIALSTATUS": "NOANSWER", "CDRAGENT_DIALSTRING": "PJSIP/201", "CDRAGENT_EXTEN": "201",
            "CDRAGENT_CONTEXT": "from-internal", "CHANNEL(state)": "Ring"}
    doc = _doc([obs("postdial", "1795000000.1", A, 20.0, **fail), obs("postdial", "1795000000.1", A, 40.0, **fail),
                obs("hangup", "1795000000.1", A, 41.0, **fail)])
    assert [(a["outcome"], a["dialstring"], a["to_leg"]) for a in doc["attempts"]] == [("NOANSWER", "PJSIP/201", None)] * 2
    assert [a["ring_s"] for a in doc["attempts"]] == [20.0, 20.0]  # from its creation second, then from the first
    assert doc["dialed"] == "201" and doc["legs"][0]["context"] == "from-internal"
    assert doc["status"] == "complete" and doc["legs"][0]["answered"] is False


def test_ring_group_noted_by_our_dialplan() -> None:
    doc = _doc([obs("hangup", "1795000000.1", A, 10.0, DIALSTATUS="ANSWER", DIALEDPEERNAME=C, DIALEDPEERNUMBER="202",
                    CDRAGENT_DIALSTRING="PJSIP/201&PJSIP/202", CDRAGENT_EXTEN="400", DIALEDTIME_MS="10000",
                    ANSWEREDTIME_MS="6000")])
    (attempt,) = doc["attempts"]
    assert (attempt["via"], attempt["outcome"], attempt["ring_s"], attempt["talk_s"]) == ("ringgroup", "ANSWER", 4.0, 6.0)
    (group,) = doc["apps"]
    assert (group["app"], group["name"], group["result"], attempt["app_id"]) == ("ringgroup", "400", "answered", group["app_id"])
    assert doc["answered_at"] == doc["attempts"][0]["answered_at"] and doc["started_at"] == doc["legs"][0]["created_at"]


def test_caller_blind_transfers_the_callee() -> None:
    """A dials B; A transfers B to 202: B runs TRANSFER_CONTEXT (BLINDTRANSFER names A) and
    dials C; A's hangup handler names B as its Dial's peer. One call, B one leg."""
    doc = _doc([
        obs("hangup", "1795000000.1", A, 10.0, DIALSTATUS="ANSWER", DIALEDPEERNAME=B, DIALEDTIME_MS="10000",
            ANSWEREDTIME_MS="7000"),
        obs("transfer", "1795000000.2", B, 9.9, BLINDTRANSFER=A, EXTEN="202", CONTEXT="cdr-agent-transfer"),
        obs("hangup", "1795000000.2", B, 30.0, BLINDTRANSFER=A, DIALSTATUS="ANSWER", DIALEDPEERNAME=C),
    ])
    legs = {leg["leg_id"]: leg["channel"] for leg in doc["legs"]}
    assert sorted(legs.values()) == [A, B, C]
    assert [(legs[a["from_leg"]], legs[a["to_leg"]], a["via"]) for a in doc["attempts"]] == [(A, B, "dial"), (B, C, "transfer")]
    (transfer,) = doc["transfers"]
    assert (legs[transfer["transferer_leg"]], legs[transfer["transferee_leg"]], legs[transfer["target_leg"]]) == (A, B, C)


def test_unusable_observation_is_counted() -> None:
    builder = CallTreeBuilder()
    assert builder.observe(Observation("pbx", "hangup", "", A, 1.0)) == []
    assert builder.skipped == {"AGI observation without uniqueid": 1}


def test_agi_channel_the_ami_stream_missed_joins_its_call() -> None:
    """A channel that ran our AGI but never appeared on AMI (a filtered stream) is kept in
    its linkedid's call until its own hangup run; the AMI part of the tree is untouched."""
    from cdr_agent.ingest import Ingest
    from cdr_agent.replay import file_chunks, read_events
    from tracekit import TRACES

    ingest = Ingest()
    events = list(read_events(file_chunks(TRACES / "01_basic_answered" / "ami.log"), "a"))
    dial = next(i for i, e in enumerate(events) if e.name == "DialBegin" and "Linkedid" in e.headers)
    linkedid, at = events[dial].headers["Linkedid"], events[dial].time
    extra = {"agi_uniqueid": "9.9", "agi_channel": "PJSIP/spy-1"}
    ingest.events(events[:dial])
    ingest.builder.observe(Observation.from_agi("a", extra, {"CHANNEL(linkedid)": linkedid}, at, label="postdial"))
    ingest.events(events[dial:])
    assert ingest.finished == []  # the AGI-only leg is still up
    done = ingest.builder.observe(Observation.from_agi("a", extra, {"CHANNEL(linkedid)": linkedid}, at + 60, label="hangup"))
    (doc,) = [to_document(c) for c in done]
    (ami,) = replay_documents("01_basic_answered", with_agi=False)
    assert [leg["channel"] for leg in doc["legs"]] == [leg["channel"] for leg in ami["legs"]] + ["PJSIP/spy-1"]
    assert doc["attempts"] == ami["attempts"] and doc["status"] == "complete"

"""Rules of issue 10 that no shared recording holds, each on a hand-written stream with no
timestamps (the order of events alone must tell): destinations Dial() could not create,
forwards, pickups, parking comebacks, voicemail and admin-mapped application contexts, and
queue stays ended by the caller."""
from __future__ import annotations

from amikit import Chan, attempts, local_pair, replay
from cdr_agent.calltree.settings import SettingsError, TreeSettings

import pytest

ALICE = Chan("PJSIP/alice-00000001", "pbx-1.1", num="100")
L = "pbx-1.1"


def _alice() -> Chan:
    return Chan("PJSIP/alice-00000001", "pbx-1.1", num="100", exten="200")


def test_unregistered_destination_is_an_attempt_from_dialstatus() -> None:
    """Dial(PJSIP/bob&PJSIP/carol): carol is not registered, so no channel and no DialBegin;
    the Dial's arguments name her and she is an attempt that could not ring (CHANUNAVAIL)."""
    a, bob = _alice(), Chan("PJSIP/bob-00000002", "pbx-1.2", L)
    events = [a.new(), a.exten_app("Dial", "PJSIP/bob&PJSIP/carol,30"), a.var("DIALSTATUS", ""),
              bob.new(), a.dial_begin(bob, "bob"), bob.up(), a.dial_end(bob, "ANSWER"), a.up(),
              a.var("DIALSTATUS", "ANSWER"), a.hangup(), bob.hangup()]
    (doc,) = replay(events)
    assert attempts(doc) == [("PJSIP/alice-00000001", "PJSIP/bob-00000002", "ANSWER", "dial"),
                             ("PJSIP/alice-00000001", None, "CHANUNAVAIL", "ringgroup")]
    assert doc["attempts"][1]["dialstring"] == "PJSIP/carol"


def test_dial_that_rang_nobody_takes_its_dialstatus() -> None:
    a = _alice()
    events = [a.new(), a.exten_app("Dial", "PJSIP/bob,30"), a.var("DIALSTATUS", ""),
              a.var("DIALSTATUS", "CONGESTION"), a.exten_app("Hangup"), a.hangup()]
    (doc,) = replay(events)
    assert attempts(doc) == [("PJSIP/alice-00000001", None, "CONGESTION", "dial")]
    assert doc["answered"] is False


def test_local_channel_to_a_missing_extension_is_the_attempt_target() -> None:
    """A Local channel is created, cannot be called (no such extension), and is hung up."""
    a = _alice()
    one, two = local_pair("999", "pbx-1.5", L, context="users")
    events = [a.new(), a.exten_app("Dial", "Local/999@users/n,30"), a.var("DIALSTATUS", ""),
              one.new(), two.new(), two.hangup(), one.hangup(), a.var("DIALSTATUS", "CHANUNAVAIL"), a.hangup()]
    (doc,) = replay(events)
    assert attempts(doc) == [("PJSIP/alice-00000001", one.name, "CHANUNAVAIL", "dial")]


def test_repeated_newexten_of_dial_is_not_a_new_dial() -> None:
    """Asterisk repeats the last application in Newexten when a channel is moved; without
    Dial() clearing DIALSTATUS no Dial started, whatever DIALSTATUS later says."""
    a = _alice()
    events = [a.new(), a.exten_app("Dial", "PJSIP/bob,30", context="xfer"), a.var("DIALSTATUS", "ANSWER"), a.hangup()]
    (doc,) = replay(events)
    assert doc["attempts"] == []


def test_hop_that_rings_elsewhere_after_no_answer_is_a_forward() -> None:
    """Alice dials Bob's routing hop; Bob's phone does not answer; the hop's dialplan rings
    Carol (forward on no answer): Carol's attempt is via=forward, Bob's stays NOANSWER."""
    a = _alice()
    one, two = local_pair("200", "pbx-1.3", L, context="route")
    bob, carol = Chan("PJSIP/bob-00000002", "pbx-1.4", L), Chan("PJSIP/carol-00000003", "pbx-1.6", L)
    events = [a.new(), one.new(), two.new(), a.dial_begin(one, "200@route"),
              bob.new(), two.dial_begin(bob, "bob"), two.dial_end(bob, "NOANSWER"), bob.hangup("19"),
              carol.new(), two.dial_begin(carol, "carol"), carol.up(), two.dial_end(carol, "ANSWER"), two.up(),
              one.up(), a.dial_end(one, "ANSWER"), a.up(), a.hangup(), one.hangup(), two.hangup(), carol.hangup()]
    (doc,) = replay(events)
    assert attempts(doc) == [(a.name, bob.name, "NOANSWER", "dial"), (a.name, carol.name, "ANSWER", "forward")]
    assert doc["attempts"][1]["hop_leg"] is not None


def test_302_forward_without_a_hop() -> None:
    a, bob, carol = _alice(), Chan("PJSIP/bob-00000002", "pbx-1.2", L), Chan("PJSIP/carol-00000003", "pbx-1.3", L)
    events = [a.new(), bob.new(), a.dial_begin(bob, "bob"), a.dial_end(bob, "CANCEL", Forward="carol"), bob.hangup(),
              carol.new(), a.dial_begin(carol, "carol"), carol.up(), a.dial_end(carol, "ANSWER"), a.up(),
              a.hangup(), carol.hangup()]
    (doc,) = replay(events)
    assert attempts(doc) == [(a.name, bob.name, "CANCEL", "dial"), (a.name, carol.name, "ANSWER", "forward")]


def _pickup_events(with_dial_swap: bool) -> tuple[list[dict], Chan, Chan, Chan]:
    """Alice rings Bob; Carol runs Pickup() (her own call, her own linkedid) and gets Alice."""
    a, bob = _alice(), Chan("PJSIP/bob-00000002", "pbx-1.2", L)
    carol = Chan("PJSIP/carol-00000003", "pbx-1.7", "pbx-1.7", exten="*8200")
    events = [a.new(), bob.new(), a.dial_begin(bob, "bob"), bob.ev("Newstate", ChannelStateDesc="Ringing"),
              carol.new(), carol.exten_app("Pickup", "200@from-internal"), carol.up(),
              {"Event": "Pickup", **carol.snap(), **bob.snap("Target")}]
    if with_dial_swap:
        events += [a.dial_end(bob, "CANCEL"), a.dial_begin(carol, "bob"), a.dial_end(carol, "ANSWER")]
    else:
        events += [a.dial_end(bob, "CANCEL")]
    events += [bob.hangup("26"), a.up(), a.hangup(), carol.hangup()]
    return events, a, bob, carol


@pytest.mark.parametrize("with_dial_swap", [True, False])
def test_pickup_is_one_call_with_a_pickup_attempt(with_dial_swap: bool) -> None:
    events, a, bob, carol = _pickup_events(with_dial_swap)
    (doc,) = replay(events)
    assert attempts(doc) == [(a.name, bob.name, "CANCEL", "dial"), (a.name, carol.name, "ANSWER", "pickup")]
    assert {leg["channel"]: leg["answered"] for leg in doc["legs"]} == {a.name: True, bob.name: False, carol.name: True}


def test_parked_call_that_times_out_rings_the_parker_back() -> None:
    a, bob = _alice(), Chan("PJSIP/bob-00000002", "pbx-1.2", L)
    bob2 = Chan("PJSIP/bob-00000004", "pbx-1.4", L)
    parked = {"ParkingSpace": "701", "Parkinglot": "default", "ParkerDialString": "PJSIP/bob"}
    events = [a.new(), bob.new(), a.dial_begin(bob), bob.up(), a.dial_end(bob, "ANSWER"), a.up(),
              {"Event": "BlindTransfer", "Result": "Success", **bob.snap("Transferer"), **a.snap("Transferee"),
               "Context": "from-internal", "Extension": "700"},
              bob.hangup(), {"Event": "ParkedCall", **a.snap("Parkee"), **parked},
              {"Event": "ParkedCallTimeOut", **a.snap("Parkee"), **parked},
              a.exten_app("Dial", "PJSIP/bob,20", context="park-dial", exten="PJSIP_bob"),
              bob2.new(), a.dial_begin(bob2, "bob"), bob2.up(), a.dial_end(bob2, "ANSWER"),
              a.hangup(), bob2.hangup()]
    (doc,) = replay(events)
    assert attempts(doc)[-1] == (a.name, bob2.name, "ANSWER", "park")
    park = next(app for app in doc["apps"] if app["app"] == "park")
    assert park["result"] == "timeout" and doc["attempts"][-1]["app_id"] == park["app_id"]


def test_voicemail_application_and_default_contexts() -> None:
    a = _alice()
    events = [a.new(), a.exten_app("Dial", "PJSIP/bob,20"), a.exten_app("Goto", "vm,200,1"),
              a.exten_app("Answer", "", context="vm", exten="200"), a.up(), a.exten_app("VoiceMail", "200@default,u"),
              a.hangup()]
    (doc,) = replay(events)
    (vm,) = doc["apps"]
    assert (vm["app"], vm["name"], vm["result"], vm["data"]["mailbox"]) == ("voicemail", "vm", "answered", "200@default")


def test_voicemail_left_unanswered() -> None:
    a = _alice()
    (doc,) = replay([a.new(), a.exten_app("VoiceMail", "200@default,s", context="users"), a.hangup()])
    assert [(app["app"], app["name"], app["result"]) for app in doc["apps"]] == [("voicemail", "users", "unanswered")]


def test_admin_maps_contexts_to_ivr_and_ring_group() -> None:
    settings = TreeSettings.with_contexts({"menu-main": "ivr", "grp-sales": "ringgroup"})
    a, bob, carol = _alice(), Chan("PJSIP/bob-00000002", "pbx-1.2", L), Chan("PJSIP/carol-00000003", "pbx-1.3", L)
    events = [a.new(), a.exten_app("Answer", "", context="menu-main", exten="s"), a.up(),
              a.exten_app("Playback", "welcome"), a.exten_app("Goto", "grp-sales,s,1", context="menu-main", exten="1"),
              a.exten_app("Set", "x=1", context="grp-sales", exten="s"),
              bob.new(), a.dial_begin(bob), a.dial_end(bob, "NOANSWER"), bob.hangup("19"),
              carol.new(), a.dial_begin(carol), carol.up(), a.dial_end(carol, "ANSWER"),
              a.exten_app("Hangup", "", context="after", exten="s"), a.hangup(), carol.hangup()]
    (doc,) = replay(events, settings)
    apps = {app["app"]: app for app in doc["apps"]}
    assert (apps["ivr"]["name"], apps["ivr"]["result"]) == ("menu-main", "exit")
    assert (apps["ringgroup"]["name"], apps["ringgroup"]["result"]) == ("grp-sales", "answered")
    assert [a_["via"] for a_ in doc["attempts"]] == ["ringgroup", "ringgroup"]
    assert {a_["app_id"] for a_ in doc["attempts"]} == {apps["ringgroup"]["app_id"]}
    assert replay(events)[0]["apps"] == []  # without the mapping these contexts are plain dialplan


def test_unknown_context_kind_is_refused_in_one_line() -> None:
    with pytest.raises(SettingsError, match="kind 'mailbox' is not one of ivr, ringgroup, voicemail"):
        TreeSettings.with_contexts({"my-vm": "mailbox"})


def _queue_call(after_leave: list) -> list[dict]:
    a = _alice()
    q = {"Queue": "support", "Position": "1", "Count": "1"}
    return [a.new(), a.up(), a.ev("QueueCallerJoin", **q), a.ev("QueueCallerLeave", **q), *after_leave(a), a.hangup()]


def test_queue_caller_who_hangs_up_while_waiting_abandoned() -> None:
    (doc,) = replay(_queue_call(lambda a: [a.ev("SoftHangupRequest"), a.exten_app("AGI", "x", exten="h")]))
    assert [app["result"] for app in doc["apps"]] == ["abandoned"]


def test_queue_that_returns_to_the_dialplan_is_an_exit() -> None:
    (doc,) = replay(_queue_call(lambda a: [a.exten_app("Playback", "sorry")]))
    assert [app["result"] for app in doc["apps"]] == ["exit"]


def test_queue_stay_seen_only_by_its_abandon() -> None:
    """A stream filtered down to QueueCallerAbandon (production managers often are)."""
    a = _alice()
    (doc,) = replay([a.new(), a.up(), a.ev("QueueCallerAbandon", Queue="support", Position="2",
                                               OriginalPosition="3", HoldTime="11"), a.hangup()])
    (app,) = doc["apps"]
    assert (app["app"], app["name"], app["result"], app["position"]) == ("queue", "support", "abandoned", 3)


def test_times_from_timestamps_only() -> None:
    events = _queue_call(lambda a: [])
    untimed, timed = replay(events)[0], replay(events, times=True)[0]
    assert (untimed["time_source"], untimed["started_at"], untimed["apps"][0]["wait_s"]) == ("none", None, None)
    assert (timed["time_source"], timed["apps"][0]["wait_s"]) == ("asterisk", 1.0)

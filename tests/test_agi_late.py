"""AGI observations in enrich-only mode (the daemon, whose AMI stream is the source): one that
comes after its call ended adds its user data to that call and hands it out again; one of a
channel no AMI call has is set aside; none ever makes a call. The journal feed applies an
observation journaled twice once."""
from __future__ import annotations

import pytest
from fakeami import fresh_logging, recording_messages  # noqa: F401 - fixture
from test_agi_traces import USER_KEYS, recorded_observations
from tracekit import TRACES, TRACE_NAMES

from cdr_agent.agi.observation import Observation
from cdr_agent.ami.journal import AGI, CONNECT, DATA, START, Position, Record
from cdr_agent.calltree import state
from cdr_agent.calltree.document import to_document
from cdr_agent.ingest import FeedSettings, JournalFeed
from cdr_agent.ingest import Ingest
from cdr_agent.replay import file_chunks, read_events, replay_path

SINGLE = [n for n in TRACE_NAMES if n != "20_two_servers"]


def ami_ingest(name: str) -> Ingest:
    ingest = Ingest()
    ingest.events(read_events(file_chunks(TRACES / name / "ami.log"), "a"))
    return ingest


def in_time(name: str) -> dict[str, dict]:
    """AMI with each AGI run fed when it happened (the lab's marker): the reference."""
    ingest = Ingest(agi_user_keys=USER_KEYS)
    replay_path(ingest, TRACES / name, "a")
    return {c.call_id: to_document(c) for c in ingest.finished + ingest.close()}


@pytest.mark.parametrize("name", SINGLE)
def test_observations_after_the_calls_ended_add_the_same_user_data(name: str) -> None:
    ingest = ami_ingest(name)
    ami_calls = len(ingest.finished)
    for obs in recorded_observations(TRACES / name, "a", USER_KEYS):
        ingest.observation(obs, enrich_only=True)
    still_open = ingest.close()
    again = ingest.finished[ami_calls:]
    final = {c.call_id: to_document(c) for c in ingest.finished + still_open}  # the last hand-out wins
    expected = in_time(name)
    assert final == expected
    assert {c.call_id for c in again} == {i for i, d in expected.items() if d["user_data"]}
    assert ingest.builder.take_unplaced() == []
    assert not any("no AMI call" in reason for reason in ingest.builder.skipped)


def test_an_observation_of_a_channel_no_ami_call_has_is_set_aside_not_built() -> None:
    ingest = ami_ingest("01_basic_answered")
    stray = Observation("a", "hangup", "1795469999.77", "PJSIP/mallory-1", 1795470000.0, user_data={"X": "1"})
    ingest.observation(stray, enrich_only=True)
    assert ingest.builder.take_unplaced() == [stray]
    assert ingest.builder.skipped["AGI observation of a channel no AMI call has"] == 1
    assert len(ingest.finished + ingest.close()) == 1  # the AMI call only
    ingest = ami_ingest("01_basic_answered")
    ingest.observation(stray)  # not enrich-only (an install without AMI for this server): AGI-only call
    assert len(ingest.finished + ingest.close()) == 2


def test_a_finished_call_is_remembered_for_a_bounded_number_of_legs(monkeypatch) -> None:
    monkeypatch.setattr(state, "RECENT_LEGS", 4)
    name = "19_concurrent_load"  # 20 calls
    ingest = ami_ingest(name)
    observations = recorded_observations(TRACES / name, "a", ("CALLERID(num)",))  # user data in every run
    assert all(o.user_data for o in observations)
    remembered = set(ingest.builder.state.recent)
    assert len(remembered) == 4
    for obs in observations:
        ingest.observation(obs, enrich_only=True)
    unplaced = ingest.builder.take_unplaced()
    assert {o.uniqueid for o in unplaced} == {o.uniqueid for o in observations} - {u for _, u in remembered}
    assert unplaced


def rec(kind: int, payload: bytes, server: str = "a") -> Record:
    return Record(kind, server, 0.0, payload, Position(0, 0))


def test_the_feed_applies_an_observation_journaled_twice_once_and_enriches_only_ami_servers() -> None:
    name = "03_noanswer_failover"
    messages = recording_messages((TRACES / name / "ami.log").read_bytes())
    observations = recorded_observations(TRACES / name, "a", USER_KEYS)
    stray = Observation("b", "hangup", "1795469999.77", "PJSIP/bob-1", 1795470000.0)  # a server without AMI
    ingest = Ingest()
    feed = JournalFeed(ingest)
    records = [rec(START, FeedSettings(ami_servers=("a",)).to_json()), rec(CONNECT, b"{}"), rec(DATA, b"".join(messages))]
    records += [rec(AGI, o.to_json().encode(), o.server) for o in observations + observations[:2] + [stray]]
    for r in records:
        feed.apply(r)
    docs = {c.call_id: to_document(c) for c in ingest.finished + ingest.close()}
    assert feed.errors == 0 and feed.duplicate_observations == 2
    assert ingest.stats.observations == len(observations) + 1
    assert {i: d for i, d in docs.items() if d["server"] == "a"} == in_time(name)
    assert [d["legs"][0]["channel"] for d in docs.values() if d["server"] == "b"] == ["PJSIP/bob-1"]


def test_feed_settings_keep_the_ami_servers_and_refuse_odd_ones() -> None:
    settings = FeedSettings(hangup_timeout=60.0, ami_servers=("a", "b"))
    assert FeedSettings.from_json(settings.to_json()) == settings
    assert FeedSettings.from_json(b'{"hangup_timeout": 5}').ami_servers == ()
    with pytest.raises(ValueError, match="ami_servers"):
        FeedSettings.from_json(b'{"ami_servers": "a"}')

"""Journal records -> call trees (ingest/journal.py, calltree/resync.py): breaks in the AMI stream
are flagged, the channel list after a break rejoins and closes calls without inventing data,
calls whose Hangup never came are closed, and a journal replays to the daemon's database."""
from __future__ import annotations

from pathlib import Path

import pytest
from fakeami import Timeline, fresh_logging, headers, recording_messages  # noqa: F401 - fixture
from tracekit import TRACES

from cdr_agent.agi.observation import Observation
from cdr_agent.ami.journal import AGI, CONNECT, DATA, GAP, START, JournalWriter, Position, Record
from cdr_agent.calltree.document import from_iso, to_document
from cdr_agent.cli import main
from cdr_agent.daemon import checkpoint
from cdr_agent.ingest import FeedSettings, JournalFeed
from cdr_agent.ingest import Ingest
from cdr_agent.store import iter_documents, open_engine

LOAD = recording_messages((TRACES / "19_concurrent_load" / "ami.log").read_bytes())  # 20 calls at once

pytestmark = pytest.mark.usefixtures("fresh_logging")


def rec(kind: int, payload: bytes, server: str = "a", t: float = 0.0) -> Record:
    return Record(kind, server, t, payload, Position(0, 0))


def data(messages: list[bytes]) -> Record:
    return rec(DATA, b"".join(messages))


def channel_list(messages: list[bytes], action_id: str = "cdr-resync-1", at: float | None = None) -> Record:
    """What the daemon receives after login when Asterisk has lived through `messages`: the
    answer to its Ping (Asterisk's clock, `at` if given), then the channel list."""
    timeline = Timeline(messages)
    while timeline.take() is not None:
        pass
    pong = f"Response: Success\r\nActionID: cdr-ping-1\r\nPing: Pong\r\nTimestamp: {at or timeline.clock:.6f}\r\n\r\n"
    return rec(DATA, pong.encode() + timeline.channel_list(action_id))


def build(records: list[Record], settings: FeedSettings | None = None) -> tuple[dict[str, dict], JournalFeed]:
    ingest = Ingest()
    feed = JournalFeed(ingest, settings)
    for r in records:
        feed.apply(r)
    still_open = ingest.close()
    return {c.call_id: to_document(c) for c in ingest.finished + still_open}, feed


OFFLINE, _ = build([rec(CONNECT, b"{}"), data(LOAD)])


def open_at(i: int) -> set[str]:
    ingest = Ingest()
    JournalFeed(ingest).apply(data(LOAD[:i]))
    return {c.call_id for c in ingest.builder.open_calls()}


def doc_time(text: str) -> float:
    return from_iso(text) or 0.0


def created(messages: list[bytes]) -> set[str]:
    """Uniqueids of the channels created in `messages`."""
    return {h["Uniqueid"] for h in map(headers, messages) if h.get("Event") == "Newchannel"}


def test_offline_reference() -> None:
    assert len(OFFLINE) == 20 and all(d["status"] == "complete" and not d["flags"] for d in OFFLINE.values())


def test_a_break_without_loss_flags_the_calls_that_crossed_it_and_changes_nothing_else() -> None:
    i = 2000
    docs, feed = build([rec(CONNECT, b"{}"), data(LOAD[:i]), rec(GAP, b'{"reason": "frozen"}'),
                        rec(CONNECT, b"{}"), channel_list(LOAD[:i]), data(LOAD[i:])])
    crossed = open_at(i)
    assert len(crossed) == 19 and feed.gaps == 1 and feed.resyncs == 1
    assert_offline_flagged(docs, crossed)


def assert_offline_flagged(docs: dict[str, dict], crossed: set[str]) -> None:
    """The offline calls, those open across the break flagged `gap`, nothing else changed."""
    assert docs.keys() == OFFLINE.keys()
    for call_id, doc in docs.items():
        assert doc["flags"] == (["gap"] if call_id in crossed else [])
        assert {**doc, "flags": []} == OFFLINE[call_id]


def test_a_lossy_break_stores_every_call_once_and_invents_nothing() -> None:
    i, lost = 300, 1200  # calls start, ring and hang up while nobody listens
    docs, feed = build([rec(CONNECT, b"{}"), data(LOAD[:i]), rec(CONNECT, b"{}"),
                        channel_list(LOAD[:i + lost]), data(LOAD[i + lost:])])
    owner = {leg["leg_id"]: call_id for call_id, doc in OFFLINE.items() for leg in doc["legs"]}
    owners = [{owner[leg["leg_id"]] for leg in doc["legs"]} for doc in docs.values()]
    assert all(len(o) == 1 for o in owners), "a stored call mixes legs of two calls"
    assert sorted(o.pop() for o in owners) == sorted(docs), "each call is stored once, under its own id"
    assert docs.keys() == OFFLINE.keys()  # every call had a channel alive on one side of the break
    hung_up_unseen = {h["Uniqueid"] for h in map(headers, LOAD[i:i + lost]) if h.get("Event") == "Hangup"}
    crossed = open_at(i)
    for call_id, doc in docs.items():
        started_unseen = doc["legs"][0]["uniqueid"] in created(LOAD[i:i + lost])
        assert doc["flags"] == (["gap"] if call_id in crossed or started_unseen else [])
        for leg, truth in zip(doc["legs"], OFFLINE[call_id]["legs"]):
            if leg["uniqueid"] in hung_up_unseen:  # its Hangup was lost: the end is unknown, not guessed
                assert leg["ended_at"] is None and doc["status"] == "incomplete"
            else:
                assert leg["ended_at"] == truth["ended_at"]
        if started_unseen:  # rejoined from the channel list: Asterisk's Duration, to the second
            assert doc["status"] == "incomplete"
            assert abs(doc_time(doc["started_at"]) - doc_time(OFFLINE[call_id]["started_at"])) < 1.0
    assert sum(doc["legs"][0]["uniqueid"] in created(LOAD[i:i + lost]) for doc in docs.values()) >= 10
    assert not feed.ingest.builder.failures


def test_a_hangup_arriving_after_the_channel_list_does_not_duplicate_its_leg() -> None:
    """The Hangup proves the channel lived until then: the leg the list called gone takes its
    real end (issue 18), in its own call, never as a second leg."""
    i, lost = 2000, 400
    gone = [m for m in LOAD[i:i + lost] if m.startswith(b"Event: Hangup\r\n")]
    docs, feed = build([rec(CONNECT, b"{}"), data(LOAD[:i]), rec(CONNECT, b"{}"),
                        channel_list(LOAD[:i + lost]), data(gone[:1] + LOAD[i + lost:])])
    leg_ids = [leg["leg_id"] for doc in docs.values() for leg in doc["legs"]]
    assert len(leg_ids) == len(set(leg_ids)) == 80
    assert not feed.ingest.builder.skipped.get("Hangup for an unknown channel")
    late = headers(gone[0])
    (leg,) = [leg for doc in docs.values() for leg in doc["legs"] if leg["uniqueid"] == late["Uniqueid"]]
    assert leg["ended_at"] is not None and abs(doc_time(leg["ended_at"]) - float(late["Timestamp"])) < 1e-3


def _without_hangups(name: str) -> list[bytes]:
    messages = recording_messages((TRACES / name / "ami.log").read_bytes())
    return [m for m in messages if not m.startswith(b"Event: Hangup\r\n")]


def test_a_call_whose_hangup_never_came_is_closed_after_the_timeout_and_flagged() -> None:
    first = _without_hangups("01_basic_answered")
    later = recording_messages((TRACES / "05_caller_cancel" / "ami.log").read_bytes())  # 71 s after
    settings = FeedSettings(hangup_timeout=60.0, sweep_interval=10.0)
    docs, feed = build([rec(CONNECT, b"{}"), data(first), data(later)], settings)
    stale = [d for d in docs.values() if d["flags"] == ["stale"]]
    assert len(stale) == 1 and len(docs) == 2
    [doc] = stale
    assert doc["status"] == "incomplete" and doc["ended_at"] is None
    assert all(leg["ended_at"] is None for leg in doc["legs"])  # no Hangup seen: no end invented
    other = next(d for d in docs.values() if d is not doc)
    assert other["status"] == "complete" and not other["flags"]


def test_a_channel_list_keeps_a_silent_call_alive() -> None:
    first = _without_hangups("01_basic_answered")
    later = recording_messages((TRACES / "05_caller_cancel" / "ami.log").read_bytes())
    settings = FeedSettings(hangup_timeout=60.0, sweep_interval=10.0)
    # 49 s after the call's last event Asterisk still lists its channels; 05 ends 79 s after it.
    audit = channel_list(first, "cdr-audit-7", at=1795462991.415679 + 49)
    docs, _ = build([rec(CONNECT, b"{}"), data(first), audit, data(later)], settings)
    assert [d["status"] for d in docs.values()].count("in_progress") == 1  # alive, not closed
    assert not any(d["flags"] for d in docs.values())


def test_settings_travel_in_the_journal() -> None:
    first = _without_hangups("01_basic_answered")
    later = recording_messages((TRACES / "05_caller_cancel" / "ami.log").read_bytes())
    start = rec(START, FeedSettings(hangup_timeout=60.0, sweep_interval=10.0).to_json())
    docs, _ = build([start, rec(CONNECT, b"{}"), data(first), data(later)])  # the feed's own default: 4 h
    assert sorted(d["status"] for d in docs.values()) == ["complete", "incomplete"]


def test_a_bad_record_is_counted_and_the_feed_goes_on() -> None:
    good = Observation("a", "hangup", "1795463070.31", "PJSIP/alice-1", 1795463071.0)
    docs, feed = build([rec(AGI, b"{not json"), rec(AGI, good.to_json().encode()),
                        rec(CONNECT, b"{}"), data(LOAD)])
    assert feed.errors == 1
    assert feed.ingest.stats.observations == 1
    assert len(docs) == 21  # the 20 calls, and the one only the AGI saw


def test_replay_reads_a_journal(tmp_path: Path, capsys) -> None:
    journal = JournalWriter(tmp_path / "journal", segment_bytes=256 * 1024)
    journal.append(START, "", 1.0, FeedSettings().to_json())
    journal.append(CONNECT, "a", 2.0, b"{}")
    blob = b"".join(LOAD)
    for k in range(0, len(blob), 4000):  # chunks cut messages anywhere, as reads do
        journal.append(DATA, "a", 3.0, blob[k:k + 4000])
    journal.close()
    db = f"sqlite:///{tmp_path / 'replayed.sqlite'}"
    assert main(["replay", str(tmp_path / "journal"), "--db", db]) == 0
    assert "20 calls stored" in capsys.readouterr().out
    engine = open_engine(db)
    assert {d["call_id"]: d for d in iter_documents(engine)} == OFFLINE
    engine.dispose()


def test_an_unreadable_checkpoint_resumes_at_its_position_with_a_fresh_builder(tmp_path: Path) -> None:
    feed = JournalFeed(Ingest())
    feed.apply(data(LOAD[:1000]))
    checkpoint.save(tmp_path, Position(3, 1234), feed)
    saved = checkpoint.load(tmp_path)
    assert saved.position == Position(3, 1234) and len(saved.feed.ingest.builder.state.open_calls) > 0
    (tmp_path / checkpoint.STATE_FILE).write_bytes(b"written by another release")
    assert checkpoint.load(tmp_path) == checkpoint.Checkpoint(Position(3, 1234), None)
    assert checkpoint.load(tmp_path / "nowhere") is None


def test_a_checkpoint_of_the_layout_before_issue_11_resumes_like_an_uninterrupted_run(tmp_path: Path) -> None:
    """tests/fixtures/checkpoint_v0 was saved by the code before the house move (Ingest in
    replay.py, JournalFeed in daemon/feed.py, Observation in agi, calltree/observations.py):
    1000 messages of LOAD, an AGI-only leg of server b, an unplaced observation of server a."""
    import shutil

    from cdr_agent.calltree.agionly import AgiLeg
    from cdr_agent.stats.presence import PresenceTracker

    shutil.copytree(Path(__file__).parent / "fixtures" / "checkpoint_v0", tmp_path, dirs_exist_ok=True)
    saved = checkpoint.load(tmp_path)
    assert saved is not None and saved.feed is not None and saved.position == Position(3, 1234)
    feed = saved.feed
    assert isinstance(feed.ingest, Ingest) and isinstance(feed.ingest.sink, PresenceTracker)
    assert feed.settings == FeedSettings(ami_servers=("a",)) and feed.ingest.call_sink is None
    assert feed.ingest.open_count == 15
    [stray] = feed.ingest.take_unplaced()
    assert isinstance(stray, Observation) and stray.uniqueid == "1.2"
    assert any(isinstance(st.agi, AgiLeg) for st in feed.ingest.builder.state.legs.values())

    env = {"agi_uniqueid": "1795000000.1", "agi_channel": "PJSIP/100-00000001"}
    values = {"CHANNEL(linkedid)": "1795000000.1", "CHANNEL(state)": "Up", "CALLERID(num)": "100",
              "QUEUENAME": "sales", "MEMBERNAME": "Alice", "DIALEDTIME_MS": "5000", "ANSWEREDTIME_MS": "2000"}
    fresh = JournalFeed(Ingest(), FeedSettings(ami_servers=("a",)))
    for record in (rec(CONNECT, b"{}"), data(LOAD[:1000])):
        fresh.apply(record)
    fresh._observation(Observation.from_agi("b", env, values, 1795000010.0, label="postqueue"))

    def rest(f: JournalFeed) -> dict[str, dict]:
        f.apply(data(LOAD[1000:]))
        f.apply(rec(AGI, Observation.from_agi("b", env, values, 1795000070.0, label="hangup").to_json().encode(), "b"))
        return {c.call_id: to_document(c) for c in f.ingest.take_finished() + f.ingest.close()}

    expected = rest(fresh)
    assert rest(feed) == expected and len(expected) == 21
    assert {k: v for k, v in expected.items() if v["server"] == "a"} == OFFLINE


def _listed(messages: list[bytes], keep) -> Record:
    """A channel list after `messages` naming only the channels `keep(uniqueid, i)` keeps:
    Asterisk's list taken at a bad moment, or the fake of a broken manager."""
    timeline = Timeline(messages)
    while timeline.take() is not None:
        pass
    timeline.channels = {uid: snap for i, (uid, snap) in enumerate(timeline.channels.items()) if keep(uid, i)}
    pong = f"Response: Success\r\nActionID: cdr-ping-1\r\nPing: Pong\r\nTimestamp: {timeline.clock:.6f}\r\n\r\n"
    return rec(DATA, pong.encode() + timeline.channel_list("cdr-resync-1"))


@pytest.mark.parametrize("kind", ["right", "wrong", "empty"])
def test_events_that_prove_a_channel_alive_revise_a_wrong_channel_list(kind: str) -> None:
    """Nothing was lost across the break, but the channel list after it was right, named
    only every other channel, or none. The events that follow prove the unlisted channels
    alive: they are revived and take their real ends, no event of them is skipped, and no
    linkedid is split into two calls: the calls are the offline ones, flagged gap."""
    i = 2000
    keep = {"right": lambda uid, n: True, "wrong": lambda uid, n: n % 2 == 0, "empty": lambda uid, n: False}[kind]
    docs, feed = build([rec(CONNECT, b"{}"), data(LOAD[:i]), rec(CONNECT, b"{}"),
                        _listed(LOAD[:i], keep), data(LOAD[i:])])
    assert_offline_flagged(docs, open_at(i))
    linkedids = [l for doc in docs.values() for l in doc["linkedids"]]
    assert len(linkedids) == len(set(linkedids))
    assert not feed.ingest.builder.skipped, feed.ingest.builder.skipped

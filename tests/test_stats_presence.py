"""Agent presence from QueueMember* events: sessions, and seconds per hour."""
from __future__ import annotations

import pytest

from cdr_agent.ami.event import Event
from cdr_agent.stats.presence import LOGIN, PAUSE, PresenceTracker, Session, hourly_presence

T0 = 1795460400.0  # an hour start


def member(name: str, at, queue: str = "support", agent: str = "Zoë Müller", **headers: str) -> Event:
    return Event(name, {"Queue": queue, "MemberName": agent, "Interface": "PJSIP/zoe", **headers},
                 time=at, server="a")


def by_kind(sessions: list[Session]) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    for s in sorted(sessions, key=lambda s: s.started_at):
        out.setdefault(s.kind, []).append((s.queue, s.started_at, s.ended_at, s.reason))
    return out


def test_login_pause_logout() -> None:
    t = PresenceTracker()
    t.feed(member("QueueMemberAdded", T0 + 10, Paused="0"))
    t.feed(member("QueueMemberPause", T0 + 100, Paused="1", PausedReason="lunch"))
    t.feed(member("QueueMemberPause", T0 + 400, Paused="0"))
    t.feed(member("QueueMemberRemoved", T0 + 1000))
    sessions = t.take()
    assert by_kind(sessions) == {
        LOGIN: [("support", T0 + 10, T0 + 1000, None)],
        PAUSE: [("support", T0 + 100, T0 + 400, "lunch")],
    }
    assert t.take() == [] and not t.open


def test_member_first_seen_in_status_is_logged_in_since_its_login_time() -> None:
    """A static member (or one added before the capture began) only shows in QueueMemberStatus."""
    t = PresenceTracker()
    t.feed(member("QueueMemberStatus", T0 + 50, LoginTime=str(int(T0 - 600)), Paused="1", LastPause=str(int(T0 + 20))))
    t.feed(Event("Newchannel", {"Uniqueid": "1.1"}, time=T0 + 900, server="a"))  # the capture goes on
    (login, pause) = sorted(t.take(), key=lambda s: s.kind)
    assert (login.started_at, login.ended_at, login.seen_at) == (T0 - 600, None, T0 + 900)
    assert (pause.started_at, pause.ended_at, pause.seen_at) == (T0 + 20, None, T0 + 900)
    t.feed(member("QueueMemberStatus", T0 + 1000, LoginTime=str(int(T0 - 600)), Paused="0"))
    changed = {s.kind: s for s in t.take()}
    assert changed[PAUSE].ended_at == T0 + 1000 and changed[LOGIN].ended_at is None


def test_odd_events_are_counted_not_fatal() -> None:
    t = PresenceTracker()
    t.feed(member("QueueMemberAdded", None))  # no Timestamp and no clock yet
    t.feed(Event("QueueMemberAdded", {"Queue": "support"}, time=T0, server="a"))  # no member
    t.feed(member("QueueMemberStatus", T0, LoginTime="garbage", Paused="1", LastPause="-5"))
    assert sum(t.skipped.values()) == 2
    (login, pause) = sorted(t.take(), key=lambda s: s.kind)
    assert login.started_at == pause.started_at == T0


def test_a_second_login_is_a_new_session() -> None:
    t = PresenceTracker()
    for at, name in ((T0, "QueueMemberAdded"), (T0 + 60, "QueueMemberRemoved"), (T0 + 120, "QueueMemberAdded")):
        t.feed(member(name, at))
    ids = {s.session_id for s in t.take()}
    assert len(ids) == 2


def test_hourly_presence_counts_an_agent_once_over_queues() -> None:
    sessions = [
        Session("a", "zoe", "support", LOGIN, T0 + 1800, T0 + 5400, ended_at=T0 + 5400),
        Session("a", "zoe", "sales", LOGIN, T0 + 1800, T0 + 9000),  # open, seen until then
        Session("a", "zoe", "support", PAUSE, T0 + 3000, T0 + 4200, ended_at=T0 + 4200),
    ]
    spans = [s.span for s in sessions]
    hours = hourly_presence(spans, T0, T0 + 3 * 3600)
    assert hours == {
        (T0, "a", "zoe"): {"login_s": 1800.0, "pause_s": 600.0},
        (T0 + 3600, "a", "zoe"): {"login_s": 3600.0, "pause_s": 600.0},
        (T0 + 7200, "a", "zoe"): {"login_s": 1800.0, "pause_s": 0.0},
    }
    assert hourly_presence(spans, T0 + 3600, T0 + 7200)[(T0 + 3600, "a", "zoe")]["login_s"] == pytest.approx(3600)

"""The daemon's view of its database (issue 12): known from the start, an outage logged once
when it begins and once when it ends, every failed attempt counted."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from fakeami import Pause, free_port
from test_daemon import OUTAGE_S, Daemon, Outage, fakes, no_daemon_left_behind  # noqa: F401 - fixtures
from test_daemon_feed import LOAD


def test_a_good_database_is_up_before_the_first_write(tmp_path: Path, fakes) -> None:
    daemon = Daemon(tmp_path, f"sqlite:///{tmp_path / 'cdr.sqlite'}", {"a": fakes([])}).start()
    m = daemon.wait("database looked at", lambda m: m["cdr_agent_database_up"] == 1)
    assert m["cdr_agent_calls_stored_total"] == 0 and m["cdr_agent_database_errors_total"] == 0
    assert daemon.stop() == 0


def test_an_unreachable_database_is_down_from_the_start_and_logged_once(tmp_path: Path, fakes) -> None:
    url = f"postgresql+psycopg://cdr:dbpass@127.0.0.1:{free_port()}/cdr"
    daemon = Daemon(tmp_path, url, {"a": fakes([])}).start()
    m = daemon.wait("database errors", lambda m: m["cdr_agent_database_errors_total"] >= 2, timeout=30)
    assert m["cdr_agent_database_up"] == 0 and m["cdr_agent_calls_stored_total"] == 0
    assert daemon.stop() == 0
    down = [e for e in daemon.log() if e.get("event") == "database_unavailable"]
    assert len(down) == 1 and "cdr:***@127.0.0.1" in down[0]["database"] and "dbpass" not in str(down)


@pytest.mark.slow
def test_an_outage_is_logged_when_it_begins_and_when_it_ends(tmp_path: Path, fakes) -> None:
    outage = Outage("sqlite", tmp_path)
    fake = fakes(LOAD, plan={1000: Pause()})
    daemon = Daemon(tmp_path, outage.url, {"a": fake}).start()
    fake.wait_until(lambda f: f.paused)
    daemon.caught_up()
    outage.begin()
    try:
        fake.resume()
        fake.wait_until(lambda f: f.finished)
        daemon.wait("database errors", lambda m: m["cdr_agent_database_errors_total"] >= 3)
        time.sleep(OUTAGE_S)
    finally:
        outage.end()
    m = daemon.caught_up()
    assert m["cdr_agent_database_up"] == 1
    assert daemon.stop() == 0
    events = [e["event"] for e in daemon.log() if e.get("event", "").startswith("database_")]
    assert events == ["database_unavailable", "database_back"]
    outage.close()

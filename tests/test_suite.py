"""The test suite itself (issue 12): long cases carry the registered `slow` marker, so that
`scripts/test.sh -m "not slow"` is a quick run while `.ci/run` still runs everything."""
from __future__ import annotations

import configparser
from pathlib import Path

import test_callgen
import test_daemon

ROOT = Path(__file__).resolve().parents[1]


def _marks(function: object) -> set[str]:
    return {m.name for m in getattr(function, "pytestmark", [])}


def test_long_cases_are_marked_slow_and_the_marker_is_registered() -> None:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    assert cfg["tool:pytest"]["markers"].strip().startswith("slow:")
    assert "--strict-markers" in cfg["tool:pytest"]["addopts"]
    assert "slow" in _marks(test_callgen.test_100k_calls_over_10_queues_and_50_agents)
    for name in ("test_link_cut_and_frozen_ami_flag_what_crossed_the_gap",
                 "test_sigkill_mid_call_then_restart_loses_and_duplicates_nothing",
                 "test_database_outage_the_journal_grows_and_catches_up"):
        assert "slow" in _marks(getattr(test_daemon, name)), name


def test_ci_runs_everything() -> None:
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("bash scripts/test.sh")
    assert (ROOT / "scripts" / "test.sh").read_text().strip().endswith('pytest -q "$@"')  # no selection of its own

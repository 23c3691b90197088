"""What the classic AGI script pays at start-up (README, "AGI capture"): its imports stay
off the modules that cost more than the interpreter's own start, and the observation's JSON,
written without json, is what json writes."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cdr_agent.calltree.observation import Observation

REPO = Path(__file__).resolve().parents[1]
COSTLY = ("dataclasses", "json", "re", "enum", "typing", "collections")


def test_script_imports_stay_cheap() -> None:
    code = (f"import sys; sys.path.insert(0, {str(REPO)!r}); import _signal, cdr_agent.agi.script; "
            f"print(' '.join(m for m in {COSTLY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == []


def test_observation_json_is_what_json_writes() -> None:
    odd = "ü\"\\\n\t\x00\ud800 \u2028"
    for obs in (
        Observation("a", "hangup", "1.2", "PJSIP/x-1", 1795463071.123456, "1.1", {"A": odd, "B": ""}, {"X": odd}),
        Observation("a", "postdial", "", "", None),
        Observation("a", "postdial", "1.2", "", 5),
        Observation("a", "postdial", "1.2", "", float("nan")),
    ):
        assert obs.to_json() == json.dumps({"format": 1, **obs.__dict__}, ensure_ascii=False, separators=(",", ":"))

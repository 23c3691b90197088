"""Classic AGI start-up: wall time per invocation of the post-Dial script, process start to
exit, on a recorded session, beside the floor: a bare pyst2 script that reads one variable
and exits. Target: ours <= 1.3x the floor (median).

Both run with the same interpreter and environment, interleaved, driven the way Asterisk
drives an AGI (env on stdin, each command answered from the recording). Ours also writes
its observation to the spool (fsync included); "released" is when it closed stdout, i.e.
when Asterisk could go on with the dialplan.

    python bench/agi_script.py [--runs 60] [--trace 02_basic_callee_hangup]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from cdr_agent.agi.recorded import RecordedSession, play_classic  # noqa: E402

FLOOR = '''import os
from asterisk.agi import AGI
agi = AGI(stderr=open(os.devnull, "w"))
agi.get_variable("DIALSTATUS")
'''


def _ms(values: list[float]) -> str:
    q = statistics.quantiles(values, n=10)
    return f"median {statistics.median(values) * 1000:6.1f} ms   p90 {q[-1] * 1000:6.1f} ms   min {min(values) * 1000:6.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--trace", default="02_basic_callee_hangup")
    args = parser.parse_args()
    line = json.loads((REPO / "tests" / "fixtures" / "traces" / args.trace / "agi.jsonl").read_text().splitlines()[0])
    with tempfile.TemporaryDirectory() as tmp:
        conf = Path(tmp) / "agi.conf"
        conf.write_text(f"[agi]\nserver = bench\nspool = {tmp}/spool\nuser_variables = CAMPAIGN TICKET_ID\n")
        floor_script = Path(tmp) / "floor.py"
        floor_script.write_text(FLOOR)
        env = dict(os.environ, PYTHONPATH=str(REPO), CDR_AGENT_AGI_CONFIG=str(conf))
        ours_cmd = [sys.executable, str(REPO / "agi-bin" / "cdr-agent-dial-result")]
        floor_cmd = [sys.executable, str(floor_script)]
        ours, released, floor = [], [], []
        for _ in range(3):  # warm the page cache
            play_classic(ours_cmd, RecordedSession.from_line(line), env)
            play_classic(floor_cmd, RecordedSession.from_line(line), env)
        for _ in range(args.runs):
            run = play_classic(ours_cmd, RecordedSession.from_line(line), env)
            assert run.returncode == 0, run.stderr
            ours.append(run.seconds)
            released.append(run.released or run.seconds)
            run = play_classic(floor_cmd, RecordedSession.from_line(line), env)
            assert run.returncode == 0, run.stderr
            floor.append(run.seconds)
        spooled = len(os.listdir(Path(tmp) / "spool" / "new"))
    print(f"session: {args.trace} post-Dial run, {args.runs} runs each, {sys.executable}")
    print(f"floor (pyst2, 1 variable)      {_ms(floor)}")
    print(f"cdr-agent-dial-result (exit)   {_ms(ours)}")
    print(f"cdr-agent-dial-result released {_ms(released)}")
    ratio = statistics.median(ours) / statistics.median(floor)
    print(f"ratio ours/floor (median) {ratio:.2f}x  (target <= 1.3x)   observations spooled: {spooled}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Classic AGI start-up: wall time per invocation of the post-Dial script, process start to
exit, on a recorded session, side by side with the floor: a bare script that only reads the
AGI environment up to the blank line and exits, run by the same interpreter (also with
`-I -S`, for reference), and a bare pyst2 script that reads one variable. Target: ours
<= 1.5x the bare script (median).

All run with the same interpreter and environment, interleaved, driven the way Asterisk
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

BARE = '''import sys
for line in sys.stdin:
    if not line.strip():
        break
'''
PYST2 = '''import os
from asterisk.agi import AGI
agi = AGI(stderr=open(os.devnull, "w"))
agi.get_variable("DIALSTATUS")
'''
SCRIPT = REPO / "agi-bin" / "cdr-agent-dial-result"


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
        (Path(tmp) / "bare.py").write_text(BARE)
        (Path(tmp) / "pyst2.py").write_text(PYST2)
        env = dict(os.environ, PYTHONPATH=str(REPO), CDR_AGENT_AGI_CONFIG=str(conf))
        cases = {
            "bare python3, env only": [sys.executable, f"{tmp}/bare.py"],
            "bare python3 -I -S": [sys.executable, "-I", "-S", f"{tmp}/bare.py"],
            "pyst2, 1 variable": [sys.executable, f"{tmp}/pyst2.py"],
            "cdr-agent-dial-result": [sys.executable, str(SCRIPT)],
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        released: list[float] = []
        for n in range(3 + args.runs):  # the first 3 rounds warm the page cache
            for name, cmd in cases.items():
                run = play_classic(cmd, RecordedSession.from_line(line), env)
                assert run.returncode == 0, run.stderr
                if n >= 3:
                    times[name].append(run.seconds)
                    if cmd[-1] == str(SCRIPT):
                        released.append(run.released or run.seconds)
        spooled = len(os.listdir(Path(tmp) / "spool" / "new"))
    print(f"session: {args.trace} post-Dial run, {args.runs} runs each, interleaved, {sys.executable}")
    for name, values in times.items():
        print(f"{name:32} {_ms(values)}")
    print(f"{'cdr-agent-dial-result released':32} {_ms(released)}")
    bare, isolated, pyst2, ours = (statistics.median(values) for values in times.values())
    print(f"ratio ours/bare {ours / bare:.2f}x (target <= 1.5x)   ours/bare -I -S {ours / isolated:.2f}x   "
          f"ours/pyst2 {ours / pyst2:.2f}x   observations spooled: {spooled}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

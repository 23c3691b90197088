"""FastAGI latency with 200 concurrent sessions: p50 and p99 of the round trip (target p99 <= 5 ms).

The server (serve_fastagi with a handle that only counts, as the daemon's queue put would)
runs in its own process. 200 client "Asterisk channels" in this process each run recorded
post-Dial sessions back to back with a random pause between them (mean --think-ms), so 200
sessions are open at any time. A round trip is what Asterisk waits for: from the end of
what it sent (the environment, then the answer to GET FULL VARIABLE) to the server's next
message (the command, then the close that lets the dialplan go on); the session is connect
to close. Client-side scheduling is included, so the figures are an upper bound. The burst
line starts 200 sessions at the same instant once (every call of a call centre hanging up in
the same millisecond), the worst case.

    python bench/agi_fastagi.py [--seconds 10] [--clients 200] [--think-ms 200]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from cdr_agent.agi.recorded import RecordedSession  # noqa: E402

TRACE = REPO / "tests" / "fixtures" / "traces" / "02_basic_callee_hangup" / "agi.jsonl"


async def _serve() -> None:
    from cdr_agent.agi.fastagi import FastAgiStats, serve_fastagi

    stats = FastAgiStats()
    server = await serve_fastagi("127.0.0.1", 0, lambda obs: None, server_name="bench",
                                 user_keys=("CAMPAIGN", "TICKET_ID"), stats=stats)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent closes it
    print(json.dumps(vars(stats)), flush=True)


async def _session(port: int, env: bytes, session: RecordedSession, trips: list[float], whole: list[float]) -> None:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(env)
    sent = time.perf_counter()
    while True:
        line = await reader.readline()
        trips.append(time.perf_counter() - sent)
        if not line:
            break
        writer.write(session.answer(line.decode()).encode())
        sent = time.perf_counter()
    writer.close()
    whole.append(time.perf_counter() - started)


async def _clients(port: int, clients: int, seconds: float, think_s: float) -> tuple[list[float], list[float], int]:
    line = json.loads(TRACE.read_text().splitlines()[0])
    session = RecordedSession.from_line(line)
    env = session.env_bytes(fastagi_script="dial-result", port=port)
    trips: list[float] = []
    whole: list[float] = []
    stop = time.perf_counter() + seconds

    async def channel() -> None:
        await asyncio.sleep(random.uniform(0, 2 * think_s))
        while time.perf_counter() < stop:
            await _session(port, env, session, trips, whole)
            await asyncio.sleep(random.uniform(0, 2 * think_s))

    await asyncio.gather(*(channel() for _ in range(clients)))
    burst_trips: list[float] = []
    burst_whole: list[float] = []
    await asyncio.gather(*(_session(port, env, session, burst_trips, burst_whole) for _ in range(clients)))
    return trips + [-t for t in burst_trips], whole + [-w for w in burst_whole], len(whole)


def _line(name: str, values: list[float]) -> str:
    q = statistics.quantiles(values, n=100)
    return f"{name:<26} n={len(values):6d}  p50 {q[49] * 1000:6.2f} ms  p99 {q[98] * 1000:6.2f} ms  max {max(values) * 1000:6.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--think-ms", type=float, default=200.0)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve())
        return 0
    server = subprocess.Popen([sys.executable, __file__, "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, cwd=REPO)
    assert server.stdout is not None and server.stdin is not None
    port = int(server.stdout.readline())
    random.seed(1)
    trips, whole, sessions = asyncio.run(_clients(port, args.clients, args.seconds, args.think_ms / 1000))
    server.stdin.close()
    stats = json.loads(server.stdout.readline())
    server.wait(10)
    steady = [t for t in trips if t >= 0]
    print(f"{args.clients} concurrent sessions for {args.seconds:.0f} s, mean pause {args.think_ms:.0f} ms:"
          f" {sessions / args.seconds:.0f} sessions/s; server: {stats}")
    print(_line("round trip (steady)", steady) + "   (target p99 <= 5 ms)")
    print(_line("session (steady)", [w for w in whole if w >= 0]))
    print(_line("round trip (burst of all)", [-t for t in trips if t < 0]))
    print(_line("session (burst of all)", [-w for w in whole if w < 0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

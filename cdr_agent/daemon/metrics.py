"""Prometheus text metrics over a minimal HTTP endpoint (GET /metrics), no extra library.

The endpoint is meant for 127.0.0.1 (a local Prometheus or node-exporter textfile scraper);
it answers one request per connection, reads at most a few kilobytes, and times out idle peers.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

log = structlog.get_logger("cdr_agent.daemon.metrics")

Labels = dict[str, str]


@dataclass
class Metric:
    name: str
    kind: str  # counter | gauge | summary
    help: str
    values: list[tuple[Labels, float]] = field(default_factory=list)

    def add(self, value: float, **labels: str) -> "Metric":
        self.values.append((labels, value))
        return self


def render(metrics: list[Metric]) -> str:
    """The Prometheus text exposition format (version 0.0.4)."""
    lines = []
    for m in metrics:
        lines.append(f"# HELP {m.name} {m.help}")
        lines.append(f"# TYPE {m.name} {m.kind}")
        for labels, value in m.values:
            inside = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
            lines.append(f"{m.name}{{{inside}}} {_number(value)}" if inside else f"{m.name} {_number(value)}")
    return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if value != value:
        return "NaN"
    return repr(int(value)) if float(value).is_integer() and abs(value) < 1 << 53 else repr(float(value))


async def serve(host: str, port: int, collect: Callable[[], str]) -> asyncio.Server:
    """Serve `collect()` at /metrics on host:port."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5.0)
            target = head.split(b"\r\n", 1)[0].split(b" ")
            if len(target) >= 2 and target[0] == b"GET" and target[1].split(b"?")[0] == b"/metrics":
                try:
                    body, status = collect().encode(), b"200 OK"
                except Exception as exc:  # noqa: BLE001 - a scrape must never hurt the capture
                    log.error("metrics_failed", error=f"{type(exc).__name__}: {exc}")
                    body, status = b"metrics failed, see the log\n", b"500 Internal Server Error"
            else:
                body, status = b"not found: try /metrics\n", b"404 Not Found"
            writer.write(b"HTTP/1.0 " + status + b"\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                         b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
            await writer.drain()
        except (asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, port, limit=8192)

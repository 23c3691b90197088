"""Report rows as text for people (an aligned table), CSV or JSON for tools.

CSV and JSON carry every figure, in seconds and percent, unrounded beyond the report's own
rounding; the table shows the usual columns and a total line per period.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any, Callable, Optional

from ..render import _clean

Row = dict[str, Any]


def _clock(seconds: Optional[float]) -> str:
    if seconds is None:
        return "-"
    whole = int(round(seconds))
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def _num(value: Optional[float], unit: str = "") -> str:
    return "-" if value is None else f"{value:.1f}{unit}"


# (title, how to show one row) per table column.
Column = tuple[str, Callable[[Row], str]]


def queue_columns(sl: int, short: float) -> list[Column]:
    return [
        ("queue", lambda r: _clean(r["queue"]) or "all queues"),
        ("offered", lambda r: str(r["offered"])),
        ("answered", lambda r: str(r["answered"])),
        ("abandoned", lambda r: str(r["abandoned"])),
        ("aband%", lambda r: _num(r["abandon_rate"])),
        ("avg aband", lambda r: _num(r["avg_abandon_s"], "s")),
        (f"aband<{short:g}s", lambda r: str(r["short_abandoned"])),
        (f"SL{sl}s%", lambda r: _num(r["service_level"])),
        ("ASA", lambda r: _num(r["asa_s"], "s")),
        ("avg wait", lambda r: _num(r["avg_wait_s"], "s")),
        ("max wait", lambda r: _num(r["max_wait_s"], "s")),
        ("AHT", lambda r: _num(r["aht_s"], "s")),
        ("transf", lambda r: str(r["transferred"])),
        ("timeout", lambda r: str(r["timeout"])),
        ("other", lambda r: str(r["other"])),
    ]


def agent_columns(per_queue: bool) -> list[Column]:
    return [("agent", lambda r: _clean(r["agent"]) or "all agents"),
            *([("queue", lambda r: _clean(r["queue"]) or "-")] if per_queue else []), *_AGENT_FIGURES]


_AGENT_FIGURES: list[Column] = [
    ("rung", lambda r: str(r["rung"])),
    ("ring", lambda r: _clock(r["ring_s"])),
    ("avg ring", lambda r: _num(r["avg_ring_s"], "s")),
    ("answered", lambda r: str(r["answered"])),
    ("no answer", lambda r: str(r["ring_no_answer"])),
    ("rejected", lambda r: str(r["rejected"])),
    ("transf", lambda r: str(r["transferred"])),
    ("talk", lambda r: _clock(r["talk_s"])),
    ("AHT", lambda r: _num(r["aht_s"], "s")),
    ("login", lambda r: _clock(r["login_s"])),
    ("pause", lambda r: _clock(r["pause_s"])),
    ("occup%", lambda r: _num(r["occupancy"])),
]


def table(rows: Sequence[Row], columns: list[Column], totals: Sequence[Row] = (), *, heading: str,
          by_period: bool, empty: str) -> str:
    """Aligned text under `heading`; rows grouped by period when `by_period`, each group
    followed by its total (if given and the group has more than one row); `empty` says why
    there is no row."""
    if not rows:
        return f"{heading}\n{empty}"
    cols = ([("period", lambda r: r["period"])] if by_period else []) + columns
    body: list[list[str]] = []
    total_of = {t["period"]: t for t in totals}
    for i, row in enumerate(rows):
        body.append([show(row) for _, show in cols])
        last_of_period = i + 1 == len(rows) or rows[i + 1]["period"] != row["period"]
        if last_of_period and row["period"] in total_of and sum(r["period"] == row["period"] for r in rows) > 1:
            body.append([show(total_of[row["period"]]) for _, show in cols])
    titles = [title for title, _ in cols]
    widths = [max(len(x) for x in column) for column in zip(titles, *body)]
    left = 2 if by_period else 1
    lines = [titles, *body]
    return heading + "\n" + "\n".join(
        "  ".join(cell.ljust(w) if j < left else cell.rjust(w) for j, (cell, w) in enumerate(zip(line, widths))).rstrip()
        for line in lines
    )


def to_csv(rows: Sequence[Row], fields: Sequence[str]) -> str:
    """CSV with a header line, also when there is no row."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(fields), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().rstrip("\n")


def to_json(rows: Sequence[Row]) -> str:
    return json.dumps(list(rows), ensure_ascii=False, indent=1)

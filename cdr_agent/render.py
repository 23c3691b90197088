"""Text for people: the call listing and one call as a tree.

Caller names are untrusted: control characters are shown escaped, never printed raw.
"""
from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any, Callable, Optional

from .store.summary import Summary


def _clean(text: Optional[str]) -> str:
    if text is None:
        return ""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def _clock(iso_text: Optional[str], with_date: bool = False) -> str:
    if iso_text is None:
        return "-"
    moment = datetime.fromisoformat(iso_text)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] if with_date else moment.strftime("%H:%M:%S.%f")[:-3]


def _span(start: Optional[str], end: Optional[str]) -> str:
    if start is None or end is None:
        return "-"
    return f"{datetime.fromisoformat(end).timestamp() - datetime.fromisoformat(start).timestamp():.1f}s"


def _who(num: Optional[str], name: Optional[str]) -> str:
    if name and num:
        return f'"{_clean(name)}" <{_clean(num)}>'
    return _clean(num or name) or "?"


# Q.850 cause codes as Asterisk names them (main/causes.h, `core show hangupcauses`).
HANGUP_CAUSES = {
    0: "not defined", 1: "unallocated number", 2: "no route to network", 3: "no route to destination",
    6: "channel unacceptable", 7: "call awarded, delivered", 16: "normal clearing", 17: "user busy",
    18: "no user responding", 19: "no answer", 20: "subscriber absent", 21: "call rejected",
    22: "number changed", 23: "redirected to new destination", 26: "answered elsewhere",
    27: "destination out of order", 28: "invalid number format", 29: "facility rejected",
    30: "response to status enquiry", 31: "normal, unspecified", 34: "no circuit available",
    38: "network out of order", 41: "temporary failure", 42: "switching equipment congestion",
    43: "access information discarded", 44: "requested channel not available",
    50: "facility not subscribed", 52: "outgoing call barred", 54: "incoming call barred",
    57: "bearer capability not authorized", 58: "bearer capability not available",
    65: "bearer capability not implemented", 66: "channel type not implemented",
    69: "facility not implemented", 81: "invalid call reference", 88: "incompatible destination",
    95: "invalid message, unspecified", 96: "mandatory information element missing",
    97: "message type nonexistent", 98: "wrong message", 99: "information element nonexistent",
    100: "invalid information element contents", 101: "wrong call state", 102: "recovery on timer expiry",
    103: "mandatory information element length error", 111: "protocol error", 127: "interworking",
}

# The listing: (title, width or 0 for the last column, value of one row). Caller names are cut
# to their width here only; CSV and JSON carry them whole.
_NAME_W = 28


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _seconds(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.1f}s"


_LISTING: list[tuple[str, int, Callable[[dict[str, Any]], str]]] = [
    ("started (UTC)", 23, lambda r: _clock(r["started_at"], True)),
    ("call", 8, lambda r: r["call_id"][:8]),
    ("server", 10, lambda r: _clean(r["server"])[:10]),
    ("disposition", 11, lambda r: r["disposition"]),
    ("queue", 12, lambda r: _cut(_clean(r["queue"]) or "-", 12)),
    ("agent", 14, lambda r: _cut(_clean(r["agent"]) or "-", 14)),
    ("wait", -6, lambda r: _seconds(r["wait_s"])),
    ("length", -7, lambda r: _span(r["started_at"], r["ended_at"])),
    ("hung up", 7, lambda r: r["hung_up_by"] or "-"),
    ("caller -> dialed", 0, lambda r: f"{_cut(_who(r['caller_num'], r['caller_name']), _NAME_W)} -> {_clean(r['dialed'])}"),
]


def render_listing(rows: list[dict[str, Any]]) -> str:
    """The listing as an aligned table (negative widths align right)."""
    if not rows:
        return "no calls"

    def line(cells: list[str]) -> str:
        return "  ".join(c if w == 0 else c.rjust(-w) if w < 0 else c.ljust(w)
                         for c, (_, w, _) in zip(cells, _LISTING))

    return "\n".join([line([t for t, _, _ in _LISTING]), *(line([show(r) for _, _, show in _LISTING]) for r in rows)])


def listing_csv(rows: list[dict[str, Any]]) -> str:
    """Every listing field, the caller's name whole; the header even when there is no call."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=LISTING_FIELDS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows({**r, "linkedids": " ".join(r["linkedids"])} for r in rows)
    return out.getvalue().rstrip("\n")


LISTING_FIELDS = ["call_id", "server", "status", "started_at", "answered_at", "ended_at", "answered", "disposition",
                  "queue", "agent", "wait_s", "hung_up_by", "caller_num", "caller_name", "dialed", "linkedids"]


def cause_text(cause: Optional[int]) -> str:
    if cause is None:
        return "cause unknown"
    return f"{HANGUP_CAUSES.get(cause, 'cause')} ({cause})"


def render_call(doc: dict[str, Any], summary: Optional[Summary] = None,
                others: Optional[dict[str, tuple[str, int]]] = None) -> str:
    """One call as a tree. Legs are L1..Ln in their order; a leg of another call is named
    `<call id prefix>/Ln`, which `show` resolves. `summary` adds the
    disposition, queue, agent, wait and who hung up."""
    names = {leg["leg_id"]: f"L{i}" for i, leg in enumerate(doc["legs"], 1)}
    others = others or {}

    def leg(leg_id: Optional[str]) -> str:
        if leg_id is None:
            return "-"
        if leg_id in names:
            return names[leg_id]
        call_id, n = others.get(leg_id, ("?", 0))
        return f"{call_id[:8]}/L{n}" if n else f"[leg {leg_id[:8]} not stored]"

    out = [
        f"call {doc['call_id']}  server {_clean(doc['server'])}  {doc['status']}",
        f"  {_clock(doc['started_at'], True)} -> {_clock(doc['ended_at'])} ({_span(doc['started_at'], doc['ended_at'])}),"
        f" answered {_clock(doc['answered_at'])}   linkedid {', '.join(doc['linkedids'])}",
    ]
    if summary is not None:
        out.append(
            f"  {summary.disposition}; queue {_clean(summary.queue) or '-'}, agent {_clean(summary.agent) or '-'},"
            f" wait {_seconds(summary.wait_s)}; hung up by {summary.hung_up_by or 'unknown'}")
    out.append("  legs:")
    for item in doc["legs"]:
        peer = f"  local peer {leg(item['local_peer'])}" if item["local_peer"] else ""
        up = f"answered {_clock(item['answered_at'])}" if item["answered"] else "not answered"
        out.append(
            f"    {leg(item['leg_id']):4} {_clean(item['channel'])}  {_who(item['caller']['num'], item['caller']['name'])}"
            f"  {_clock(item['created_at'])} -> {_clock(item['ended_at'])}  {up}  {cause_text(item['hangup_cause'])}{peer}"
        )
    if doc["attempts"]:
        out.append("  attempts:")
    for a in doc["attempts"]:
        hop = f" via {leg(a['hop_leg'])}" if a["hop_leg"] else ""
        agent = f" agent {_clean(a['agent'])}" if a.get("agent") else ""
        out.append(
            f"    {a['seq']:>2}. {leg(a['from_leg'])} -> {leg(a['to_leg'])}{hop}  {a['via']:9} {a['outcome'] or 'ringing':10}"
            f" {_clock(a['began_at'])} ring {_seconds(a['ring_s'])} talk {_seconds(a['talk_s'])}"
            f"{agent}  {_clean(a['dialstring'])}"
        )
    for t in doc["transfers"]:
        out.append(
            f"  transfer {t['seq']}: {t['kind']} by {leg(t['transferer_leg'])}, {leg(t['transferee_leg'])} -> "
            f"{leg(t['target_leg'])} ({_clean(t['target_exten'])}@{_clean(t['target_context'])}) at {_clock(t['at'])}"
            f" {'completed' if t['completed'] else 'aborted'}"
        )
    for c in doc["conferences"]:
        members = ", ".join(f"{leg(m['leg'])} {_clock(m['joined_at'])}-{_clock(m['left_at'])}" for m in c["members"])
        out.append(f"  conference {_clean(c['room'])}: {members}")
    for a in doc["apps"]:
        if a["app"] == "conference" and doc["conferences"]:
            continue  # its stay is the conference's line above
        extra = " ".join(f"{k}={_clean(v)}" for k, v in sorted(a["data"].items()))
        wait = f" wait {_seconds(a['wait_s'])}" if a["app"] == "queue" else ""
        out.append(
            f"  {a['app']} {_clean(a['name'])}: {leg(a['leg'])} {_clock(a['entered_at'])} -> {_clock(a['left_at'])}"
            f" result {a['result']}{wait} {extra}".rstrip()
        )
    if doc.get("user_data"):
        out.append("  user data: " + ", ".join(f"{_clean(k)}={_clean(v)}" for k, v in doc["user_data"].items()))
    return "\n".join(out)

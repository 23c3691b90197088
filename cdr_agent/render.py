"""Text for people: the call listing and one call as a tree.

Caller names are untrusted: control characters are shown escaped, never printed raw.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional


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


def render_listing(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no calls"
    lines = [f"{'started (UTC)':23}  {'call':8}  {'server':10}  {'status':11}  {'answered':8}  {'length':>7}  caller -> dialed"]
    for r in rows:
        lines.append(
            f"{_clock(r['started_at'], True):23}  {r['call_id'][:8]}  {_clean(r['server'])[:10]:10}  {r['status']:11}  "
            f"{'yes' if r['answered'] else 'no':8}  {_span(r['started_at'], r['ended_at']):>7}  "
            f"{_who(r['caller_num'], r['caller_name'])} -> {_clean(r['dialed'])}"
        )
    return "\n".join(lines)


def render_call(doc: dict[str, Any]) -> str:
    names = {leg["leg_id"]: f"L{i}" for i, leg in enumerate(doc["legs"], 1)}

    def leg(leg_id: Optional[str]) -> str:
        if leg_id is None:
            return "-"
        return names.get(leg_id, f"[{leg_id[:8]}]")  # a leg of another call

    out = [
        f"call {doc['call_id']}  server {_clean(doc['server'])}  {doc['status']}",
        f"  {_clock(doc['started_at'], True)} -> {_clock(doc['ended_at'])} ({_span(doc['started_at'], doc['ended_at'])}),"
        f" answered {_clock(doc['answered_at'])}   linkedid {', '.join(doc['linkedids'])}",
        "  legs:",
    ]
    for item in doc["legs"]:
        peer = f"  local peer {leg(item['local_peer'])}" if item["local_peer"] else ""
        out.append(
            f"    {leg(item['leg_id']):4} {_clean(item['channel'])}  {_who(item['caller']['num'], item['caller']['name'])}"
            f"  {'answered' if item['answered'] else 'not answered'}  cause {item['hangup_cause']}{peer}"
        )
    if doc["attempts"]:
        out.append("  attempts:")
    for a in doc["attempts"]:
        hop = f" via {leg(a['hop_leg'])}" if a["hop_leg"] else ""
        agent = f" agent {_clean(a['agent'])}" if a.get("agent") else ""
        out.append(
            f"    {a['seq']:>2}. {leg(a['from_leg'])} -> {leg(a['to_leg'])}{hop}  {a['via']:9} {a['outcome'] or 'ringing':10}"
            f" ring {a['ring_s'] if a['ring_s'] is not None else '-'}s talk {a['talk_s'] if a['talk_s'] is not None else '-'}s"
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
        extra = " ".join(f"{k}={_clean(v)}" for k, v in sorted(a["data"].items()))
        out.append(
            f"  {a['app']} {_clean(a['name'])}: {leg(a['leg'])} {_clock(a['entered_at'])} -> {_clock(a['left_at'])}"
            f" result {a['result']} wait {a['wait_s']}s {extra}".rstrip()
        )
    if doc.get("user_data"):
        out.append("  user data: " + ", ".join(f"{_clean(k)}={_clean(v)}" for k, v in doc["user_data"].items()))
    return "\n".join(out)

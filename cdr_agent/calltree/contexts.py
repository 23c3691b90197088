"""Application contexts known by where the dialplan runs: voicemail, and the IVR, ring-group
and voicemail contexts an admin mapped (calltree/settings.py).

A leg enters one when it runs dialplan in a mapped context (or a voicemail application) and
leaves it when it runs dialplan elsewhere or hangs up. Voicemail is `answered` when the leg
was up there (the greeting played), `unanswered` otherwise; an IVR context ends `exit` or
`hangup`; a ring-group context gathers the attempts made from it and ends like a ring group.
"""
from __future__ import annotations

from typing import Optional

from ..ami.event import Event
from .dials import group_result
from .settings import APPLICATION_KINDS
from .state import BuildState, LegState


def on_dialplan(b: BuildState, st: LegState, ev: Event) -> None:
    """A Newexten of a live leg: enter or leave the context application it stands for."""
    h = ev.headers
    context, app = h.get("Context") or "", h.get("Application")
    current = st.context_app
    if current is not None and context != current.data.get("context"):
        leave(st, ev.time, hung_up=h.get("Exten") == "h")
        current = None
    kind = b.settings.app_contexts.get(context) or APPLICATION_KINDS.get(app or "")
    if kind is None:
        return
    if current is None:
        current = st.context_app = st.call.add_app(kind, context, st, ev.time)
        current.data["context"] = context
        if kind == "ringgroup":
            st.ringgroup = current
    if kind == "voicemail" and app in APPLICATION_KINDS:
        current.data["mailbox"] = (h.get("AppData") or "").split(",", 1)[0]


def leave(st: LegState, at: Optional[float], hung_up: bool) -> None:
    app, st.context_app = st.context_app, None
    if app is None or app.result is not None:
        return
    app.left_at = at
    if app.app == "voicemail":
        app.result = "answered" if st.leg.answered else "unanswered"
    elif app.app == "ivr":
        app.result = "hangup" if hung_up else "exit"
    else:
        app.result = group_result(st.call, app.app_id)
        if st.ringgroup is app:
            st.ringgroup = None

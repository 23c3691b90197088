"""AGI observations as builder input: what an observation adds to the call of its channel.

With the AMI stream present an observation adds what only the dialplan knows (user data,
QUEUESTATUS) and nothing else: the AMI tree stays as it is. Where the caller says the AMI
stream of the observation's server is the source (`enrich_only`, the daemon), an observation
never makes a leg or a call: one that comes after its call ended (a classic AGI's spool file,
read a moment later) adds its user data to that finished call, which is handed out again to
be stored again; one of a channel the AMI stream never showed is set aside (`unplaced`), as
an AGI-only call beside the AMI calls could stand in for one of them.

Without it (an install with no AMI daemon) observations are the only source of their calls:
the legs they make are built by agionly.py.
"""
from __future__ import annotations

from . import agionly
from .dialapp import dial_ended
from .observation import Observation
from .queues import queue_status
from .state import BuildState


def observe(b: BuildState, obs: Observation, enrich_only: bool = False) -> None:
    """Apply one observation: to the leg of its channel, or (not `enrich_only`) to a leg
    made from AGI alone."""
    if not obs.uniqueid:
        b.skip("AGI observation without uniqueid")
        return
    st = b.legs.get((obs.server, obs.uniqueid)) or agionly.adopt(b, obs)
    if st is None and enrich_only:
        _late(b, obs)
        return
    if st is None:
        st = agionly.new_leg(b, obs)
        if st is None:
            return
    st.call.call.user_data.update(obs.user_data)
    status = obs.variables.get("QUEUESTATUS")
    if status:
        queue_status(st, status, obs.time)
    if st.from_ami and st.dialling is not None and obs.variables.get("DIALSTATUS"):
        dial_ended(st, obs.variables["DIALSTATUS"], obs.time)
    if not st.from_ami:
        agionly.run(b, st, obs)


def _late(b: BuildState, obs: Observation) -> None:
    """An observation of no live leg, in enrich-only mode: its user data joins the finished
    call of that channel, if it is still remembered, and the call is handed out again."""
    call = b.recent.get((obs.server, obs.uniqueid))
    if call is None:
        b.skip("AGI observation of a channel no AMI call has")
        b.unplaced.append(obs)
        return
    if any(call.user_data.get(k) != v for k, v in obs.user_data.items()):
        call.user_data.update(obs.user_data)
        b.restore(call)

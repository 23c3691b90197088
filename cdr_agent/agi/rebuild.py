"""Calls from AGI observations alone (installs without the AMI daemon). Pure: no I/O.

A classic AGI is one process per run, so no process sees a whole call: the store keeps
every observation and rebuilds the calls of a linkedid group from all of its observations,
in observation-time order, whenever one of them arrives. The result depends only on the set
of observations, not on the order or the batches they were imported in.
"""
from __future__ import annotations

from collections.abc import Iterable

from ..calltree.builder import CallTreeBuilder
from ..calltree.model import Call
from ..calltree.agionly import finalize
from ..calltree.observation import Observation


def rebuild(observations: Iterable[Observation]) -> list[Call]:
    """Every call the observations make: finished ones, then those still in progress."""
    builder = CallTreeBuilder()
    calls: list[Call] = []
    for obs in sorted(observations, key=lambda o: (o.time if o.time is not None else 0.0, o.obs_id)):
        calls.extend(builder.observe(obs))
    for call in builder.open_calls():
        finalize(call)
        calls.append(call)
    return calls

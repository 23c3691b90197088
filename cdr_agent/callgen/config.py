"""What the generator simulates: queues, agents, callers, and how they behave.

A scenario is plain data, built once from a seed, so the same arguments always give the
same stream, byte for byte.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Optional

RINGALL, RRMEMORY = "ringall", "rrmemory"

_QUEUE_NAMES = ("support", "sales", "billing", "vip", "tech-l2", "returns", "orders", "accounts",
                "partners", "callback", "claims", "renewals")
# Agents' MemberNames: real names, some with non-ASCII letters (they are stored verbatim).
_FIRST = ("Alice", "Bruno", "Chloé", "Dmitri", "Eva", "Farid", "Gül", "Hana", "Iñaki", "Jonas",
          "Kasia", "Léa", "Mateo", "Nora", "Oskar", "Priya", "Quentin", "Rosa", "Sven", "Zoë")
_LAST = ("Martin", "Müller", "Nowak", "García", "Rossi", "Dubois", "Søndergaard", "O'Brien",
         "Yılmaz", "Smith")


@dataclass(frozen=True)
class QueueSpec:
    name: str
    strategy: str  # RINGALL | RRMEMORY
    share: float  # relative arrival rate
    member_timeout_s: float = 15.0
    retry_s: float = 5.0
    timeout_s: float = 240.0  # Queue(name,,,,timeout)
    overflow: Optional[str] = None  # queue joined after a timeout; None: the caller is told to call back


@dataclass(frozen=True)
class AgentSpec:
    name: str  # MemberName
    interface: str  # PJSIP/<endpoint>
    queues: tuple[str, ...]
    answer_p: float  # chance to answer a ring
    reject_p: float  # chance to press "busy"; the rest rings out


@dataclass(frozen=True)
class Scenario:
    calls: int
    start: float  # epoch of the first arrival's hour
    rate_per_h: float  # arrivals over all queues
    queues: tuple[QueueSpec, ...]
    agents: tuple[AgentSpec, ...]
    seed: int = 1
    server: str = "callgen"
    talk_mean_s: float = 150.0
    wrapup_s: float = 10.0
    patience_mean_s: float = 150.0  # callers hang up after an exponential wait
    transfer_p: float = 0.08  # answered calls the agent transfers out (blind)
    pause_every_s: float = 7200.0  # mean time between an agent's breaks
    hostile_names_p: float = 0.05  # callers whose caller-ID name is odd (quotes, emoji, controls)
    greeting_s: tuple[float, float] = (0.5, 4.0)  # from the call's arrival to joining the queue
    answer_delay_s: tuple[float, float] = (1.0, 9.0)
    reject_delay_s: tuple[float, float] = (0.3, 3.0)


def default_scenario(
    calls: int, queues: int = 10, agents: int = 50, seed: int = 1, start: float = 1793577600.0,
    load: float = 0.85, server: str = "callgen",
) -> Scenario:
    """A call centre of `queues` queues and `agents` agents, offered about `load` of what the
    logged-in, unpaused agents can take (so some callers wait, abandon or time out)."""
    if not 1 <= queues <= len(_QUEUE_NAMES):
        raise ValueError(f"queues must be between 1 and {len(_QUEUE_NAMES)}")
    if agents < 1 or calls < 0 or not load > 0:
        raise ValueError("need at least one agent, a call count >= 0 and a load > 0")
    rng = random.Random(seed)
    names = _QUEUE_NAMES[:queues]
    specs = []
    for i, name in enumerate(names):
        overflow = names[(i + 1) % queues] if queues > 1 and i % 3 == 0 else None
        specs.append(QueueSpec(
            name=name, strategy=RINGALL if i % 4 == 3 else RRMEMORY, share=1.0 + rng.random() * 2,
            timeout_s=float(rng.choice((45, 60, 90, 180, 300))), overflow=overflow,
            member_timeout_s=float(rng.choice((12, 15, 20))), retry_s=float(rng.choice((2, 5))),
        ))
    people = []
    for i in range(agents):
        home = names[i % queues]
        others = rng.sample([n for n in names if n != home], k=min(len(names) - 1, rng.randint(1, 2)))
        people.append(AgentSpec(
            name=f"{_FIRST[i % len(_FIRST)]} {_LAST[(i // len(_FIRST) + i) % len(_LAST)]} {i + 1:03d}",
            interface=f"PJSIP/agent{i + 1:03d}", queues=(home, *others),
            answer_p=rng.uniform(0.75, 0.95), reject_p=rng.uniform(0.0, 0.08),
        ))
    base = Scenario(calls=calls, start=start, rate_per_h=1.0, queues=tuple(specs), agents=tuple(people),
                    seed=seed, server=server)
    handle_s = base.talk_mean_s + base.wrapup_s + sum(base.answer_delay_s) / 2 + 5
    present = 0.85  # share of an agent's time logged in and not paused
    return replace(base, rate_per_h=load * agents * present * 3600 / handle_s)

"""What one AGI run saw: the dialplan's view of one leg at one moment.

Standard library only: the classic AGI script imports this on every call.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

# AGI call points in the dialplan (the script's first argument).
POSTDIAL, POSTQUEUE, TRANSFER, HANGUP = "postdial", "postqueue", "transfer", "hangup"


@dataclass
class Observation:
    server: str
    label: str
    uniqueid: str
    channel: str
    time: Optional[float]
    linkedid: Optional[str] = None
    variables: dict[str, str] = field(default_factory=dict)  # dialplan variables as read
    user_data: dict[str, str] = field(default_factory=dict)  # admin-chosen business variables

    @classmethod
    def from_agi(
        cls,
        server: str,
        env: dict[str, str],
        variables: dict[str, Optional[str]],
        time: Optional[float],
        user_keys: tuple[str, ...] = (),
    ) -> "Observation":
        """Build from the `agi_*` environment and the variables the script read
        (`None` = could not be read, left out)."""
        known = {k: v for k, v in variables.items() if v is not None}
        args = [env[k] for k in sorted(env) if k.startswith("agi_arg_")]
        return cls(
            server=server,
            label=args[0] if args else "",
            uniqueid=env.get("agi_uniqueid", "") or known.get("UNIQUEID", ""),
            channel=env.get("agi_channel", "") or known.get("CHANNEL", ""),
            time=time,
            linkedid=known.get("CHANNEL(linkedid)") or known.get("LINKEDID") or None,
            variables=known,
            user_data={k: known[k] for k in user_keys if known.get(k)},
        )

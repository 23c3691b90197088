"""What one AGI run saw: the dialplan's view of one leg at one moment.

The call tree's own input type beside AMI events: `agi` produces it (scripts, FastAGI,
spool), the builder consumes it, the journal and the spool keep its JSON form. Standard
library only: the classic AGI script imports this on every call.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

# AGI call points in the dialplan (the script's first argument).
POSTDIAL, POSTQUEUE, TRANSFER, HANGUP = "postdial", "postqueue", "transfer", "hangup"
LABELS = (POSTDIAL, POSTQUEUE, TRANSFER, HANGUP)

_FORMAT = 1  # version of the JSON form (spool files, stored observations)


@dataclass
class Observation:
    server: str
    label: str
    uniqueid: str
    channel: str
    time: float | None
    linkedid: str | None = None
    variables: dict[str, str] = field(default_factory=dict)  # dialplan variables as read
    user_data: dict[str, str] = field(default_factory=dict)  # admin-chosen business variables

    @classmethod
    def from_agi(
        cls,
        server: str,
        env: dict[str, str],
        variables: dict[str, str | None],
        time: float | None,
        user_keys: tuple[str, ...] = (),
        label: str | None = None,
    ) -> Observation:
        """Build from the `agi_*` environment and the variables the script read
        (`None` = could not be read, left out). `label` defaults to the first script argument."""
        known = {k: v for k, v in variables.items() if v is not None}
        if label is None:
            args = [env[k] for k in sorted(env) if k.startswith("agi_arg_")]
            label = args[0] if args else ""
        return cls(
            server=server,
            label=label,
            uniqueid=env.get("agi_uniqueid", "") or known.get("UNIQUEID", ""),
            channel=env.get("agi_channel", "") or known.get("CHANNEL", ""),
            time=time,
            linkedid=known.get("CHANNEL(linkedid)") or known.get("LINKEDID") or None,
            variables=known,
            user_data={k: known[k] for k in user_keys if known.get(k)},
        )

    @property
    def obs_id(self) -> str:
        """Identity of this AGI run, from what it is (server, channel, call point, moment):
        the same run stored twice is recognised as one."""
        import hashlib  # not on the classic script's path: it costs a few ms to import

        key = "\x1f".join((self.server, self.uniqueid, self.label, repr(self.time)))
        return hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def to_json(self) -> str:
        return json.dumps({"format": _FORMAT, **self.__dict__}, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Observation:
        """Parse the form `to_json` writes; ValueError for anything else."""
        doc = json.loads(text)
        if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
            raise ValueError("not a cdr-agent observation")
        obs = cls(
            server=_text(doc, "server"),
            label=_text(doc, "label"),
            uniqueid=_text(doc, "uniqueid"),
            channel=_text(doc, "channel"),
            time=_time(doc.get("time")),
            linkedid=doc.get("linkedid") if isinstance(doc.get("linkedid"), str) else None,
            variables=_strings(doc, "variables"),
            user_data=_strings(doc, "user_data"),
        )
        if not obs.uniqueid:
            raise ValueError("observation without uniqueid")
        return obs


def _text(doc: dict[str, object], key: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str):
        raise ValueError(f"observation field {key!r} is not text")
    return value


def _time(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("observation time is not a number")
    return float(value)


def _strings(doc: dict[str, object], key: str) -> dict[str, str]:
    value = doc.get(key, {})
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ValueError(f"observation field {key!r} is not a text mapping")
    return dict(value)

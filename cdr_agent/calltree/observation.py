"""What one AGI run saw: the dialplan's view of one leg at one moment.

The call tree's own input type beside AMI events: `agi` produces it (scripts, FastAGI,
spool), the builder consumes it, the journal and the spool keep its JSON form. Standard
library only: the classic AGI script imports this on every call, so it imports neither
dataclasses (~20 ms) nor json (~10 ms, most of it `re`) where a process start costs ~12 ms.
"""
from __future__ import annotations

try:
    from _json import encode_basestring as _quote  # json's own C string encoder, without json
except ImportError:  # an interpreter without json's accelerator
    from json.encoder import py_encode_basestring as _quote

# AGI call points in the dialplan (the script's first argument).
POSTDIAL, POSTQUEUE, TRANSFER, HANGUP = "postdial", "postqueue", "transfer", "hangup"
LABELS = (POSTDIAL, POSTQUEUE, TRANSFER, HANGUP)

_FORMAT = 1  # version of the JSON form (spool files, stored observations)


class Observation:
    """A plain class with a dataclass's constructor, equality and repr (see the module's
    docstring for why it is not one)."""

    def __init__(
        self,
        server: str,
        label: str,
        uniqueid: str,
        channel: str,
        time: float | None,
        linkedid: str | None = None,
        variables: dict[str, str] | None = None,
        user_data: dict[str, str] | None = None,
    ) -> None:
        self.server, self.label, self.uniqueid, self.channel, self.time = server, label, uniqueid, channel, time
        self.linkedid = linkedid
        self.variables: dict[str, str] = {} if variables is None else variables  # dialplan variables as read
        self.user_data: dict[str, str] = {} if user_data is None else user_data  # admin-chosen business variables

    def __eq__(self, other: object) -> bool:
        return other.__class__ is self.__class__ and other.__dict__ == self.__dict__

    __hash__ = None  # type: ignore[assignment]  # mutable, as a dataclass is

    def __repr__(self) -> str:
        return f"Observation({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"

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
        """What `json.dumps(..., ensure_ascii=False, separators=(",", ":"))` writes."""
        return _json_text({"format": _FORMAT, **self.__dict__})

    @classmethod
    def from_json(cls, text: str) -> Observation:
        """Parse the form `to_json` writes; ValueError for anything else."""
        import json  # not on the classic script's path (see the module's docstring)

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


def _json_text(value: object) -> str:
    """JSON of the values an observation holds, as json.dumps writes them (compact, not
    ASCII-escaped); anything else goes to json itself."""
    if isinstance(value, str):
        return _quote(value)
    if value is None:
        return "null"
    if type(value) in (int, float) and value - value == 0:  # finite: json writes repr()
        return repr(value)
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return "{" + ",".join(f"{_quote(k)}:{_json_text(v)}" for k, v in value.items()) + "}"
    import json

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


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

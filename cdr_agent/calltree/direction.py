"""Which way a call went: inbound, outbound or internal, told by which channels are trunks.

Events never say that a channel is a trunk; the admin does, with channel-name patterns
(`fnmatch` style, matched case-sensitively against the whole channel name, e.g.
`PJSIP/trunk-*`, `SIP/voipgrid-*`; only `*` and `?`, which SQL's LIKE can say too). A call is **inbound** when its first leg (the caller's
channel) is a trunk, **outbound** when it is not but one of its attempts dialled a trunk,
**internal** otherwise. Live metrics, formulas and reports share this one rule; SQL readers
use `like_patterns()` so the database answers the same.
"""
from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from .model import Call
from .settings import SettingsError

INBOUND, OUTBOUND, INTERNAL = "inbound", "outbound", "internal"
DIRECTIONS = (INBOUND, OUTBOUND, INTERNAL)

# A channel whose technology-specific name says "trunk" (PJSIP/trunk-..., SIP/my_trunk-...).
DEFAULT_TRUNK_PATTERNS = ("*trunk*",)


@dataclass(frozen=True)
class Trunks:
    """The admin's trunk channel patterns (daemon `[trunks] patterns`, `--trunk PATTERN`)."""

    patterns: tuple[str, ...] = DEFAULT_TRUNK_PATTERNS

    def __post_init__(self) -> None:
        for p in self.patterns:
            if not p or "[" in p or "]" in p:
                raise SettingsError(f"trunk pattern {p!r}: use a channel name with * and ? only")

    def is_trunk(self, channel: str | None) -> bool:
        return bool(channel) and any(fnmatchcase(channel, p) for p in self.patterns)

    def direction(self, call: Call) -> str:
        if not call.legs:
            return INTERNAL
        if self.is_trunk(call.legs[0].channel):
            return INBOUND
        channels = {leg.leg_id: leg.channel for leg in call.legs}
        if any(self.is_trunk(channels.get(a.to_leg or "")) for a in call.attempts):
            return OUTBOUND
        return INTERNAL

    def trunk_of(self, call: Call) -> str | None:
        """The trunk channel's name without Asterisk's per-channel suffix (`PJSIP/trunk-0000001a`
        gives `PJSIP/trunk`): the caller's when inbound, else the first dialled trunk."""
        channels = {leg.leg_id: leg.channel for leg in call.legs}
        names = [call.legs[0].channel] if call.legs else []
        names += [channels.get(a.to_leg or "") for a in call.attempts]
        for name in names:
            if name and self.is_trunk(name):
                return name.rsplit("-", 1)[0] if "-" in name.partition("/")[2] else name
        return None

    def like_patterns(self) -> tuple[str, ...]:
        """The patterns as SQL LIKE patterns with `\\` as the escape character."""
        return tuple(_like(p) for p in self.patterns)


def _like(pattern: str) -> str:
    out = []
    for ch in pattern:
        if ch in "\\%_":
            out.append("\\" + ch)
        elif ch == "*":
            out.append("%")
        elif ch == "?":
            out.append("_")
        else:
            out.append(ch)
    return "".join(out)

"""The AGI wire protocol, without I/O: one implementation for classic scripts and FastAGI.

Asterisk sends `agi_key: value` lines ended by a blank line, then answers each command with
one line (`200 result=1 (value)`), a `HANGUP` line when the channel hangs up (the session
goes on in dead-channel mode), `511` for a command refused on a dead channel, or a `520-`
usage block. pyst2 mishandles all of these (see NOTES.md); this module names them instead.

Values are read with one `GET FULL VARIABLE` per batch of names, each value wrapped in
`BASE64_ENCODE()`: a caller name holding quotes, parentheses or a newline cannot break the
line protocol, and one round trip reads what a per-variable loop reads in twenty.

Standard library only, and neither `re` nor dataclasses: the classic AGI script imports this
on every call, and those two would cost it more than the interpreter's own start.
"""
from __future__ import annotations

import binascii

MAX_LINE = 16384  # longest line we accept from Asterisk (a 2 KB caller name is ~2.8 KB in base64)
MAX_ENV_LINES = 256  # Asterisk sends ~25; more is a client that is not Asterisk
MAX_COMMAND = 1024  # Asterisk reads a command line into a 2 KB buffer: stay well under it
SENTINEL = "${BASE64_ENCODE(ok)}"  # proves func_base64 is loaded
SENTINEL_VALUE = "b2s="
HANGUP_LINE = "HANGUP"

# A channel variable or dialplan function we are willing to put inside ${...}:
# [A-Za-z_][A-Za-z0-9_]* then optionally ( [A-Za-z0-9_-,.:@/ ]* ).
_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_WORD = _FIRST | frozenset("0123456789")
_ARG = _WORD | frozenset("-,.:@/ ")


def valid_name(name: str) -> bool:
    """True for `NAME` or `FUNC(args)` without characters that could escape the expression."""
    head, paren, args = name.partition("(")
    if not head or head[0] not in _FIRST or not _WORD.issuperset(head):
        return False
    return not paren or (args.endswith(")") and _ARG.issuperset(args[:-1]))


def parse_env_line(line: str) -> tuple[str, str] | None:
    """`agi_key: value` -> (key, value); None for a line that is not one (garbage, or a
    caller name with a newline in it spilling over)."""
    key, sep, value = line.partition(":")
    key = key.strip()
    if not sep or not key.startswith("agi_") or " " in key:
        return None
    return key, value.strip()


class Reply:
    """One answer line. `code` 200 = done; `value` is the text inside the parentheses.
    A value with equality, by hand (see the module's docstring)."""

    __slots__ = ("code", "result", "value")

    def __init__(self, code: int, result: int | None, value: str | None) -> None:
        self.code, self.result, self.value = code, result, value

    def _key(self) -> tuple[int, int | None, str | None]:
        return self.code, self.result, self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Reply) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Reply(code={self.code!r}, result={self.result!r}, value={self.value!r})"

    @property
    def ok(self) -> bool:
        return self.code == 200 and self.result == 1


def parse_reply(line: str) -> Reply | None:
    """`200 result=1 (value)` -> Reply; None for a line that is not an answer."""
    code, _, rest = line.partition(" ")
    if len(code) != 3 or not code.isdigit():
        return None
    result: int | None = None
    if rest.startswith("result="):
        number, _, rest = rest[7:].partition(" ")
        try:
            result = int(number)
        except ValueError:
            return None
    value = rest[1:-1] if rest.startswith("(") and rest.endswith(")") else None
    return Reply(int(code), result, value)


def batches(names: list[str]) -> list[list[str]]:
    """Split names into groups whose GET FULL VARIABLE command stays under MAX_COMMAND."""
    out: list[list[str]] = []
    size = len(command([])) + 1
    for name in names:
        cost = len(_wrapped(name)) + 1
        if not out or size + cost > MAX_COMMAND:
            out.append([])
            size = len(command([])) + 1
        out[-1].append(name)
        size += cost
    return out


def _wrapped(name: str) -> str:
    return "${BASE64_ENCODE(${%s})}" % name


def command(names: list[str]) -> str:
    """The command reading `names` in one round trip: `SENTINEL,b64(v1),b64(v2),...`."""
    return 'GET FULL VARIABLE "%s"\n' % ",".join([SENTINEL] + [_wrapped(n) for n in names])


def plain_command(name: str) -> str:
    """Fallback without func_base64: one name, its raw value."""
    return 'GET FULL VARIABLE "${%s}"\n' % name


def decode(names: list[str], reply: Reply) -> dict[str, str] | None:
    """Values of a batched read, or None when the reply is not the batch we asked for."""
    if not reply.ok or reply.value is None:
        return None
    parts = reply.value.split(",")
    if len(parts) != len(names) + 1 or parts[0] != SENTINEL_VALUE:
        return None
    values: dict[str, str] = {}
    for name, part in zip(names, parts[1:]):
        try:
            values[name] = binascii.a2b_base64(part).decode("utf-8", "replace") if part else ""
        except (binascii.Error, ValueError):
            return None
    return values

"""One AGI run without I/O: collect the environment, read the variables, make the observation.

The classic script (blocking pipes) and the FastAGI server (asyncio streams) drive the same
three pieces: `Environment` is fed lines until the blank one, `VariableReading` hands out
command lines and takes back each `Reply` (None once the session is over: EOF, deadline),
and `observation()` turns what was read into an `Observation`.

Standard library only: the classic AGI script imports this on every call.
"""
from __future__ import annotations


from .observation import LABELS, POSTDIAL, TRANSFER, VARIABLES, Observation
from .protocol import (
    HANGUP_LINE,
    MAX_ENV_LINES,
    Reply,
    batches,
    command,
    decode,
    parse_env_line,
    parse_reply,
    plain_command,
    valid_name,
)

# Our AGI scripts (classic file names `cdr-agent-<script>`, FastAGI `agi://host/<script>`)
# and the call point each records when the dialplan gives no label argument.
SCRIPTS = {"dial-result": POSTDIAL, "transfer": TRANSFER}


def label_for(script: str, env: dict[str, str]) -> str:
    """`AGI(cdr-agent-dial-result,hangup)` -> hangup; without a known argument, the script's own."""
    arg = env.get("agi_arg_1", "")
    if arg in LABELS:
        return arg
    return SCRIPTS.get(script, POSTDIAL)


def names_to_read(user_keys: tuple[str, ...]) -> list[str]:
    """Our variables plus the admin's, each once; names that cannot be read safely are left
    out (config loading reports them)."""
    names = list(VARIABLES)
    names += [k for k in user_keys if valid_name(k) and k not in names]
    return names


class Environment:
    """The `agi_*` lines up to the blank line. Lines that are not `agi_key: value` (garbage,
    a caller name whose newline spilled over) are counted and skipped."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.done = False
        self.failed = False  # too many lines: not Asterisk talking
        self.garbage = 0
        self._lines = 0

    def feed(self, line: str) -> None:
        self._lines += 1
        if not line.strip():
            self.done = True
            return
        if self._lines > MAX_ENV_LINES:
            self.done = self.failed = True
            return
        pair = parse_env_line(line)
        if pair is None:
            self.garbage += 1
        else:
            self.values[pair[0]] = pair[1]

    @property
    def usable(self) -> bool:
        return self.done and not self.failed and bool(self.values.get("agi_uniqueid"))


class VariableReading:
    """Reads `names`: one batched, base64-wrapped GET FULL VARIABLE per batch, plain reads if
    the server has no func_base64. A name that could not be read stays None."""

    def __init__(self, names: list[str]) -> None:
        self.values: dict[str, str | None] = dict.fromkeys(names)
        self._todo = batches(names)
        self._plain: list[str] = []  # names left to read one by one
        self._asked: list[str] = []
        self._asked_plain = False
        self._over = False

    def next_command(self) -> str | None:
        """The next line to send, or None when done."""
        if self._over:
            return None
        if self._plain:
            self._asked, self._asked_plain = [self._plain.pop(0)], True
            return plain_command(self._asked[0])
        if self._todo:
            self._asked, self._asked_plain = self._todo.pop(0), False
            return command(self._asked)
        return None

    def take(self, reply: Reply | None) -> None:
        if reply is None or not reply.ok:  # session over, 511 dead channel, 520 usage, garbage
            self._over = True
            return
        if self._asked_plain:
            if reply.value is None:  # a raw value with a newline broke the line: stop here
                self._over = True
            else:
                self.values[self._asked[0]] = reply.value
            return
        got = decode(self._asked, reply)
        if got is not None:
            self.values.update(got)
            return
        # Answered, but not our batch: this server cannot BASE64_ENCODE. Read one by one.
        self._plain = self._asked + [name for group in self._todo for name in group]
        self._todo = []


class ReplyReader:
    """Assembles answer lines into one `Reply`: skips the `HANGUP` notice (the channel hung
    up; dead-channel commands still work) and folds a `520-` usage block into one reply."""

    def __init__(self) -> None:
        self.hung_up = False
        self._usage = False

    def feed(self, line: str) -> Reply | None:
        """A complete reply, or None when more lines are needed."""
        line = line.rstrip("\r\n")
        if line == HANGUP_LINE:
            self.hung_up = True
            return None
        if self._usage:
            if line.startswith("520 "):
                self._usage = False
                return Reply(520, None, None)
            return None
        if line.startswith("520-"):
            self._usage = True
            return None
        return parse_reply(line) or Reply(0, None, None)


def observation(
    script: str, env: dict[str, str], values: dict[str, str | None], time: float, server: str,
    user_keys: tuple[str, ...],
) -> Observation:
    return Observation.from_agi(server, env, values, time, user_keys, label_for(script, env))

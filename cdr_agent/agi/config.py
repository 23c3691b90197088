"""AGI settings, read by every classic AGI run: standard library only, never fatal.

`/etc/cdr-agent/agi.conf` (or the file named by `$CDR_AGENT_AGI_CONFIG`):

    [agi]
    server = pbx1                      ; the same name the AMI daemon uses for this Asterisk
    spool = /var/spool/cdr-agent       ; writable by the asterisk user
    user_variables = CAMPAIGN TICKET_ID CDR(userfield)
    deadline_ms = 250

A missing or broken file gives the defaults plus a list of problems: the AGI still records
the call (the dialplan must go on), and the problems are reported on stderr.
"""
from __future__ import annotations

import os

from .protocol import valid_name

CONFIG_ENV = "CDR_AGENT_AGI_CONFIG"
DEFAULT_PATH = "/etc/cdr-agent/agi.conf"
DEFAULT_SPOOL = "/var/spool/cdr-agent"
DEFAULT_DEADLINE_S = 0.25
DEFAULT_PORT = 4573  # FastAGI's registered port


class AgiConfig:
    """The settings; a plain class, as dataclasses costs every AGI run ~20 ms of import.
    `server` defaults to this host's name."""

    def __init__(self, server: str | None = None, spool: str = DEFAULT_SPOOL, user_keys: tuple[str, ...] = (),
                 deadline_s: float = DEFAULT_DEADLINE_S) -> None:
        self.server = os.uname().nodename if server is None else server
        self.spool, self.user_keys, self.deadline_s = spool, user_keys, deadline_s


def load(path: str = "") -> tuple[AgiConfig, list[str]]:
    """The settings and the problems found (empty when all is well)."""
    path = path or os.environ.get(CONFIG_ENV, "") or DEFAULT_PATH
    try:
        with open(path, encoding="utf-8") as fh:
            section = _agi_section(fh.read())
    except FileNotFoundError:
        return AgiConfig(), [] if path == DEFAULT_PATH else [f"{path}: no such file, using defaults"]
    except (OSError, UnicodeDecodeError) as exc:
        return AgiConfig(), [f"{path}: {exc}, using defaults"]
    problems: list[str] = []
    keys = tuple(section.get("user_variables", "").split())
    bad = [k for k in keys if not valid_name(k)]
    if bad:
        problems.append(f"{path}: user_variables ignored (not a variable name): {' '.join(bad)}")
    deadline = DEFAULT_DEADLINE_S
    text = section.get("deadline_ms", "")
    if text:
        try:
            deadline = min(max(float(text) / 1000, 0.01), 5.0)
        except ValueError:
            problems.append(f"{path}: deadline_ms={text!r} is not a number, using {DEFAULT_DEADLINE_S * 1000:.0f}")
    return (
        AgiConfig(
            server=section.get("server") or AgiConfig().server,
            spool=section.get("spool") or DEFAULT_SPOOL,
            user_keys=tuple(k for k in keys if valid_name(k)),
            deadline_s=deadline,
        ),
        problems,
    )


def _agi_section(text: str) -> dict[str, str]:
    """`key = value` lines of the `[agi]` section (or of a file without sections); `;` and
    `#` start comments; a key given twice keeps its last value. configparser would do, at
    a few milliseconds of import on every call."""
    values: dict[str, str] = {}
    section = "agi"
    for raw in text.splitlines():
        line = raw.split(";", 1)[0].split("#", 1)[0].strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif "=" in line and section == "agi":
            key, _, value = line.partition("=")
            values[key.strip().lower()] = value.strip()
    return values

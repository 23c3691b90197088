"""Counters of the AMI wire reader, so bad input is visible without one log line per defect."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class ReaderStats:
    """What an `AmiReader` has seen since it was created.

    `messages` = `events` + `responses` (the messages handed out); a complete message with neither
    an `Event` nor a `Response` header is counted in `unknown` and not handed out.
    """

    messages: int = 0
    events: int = 0
    responses: int = 0
    unknown: int = 0
    skipped_lines: int = 0   # non-blank lines without a colon (the banner excepted)
    oversize: int = 0        # messages longer than max_message_bytes, discarded
    undecodable: int = 0     # messages that were not valid UTF-8 (kept, decoded with U+FFFD)
    banner: int = 0          # 'Asterisk Call Manager/x.y.z' greeting lines seen

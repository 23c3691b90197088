"""The spool: observations not stored yet, one small file each, on the Asterisk host's disk.

Maildir-style: a file is written and fsynced in `tmp/`, then renamed into `new/`, so a
reader never sees half a file and a power cut never loses one the dialplan moved past.
`cdr-agent spool import` (and the daemon) read `new/` in time order and delete a file only
after the database committed it; a file read twice is recognised by its observation id.
Unreadable files move to `bad/` (kept for a human, never retried).

Standard library only, plain `os` paths: the classic AGI script imports this on every call.
"""
from __future__ import annotations

import os

from .observation import Observation

_DIR_MODE = 0o2770  # the asterisk user writes, the importer's group reads and deletes
_FILE_MODE = 0o660


class Spool:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = os.fspath(root)
        self.tmp, self.new, self.bad = (os.path.join(self.root, d) for d in ("tmp", "new", "bad"))
        self.rejected = 0  # files moved to bad/ by this instance

    def put(self, obs: Observation) -> str:
        """Write one observation durably; returns its path in `new/`."""
        for d in (self.tmp, self.new):
            os.makedirs(d, mode=_DIR_MODE, exist_ok=True)
        stamp = int(obs.time * 1_000_000) if obs.time is not None else 0
        name = f"{stamp:020d}-{os.getpid()}-{os.urandom(4).hex()}.json"  # unique without a hash
        tmp = os.path.join(self.tmp, name)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE)
        try:
            os.write(fd, obs.to_json().encode("utf-8", "surrogatepass"))
            os.fsync(fd)
        finally:
            os.close(fd)
        target = os.path.join(self.new, name)
        os.replace(tmp, target)
        return target

    def pending(self, limit: int | None = None) -> list[str]:
        """Files waiting in `new/`, oldest observation first."""
        try:
            names = sorted(n for n in os.listdir(self.new) if n.endswith(".json"))
        except FileNotFoundError:
            return []
        return [os.path.join(self.new, n) for n in names[:limit]]

    def rejected_files(self) -> list[str]:
        try:
            return sorted(os.listdir(self.bad))
        except FileNotFoundError:
            return []

    def read(self, path: str) -> Observation | None:
        """The observation in `path`; None if it vanished (another importer took it) or is
        unreadable (then it is moved to `bad/`)."""
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError):
            self._reject(path)
            return None
        try:
            return Observation.from_json(text)
        except ValueError:
            self._reject(path)
            return None

    def done(self, path: str) -> None:
        """The observation is stored: forget the file."""
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass

    def _reject(self, path: str) -> None:
        self.rejected += 1
        os.makedirs(self.bad, mode=_DIR_MODE, exist_ok=True)
        try:
            os.replace(path, os.path.join(self.bad, os.path.basename(path)))
        except FileNotFoundError:
            pass

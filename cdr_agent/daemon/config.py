"""The daemon's configuration file (TOML, see daemon.example.toml next to this module).

Secrets (the AMI secret, a database password) live in this file or in files it names, never on
the command line (`ps` shows it to every user) and never in logs: `AmiTarget` hides its secret
from repr, and the database URL is logged with its password masked. A broken file gets one
clear message naming the key, not a traceback.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ..ami.client import AmiTarget, Timing
from ..calltree.settings import SettingsError, TreeSettings
from ..ingest import FeedSettings
from ..store.engine import StoreError, check_url, safe_url

EXAMPLE_SECRET = "change-me"  # the example configuration's placeholder

__all__ = ["ConfigError", "DaemonConfig", "JournalSettings", "Listen", "SpoolSettings", "load", "parse"]


class ConfigError(ValueError):
    """The configuration cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Listen:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class JournalSettings:
    directory: Path
    segment_bytes: int = 64 << 20
    keep_bytes: int = 1 << 30  # checkpointed segments kept for audit / replay
    fsync_interval: float = 1.0  # a power cut loses at most this much (a crash loses nothing)
    checkpoint_interval: float = 5.0  # how often the builder's state is saved


@dataclass(frozen=True)
class SpoolSettings:
    """The classic AGI scripts' spool (agi.conf `spool`), drained into the journal."""

    directory: Path
    interval: float = 0.5  # s between looks at the spool
    batch: int = 500  # files per look


@dataclass(frozen=True)
class DaemonConfig:
    database: str = field(repr=False)  # may hold a password
    journal: JournalSettings
    ami: tuple[AmiTarget, ...]
    timing: Timing = Timing()
    calls: FeedSettings = field(default_factory=FeedSettings)
    batch_calls: int = 200  # calls per write transaction
    flush_interval: float = 0.2  # longest a finished call waits for its batch
    metrics: Optional[Listen] = None
    fastagi: Optional[Listen] = None
    fastagi_server: str = ""
    agi_user_keys: tuple[str, ...] = ()
    spool: Optional[SpoolSettings] = None
    stop_timeout: float = 20.0  # SIGTERM: longest wait for the database to take the last calls

    def safe_database(self) -> str:
        """The database URL with its password masked, for logs."""
        return safe_url(self.database)

    def placeholders(self) -> list[str]:
        """What is still the example's: a valid file that cannot work (checked before running)."""
        return [f"ami[{i}] ({t.server}).secret: still the example's {EXAMPLE_SECRET!r}; set this AMI user's"
                " secret from manager.conf" for i, t in enumerate(self.ami) if t.secret == EXAMPLE_SECRET]


def load(path: Path) -> DaemonConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    return parse(data, base=path.parent, name=str(path))


class _Section:
    """Typed access to one table of the file; unknown keys are errors (typos must not pass)."""

    def __init__(self, data: Any, where: str, known: set[str]) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: expected a table")
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")
        self.data, self.where = data, where

    def text(self, key: str, default: Optional[str] = None) -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str) or (default is None and not value):
            raise ConfigError(f"{self.where}.{key}: expected a non-empty string")
        if "\r" in value or "\n" in value:
            raise ConfigError(f"{self.where}.{key}: must be one line")
        return value

    def number(self, key: str, default: float, minimum: float = 0.0) -> float:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
            raise ConfigError(f"{self.where}.{key}: expected a number >= {minimum}, got {value!r}")
        return float(value)

    def integer(self, key: str, default: int, minimum: int = 0) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ConfigError(f"{self.where}.{key}: expected an integer >= {minimum}, got {value!r}")
        return value

    def listen(self, key: str) -> Optional[Listen]:
        if key not in self.data:
            return None
        host, sep, port = self.text(key).rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
            raise ConfigError(f"{self.where}.{key}: expected host:port, got {self.data[key]!r}")
        return Listen(host.strip("[]"), int(port))


_TOP = {"database", "database_file", "journal", "ami", "watchdog", "calls", "calltree", "store", "metrics", "fastagi",
        "spool"}


def parse(data: dict[str, Any], base: Path = Path("."), name: str = "config") -> DaemonConfig:
    top = _Section(data, name, _TOP)
    if "database" in data and "database_file" in data:
        raise ConfigError(f"{name}: give database or database_file, not both")
    database = _secret(top, "database", base)
    try:
        check_url(database)
    except StoreError as exc:
        raise ConfigError(f"{name}: {exc}") from exc

    j = _Section(data.get("journal", {}), "journal", {"directory", "segment_mb", "keep_mb", "fsync_interval",
                                                      "checkpoint_interval"})
    journal = JournalSettings(
        directory=base / j.text("directory"),
        segment_bytes=int(j.number("segment_mb", 64, 0.001) * (1 << 20)),
        keep_bytes=int(j.number("keep_mb", 1024) * (1 << 20)),
        fsync_interval=j.number("fsync_interval", 1.0, 0.001),
        checkpoint_interval=j.number("checkpoint_interval", 5.0, 0.001),
    )

    amis = data.get("ami")
    if isinstance(amis, dict):
        amis = [amis]
    if not isinstance(amis, list) or not amis:
        raise ConfigError(f"{name}: at least one [[ami]] table is required")
    targets = tuple(_ami(item, i, base) for i, item in enumerate(amis))
    names = [t.server for t in targets]
    if len(set(names)) != len(names):
        raise ConfigError(f"{name}: two [[ami]] tables have the same server name")

    w = _Section(data.get("watchdog", {}), "watchdog", {"connect_timeout", "login_timeout", "ping_interval",
                                                        "ping_timeout", "reconnect_min", "reconnect_max",
                                                        "audit_interval"})
    d = Timing()
    timing = Timing(
        connect_timeout=w.number("connect_timeout", d.connect_timeout, 0.001),
        login_timeout=w.number("login_timeout", d.login_timeout, 0.001),
        ping_interval=w.number("ping_interval", d.ping_interval, 0.001),
        ping_timeout=w.number("ping_timeout", d.ping_timeout, 0.001),
        reconnect_min=w.number("reconnect_min", d.reconnect_min, 0.001),
        reconnect_max=w.number("reconnect_max", d.reconnect_max, 0.001),
        audit_interval=w.number("audit_interval", d.audit_interval),
    )

    c = _Section(data.get("calls", {}), "calls", {"hangup_timeout", "sweep_interval"})
    f = FeedSettings()
    calls = FeedSettings(hangup_timeout=c.number("hangup_timeout", f.hangup_timeout, 1.0),
                         sweep_interval=c.number("sweep_interval", f.sweep_interval, 0.001),
                         ami_servers=tuple(names), app_contexts=_app_contexts(data.get("calltree", {})))

    s = _Section(data.get("store", {}), "store", {"batch_calls", "flush_interval", "stop_timeout"})
    m = _Section(data.get("metrics", {}), "metrics", {"listen"})
    a = _Section(data.get("fastagi", {}), "fastagi", {"listen", "server", "user_keys"})
    keys = a.data.get("user_keys", [])
    if not isinstance(keys, list) or not all(isinstance(k, str) and k for k in keys):
        raise ConfigError("fastagi.user_keys: expected a list of variable names")
    fastagi_server = a.text("server", targets[0].server)
    p = _Section(data.get("spool", {}), "spool", {"directory", "interval", "batch"})
    spool = None
    if p.data:
        spool = SpoolSettings(directory=base / p.text("directory"), interval=p.number("interval", 0.5, 0.001),
                              batch=p.integer("batch", 500, 1))
    return DaemonConfig(
        database=database,
        journal=journal,
        ami=targets,
        timing=timing,
        calls=calls,
        batch_calls=s.integer("batch_calls", 200, 1),
        flush_interval=s.number("flush_interval", 0.2, 0.001),
        stop_timeout=s.number("stop_timeout", 20.0),
        metrics=m.listen("listen"),
        fastagi=a.listen("listen"),
        fastagi_server=fastagi_server,
        agi_user_keys=tuple(keys),
        spool=spool,
    )


def _app_contexts(data: Any) -> dict[str, str]:
    """`[calltree.app_contexts]`: dialplan context = ivr | ringgroup | voicemail."""
    t = _Section(data, "calltree", {"app_contexts"})
    mapping = t.data.get("app_contexts", {})
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise ConfigError("calltree.app_contexts: expected a table of context = \"ivr\" | \"ringgroup\" | \"voicemail\"")
    try:
        TreeSettings.with_contexts(mapping)
    except SettingsError as exc:
        raise ConfigError(f"calltree.app_contexts: {exc}") from exc
    return dict(mapping)


def _ami(item: Any, index: int, base: Path) -> AmiTarget:
    where = f"ami[{index}]"
    s = _Section(item, where, {"server", "host", "port", "username", "secret", "secret_file"})
    if ("secret" in s.data) == ("secret_file" in s.data):
        raise ConfigError(f"{where}: give exactly one of secret and secret_file")
    server = s.text("server")
    if len(server.encode()) > 255:
        raise ConfigError(f"{where}.server: at most 255 bytes")
    port = s.integer("port", 5038, 1)
    if port > 65535:
        raise ConfigError(f"{where}.port: not a TCP port: {port}")
    return AmiTarget(server=server, host=s.text("host", "127.0.0.1"), port=port,
                     username=s.text("username"), secret=_secret(s, "secret", base))


def _secret(s: _Section, key: str, base: Path) -> str:
    """`key = "value"` or `key_file = "path"` (first line of that file; relative to the config,
    or to systemd's $CREDENTIALS_DIRECTORY when it is set and holds the file)."""
    if f"{key}_file" not in s.data:
        return s.text(key)
    name = s.text(f"{key}_file")
    credentials = os.environ.get("CREDENTIALS_DIRECTORY")
    candidates = [Path(credentials) / name] if credentials and not Path(name).is_absolute() else []
    candidates.append(base / name)
    for path in candidates:
        if path.is_file():
            try:
                value = path.read_text(encoding="utf-8").splitlines()
            except OSError as exc:
                raise ConfigError(f"{s.where}.{key}_file: cannot read {path}: {exc.strerror or exc}") from exc
            if value and value[0].strip():
                return value[0].strip()
            raise ConfigError(f"{s.where}.{key}_file: {path} is empty")
    raise ConfigError(f"{s.where}.{key}_file: no such file: {candidates[-1]}")

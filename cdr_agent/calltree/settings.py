"""What the builder is told about one PBX's dialplan: which contexts are applications.

Events say when a channel enters a context, not what the context is for. Voicemail is
recognised by its application and by the context names Asterisk's samples and FreePBX use;
an admin names their own IVR, ring-group and voicemail contexts in the configuration
(`[calltree.app_contexts]` in the daemon's file, `--app-context CONTEXT=KIND` for replay).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .vocab import CONTEXT_KINDS

DEFAULT_APP_CONTEXTS = {"voicemail": "voicemail", "vm": "voicemail", "macro-vm": "voicemail"}

# Dialplan applications that are an application context wherever they run.
APPLICATION_KINDS = {"VoiceMail": "voicemail", "VoiceMailMain": "voicemail"}


class SettingsError(ValueError):
    """A configuration value the builder cannot use (one line, for the user)."""


@dataclass(frozen=True)
class TreeSettings:
    app_contexts: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_APP_CONTEXTS))

    @classmethod
    def with_contexts(cls, mapping: dict[str, str]) -> "TreeSettings":
        """The defaults plus an admin's own `context -> kind` mapping (checked)."""
        for context, kind in mapping.items():
            if kind not in CONTEXT_KINDS:
                raise SettingsError(
                    f"app context {context!r}: kind {kind!r} is not one of {', '.join(CONTEXT_KINDS)}")
        return cls({**DEFAULT_APP_CONTEXTS, **mapping})

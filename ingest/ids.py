"""The shapes of the names that become paths in the store, checked where they come in from outside
(a backup, a URL, a live client, a manifest): a recording id is the SHA-256 of its audio, 64
lowercase hex characters and nothing else; a batch id or another name used as a file name is a
short run of letters, digits, ``. _ : -`` that does not start with a dot. Nothing here touches the
disk: the store refuses a bad id again before it builds a path (``ingest.store``)."""
from __future__ import annotations

import hashlib
import re

RECORDING_ID = re.compile(r"[0-9a-f]{64}")
NAME = re.compile(r"[A-Za-z0-9_:-][A-Za-z0-9._:-]{0,127}")


class BadId(ValueError):
    """An id or name from outside has the wrong shape (the message says which and why)."""


def _fits(pattern: re.Pattern, value) -> bool:
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def is_recording_id(value) -> bool:
    return _fits(RECORDING_ID, value)


def recording_id(value, where: str = "recording id") -> str:
    """``value`` if it is a recording id, else BadId saying what it must be (the value shortened)."""
    if not is_recording_id(value):
        raise BadId(f"{where}: {_short(value)} is not a recording id (64 lowercase hex characters, the file's SHA-256)")
    return value


def is_name(value) -> bool:
    return _fits(NAME, value)


def name(value, where: str = "name") -> str:
    """``value`` if it is safe as a file name (batch ids, call ids), else BadId."""
    if not is_name(value):
        raise BadId(f"{where}: {_short(value)} is not allowed (1-128 of A-Z a-z 0-9 . _ : -, not starting with a dot)")
    return value


def made_up(text: str) -> str:
    """A recording id for data that has no audio file (the demo): the SHA-256 of a label."""
    return hashlib.sha256(text.encode()).hexdigest()


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."

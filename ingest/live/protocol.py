"""The live protocol (``toneboard live``): what a call platform sends first, checked.

    client → {"type": "start", "call_id": "c-42", "sample_rate": 16000, "channels": 2,
              "kind": "service", "roles": ["agent", "customer"], "metadata": {"agent": "Li"}}
    server → {"type": "ready", "call_id": "c-42", "received_s": 0.0, "resume_token": "..."}
    client → binary frames: int16 little-endian PCM, channels interleaved (8 or 16 kHz)
    server → {"type": "segment", ...}   as soon as the VAD closes a segment and the model has it
             {"type": "pause", ...}     a gap in one party's speech, when it ends
             {"type": "alert", ...}     a live rule fired (ingest.live.rules), with a suggested action
    client → {"type": "stop"}
    server → {"type": "stored", "recording_id": "...", "segments": N}, then closes (1000)

A dropped call resumes when the same call_id comes back within the server's resume time with the
``resume_token`` its first ``ready`` gave (``{"type": "start", "call_id": "c-42", "resume_token":
"...", ...}``): without it, or with another one, the connection is closed (1008) and the call's
transcript and audio stay with the client that started it.

Close codes: 1008 (no, late or bad start message), 1003 (a malformed frame or text after the
start), 1009 (a message over the size limit). The server is ``ingest.live.server``, the reference
client ``ingest.live.client``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from .. import ids
from ..options import KINDS

CALL_ID = ids.NAME  # it names the call's audio and status files


class BadStart(ValueError):
    """The start message is missing or invalid (the text is the close reason)."""


@dataclass
class Start:
    call_id: str
    sample_rate: int
    channels: int
    kind: str = "service"
    roles: tuple[str, str] = ("agent", "customer")
    metadata: dict[str, str] = field(default_factory=dict)
    resume_token: str | None = None  # given back to resume a dropped call (the server's "ready" hands it out)


def parse_start(message) -> Start:
    if not isinstance(message, str):
        raise BadStart("the first message must be a JSON start message, not audio")
    try:
        m = json.loads(message)
    except json.JSONDecodeError:
        raise BadStart("the first message is not JSON") from None
    if not isinstance(m, dict) or m.get("type") != "start":
        raise BadStart('the first message must be {"type": "start", ...}')
    cid = m.get("call_id")
    if not isinstance(cid, str) or not CALL_ID.fullmatch(cid):
        raise BadStart("call_id must be 1-128 characters of A-Z a-z 0-9 . _ : -, not starting with a dot")
    rate, channels = m.get("sample_rate"), m.get("channels", 1)
    if rate not in (8000, 16000):
        raise BadStart(f"sample_rate {rate!r} is not supported: send 16000 or 8000 Hz PCM")
    if channels not in (1, 2):
        raise BadStart(f"channels {channels!r} is not supported: 1 (mono) or 2 (one party each)")
    kind = m.get("kind", "service")
    if kind not in KINDS:
        raise BadStart(f"kind must be one of {', '.join(KINDS)}")
    roles = m.get("roles", ["agent", "customer"])
    if not (isinstance(roles, list) and len(roles) == 2 and all(isinstance(r, str) and 0 < len(r) <= 40 for r in roles)):
        raise BadStart("roles must be two names, e.g. [\"agent\", \"customer\"]")
    meta = m.get("metadata", {})
    if not (isinstance(meta, dict) and len(meta) <= 50
            and all(isinstance(k, str) and isinstance(v, str | int | float) for k, v in meta.items())):
        raise BadStart("metadata must be an object of at most 50 string keys with string or number values")
    token = m.get("resume_token")
    if token is not None and not (isinstance(token, str) and 0 < len(token) <= 100):
        raise BadStart("resume_token must be the text the server's ready message gave")
    return Start(cid, rate, channels, kind, tuple(roles), {k[:100]: str(v)[:500] for k, v in meta.items()}, token)

"""What an ingest is asked to do (``IngestOptions``), checked before any work starts."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .recognize import DEFAULT_MODEL, LANGUAGE_CHOICES, PRECISIONS

KINDS = ("sales", "service", "class", "other")
OUTCOMES = ("won", "lost")
DEFAULT_DB = Path("data/toneboard.duckdb")
__all__ = ["DEFAULT_DB", "DEFAULT_MODEL", "KINDS", "OUTCOMES", "IngestOptions"]  # the one source of each

@dataclass
class IngestOptions:
    db: Path = DEFAULT_DB
    kind: str = "other"
    outcome: str | None = None
    batch_name: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    manifest: Path | None = None
    recorded_at: str | None = None
    language: str = "auto"
    device: str = "auto"
    model: str = DEFAULT_MODEL
    hub: str = "ms"
    vad: str = "silero"
    max_segment_s: float = 15.0
    min_silence_s: float = 0.3
    pause_threshold_s: float = 0.5
    mix: bool = False
    channel_roles: tuple[str, str] = ("agent", "customer")
    force: bool = False
    max_duration_s: float = 4 * 3600
    threads: int | None = None
    batch_seconds: float | None = None
    use_itn: bool = True
    precision: str = "auto"  # auto (fp16 on CUDA, int8 on CPU) | fp32 | fp16 | int8
    # decode and VAD the next file while the model runs; None: when the model is on a GPU or leaves
    # a CPU core free (on 2 cores with 2 model threads the overlap measured 7 % slower: BENCHMARKS.md)
    look_ahead: bool | None = None
    keep_pii: bool = False  # store transcripts as recognised; by default personal data is redacted
    ray: str | None = None  # analyse on a Ray cluster: "local" or its address (ingest.distributed)
    ray_workers: int | None = None  # model actors on the cluster (default: one per GPU, else per CPU thread)
    # who spoke (ingest.speakers): auto (estimate the count) | off | 1..10, on mono recordings and
    # on ``diarize_channel`` of a stereo one; the manifest's ``speakers`` column overrides it per file
    speakers: str = "auto"
    speaker_model: str = "auto"  # auto (CAM++, else Resemblyzer's voice encoder) | campplus | voice-encoder
    campplus: str = "iic/speech_campplus_sv_zh-cn_16k-common"  # CAM++ hub id or local directory
    diarize_channel: int | None = None
    openings: Path | None = None  # opening lines that mark the agent (default data/openings.yaml)
    # stereo calls naming their agent (metadata ``agent``, or ``teacher`` for a class): enrol that
    # person's voiceprint from the agent's channel when none exists yet (opt-in: biometric data)
    enrol_agents: bool = False
    # the risk queue runs itself: after the batch, these rules are evaluated on its new recordings
    # (None: data/rules.yaml or TONEBOARD_RULES; "off": not) and new tickets are announced
    # (ingest.notify; data/notify.yaml or TONEBOARD_NOTIFY)
    rules: str | None = None
    notify: Path | None = None


def validate(options: IngestOptions) -> None:
    """Raise ValueError with a clear message for invalid options."""
    if options.kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)} (got {options.kind!r})")
    if options.outcome not in (None, *OUTCOMES):
        raise ValueError(f"outcome must be won or lost (got {options.outcome!r})")
    if options.language not in LANGUAGE_CHOICES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGE_CHOICES)} (got {options.language!r})")
    if options.precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)} (got {options.precision!r})")
    if options.max_segment_s < 1:
        raise ValueError("the maximum segment length must be at least 1 s")
    if options.pause_threshold_s <= 0:
        raise ValueError("the pause threshold must be positive")
    if options.ray_workers is not None and options.ray_workers < 1:
        raise ValueError("--ray-workers must be at least 1")
    if options.ray:
        try:
            import ray  # noqa: F401
        except ImportError:
            raise ValueError("--ray needs Ray: pip install 'toneboard[ray]' (or pip install 'ray[default]')") from None
    if options.recorded_at:
        parse_time(options.recorded_at)
    from .roles import load_openings
    from .speakers import ENCODERS, parse_speakers

    parse_speakers(options.speakers)
    if options.speaker_model not in ENCODERS:
        raise ValueError(f"speaker model must be one of {', '.join(ENCODERS)} (got {options.speaker_model!r})")
    if options.diarize_channel not in (None, 0, 1):
        raise ValueError("--diarize-channel takes 0 or 1 (the channel of a stereo file whose speakers to tell apart)")
    load_openings(options.openings)


def parse_time(value: str) -> datetime:
    v = value.strip().replace("/", "-")
    try:
        t = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"cannot read the time {value!r} (use e.g. 2026-11-24 14:30)") from None
    return t.astimezone().replace(tzinfo=None) if t.tzinfo else t


def wants_look_ahead(options: IngestOptions) -> bool:
    if options.look_ahead is not None:
        return options.look_ahead
    from .recognize import resolve_device

    cores = os.cpu_count() or 1
    return resolve_device(options.device).startswith("cuda") or (options.threads or cores) < cores

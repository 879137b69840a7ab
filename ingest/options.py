"""What an ingest is asked to do (``IngestOptions``), checked before any work starts, and the
command-line options that set it (``add_arguments`` / ``from_args``: each flag's help is here,
beside the field it sets)."""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path

from .models.emotion2vec import EMOTION2VEC
from .models.recognize import DEFAULT_MODEL, LANGUAGE_CHOICES, PRECISIONS
from .models.speaker_encoders import CAMPPLUS
from .records import KINDS
from .second_opinion import MODES as SECOND_OPINIONS

TWO_PARTY_KINDS = ("sales", "service")  # an agent and a customer: two speakers unless one voice clearly speaks alone
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
    ray: str | None = None  # analyse on a Ray cluster: "local" or its address (ingest.batch.distributed)
    ray_workers: int | None = None  # model actors on the cluster (default: one per GPU, else per CPU thread)
    # who spoke (ingest.speakers.diarize): auto (estimate the count) | off | 1..10, on mono recordings and
    # on ``diarize_channel`` of a stereo one; the manifest's ``speakers`` column overrides it per file
    speakers: str = "auto"
    speaker_model: str = "auto"  # auto (CAM++, else Resemblyzer's voice encoder) | campplus | voice-encoder
    campplus: str = CAMPPLUS  # CAM++ hub id or local directory
    diarize_channel: int | None = None
    openings: Path | None = None  # opening lines that mark the agent (default data/openings.yaml)
    # stereo calls naming their agent (metadata ``agent``, or ``teacher`` for a class): enrol that
    # person's voiceprint from the agent's channel when none exists yet (opt-in: biometric data)
    enrol_agents: bool = False
    # the risk queue runs itself: after the batch, these rules are evaluated on its new recordings
    # (None: data/rules.yaml or TONEBOARD_RULES; "off": not) and new tickets are announced
    # (analytics.alerts.notify; data/notify.yaml or TONEBOARD_NOTIFY)
    rules: str | None = None
    notify: Path | None = None
    # a second opinion on emotion (ingest.second_opinion): off | emotional (the segments SenseVoice
    # tagged with an emotion) | all; from emotion2vec+ (hub id or local directory)
    emotion_second_opinion: str = "off"
    emotion2vec: str = EMOTION2VEC

    def settings(self, cls, **given):
        """A stage's settings (``RecognizerSettings``, ``VadSettings`` ...) from these options: each
        field of ``cls`` that is an option of the same name, plus ``given`` (a field named otherwise,
        or set by the stage). A new recogniser or VAD option is a field here and there, no copy code."""
        same = {f.name: getattr(self, f.name) for f in fields(cls) if f.init and f.name in OPTION_NAMES and f.name not in given}
        return cls(**same, **given)


OPTION_NAMES = frozenset(f.name for f in fields(IngestOptions))


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
    if options.emotion_second_opinion not in SECOND_OPINIONS:
        raise ValueError(f"--emotion-second-opinion takes {', '.join(SECOND_OPINIONS)} (got {options.emotion_second_opinion!r})")
    if options.ray_workers is not None and options.ray_workers < 1:
        raise ValueError("--ray-workers must be at least 1")
    if options.ray:
        try:
            import ray  # noqa: F401
        except ImportError:
            raise ValueError("--ray needs Ray: pip install 'toneboard[ray]' (or pip install 'ray[default]')") from None
    if options.recorded_at:
        parse_time(options.recorded_at)
    from .models.speaker_encoders import ENCODERS
    from .speakers.diarize import parse_speakers
    from .speakers.roles import load_openings

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


def recorded_at(path: Path, fields: dict, option: str | None, tag: str | None) -> tuple[datetime, str]:
    """When a recording was made, and where that came from, in order of trust: its manifest row,
    ``--recorded-at``, the file's creation tag, its modification time."""
    if fields.get("recorded_at"):
        return parse_time(fields["recorded_at"]), "manifest"
    if option:
        return parse_time(option), "option"
    if tag:
        try:
            return parse_time(tag), "file-tag"
        except ValueError:
            pass
    return datetime.fromtimestamp(int(path.stat().st_mtime)), "file-mtime"


def wants_look_ahead(options: IngestOptions) -> bool:
    if options.look_ahead is not None:
        return options.look_ahead
    from .models.recognize import resolve_device

    cores = os.cpu_count() or 1
    return resolve_device(options.device).startswith("cuda") or (options.threads or cores) < cores


# -- the command line ---------------------------------------------------------------------------
def meta_pair(value: str) -> tuple[str, str]:
    """``--meta KEY=VALUE`` (ingest and the analysis filters)."""
    key, sep, val = value.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"--meta takes KEY=VALUE (got {value!r})")
    return key.strip().lower(), val.strip()


def _roles(value: str) -> tuple[str, str]:
    parts = [p.strip() for p in value.split(",")]
    if len(parts) != 2 or not all(parts):
        raise argparse.ArgumentTypeError("--channel-roles takes two names, e.g. agent,customer")
    return parts[0], parts[1]


def hours(value: str) -> float:
    """An option given in hours, in seconds."""
    return float(value) * 3600


def add_model_arguments(g, keep_pii_help: str) -> None:
    """The model's options (``toneboard ingest`` and ``toneboard live``)."""
    d = IngestOptions()
    g.add_argument("--model", default=d.model, help=f"model hub id or local directory (default: {DEFAULT_MODEL})")
    g.add_argument("--device", default=d.device, help="auto, cpu, cuda or cuda:N (default: %(default)s)")
    g.add_argument("--threads", type=int, help="CPU threads for the model (default: all cores)")
    g.add_argument("--precision", choices=PRECISIONS, default=d.precision,
                   help="auto: fp16 on a GPU, int8 on CPU (about 2x faster than fp32); fp32 is the reference")
    g.add_argument("--keep-pii", action="store_true", help=keep_pii_help)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """``toneboard ingest``'s options, in groups; ``from_args`` makes the ``IngestOptions``."""
    from .models.speaker_encoders import ENCODERS
    from .models.vad import VADS

    d = IngestOptions()
    g = p.add_argument_group("what the recordings are")
    g.add_argument("--kind", choices=KINDS, default=d.kind, help="kind of recording (default: %(default)s)")
    g.add_argument("--outcome", choices=OUTCOMES, help="outcome of a sales demo")
    g.add_argument("--batch", dest="batch_name", metavar="NAME", help="a name for this batch")
    g.add_argument("--meta", dest="metadata", type=meta_pair, action="append", default=[], metavar="KEY=VALUE",
                   help="metadata for every file, repeatable: --meta agent=Li --meta team=Shenzhen")
    g.add_argument("--manifest", type=Path, metavar="CSV",
                   help="CSV with a row per file: filename, kind, outcome, recorded_at, agent, team, customer, ...")
    g.add_argument("--recorded-at", metavar="TIME", help="recording time for every file (default: "
                   "manifest, then the file's creation tag, then its modification time)")
    m = p.add_argument_group("analysis")
    m.add_argument("--language", choices=LANGUAGE_CHOICES, default=d.language, help="spoken language (default: %(default)s)")
    add_model_arguments(m, "store transcripts with phone, ID-card, bank-card numbers and e-mails as recognised "
                           "(default: redacted to [PHONE] [ID] [CARD] [EMAIL])")
    m.add_argument("--hub", choices=("ms", "hf"), default=d.hub, help="model hub: ModelScope or Hugging Face (default: %(default)s)")
    m.add_argument("--batch-seconds", type=float, help="padded audio seconds per model call (default: 20 on CPU, 300 on GPU)")
    m.add_argument("--vad", choices=VADS, default=d.vad, help="voice activity detector (default: %(default)s; fsmn needs the model hub)")
    m.add_argument("--max-segment", dest="max_segment_s", type=float, default=d.max_segment_s, metavar="S",
                   help="split speech longer than this (default: %(default)s s)")
    m.add_argument("--min-silence", dest="min_silence_s", type=float, default=d.min_silence_s, metavar="S",
                   help="silence that ends a segment (default: %(default)s s)")
    m.add_argument("--pause-threshold", dest="pause_threshold_s", type=float, default=d.pause_threshold_s,
                   metavar="S", help="shortest gap stored as a pause (default: %(default)s s)")
    m.add_argument("--mix", action="store_true", help="downmix stereo instead of analysing each channel")
    m.add_argument("--channel-roles", type=_roles, default=d.channel_roles, metavar="A,B",
                   help="roles of channel 0 and 1 in stereo files (default: agent,customer)")
    m.add_argument("--emotion-second-opinion", choices=SECOND_OPINIONS, default=d.emotion_second_opinion,
                   metavar="emotional|all|off",
                   help="hear segments again with emotion2vec+ and count an emotion only where the two models agree: "
                        "emotional (the segments SenseVoice tagged with an emotion: what rules and alerts act on), "
                        "all, or off (the default)")
    m.add_argument("--emotion2vec", default=d.emotion2vec, metavar="ID|DIR",
                   help="the second-opinion model: hub id or local directory (default: %(default)s; or _large)")
    m.add_argument("--no-itn", dest="use_itn", action="store_false", help="no inverse text normalisation")
    m.add_argument("--max-duration", dest="max_duration_s", type=hours, default=d.max_duration_s, metavar="H",
                   help=f"refuse files longer than this many hours (default: {d.max_duration_s / 3600:g})")
    w = p.add_argument_group("who spoke")
    w.add_argument("--speakers", default=d.speakers, metavar="N|auto|off",
                   help="speakers in each mono recording: auto (estimated; the default), a number from 1 to 10 "
                        "(calls and demos are usually 2), or off (one speaker, no diarization); the manifest "
                        "column 'speakers' sets it per file")
    w.add_argument("--speaker-model", choices=ENCODERS, default=d.speaker_model,
                   help="auto: CAM++, or Resemblyzer's voice encoder (offline) when CAM++ cannot be loaded")
    w.add_argument("--campplus", default=d.campplus, metavar="ID|DIR",
                   help="CAM++ model: hub id or local directory (default: %(default)s)")
    w.add_argument("--diarize-channel", type=int, choices=(0, 1),
                   help="stereo files: also tell apart the speakers on this channel (e.g. several students)")
    w.add_argument("--openings", type=Path, metavar="YAML",
                   help="opening lines that mark the agent (default: data/openings.yaml)")
    w.add_argument("--enrol-agents", action="store_true",
                   help="stereo calls with an agent (or teacher) named in their metadata: keep a voiceprint of "
                        "that person from their channel, if none exists yet, so their mono calls name them")
    rq = p.add_argument_group("risk queue (runs after every batch)")
    rq.add_argument("--rules", metavar="YAML|off",
                    help="rules evaluated on the new recordings; new tickets are announced (default: data/rules.yaml, "
                         "or TONEBOARD_RULES; off: not evaluated)")
    rq.add_argument("--notify", type=Path, metavar="YAML",
                    help="where new tickets are announced: webhooks, e-mail (default: data/notify.yaml if present, "
                         "or TONEBOARD_NOTIFY)")
    s = p.add_argument_group("storage")
    s.add_argument("--db", type=Path, default=DEFAULT_DB, help="database file (default: %(default)s)")
    s.add_argument("--force", action="store_true", help="re-analyse files already ingested, replacing them")
    s.add_argument("--ray", metavar="ADDRESS",
                   help="analyse on a Ray cluster: 'local' starts one on this machine, or e.g. ray://head:10001 "
                        "(pip install 'toneboard[ray]'; the files are read here and sent to the workers)")
    s.add_argument("--ray-workers", type=int, metavar="N",
                   help="model actors on the cluster (default: one per GPU, else one per --threads CPUs)")


def given(cls, a: argparse.Namespace) -> dict:
    """The fields of dataclass ``cls`` that the parsed arguments ``a`` have (argument dest = field name)."""
    return {f.name: getattr(a, f.name) for f in fields(cls) if hasattr(a, f.name)}


def from_args(a: argparse.Namespace) -> IngestOptions:
    """The ``IngestOptions`` of parsed arguments (those ``add_arguments`` or ``add_model_arguments`` declared;
    the rest keep their defaults)."""
    values = given(IngestOptions, a)
    if "metadata" in values:
        values["metadata"] = dict(values["metadata"])
    return IngestOptions(**values)


def add_voices_arguments(p, db) -> None:
    """``toneboard voices enrol|list|delete`` (``db``: the parent parser with ``--db``)."""
    from .models.speaker_encoders import ENCODERS

    d = IngestOptions()
    sub = p.add_subparsers(dest="action", required=True)
    enrol = sub.add_parser("enrol", parents=[db], help="store NAME's voiceprint from recordings of that person alone")
    enrol.add_argument("name")
    enrol.add_argument("files", nargs="+", type=Path, metavar="FILE")
    enrol.add_argument("--speaker-model", choices=ENCODERS, default=d.speaker_model)
    enrol.add_argument("--campplus", default=d.campplus, metavar="ID|DIR")
    sub.add_parser("list", parents=[db], help="the enrolled voices")
    sub.add_parser("delete", parents=[db], help="delete NAME's voiceprints").add_argument("name")

"""The ingestion job: files and folders in, recordings with tagged segments out.

``ingest_paths`` is the one entry point (the CLI and the dashboard's upload page call it). Per file:
hash (the recording id; present already → skipped) → decode → VAD per channel → SenseVoice on the
slices → parse → derived signals → one atomic write. A file that fails is recorded with its stage
and reason, and the batch goes on.
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from . import PIPELINE_VERSION
from .decode import SAMPLE_RATE, DecodeError, decode
from .manifest import Manifest, ManifestRow
from .pii import redact as pii_redact
from .recognize import (
    LANGUAGE_CHOICES,
    Recognized,
    RecognizerSettings,
    SenseVoiceRecognizer,
)
from .records import Batch, FileOutcome, IngestFailure, Recording, Segment
from .signals import find_pauses, loudness_dbfs, speaking_rate
from .store import Store, now
from .vad import VadSettings, load_vad, split_long

KINDS = ("sales", "service", "class", "other")
OUTCOMES = ("won", "lost")
DEFAULT_DB = Path("data/toneboard.duckdb")
AUDIO_EXTENSIONS = {
    ".wav", ".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".amr", ".flac", ".webm", ".mp4",
    ".mov", ".wma", ".3gp", ".3gpp", ".mkv", ".silk", ".caf", ".aif", ".aiff", ".mpga", ".m4b",
}


class Recognizer(Protocol):
    model_id: str
    revision: str | None

    def transcribe(self, slices: list[np.ndarray]) -> list[Recognized]: ...


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
    model: str = "iic/SenseVoiceSmall"
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
    keep_pii: bool = False  # store transcripts as recognised; by default personal data is redacted
    ray: str | None = None  # analyse on a Ray cluster: "local" or its address (ingest.distributed)
    ray_workers: int | None = None  # model actors on the cluster (default: one per GPU, else per CPU thread)


@dataclass
class Progress:
    """What a progress display needs, sent before and after each file."""

    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    audio_done_s: float
    current: str | None
    last: FileOutcome | None = None


@dataclass
class BatchReport:
    batch: Batch
    outcomes: list[FileOutcome]

    @property
    def failed(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]


class _Failed(Exception):
    def __init__(self, stage: str, reason: str):
        super().__init__(reason)
        self.stage, self.reason = stage, reason


@dataclass
class _Job:
    path: Path
    row: ManifestRow | None
    missing: bool = False


def validate(options: IngestOptions) -> None:
    """Raise ValueError with a clear message for invalid options."""
    if options.kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)} (got {options.kind!r})")
    if options.outcome not in (None, *OUTCOMES):
        raise ValueError(f"outcome must be won or lost (got {options.outcome!r})")
    if options.language not in LANGUAGE_CHOICES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGE_CHOICES)} (got {options.language!r})")
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
        _parse_time(options.recorded_at)


def _parse_time(value: str) -> datetime:
    v = value.strip().replace("/", "-")
    try:
        t = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"cannot read the time {value!r} (use e.g. 2026-11-24 14:30)") from None
    return t.astimezone().replace(tzinfo=None) if t.tzinfo else t


def discover(paths: list[Path], manifest: Manifest | None) -> list[_Job]:
    """Files to ingest: the files given, the audio files under the folders given (recursively),
    or, with no paths, the manifest's files. Sorted, each once."""
    jobs: dict[Path, _Job] = {}
    if not paths and manifest is not None:
        for p, row in manifest.files():
            jobs.setdefault(p, _Job(p, row, missing=not p.is_file()))
        return list(jobs.values())
    for p in paths:
        p = Path(p).expanduser()
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in AUDIO_EXTENSIONS
                           and not any(part.startswith(".") for part in f.relative_to(p).parts))
            for f in found:
                jobs.setdefault(f.resolve(), _Job(f.resolve(), manifest.lookup(f) if manifest else None))
        else:
            jobs.setdefault(p.resolve(), _Job(p.resolve(), manifest.lookup(p) if manifest else None,
                                              missing=not p.exists()))
    return list(jobs.values())


def file_id(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Pipeline:
    """Holds the loaded models for a batch; models load on the first file that needs them."""

    def __init__(self, options: IngestOptions, recognizer: Recognizer | None = None):
        self.options = options
        self._recognizer = recognizer
        self._vad = None
        self.vad_settings = VadSettings(name=options.vad, max_segment_s=options.max_segment_s,
                                        min_silence_s=options.min_silence_s)

    @property
    def model_id(self) -> str:
        """The id results of this pipeline are stored with (without loading the model)."""
        if self._recognizer is not None:
            return self._recognizer.model_id
        local = Path(self.options.model).expanduser()
        return str(local.resolve()) if local.exists() else self.options.model

    @property
    def recognizer(self) -> Recognizer:
        if self._recognizer is None:
            o = self.options
            self._recognizer = SenseVoiceRecognizer(RecognizerSettings(
                model=o.model, hub=o.hub, device=o.device, language=o.language, use_itn=o.use_itn,
                threads=o.threads, batch_seconds=o.batch_seconds))
        return self._recognizer

    @property
    def vad(self):
        if self._vad is None:
            self._vad = load_vad(self.vad_settings, ncpu=self.options.threads or 1)
        return self._vad

    def analyse(self, path: Path, recording_id: str, fields: dict, metadata: dict,
                batch_id: str) -> tuple[Recording, list[Segment], list]:
        o = self.options
        try:
            audio = decode(path, mix=o.mix, max_duration_s=o.max_duration_s)
        except DecodeError as e:
            raise _Failed("decode", str(e)) from None
        n_ch = audio.samples.shape[0]
        ch_roles = fields.get("channel_roles", o.channel_roles)
        roles = {0: ch_roles[0], 1: ch_roles[1]} if n_ch == 2 else {0: fields.get("mono_role", "mixed")}
        vad = self.vad  # a VAD that cannot load stops the batch (VadUnavailable)
        try:
            spans = []
            for ch in range(n_ch):
                for b, e in split_long(vad.speech_spans(audio.samples[ch]), o.max_segment_s):
                    spans.append((b, e, ch))
        except Exception as e:  # noqa: BLE001
            raise _Failed("vad", f"voice activity detection failed: {type(e).__name__}: {e}") from e
        if not spans:
            raise _Failed("vad", f"no speech found ({audio.duration_s:.1f} s of audio)")
        spans.sort()
        slices = [audio.samples[ch, int(b * SAMPLE_RATE):int(e * SAMPLE_RATE)] for b, e, ch in spans]
        recognizer = self.recognizer  # a model that cannot load stops the batch (ModelUnavailable)
        try:
            recognized = recognizer.transcribe(slices)
        except Exception as e:  # noqa: BLE001
            raise _Failed("recognize", f"speech recognition failed: {type(e).__name__}: {e}") from e
        rec_model, rec_rev = recognizer.model_id, recognizer.revision
        segments = []
        for i, ((b, e, ch), sl, r) in enumerate(zip(spans, slices, recognized)):
            rate, unit = speaking_rate(r.parsed.text, e - b)
            text, pii = pii_redact(r.parsed.text)
            raw = r.parsed.raw if o.keep_pii else pii_redact(r.parsed.raw)[0]
            segments.append(Segment(
                recording_id=recording_id, channel=ch, role=roles[ch], seg_index=i,
                start_s=round(b, 3), end_s=round(e, 3), language=r.parsed.language,
                emotion=r.parsed.emotion, emotion_confidence=r.emotion_confidence,
                events=r.parsed.events, itn=r.parsed.itn, text=r.parsed.text if o.keep_pii else text,
                raw_text=raw, loudness_dbfs=loudness_dbfs(sl), speaking_rate=rate, rate_unit=unit, pii=pii))
        pauses = find_pauses(segments, o.pause_threshold_s, recording_id, roles)
        recorded_at, source = self._recorded_at(path, fields, audio.info.creation_time)
        rec = Recording(
            recording_id=recording_id, path=str(path), filename=path.name,
            size_bytes=path.stat().st_size, format=audio.info.format, codec=audio.info.codec,
            duration_s=round(audio.info.duration_s or audio.duration_s, 3),
            sample_rate=audio.info.sample_rate, channels=audio.info.channels,
            analysed_channels=n_ch, mixed=audio.mixed, kind=fields.get("kind", o.kind),
            outcome=fields.get("outcome", o.outcome), batch_id=batch_id, recorded_at=recorded_at,
            recorded_at_source=source, language_requested=o.language, model_id=rec_model,
            model_revision=rec_rev, pipeline_version=PIPELINE_VERSION, vad=o.vad,
            ingested_at=now(), n_segments=len(segments),
            speech_s=round(sum(s.duration_s for s in segments), 3), metadata=metadata)
        return rec, segments, pauses

    def _recorded_at(self, path: Path, fields: dict, tag: str | None) -> tuple[datetime, str]:
        if fields.get("recorded_at"):
            return _parse_time(fields["recorded_at"]), "manifest"
        if self.options.recorded_at:
            return _parse_time(self.options.recorded_at), "option"
        if tag:
            try:
                return _parse_time(tag), "file-tag"
            except ValueError:
                pass
        return datetime.fromtimestamp(int(path.stat().st_mtime)), "file-mtime"


def _row_fields(row: ManifestRow | None) -> tuple[dict, dict]:
    if row is None:
        return {}, {}
    fields = dict(row.fields)
    if "kind" in fields and fields["kind"] not in KINDS:
        raise _Failed("input", f"manifest line {row.line}: kind {fields['kind']!r} is not one of {', '.join(KINDS)}")
    if "outcome" in fields and fields["outcome"] not in OUTCOMES:
        raise _Failed("input", f"manifest line {row.line}: outcome {fields['outcome']!r} is not won or lost")
    if "recorded_at" in fields:
        try:
            _parse_time(fields["recorded_at"])
        except ValueError as e:
            raise _Failed("input", f"manifest line {row.line}: {e}") from None
    if "role" in row.metadata:  # who speaks on a mono recording (e.g. teacher)
        fields["mono_role"] = row.metadata.pop("role")
    if "channel_roles" in row.metadata:
        roles = [r.strip() for r in row.metadata.pop("channel_roles").split(",")]
        if len(roles) != 2 or not all(roles):
            raise _Failed("input", f"manifest line {row.line}: channel_roles takes two names, e.g. teacher,student")
        fields["channel_roles"] = tuple(roles)
    if fields.get("language") and fields["language"] != "auto":
        raise _Failed("input", f"manifest line {row.line}: per-file language is not supported; "
                               "ingest such files in a batch with --language")
    return fields, dict(row.metadata)


def ingest_paths(paths: list[str | Path], options: IngestOptions,
                 on_progress: Callable[[Progress], None] | None = None,
                 recognizer: Recognizer | None = None) -> BatchReport:
    """Ingest files and folders into the store of ``options.db``; returns the batch's report.

    Raises ValueError for invalid options, ManifestError, StoreError, and ModelUnavailable /
    VadUnavailable when no file can be analysed at all; everything that concerns one file is
    recorded as that file's failure instead."""
    validate(options)
    manifest = Manifest(options.manifest) if options.manifest else None
    jobs = discover([Path(p) for p in paths], manifest)
    store = Store(options.db)
    store.init()
    store.mark_interrupted_batches()
    started = now()
    batch = Batch(batch_id=started.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6],
                  name=options.batch_name or f"ingest {started:%Y-%m-%d %H:%M}", started_at=started,
                  finished_at=None, status="running", n_files=len(jobs),
                  options=json.dumps(asdict(options), default=str), pid=os.getpid(),
                  host=socket.gethostname())
    store.write_batch(batch)
    pipeline = Pipeline(options, recognizer)
    sizes = [j.path.stat().st_size if j.path.is_file() else 0 for j in jobs]
    prog = Progress(0, len(jobs), 0, sum(sizes), 0.0, None)
    outcomes: list[FileOutcome] = []
    size_of = {id(j): size for j, size in zip(jobs, sizes)}

    def one_by_one():
        for job in jobs:
            prog.current = str(job.path)
            if on_progress:
                on_progress(prog)
            yield job, _ingest_one(job, store, pipeline, batch, options)
    try:
        if options.ray:  # files analysed in parallel on the cluster; stored here as they come back
            from .distributed import analyse_on_ray
            done = analyse_on_ray(jobs, store, pipeline, batch, options)
        else:
            done = one_by_one()
        for job, outcome in done:
            outcomes.append(outcome)
            batch.n_ingested += outcome.status == "ingested"
            batch.n_skipped += outcome.status == "skipped"
            batch.n_failed += outcome.status == "failed"
            batch.audio_s = round(batch.audio_s + outcome.duration_s, 3)
            prog.files_done += 1
            prog.bytes_done += size_of[id(job)]
            prog.audio_done_s += outcome.duration_s
            prog.last, prog.current = outcome, None
            if on_progress:
                on_progress(prog)
        batch.status = "finished"
    except BaseException:
        batch.status = "aborted"
        raise
    finally:
        batch.finished_at = now()
        store.write_batch(batch)
        store.close()
    return BatchReport(batch, outcomes)


@dataclass
class _Todo:
    """A file that needs analysing: its id, manifest fields and metadata, and whether it replaces."""
    job: _Job
    rid: str
    fields: dict
    metadata: dict
    replace: bool


def _prepare(job: _Job, store: Store, model_id: str, options: IngestOptions) -> _Todo | FileOutcome:
    """Check one file before analysis: a missing file or a bad manifest row raises _Failed; a file
    stored already with this model is skipped (FileOutcome); else what to analyse (_Todo)."""
    path = job.path
    if job.missing:
        raise _Failed("input", "file not found" + (" (listed in the manifest)" if job.row else ""))
    fields, meta = _row_fields(job.row)
    try:
        rid = file_id(path)
    except OSError as e:
        raise _Failed("input", f"cannot read the file: {e.strerror}") from None
    stored_model = store.stored_model(rid)
    replace = options.force
    if stored_model is not None and not options.force:
        if stored_model == model_id:
            return FileOutcome(str(path), "skipped", rid, "already ingested")
        replace = True  # analysed before with another model: analyse again with this one
    return _Todo(job, rid, fields, {**options.metadata, **meta}, replace)


def _store(todo: _Todo, rec: Recording, segments: list[Segment], pauses: list, store: Store) -> FileOutcome:
    path = todo.job.path
    try:
        written = store.write_recording(rec, segments, pauses, replace=todo.replace)
    except OSError as e:
        raise _Failed("store", f"cannot write to the store: {e}") from e
    if not written:
        return FileOutcome(str(path), "skipped", todo.rid, "already ingested (by another process)")
    return FileOutcome(str(path), "ingested", todo.rid, None, rec.duration_s, len(segments))


def _failure(path: Path, rid: str | None, stage: str, reason: str, store: Store, batch: Batch) -> FileOutcome:
    failure = IngestFailure(batch.batch_id, str(path), stage, reason, now(), rid)
    store.write_failure(failure)
    return FileOutcome(str(path), "failed", rid, reason)


def _ingest_one(job: _Job, store: Store, pipeline: Pipeline, batch: Batch,
                options: IngestOptions) -> FileOutcome:
    from .recognize import ModelUnavailable
    from .vad import VadUnavailable

    rid = None
    try:
        todo = _prepare(job, store, pipeline.model_id, options)
        if isinstance(todo, FileOutcome):
            return todo
        rid = todo.rid
        rec, segments, pauses = pipeline.analyse(job.path, rid, todo.fields, todo.metadata, batch.batch_id)
        return _store(todo, rec, segments, pauses, store)
    except (ModelUnavailable, VadUnavailable):
        raise
    except _Failed as f:
        return _failure(job.path, rid, f.stage, f.reason, store, batch)
    except Exception as e:  # noqa: BLE001 - one broken file never stops the batch
        return _failure(job.path, rid, "internal", f"{type(e).__name__}: {e}", store, batch)

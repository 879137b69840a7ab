"""One file's job, the same for every driver (a local batch in ``pipeline``, Ray workers in
``distributed``, a finished live call in ``live_call``): which file, checked before analysis
(``prepare``: missing, a bad manifest row, stored already → skipped), stored after it
(``store_result``), or recorded as failed with its stage and reason (``failure``). Each ends in one
record, a ``FileOutcome``."""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import FileFailed
from ..options import KINDS, OUTCOMES, IngestOptions, parse_time
from ..records import Batch, FileOutcome, IngestFailure, Recording, Segment, StageTimes, now
from ..store import Store
from .manifest import ManifestRow

__all__ = ["FileFailed", "Job", "Todo", "failure", "file_id", "prepare", "store_result"]


@dataclass
class Job:
    path: Path
    row: ManifestRow | None
    missing: bool = False


def file_id(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def row_fields(row: ManifestRow | None) -> tuple[dict, dict]:
    if row is None:
        return {}, {}
    fields = dict(row.fields)
    if "kind" in fields and fields["kind"] not in KINDS:
        raise FileFailed("input", f"manifest line {row.line}: kind {fields['kind']!r} is not one of {', '.join(KINDS)}")
    if "outcome" in fields and fields["outcome"] not in OUTCOMES:
        raise FileFailed("input", f"manifest line {row.line}: outcome {fields['outcome']!r} is not won or lost")
    if "recorded_at" in fields:
        try:
            parse_time(fields["recorded_at"])
        except ValueError as e:
            raise FileFailed("input", f"manifest line {row.line}: {e}") from None
    if "speakers" in row.metadata:
        from ..speakers.diarize import parse_speakers
        try:
            parse_speakers(row.metadata["speakers"])
        except ValueError as e:
            raise FileFailed("input", f"manifest line {row.line}: {e}") from None
        fields["speakers"] = row.metadata.pop("speakers")
    if "lead_speaker" in row.metadata:  # which speaker (S1, S2, ...) is the agent / seller / teacher
        fields["lead_speaker"] = row.metadata.pop("lead_speaker").upper()
    if "role" in row.metadata:  # who speaks on a mono recording (e.g. teacher)
        fields["mono_role"] = row.metadata.pop("role")
    if "channel_roles" in row.metadata:
        roles = [r.strip() for r in row.metadata.pop("channel_roles").split(",")]
        if len(roles) != 2 or not all(roles):
            raise FileFailed("input", f"manifest line {row.line}: channel_roles takes two names, e.g. teacher,student")
        fields["channel_roles"] = tuple(roles)
    if fields.get("language") and fields["language"] != "auto":
        raise FileFailed("input", f"manifest line {row.line}: per-file language is not supported; "
                               "ingest such files in a batch with --language")
    return fields, dict(row.metadata)


@dataclass
class Todo:
    """A file that needs analysing: its id, manifest fields and metadata, and whether it replaces."""
    job: Job
    rid: str
    fields: dict
    metadata: dict
    replace: bool


def prepare(job: Job, store: Store, model_id: str, options: IngestOptions) -> Todo | FileOutcome:
    """Check one file before analysis: a missing file or a bad manifest row raises FileFailed; a file
    stored already with this model is skipped (FileOutcome); else what to analyse (Todo)."""
    path = job.path
    if job.missing:
        raise FileFailed("input", "file not found" + (" (listed in the manifest)" if job.row else ""))
    fields, meta = row_fields(job.row)
    try:
        rid = file_id(path)
    except OSError as e:
        raise FileFailed("input", f"cannot read the file: {e.strerror}") from None
    stored_model = store.stored_model(rid)
    replace = options.force
    if stored_model is not None and not options.force:
        if stored_model == model_id:
            return FileOutcome(path=str(path), status="skipped", recording_id=rid, reason="already ingested")
        replace = True  # analysed before with another model: analyse again with this one
    return Todo(job, rid, fields, {**options.metadata, **meta}, replace)


def store_result(todo: Todo, rec: Recording, segments: list[Segment], pauses: list, store: Store,
           times: StageTimes) -> FileOutcome:
    path = todo.job.path
    t0 = time.perf_counter()
    try:
        written = store.write_recording(rec, segments, pauses, replace=todo.replace)
    except OSError as e:
        raise FileFailed("store", f"cannot write to the store: {e}") from e
    finally:
        times.add("store", time.perf_counter() - t0)
    if not written:
        return FileOutcome(path=str(path), status="skipped", recording_id=todo.rid, reason="already ingested (by another process)")
    return FileOutcome(path=str(path), status="ingested", recording_id=todo.rid, reason=None, duration_s=rec.duration_s,
                       n_segments=len(segments))


def failure(path: Path, rid: str | None, stage: str, reason: str, store: Store, batch: Batch) -> FileOutcome:
    failed = IngestFailure(batch_id=batch.batch_id, path=str(path), stage=stage, reason=reason, failed_at=now(), recording_id=rid)
    store.write_failure(failed)
    return FileOutcome(path=str(path), status="failed", recording_id=rid, reason=reason)

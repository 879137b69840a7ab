"""A batch of files: files and folders in, recordings with tagged segments out.

``ingest_paths`` is the one entry point for files (the CLI, the dashboard's upload worker; with
``--ray`` it hands the analysis to ``distributed``). Per file (``ingest.batch.job``): hash (the recording
id; present already → skipped) → decode → VAD per channel → SenseVoice on the slices → parse →
derived signals → one atomic write. A file that fails is recorded with its stage and reason, and
the batch goes on.
"""
from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..analyse import Pipeline, Recognizer
from ..errors import FATAL, FileFailed
from ..options import (
    DEFAULT_DB,
    KINDS,
    OUTCOMES,
    IngestOptions,
    validate,
    wants_look_ahead,
)
from ..records import Batch, FileOutcome, StageTimes, now
from ..store import Store
from .files import Skipped, scan_folder
from .job import Job, Todo, failure, file_id, prepare, store_result  # noqa: F401 - file_id: for callers
from .manifest import Manifest

AfterBatch = Callable[[list[str]], list[str]]  # stored recording ids -> warnings

__all__ = ["AfterBatch", "DEFAULT_DB", "KINDS", "OUTCOMES", "BatchReport", "IngestOptions", "Pipeline", "Progress",
           "StageTimes", "ingest_paths", "validate"]



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
    times: StageTimes
    warnings: list[str] = field(default_factory=list)  # e.g. the speaker model that was used instead
    left_out: list[Skipped] = field(default_factory=list)  # files in the folders given that are not recordings

    @property
    def failed(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def discover(paths: list[Path], manifest: Manifest | None,
             left_out: list[Skipped] | None = None) -> list[Job]:
    """Files to ingest: the files given, the recordings under the folders given (recursively;
    ``ingest.batch.files``), or, with no paths, the manifest's files. Sorted, each once. Files of the
    folders that are not recordings are added to ``left_out`` with the reason."""
    jobs: dict[Path, Job] = {}
    if not paths and manifest is not None:
        for p, row in manifest.files():
            jobs.setdefault(p, Job(p, row, missing=not p.is_file()))
        return list(jobs.values())
    for p in paths:
        p = Path(p).expanduser()
        if p.is_dir():
            found, skipped = scan_folder(p)
            if left_out is not None:  # the manifest given is not a recording, and the user knows it
                left_out += [x for x in skipped if manifest is None or Path(x.path).resolve() != manifest.path.resolve()]
            for f in found:
                jobs.setdefault(f.resolve(), Job(f.resolve(), manifest.lookup(f) if manifest else None))
        else:
            jobs.setdefault(p.resolve(), Job(p.resolve(), manifest.lookup(p) if manifest else None,
                                              missing=not p.exists()))
    return list(jobs.values())


def new_batch(name: str | None, label: str, n_files: int, options) -> Batch:
    """A batch starting now in this process: a time-ordered unique id, and the options it runs
    with (a dataclass); named ``<label> <date time>`` unless given a name."""
    started = now()
    return Batch(batch_id=started.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6],
                 name=name or f"{label} {started:%Y-%m-%d %H:%M}", started_at=started, finished_at=None,
                 status="running", n_files=n_files, options=json.dumps(asdict(options), default=str),
                 pid=os.getpid(), host=socket.gethostname())


def ingest_paths(paths: list[str | Path], options: IngestOptions,
                 on_progress: Callable[[Progress], None] | None = None,
                 recognizer: Recognizer | None = None, after_batch: AfterBatch | None = None) -> BatchReport:
    """Ingest files and folders into the store of ``options.db``; returns the batch's report.
    ``after_batch`` is called with the ids of the recordings stored once they all are (the product
    passes ``analytics.workflow.after_batch.hook``: compaction and the risk queue); what it returns is added
    to the report's warnings.

    Raises ValueError for invalid options or a glossary that cannot be read, ManifestError, StoreError,
    and ModelUnavailable / VadUnavailable when no file can be analysed at all; everything that concerns
    one file is recorded as that file's failure instead."""
    validate(options)
    pipeline = Pipeline(options, recognizer)  # first: a glossary or openings file that cannot be read is said before anything is written
    manifest = Manifest(options.manifest) if options.manifest else None
    left_out: list[Skipped] = []
    jobs = discover([Path(p) for p in paths], manifest, left_out)
    store = Store(options.db)
    store.init()
    store.mark_interrupted_batches()
    batch = new_batch(options.batch_name, "ingest", len(jobs), options)
    store.write_batch(batch)
    sizes = [j.path.stat().st_size if j.path.is_file() else 0 for j in jobs]
    prog = Progress(0, len(jobs), 0, sum(sizes), 0.0, None)
    outcomes: list[FileOutcome] = []
    size_of = {id(j): size for j, size in zip(jobs, sizes)}

    def starting(job: Job) -> None:
        prog.current = str(job.path)
        if on_progress:
            on_progress(prog)
    try:
        if options.ray:  # files analysed in parallel on the cluster; stored here as they come back
            from .distributed import analyse_on_ray
            done = analyse_on_ray(jobs, store, pipeline, batch, options)
        else:
            done = _in_order(jobs, store, pipeline, batch, options, starting)
        saved = time.monotonic()
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
            if time.monotonic() - saved >= 1.0:  # a batch cut short (kill -9) shows what it stored
                store.write_batch(batch)
                saved = time.monotonic()
            if on_progress:
                on_progress(prog)
        batch.status = "finished"
        if after_batch is not None:
            pipeline.warnings += after_batch([o.recording_id for o in outcomes if o.status == "ingested"])
    except BaseException:
        batch.status = "aborted"
        raise
    finally:
        batch.finished_at = now()
        store.write_batch(batch)
        store.close()
    return BatchReport(batch, outcomes, pipeline.times, pipeline.warnings, left_out)


LISTEN_GROUP_S = 300.0  # without look-ahead, audio decoded ahead to find its speech in one pass
LISTEN_GROUP_FILES = 16


def _in_order(jobs: list[Job], store: Store, pipeline: Pipeline, batch: Batch, options: IngestOptions,
              starting: Callable[[Job], None]) -> Iterator[tuple[Job, FileOutcome]]:
    """Each file analysed and stored in turn. Looking ahead (``options.wants_look_ahead``), the next
    file is decoded and its speech found in a background thread while the model works on this one;
    otherwise the speech of the next files (up to ``LISTEN_GROUP_S`` of audio) is found in one VAD
    pass when their turn comes (``Pipeline.listen_many``)."""
    ahead = ThreadPoolExecutor(1, thread_name_prefix="toneboard-listen") if wants_look_ahead(options) else None

    def begin(job: Job, busy_rid: str | None = None, listen_ahead: bool = True):
        """Prepare a file and start listening to it ahead. None: prepare it again at its turn."""
        try:
            todo = prepare(job, store, pipeline.model_id, options)
        except FileFailed as f:
            return f
        except Exception as e:  # noqa: BLE001
            return FileFailed("internal", f"{type(e).__name__}: {e}")
        if isinstance(todo, FileOutcome) or not listen_ahead:
            return todo
        if todo.rid == busy_rid:
            return None  # a copy of the file now being analysed: skipped once that one is stored
        return todo, ahead.submit(pipeline.listen, job.path, todo.fields)

    def finish(job: Job, begun) -> FileOutcome:
        if begun is None:
            begun = begin(job, listen_ahead=False)
        if isinstance(begun, FileFailed):
            return failure(job.path, None, begun.stage, begun.reason, store, batch)
        if isinstance(begun, FileOutcome):
            return begun
        todo, heard = begun if isinstance(begun, tuple) else (begun, None)
        try:
            heard = heard.result() if isinstance(heard, Future) else heard or pipeline.listen(job.path, todo.fields)
            if isinstance(heard, FileFailed):
                raise heard
            rec, segments, pauses = pipeline.recognise(heard, job.path, todo.rid, todo.fields, todo.metadata,
                                                       batch.batch_id)
            return store_result(todo, rec, segments, pauses, store, pipeline.times)
        except FATAL:  # no file can be analysed: the batch stops with the reason
            raise
        except FileFailed as f:
            return failure(job.path, todo.rid, f.stage, f.reason, store, batch)
        except Exception as e:  # noqa: BLE001 - one broken file never stops the batch
            return failure(job.path, todo.rid, "internal", f"{type(e).__name__}: {e}", store, batch)

    # without look-ahead: job index -> what preparing it gave (kept until its turn, so a file is
    # hashed once however many passes look at it), and -> (Todo, Heard | FileFailed) once heard
    prepared: dict[int, object] = {}
    heard: dict[int, tuple] = {}

    def listen_from(i: int):
        """What job ``i`` needs to be finished: prepared, with the speech of it and of the next
        files found in one pass. A copy of a file in the same pass is prepared again at its turn
        (skipped once the first is stored)."""
        if i in heard:
            return heard.pop(i)
        first = prepared.pop(i, None) or begin(jobs[i], listen_ahead=False)
        if not isinstance(first, Todo):
            return first
        todos, rids = {i: first}, {first.rid}
        for k in range(i + 1, min(len(jobs), i + LISTEN_GROUP_FILES)):
            if k in heard:
                continue
            if k not in prepared:
                prepared[k] = begin(jobs[k], listen_ahead=False)
            todo = prepared[k]
            if isinstance(todo, Todo) and todo.rid in rids:
                del prepared[k]  # a copy: prepared again at its turn
            elif isinstance(todo, Todo):
                todos[k] = todo
                rids.add(todo.rid)
        found = pipeline.listen_many([(jobs[k].path, t.fields) for k, t in todos.items()], LISTEN_GROUP_S)
        for k, h in zip(todos, found):  # the files not decoded (over LISTEN_GROUP_S) wait in ``prepared``
            prepared.pop(k, None)
            heard[k] = (todos[k], h)
        return heard.pop(i)

    try:
        upcoming = begin(jobs[0]) if jobs and ahead else None
        for i, job in enumerate(jobs):
            starting(job)
            if ahead is None:
                yield job, finish(job, listen_from(i))
                continue
            current, upcoming = upcoming, None
            if i + 1 < len(jobs):
                busy = current[0].rid if isinstance(current, tuple) else None
                upcoming = begin(jobs[i + 1], busy)
            yield job, finish(job, current)
    finally:
        if ahead is not None:
            ahead.shutdown(wait=False, cancel_futures=True)

"""Ingest on a Ray cluster (``toneboard ingest --ray local|ADDRESS``).

The driver (the machine running the command) discovers the files, skips what is stored already and
sends each remaining file's bytes to a pool of Ray actors. Each actor holds one Pipeline (decode,
VAD and SenseVoice; the model loads once per actor, on a GPU when the actor was given one) and
returns the analysed recording. The driver stores each result as it comes back, exactly as a local
ingest does: one atomic folder per recording, so a rerun after an interruption skips what is done
and nothing is stored twice. Workers need the same toneboard installed, not access to the files.
"""
from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..analyse import Pipeline
from ..errors import FATAL, FileFailed
from ..options import IngestOptions
from ..records import Batch, FileOutcome, StageTimes
from ..store import Store
from .job import Job, Todo, failure, prepare, store_result


class AnalyseActor:
    """One model per actor; analyses files sent as bytes (the cluster need not see the driver's disk)."""

    def __init__(self, options: IngestOptions):
        self.pipeline = Pipeline(options)

    def analyse(self, data: bytes, name: str, mtime: float, rid: str, fields: dict, metadata: dict,
                batch_id: str) -> tuple[str, tuple]:
        with tempfile.TemporaryDirectory(prefix="toneboard-") as d:
            path = Path(d) / (Path(name).name or "audio")
            path.write_bytes(data)
            os.utime(path, (mtime, mtime))  # the recording time falls back to the file's
            try:
                return rid, ("ok", *self.pipeline.analyse(path, rid, fields, metadata, batch_id))
            except FATAL:  # the driver stops the batch with it, as one process does
                raise
            except FileFailed as f:
                return rid, ("failed", f.stage, f.reason)
            except Exception as e:  # noqa: BLE001 - one broken file never stops the batch
                return rid, ("failed", "internal", f"{type(e).__name__}: {e}")


def _connect(address: str) -> None:
    import ray

    if ray.is_initialized():
        return
    if address == "local":
        ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False)
    else:
        ray.init(address=address, log_to_driver=False, configure_logging=False)


def actor_resources(options: IngestOptions) -> tuple[int, dict]:
    """How many actors and what each needs: one per GPU when the cluster has GPUs (and the device
    allows), else one per ``threads`` CPUs."""
    import ray

    total = ray.cluster_resources()
    gpus = int(total.get("GPU", 0)) if options.device in ("auto", "cuda") or options.device.startswith("cuda") else 0
    threads = options.threads or 1
    if gpus:
        return options.ray_workers or gpus, {"num_gpus": 1, "num_cpus": threads}
    return options.ray_workers or max(1, int(total.get("CPU", 1)) // threads), {"num_cpus": threads}


def analyse_on_ray(jobs: list[Job], store: Store, pipeline: Pipeline, batch: Batch,
                   options: IngestOptions) -> Iterator[tuple[Job, FileOutcome]]:
    """Outcomes of ``jobs`` in the order they finish, each stored before it is yielded."""
    import ray
    from ray.util import ActorPool

    by_rid: dict[str, Todo] = {}
    copies: dict[str, list[Job]] = {}
    for job in jobs:  # what can be decided here needs no cluster
        try:
            todo = prepare(job, store, pipeline.model_id, options)
        except FileFailed as f:
            yield job, failure(job.path, None, f.stage, f.reason, store, batch)
            continue
        if isinstance(todo, FileOutcome):
            yield job, todo
        elif todo.rid in by_rid:  # the same bytes twice in one batch: analysed once, reported as a local run would
            copies.setdefault(todo.rid, []).append(job)
        else:
            by_rid[todo.rid] = todo
    todos = list(by_rid.values())
    if not todos:
        return
    _connect(options.ray)
    n, resources = actor_resources(options)
    actor = ray.remote(**resources)(AnalyseActor)
    remote_options = dataclasses.replace(options, ray=None)
    pool = ActorPool([actor.remote(remote_options) for _ in range(min(n, len(todos)))])
    for t in todos:  # bytes are read when an actor is free, not all at once
        pool.submit(lambda a, t: a.analyse.remote(t.job.path.read_bytes(), t.job.path.name, t.job.path.stat().st_mtime,
                                                  t.rid, t.fields, t.metadata, batch.batch_id), t)
    while pool.has_next():
        try:
            rid, result = pool.get_next_unordered()
        except ray.exceptions.RayTaskError as e:
            if isinstance(e.cause, FATAL):
                raise e.cause from None
            raise
        todo = by_rid[rid]
        outcome = _outcome(todo, result, store, batch, pipeline.times)
        yield todo.job, outcome
        for job in copies.get(rid, []):
            if outcome.status == "failed":
                yield job, failure(job.path, rid, result[1] if result[0] == "failed" else "store", outcome.reason,
                                    store, batch)
            else:
                yield job, FileOutcome(path=str(job.path), status="skipped", recording_id=rid, reason="already ingested")


def _outcome(todo: Todo, result: tuple, store: Store, batch: Batch, times: StageTimes) -> FileOutcome:
    """Store what an actor sent back (or its failure)."""
    path, rid = todo.job.path, todo.rid
    if result[0] == "failed":
        return failure(path, rid, result[1], result[2], store, batch)
    rec, segments, pauses = result[1:]
    rec = dataclasses.replace(rec, path=str(path), filename=path.name)  # the driver's file, not the copy
    try:
        return store_result(todo, rec, segments, pauses, store, times)
    except FileFailed as f:
        return failure(path, rid, f.stage, f.reason, store, batch)

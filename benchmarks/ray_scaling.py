"""Ingest throughput on Ray vs one process, same files, full-size random-weight model, one run.

Builds (once, cached in .cache/) the full-size random SenseVoiceSmall and FILES recordings of about
MINUTES each (synthesised speech with pauses; each file's bytes differ), then ingests them into a
fresh database four ways and prints wall time (model loading included: every Ray actor loads its
own model), audio seconds per wall second, and each figure relative to one process on 1 thread:

  local 1 thread | local 2 threads | Ray, 1 actor × 1 thread | Ray, 2 actors × 1 thread

Usage:  python benchmarks/ray_scaling.py [--files 6] [--minutes 1] [--size full]
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=int, default=6)
    ap.add_argument("--minutes", type=float, default=1.0)
    ap.add_argument("--size", choices=("full", "tiny"), default="full")
    a = ap.parse_args()

    import numpy as np
    import ray
    from ingest_speed import make_audio
    from sensevoice_random import build_model_dir
    from synth import write_wav

    from ingest.batch.pipeline import IngestOptions, ingest_paths

    model = build_model_dir(ROOT / ".cache" / f"random-sensevoice-{a.size}", a.size)
    work = Path(tempfile.mkdtemp(prefix="toneboard-ray-"))
    src = work / "in"
    src.mkdir()
    base = work / "base.wav"
    audio_s = make_audio(base, a.minutes)
    import wave

    with wave.open(str(base)) as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
    for i in range(a.files):  # the same speech at different levels: different bytes, same work
        write_wav(src / f"call{i}.wav", pcm * (0.6 + 0.05 * i))
    total_s = audio_s * a.files
    print(f"{a.files} files, {total_s / 60:.1f} min of audio; model {a.size} (random weights); "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores")

    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False, configure_logging=False)
    opts = IngestOptions(db=work / "x.duckdb", model=str(model), device="cpu", threads=1)
    runs = [("local, 1 thread", opts), ("local, 2 threads", replace(opts, threads=2)),
            ("Ray, 1 actor x 1 thread", replace(opts, ray="local", ray_workers=1)),
            ("Ray, 2 actors x 1 thread", replace(opts, ray="local", ray_workers=2))]
    first = None
    try:
        for i, (name, o) in enumerate(runs):
            o = replace(o, db=work / f"db{i}" / "tb.duckdb")
            t = time.perf_counter()
            report = ingest_paths([src], o)
            wall = time.perf_counter() - t
            assert report.batch.n_ingested == a.files, report.outcomes
            first = first or wall
            print(f"{name:>26}: {wall:6.1f} s wall | {total_s / wall:5.1f} audio s per s | "
                  f"RTF {wall / total_s:.4f} | {first / wall:.2f}x local 1 thread")
    finally:
        ray.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

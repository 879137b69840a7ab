"""Ingest speed: toneboard's pipeline vs FunASR's stock pipeline, same audio, same model, one run.

Builds (once, cached in .cache/) a full-size random-weight SenseVoiceSmall (same compute as the real
model) and ~10 minutes of synthesised speech with pauses, then runs, each in its own process:

  stock      AutoModel(model=DIR, vad_model="silero-vad", vad_kwargs=...).generate(input=WAV)
  toneboard  ingest.pipeline.ingest_paths([WAV], ...) (decode, VAD, batched SenseVoice, store)

and prints model-load time, processing time, RTF (processing seconds per audio second), the
throughput ratio, and each process's peak RSS.  Usage:
  python benchmarks/ingest_speed.py [--minutes 10] [--threads 2] [--size full]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def make_audio(path: Path, minutes: float) -> float:
    import numpy as np

    from synth import SENTENCES, SR, compose, speak, write_wav

    clips = [speak(s) for s in SENTENCES]
    rng = np.random.default_rng(0)
    parts, total = [], 0.0
    while total < minutes * 60:
        clip = clips[int(rng.integers(len(clips)))]
        gap = float(rng.uniform(0.3, 2.5))
        parts.append((gap, clip))
        total += gap + len(clip) / SR
    lay = compose(parts, noise=0.002)
    write_wav(path, lay.audio)
    return lay.duration_s


def child(which: str, model: str, wav: str, threads: int) -> None:
    import torch

    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    if which == "stock":
        from funasr import AutoModel

        m = AutoModel(model=model, vad_model="silero-vad", vad_kwargs={"max_single_segment_time": 15000},
                      device="cpu", ncpu=threads, disable_update=True, disable_pbar=True, disable_log=True)
        t1 = time.perf_counter()
        res = m.generate(input=wav, language="auto", use_itn=True)
        n = len(res)
    else:
        from ingest.pipeline import IngestOptions, Pipeline, ingest_paths

        opts = IngestOptions(db=Path(tempfile.mkdtemp()) / "bench.duckdb", model=model, device="cpu",
                             threads=threads)
        pipe = Pipeline(opts)
        pipe.recognizer, pipe.vad  # load both models before timing the work  # noqa: B018
        t1 = time.perf_counter()
        from ingest import pipeline as pl

        orig = pl.Pipeline
        pl.Pipeline = lambda o, r=None: pipe  # reuse the loaded models
        try:
            report = ingest_paths([wav], opts)
        finally:
            pl.Pipeline = orig
        assert report.batch.n_ingested == 1, report.outcomes
        n = report.outcomes[0].n_segments
    t2 = time.perf_counter()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"load_s": t1 - t0, "proc_s": t2 - t1, "rss_mb": rss_mb, "n": n}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--size", choices=("full", "tiny"), default="full")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.child[0], a.child[1], a.child[2], int(a.child[3]))
        return
    from sensevoice_random import build_model_dir

    cache = ROOT / ".cache"
    t = time.perf_counter()
    model = build_model_dir(cache / f"random-sensevoice-{a.size}", a.size)
    print(f"model: {model} ({a.size}, random weights; built/reused in {time.perf_counter() - t:.0f} s)")
    wav = cache / f"bench-{a.minutes:g}min.wav"
    if not wav.exists():
        make_audio(wav, a.minutes)
    import wave

    with wave.open(str(wav)) as w:
        audio_s = w.getnframes() / w.getframerate()
    print(f"audio: {wav.name}, {audio_s / 60:.1f} min; machine: {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, threads={a.threads}")
    out = {}
    for which in ("stock", "toneboard"):
        r = subprocess.run([sys.executable, __file__, "--child", which, str(model), str(wav), str(a.threads)],
                           capture_output=True, text=True)
        if r.returncode:
            sys.exit(f"{which} failed:\n{r.stderr[-3000:]}")
        out[which] = json.loads(r.stdout.strip().splitlines()[-1])
        o = out[which]
        print(f"{which:>9}: load {o['load_s']:6.1f} s | processing {o['proc_s']:6.1f} s | "
              f"RTF {o['proc_s'] / audio_s:.4f} | peak RSS {o['rss_mb']:6.0f} MB | {o['n']} results")
    ratio = out["stock"]["proc_s"] / out["toneboard"]["proc_s"]
    print(f"throughput ratio toneboard/stock: {ratio:.2f}x "
          f"(targets: >= 1.0x, RTF <= 0.1, RSS < 3000 MB)")


if __name__ == "__main__":
    main()

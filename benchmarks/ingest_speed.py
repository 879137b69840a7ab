"""Ingest speed: toneboard's pipeline vs FunASR's stock pipeline, same audio, same model, one run.

Builds (once, cached in .cache/) a full-size random-weight SenseVoiceSmall (the real model's
compute) and synthesised speech with pauses, cut into files of ``--file-minutes`` (calls are a few
minutes long; one file when 0). Then, for each thread count, each pipeline runs in its own process:

  stock      AutoModel(model=DIR, vad_model="silero-vad", vad_kwargs=...).generate(input=FILE), per file
  fp32       toneboard ingest_paths(FILES, precision="fp32")  (the reference path)
  int8       toneboard ingest_paths(FILES)  (the CPU default: int8 Linear layers; the next file is
             decoded and searched for speech while the model runs when a core or a GPU is free)
  int8-ahead, int8-seq   as int8, with that look-ahead forced on / off

It prints model-load time, processing time (files in → results; toneboard: decode, VAD, model,
parsing, signals and the Parquet write), RTF, throughput vs stock, resident memory (after loading,
at the end, and the peak), peak GPU memory on a GPU, toneboard's time per stage, and (with --agreement N) how often
int8 makes the same language,
event and emotion decisions as fp32 on N of the audio's speech slices.

  python benchmarks/ingest_speed.py [--minutes 10] [--threads 2 1] [--file-minutes 2]
                                    [--pipelines stock fp32 int8] [--agreement 60] [--device cpu]
                                    [--batch-seconds 30]
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
PIPELINES = ("stock", "fp32", "int8", "int8-ahead", "int8-seq")
LOOK_AHEAD = {"int8-ahead": True, "int8-seq": False}


def make_audio(minutes: float):
    import numpy as np
    from synth import SENTENCES, SR, compose, speak

    clips = [speak(s) for s in SENTENCES]
    rng = np.random.default_rng(0)
    parts, total = [], 0.0
    while total < minutes * 60:
        clip = clips[int(rng.integers(len(clips)))]
        gap = float(rng.uniform(0.3, 2.5))
        parts.append((gap, clip))
        total += gap + len(clip) / SR
    return compose(parts, noise=0.002).audio[0]


def audio_files(minutes: float, file_minutes: float) -> list[Path]:
    """The benchmark's audio as files of ``file_minutes`` each (cached)."""
    from synth import SR, write_wav

    folder = ROOT / ".cache" / f"bench-{minutes:g}min-{file_minutes:g}"
    done = folder / "complete"
    if not done.exists():
        folder.mkdir(parents=True, exist_ok=True)
        audio = make_audio(minutes)
        step = int(file_minutes * 60 * SR) if file_minutes else len(audio)
        for i in range(0, len(audio), step):
            write_wav(folder / f"part-{i // step:04d}.wav", audio[i:i + step])
        done.write_text("")
    return sorted(folder.glob("part-*.wav"))


def rss_now_mb() -> float:
    """Resident memory now (Linux), as opposed to the peak."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def child(which: str, model: str, files: list[str], threads: int, device: str, batch_seconds: float | None = None) -> dict:
    import torch

    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    times = None
    if which == "stock":
        from funasr import AutoModel

        m = AutoModel(model=model, vad_model="silero-vad", vad_kwargs={"max_single_segment_time": 15000},
                      device=device, ncpu=threads, disable_update=True, disable_pbar=True, disable_log=True)
        t1, loaded_mb = time.perf_counter(), rss_now_mb()
        n = sum(len(m.generate(input=f, language="auto", use_itn=True)) for f in files)
    else:
        from ingest.batch.pipeline import IngestOptions, Pipeline, ingest_paths

        opts = IngestOptions(db=Path(tempfile.mkdtemp()) / "bench.duckdb", model=model, device=device,
                             threads=threads, precision="fp32" if which == "fp32" else "auto",
                             look_ahead=LOOK_AHEAD.get(which), batch_seconds=batch_seconds)
        loaded = Pipeline(opts)
        recognizer = loaded.recognizer  # load the model before timing the work
        loaded.vad  # noqa: B018 - and the VAD
        from ingest.models.speaker_encoders import SpeakerSettings, load_encoder

        load_encoder(SpeakerSettings(threads=threads))  # and the speaker model: a hub out of reach is paid (and remembered) here
        t1, loaded_mb = time.perf_counter(), rss_now_mb()
        report = ingest_paths(files, opts, recognizer=recognizer)
        assert report.batch.n_ingested == len(files), report.outcomes
        n = sum(o.n_segments for o in report.outcomes)
        times = report.times
    t2 = time.perf_counter()
    gpu_mb = torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None
    return {"load_s": t1 - t0, "proc_s": t2 - t1, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "loaded_mb": loaded_mb, "end_mb": rss_now_mb(), "gpu_mb": gpu_mb, "n": n,
            "times": times.line() if times else None}


def agreement(model: str, files: list[Path], n: int, threads: int) -> dict[str, float]:
    """int8 vs fp32 language / event / emotion decisions on the first ``n`` speech slices."""
    import torch
    from precision_check import agreement as agree, header_decisions

    from ingest.decode import SAMPLE_RATE, decode
    from ingest.models.recognize import RecognizerSettings, SenseVoiceRecognizer
    from ingest.models.vad import VadSettings, load_vad, split_long

    torch.set_num_threads(threads)
    vad, slices = load_vad(VadSettings()), []
    for f in files:
        audio = decode(f).samples[0]
        slices += [audio[int(b * SAMPLE_RATE):int(e * SAMPLE_RATE)] for b, e in split_long(vad.speech_spans(audio), 15)]
        if len(slices) >= n:
            break
    slices = slices[:n]
    decisions = [header_decisions(SenseVoiceRecognizer(RecognizerSettings(model=model, device="cpu", threads=threads,
                                                                          precision=p)), slices)
                 for p in ("fp32", "int8")]
    return {**agree(*decisions), "slices": len(slices)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0, help="minutes of audio (default: 10)")
    ap.add_argument("--file-minutes", type=float, default=2.0, help="minutes per file; 0: one file (default: 2)")
    ap.add_argument("--threads", type=int, nargs="+", default=[2], help="thread counts to run (default: 2)")
    ap.add_argument("--pipelines", nargs="+", choices=PIPELINES, default=["stock", "fp32", "int8"])
    ap.add_argument("--size", choices=("full", "tiny"), default="full")
    ap.add_argument("--device", default="cpu", help="cpu or cuda (stock and toneboard alike)")
    ap.add_argument("--agreement", type=int, default=0, metavar="N",
                    help="also compare int8 with fp32 tag decisions on N speech slices")
    ap.add_argument("--batch-seconds", type=float, help="toneboard: padded audio seconds per model call (default: its own)")
    ap.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        which, model, files, threads, device, batch_s = a.child
        print(json.dumps(child(which, model, json.loads(files), int(threads), device, float(batch_s) or None)))
        return
    from sensevoice_random import build_model_dir

    t = time.perf_counter()
    model = build_model_dir(ROOT / ".cache" / f"random-sensevoice-{a.size}", a.size)
    print(f"model: {model} ({a.size}, random weights; built/reused in {time.perf_counter() - t:.0f} s)")
    files = audio_files(a.minutes, a.file_minutes)
    import soundfile as sf

    audio_s = sum(sf.info(str(f)).duration for f in files)
    print(f"audio: {audio_s / 60:.1f} min in {len(files)} file(s); machine: {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores; device {a.device}; {time.strftime('%Y-%m-%d')}")
    print("| threads | pipeline | load | processing | RTF | x real time | vs stock | RSS loaded / end / peak | peak GPU | segments |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    stages = []
    for threads in a.threads:
        base = None
        for which in a.pipelines:
            r = subprocess.run([sys.executable, __file__, "--child", which, str(model),
                                json.dumps([str(f) for f in files]), str(threads), a.device, str(a.batch_seconds or 0)],
                               capture_output=True, text=True)
            if r.returncode:
                sys.exit(f"{which} failed:\n{r.stderr[-3000:]}")
            o = json.loads(r.stdout.strip().splitlines()[-1])
            base = o["proc_s"] if which == "stock" else base
            ratio = f"{base / o['proc_s']:.2f}x" if base else "-"
            gpu = f"{o['gpu_mb']:.0f} MB" if o["gpu_mb"] is not None else "-"
            print(f"| {threads} | {which} | {o['load_s']:.1f} s | {o['proc_s']:.1f} s | {o['proc_s'] / audio_s:.4f} | "
                  f"{audio_s / o['proc_s']:.0f} | {ratio} | {o['loaded_mb']:.0f} / {o['end_mb']:.0f} / {o['rss_mb']:.0f} MB | "
                  f"{gpu} | {o['n']} |", flush=True)
            if o["times"]:
                stages.append(f"{threads} thread(s), {which}: {o['times']}")
    print("\ntime per stage (toneboard):\n" + "\n".join(f"  {s}" for s in stages))
    if a.agreement:
        agree = agreement(str(model), files, a.agreement, max(a.threads))
        print(f"\nint8 vs fp32 decisions on {agree.pop('slices')} speech slices: "
              + ", ".join(f"{k} {v:.1%}" for k, v in agree.items()))


if __name__ == "__main__":
    main()

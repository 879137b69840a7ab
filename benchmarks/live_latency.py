"""Live analysis latency and capacity: calls streamed in real time to ``toneboard live``.

Starts the live server in this process (its own event loop and thread, as ``toneboard live`` runs
it) with the full-size random-weight model, then streams synthesised calls in real time: first
one call, then more at once, until the p95 latency passes 1 s (or the last of ``--levels``). Latency is,
per segment event, the time from the moment the end of that speech was sent until the event
arrived: it includes the VAD's wait for the silence that ends a segment (``min_silence_s``, 0.3 s).

    python benchmarks/live_latency.py [--seconds 60] [--levels 1 2 4 8] [--size full] [--device cpu]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from query_speed import p95  # noqa: E402  (this folder is on the path when run as a script)


def make_call(path: Path, seconds: float, seed: int) -> None:
    import numpy as np

    from synth import SENTENCES, SR, compose, speak, stereo, write_wav

    clips = [speak(s) for s in SENTENCES]
    rng = np.random.default_rng(seed)
    sides = [[], []]
    t, who = 0.5, 0
    while t < seconds:  # turns: agent and customer alternate, 0.4-1.5 s apart
        clip = clips[int(rng.integers(len(clips)))]
        gap = float(rng.uniform(0.4, 1.5))
        sides[who].append((t + gap, clip))
        t += gap + clip.size / SR
        who = 1 - who
    lays = []
    for parts in sides:
        prev, seq = 0.0, []
        for at, clip in parts:
            seq.append((at - prev, clip))
            prev = at + clip.size / SR
        lays.append(compose(seq, lead_s=0.0, tail_s=1.0, noise=0.002, seed=seed))
    write_wav(path, stereo(*lays).audio)


async def run_level(url: str, files: list[Path], pad_s: float) -> list[float]:
    from ingest.live_client import send_file

    lat: list[float] = []

    async def one(i: int, f: Path):
        t0 = {}
        events = await send_file(f, url, call_id=f"bench-{len(files)}-{i}-{time.time_ns()}", speed=1.0,
                                 on_start=lambda t: t0.setdefault("t", t))
        for e in events:
            if e["type"] == "segment":
                lat.append(e["received_at"] - (t0["t"] + e["end_s"] - pad_s))
    await asyncio.gather(*(one(i, f) for i, f in enumerate(files)))
    return lat


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="length of each call (default: 60)")
    ap.add_argument("--levels", type=int, nargs="+", default=[1, 2, 4, 8, 12, 16], help="concurrent calls to try")
    ap.add_argument("--size", choices=("full", "tiny"), default="full")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int)
    a = ap.parse_args()

    from ingest.live import InThread, LiveOptions, LiveServer
    from ingest.pipeline import IngestOptions
    from sensevoice_random import build_model_dir

    model = build_model_dir(ROOT / ".cache" / f"random-sensevoice-{a.size}", a.size)
    work = Path(tempfile.mkdtemp(prefix="toneboard-live-"))
    files = []
    for i in range(max(a.levels)):
        f = ROOT / ".cache" / f"live-call-{a.seconds:g}s-{i}.wav"
        if not f.exists():
            make_call(f, a.seconds, seed=i)
        files.append(f)
    opts = LiveOptions(IngestOptions(db=work / "live.duckdb", model=str(model), device=a.device, threads=a.threads),
                       port=0)
    t = time.perf_counter()
    server = InThread(LiveServer(opts))
    pad = server.server.pipeline.vad_settings.speech_pad_s
    print(f"model {a.size} on {a.device}, loaded in {time.perf_counter() - t:.1f} s; {os.cpu_count()} cores; "
          f"calls of {a.seconds:g} s (stereo, turns 0.4-1.5 s apart) streamed in real time; {time.strftime('%Y-%m-%d')}")
    print("| concurrent calls | segments | p50 | p95 | max |")
    print("|---|---|---|---|---|")
    capacity = 0
    try:
        for n in a.levels:
            lat = asyncio.run(run_level(server.url, files[:n], pad))
            p95_s = p95(lat)
            print(f"| {n} | {len(lat)} | {statistics.median(lat) * 1000:.0f} ms | {p95_s * 1000:.0f} ms | "
                  f"{max(lat) * 1000:.0f} ms |", flush=True)
            if p95_s >= 1.0:
                break
            capacity = n
    finally:
        server.stop()
    print(f"capacity: {capacity} concurrent call(s) with p95 < 1 s" if capacity else "capacity: p95 >= 1 s even for one call")


if __name__ == "__main__":
    main()

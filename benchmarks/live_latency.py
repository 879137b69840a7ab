"""Live analysis latency and capacity: calls streamed in real time to ``toneboard live``.

Starts the live server in this process (its own event loop and thread, as ``toneboard live`` runs
it) with the full-size random-weight model, then streams synthesised calls in real time: first
one call, then more at once, until the p95 latency passes 1 s (or the last of ``--levels``). Latency is,
per segment event, the time from the moment the end of that speech was sent until the event
arrived: it includes the VAD's wait for the silence that ends a segment (``min_silence_s``, 0.3 s).

    python benchmarks/live_latency.py [--seconds 60] [--levels 1 2 4 8] [--size full] [--device cpu]
    python benchmarks/live_latency.py --abuse 4    # 4 normal calls without and with one abusive client
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
    from ingest.live.client import send_file

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


async def ready_probes(url: str, stop: asyncio.Event, every_s: float = 1.0) -> list[float]:
    """Seconds from opening a connection to the server's ``ready``, once a second until ``stop``."""
    import json

    from websockets.asyncio.client import connect

    out = []
    while not stop.is_set():
        t0 = time.perf_counter()
        async with connect(url) as ws:
            await ws.send(json.dumps({"type": "start", "call_id": f"probe-{time.time_ns()}", "sample_rate": 16000,
                                      "channels": 1}))
            json.loads(await ws.recv())
            out.append(time.perf_counter() - t0)
        try:
            await asyncio.wait_for(stop.wait(), every_s)
        except TimeoutError:
            pass
    return out


async def abuser(url: str, stop: asyncio.Event) -> float:
    """One client sending 1 MiB frames of loud noise as fast as it can; the audio seconds it got in."""
    import json

    import numpy as np
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    frame = np.random.default_rng(0).normal(0, 8000, (1 << 19) - 4096).clip(-32768, 32767).astype("<i2").tobytes()
    sent = 0
    try:
        async with connect(url, max_size=1 << 22) as ws:
            await ws.send(json.dumps({"type": "start", "call_id": f"abuser-{time.time_ns()}", "sample_rate": 16000,
                                      "channels": 1}))
            await ws.recv()
            while not stop.is_set():
                await ws.send(frame)
                sent += len(frame)
    except ConnectionClosed as e:
        print(f"the abusive client was closed: {e}", flush=True)
    return sent / 2 / 16000


async def run_with_abuser(url: str, files: list[Path], pad_s: float, abuse: bool) -> tuple[list[float], list[float], float]:
    stop = asyncio.Event()
    probes = asyncio.create_task(ready_probes(url, stop))
    bad = asyncio.create_task(abuser(url, stop)) if abuse else None
    lat = await run_level(url, files, pad_s)
    stop.set()
    got = await bad if bad else 0.0
    return lat, await probes, got


def abuse_table(url: str, files: list[Path], pad_s: float) -> None:
    """The normal calls' latency and ready time without and with one abusive client beside them."""
    print("\n| scenario | normal calls | segments | latency p50 | latency p95 | ready p95 | audio the abusive client pushed out |")
    print("|---|---|---|---|---|---|---|")
    base = None
    for abuse in (False, True):
        lat, ready, got = asyncio.run(run_with_abuser(url, files, pad_s, abuse))
        row = (p95(lat), p95(ready))
        name, note = ("with one abusive client", f"{got:.0f} s of audio") if abuse else ("normal calls only", "—")
        print(f"| {name} | {len(files)} | {len(lat)} | {statistics.median(lat) * 1000:.0f} ms | "
              f"{row[0] * 1000:.0f} ms | {row[1] * 1000:.0f} ms | {note} |", flush=True)
        if base is None:
            base = row
        else:
            print(f"\nwith the abusive client: latency p95 {row[0] / base[0]:.2f}x, ready p95 {row[1] / base[1]:.2f}x "
                  "(target: within 1.2x)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="length of each call (default: 60)")
    ap.add_argument("--levels", type=int, nargs="+", default=[1, 2, 4, 8, 12, 16], help="concurrent calls to try")
    ap.add_argument("--size", choices=("full", "tiny"), default="full")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int)
    ap.add_argument("--abuse", type=int, metavar="N", default=0,
                    help="instead of the capacity table: N normal calls without and with one client sending "
                         "1 MiB frames as fast as it can")
    a = ap.parse_args()

    from sensevoice_random import build_model_dir

    from ingest.batch.pipeline import IngestOptions
    from ingest.live.server import InThread, LiveOptions, LiveServer

    model = build_model_dir(ROOT / ".cache" / f"random-sensevoice-{a.size}", a.size)
    work = Path(tempfile.mkdtemp(prefix="toneboard-live-"))
    files = []
    for i in range(a.abuse or max(a.levels)):
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
    if a.abuse:
        try:
            abuse_table(server.url, files[:a.abuse], pad)
        finally:
            server.stop(900)  # the abusive call is stored too: minutes of noise
        return
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

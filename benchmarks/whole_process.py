"""Ingest as a user runs it: one process from launch to exit, toneboard against FunASR's stock pipeline.

Each run is a fresh process timed by ``/usr/bin/time`` (wall clock and peak resident memory), on
one synthesised file of ``--minutes`` (the full-size random-weight SenseVoiceSmall of
``ingest_speed.py``: the real model's compute). toneboard runs ``toneboard ingest FILE`` with its
defaults (diarization on: ``--speakers auto``) and also reports its start-up: the seconds from
the start of the process to the first read of audio (imports, options, the store).

  stock      python -c "AutoModel(model=DIR, vad_model='silero-vad').generate(input=FILE)"
  toneboard  toneboard ingest FILE --model DIR --threads N (a new database each run)

  python benchmarks/whole_process.py [--minutes 10] [--threads 2] [--runs 2] [--speakers auto off]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]

STOCK = """
import sys, torch
torch.set_num_threads(int(sys.argv[3]))
from funasr import AutoModel
m = AutoModel(model=sys.argv[1], vad_model="silero-vad", vad_kwargs={"max_single_segment_time": 15000},
              device="cpu", ncpu=int(sys.argv[3]), disable_update=True, disable_pbar=True, disable_log=True)
print(len(m.generate(input=sys.argv[2], language="auto", use_itn=True)), "segments")
"""

# toneboard's own command, with the time of its first audio read written to a file (the wrapper
# only watches: it changes nothing the command does)
TONEBOARD = """
import sys, time, json
t0 = time.perf_counter()
out, argv = sys.argv[1], sys.argv[2:]
import ingest.decode, ingest.analyse
first = []
real = ingest.decode.decode
def watched(*a, **k):
    if not first:
        first.append(time.perf_counter() - t0)
    return real(*a, **k)
ingest.analyse.decode = watched
import cli
rc = cli.main(argv)
open(out, "w").write(json.dumps({"startup_s": first[0] if first else None, "rc": rc}))
sys.exit(rc)
"""


def timed(cmd: list[str]) -> tuple[float, float, str]:
    """(wall s, peak RSS MB, output) of a command in a fresh process."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        r = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", t.name, *cmd], capture_output=True, text=True,
                           cwd=ROOT)
        if r.returncode:
            sys.exit(f"{cmd[:4]} failed:\n{r.stderr[-3000:]}")
        wall, kb = t.read().split()[-2:]
    return float(wall), int(kb) / 1024, r.stdout + r.stderr


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0, help="minutes of audio in the one file (default: 10)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=2, help="runs of each (the best is reported, all are printed)")
    ap.add_argument("--speakers", nargs="+", default=["auto"], help="toneboard's --speakers values to run (default: auto)")
    a = ap.parse_args()
    from ingest_speed import audio_files
    from sensevoice_random import build_model_dir

    model = build_model_dir(ROOT / ".cache" / "random-sensevoice-full", "full")
    (audio,) = audio_files(a.minutes, 0)
    print(f"{a.minutes:g} min of speech in one file; full-size random-weight model; {a.threads} threads; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}")
    print("| pipeline | run | wall (launch to exit) | start-up (to the first audio read) | peak RSS | vs stock |")
    print("|---|---|---|---|---|---|")
    best = {}
    for k in range(a.runs):
        wall, mb, _ = timed([sys.executable, "-c", STOCK, str(model), str(audio), str(a.threads)])
        best["stock"] = min(best.get("stock", (wall, mb)), (wall, mb))
        print(f"| stock | {k + 1} | {wall:.1f} s | - | {mb:.0f} MB | 1.00x |", flush=True)
        for speakers in a.speakers:
            with tempfile.TemporaryDirectory() as d:
                mark = Path(d) / "startup.json"
                wall, mb, said = timed([sys.executable, "-c", TONEBOARD, str(mark), "ingest", str(audio), "--model", str(model),
                                        "--db", str(Path(d) / "tb.duckdb"), "--threads", str(a.threads),
                                        "--speakers", speakers, "--quiet"])
                startup = json.loads(mark.read_text())["startup_s"]
            name = f"toneboard (--speakers {speakers})"
            best[name] = min(best.get(name, (wall, mb)), (wall, mb))
            print(f"| {name} | {k + 1} | {wall:.1f} s | {startup:.2f} s | {mb:.0f} MB | {best['stock'][0] / wall:.2f}x |",
                  flush=True)
    print("\nbest of each: " + "; ".join(f"{n}: {w:.1f} s, {m:.0f} MB, {best['stock'][0] / w:.2f}x stock"
                                         for n, (w, m) in best.items()))


if __name__ == "__main__":
    main()

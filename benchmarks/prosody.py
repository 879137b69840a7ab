"""Prosody, measured on real speech whose pitch is known (ingest.prosody).

1. Pitch: real prompts and readings (Asterisk's IVR voices, recorded the same way, and a LibriVox
   reader) shifted by sox by -4, -2, +2 and +4 semitones; the error is how far the measured median
   pitch moved from the shift (semitones).
2. A raised voice: calls of one voice (its prompts in turn, 8 at its own level), then 2 more with the
   pitch and loudness raised by a planted amount; precision (flagged segments that were planted) and
   recall (planted segments flagged), at the product's thresholds (3 semitones and 5 dB above the
   speaker's start). Seeds 1000 and up pick the prompts; the thresholds were set before (not tuned here).

    .venv/bin/python benchmarks/prosody.py --utterances 20 --calls 20
"""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def pitch_errors(voice: str, n: int) -> tuple[list[float], int]:
    import samechain
    from realspeech import clips
    from shifted import shift

    from ingest import prosody

    xs = list(clips("librivox", 400))[:n] if voice == "librivox" else list(samechain.utterances(voice))[:n]
    errors, missing = [], 0
    for x in xs:
        base = prosody.pitch(x)
        for st in (-4, -2, 2, 4):
            moved = prosody.pitch(shift(x, st))
            if base is None or moved is None:
                missing += 1
                continue
            errors.append(abs(prosody.semitones(moved.median_hz, base.median_hz) - st))
    return errors, missing


def raised(voice: str, calls: int, rise_st: float, rise_db: float) -> tuple[int, int, int, int]:
    """(planted flagged, planted, unchanged flagged, unchanged compared) over ``calls`` calls of one
    voice (the first 4 unchanged segments are its baseline, the other 4 are compared with it)."""
    import samechain
    from shifted import shift

    from ingest import prosody
    from ingest.signals import loudness_dbfs

    xs = samechain.utterances(voice)
    hit = planted = false = unchanged = 0
    for seed in range(1000, 1000 + calls):
        rng = random.Random(seed)
        picked = rng.sample(range(len(xs)), 10)
        segs = [xs[i] for i in picked[:8]] + [shift(xs[i], rise_st) * 10 ** (rise_db / 20) for i in picked[8:]]
        moved = prosody.changes(["a"] * len(segs), [len(s) / 16000 for s in segs], [prosody.pitch(s) for s in segs],
                                [loudness_dbfs(s) for s in segs])
        for i, m in enumerate(moved):
            if i >= 8:
                planted, hit = planted + 1, hit + bool(m.raised_voice)
            elif m.raised_voice is not None:  # compared with the baseline
                unchanged, false = unchanged + 1, false + bool(m.raised_voice)
    return hit, planted, false, unchanged


def main() -> None:
    import numpy as np

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--utterances", type=int, default=20)
    ap.add_argument("--calls", type=int, default=20)
    a = ap.parse_args()
    print("| voice | shifted utterances | median error (semitones) | 90th percentile | largest | no pitch |")
    print("|---|---:|---:|---:|---:|---:|")
    for voice in ("allison", "june", "carlo", "librivox"):
        e, missing = pitch_errors(voice, a.utterances)
        print(f"| {voice} | {len(e)} | {np.median(e):.2f} | {np.percentile(e, 90):.2f} | {max(e):.2f} | {missing} |")
    print()
    print("| voice | planted on 2 segments per call | raised segments flagged | unchanged segments flagged | precision |")
    print("|---|---|---:|---:|---:|")
    for voice in ("allison", "carlo"):
        for st, db in ((6, 10), (5, 8), (4, 6), (3, 5), (0, 10), (6, 0)):
            hit, planted, false, unchanged = raised(voice, a.calls, st, db)
            prec = f"{hit / (hit + false):.0%}" if hit + false else "–"
            print(f"| {voice} | +{st} semitones, +{db} dB | {hit}/{planted} | {false}/{unchanged} | {prec} |")


if __name__ == "__main__":
    main()

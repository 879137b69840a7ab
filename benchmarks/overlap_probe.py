"""Can the speaker embeddings find where two people talk at once on one channel? A probe, not a feature.

Two women's IVR voices on one 8 kHz GSM line (tests/samechain.py: back-channels under 30 % of
turns, 20 % of turns starting 0.2-0.8 s before the last ends), seeds 3000 and up, two speakers
given. Reference: the time covered by both voices. Two candidate detectors, scored on a 10 ms grid:

- A: a change of speaker inside one stretch of speech (no pause between the two parts), +-0.4 s;
- B: embedding windows about as like one speaker's centroid as the other's (|sim1 - sim2| < m).

    .venv/bin/python benchmarks/overlap_probe.py --calls 10
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
SR = 16000


def grid(intervals, n: int) -> np.ndarray:
    g = np.zeros(n, bool)
    for b, e in intervals:
        g[max(0, int(b * 100)):max(0, int(e * 100))] = True
    return g


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=10)
    a = ap.parse_args()
    import samechain

    from ingest.models.speaker_encoders import VoiceEncoder
    from ingest.models.vad import VadSettings, load_vad
    from ingest.speakers.diarize import HOP_S, diarize, windows

    vad, enc = load_vad(VadSettings(name="silero"), ncpu=1), VoiceEncoder()
    rows = []
    for seed in range(3000, 3000 + a.calls):
        c = samechain.call(["allison", "june"], 90, seed, "8k")
        n = int(len(c.audio) / SR * 100) + 1
        cover: dict[str, list] = {}
        for b, e, v in c.turns:
            cover.setdefault(v, []).append((b, e))
        g = [grid(iv, n) for iv in cover.values()]
        spans = vad.speech_spans(c.audio)
        d = diarize(c.audio, spans, enc, 2)
        wins = windows(spans)
        sims = enc.embed([c.audio[int(w.start_s * SR):int(w.end_s * SR)] for w in wins]) @ d.centroids.T
        changes = [(e1 - 0.4, e1 + 0.4) for (_, e1, s1), (b2, _, s2) in zip(d.parts, d.parts[1:]) if s1 != s2 and abs(b2 - e1) < 1e-6]
        rows.append((g[0] & g[1], n, changes, wins, np.abs(sims[:, 0] - sims[:, 1])))
    ref_s = sum(r.sum() for r, *_ in rows) / 100
    audio_min = sum(n for _, n, *_ in rows) / 100 / 60

    def line(name: str, preds: list[np.ndarray]) -> str:
        tp = sum((p & r).sum() for p, (r, *_) in zip(preds, rows))
        pp = sum(p.sum() for p in preds)
        return f"| {name} | {pp / 100:.1f} s | {tp / max(pp, 1) * 100:.0f} % | {tp / 100 / ref_s * 100:.0f} % |"

    print(f"{a.calls} calls, {audio_min:.1f} min, {ref_s:.1f} s of the two voices at once")
    print("| detector | marked | precision | recall |\n|---|---:|---:|---:|")
    print(line("A: change inside a stretch of speech, ±0.4 s", [grid(ch, n) for _, n, ch, *_ in rows]))
    for m in (0.02, 0.05, 0.08, 0.12):
        preds = [grid([((w.start_s + w.end_s) / 2 - HOP_S / 2, (w.start_s + w.end_s) / 2 + HOP_S / 2)
                       for w, mg in zip(wins, margin) if mg < m], n) for _, n, _, wins, margin in rows]
        print(line(f"B: windows whose two similarities differ by < {m}", preds))


if __name__ == "__main__":
    main()

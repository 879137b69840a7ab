"""What the emotion second opinion costs (``--emotion-second-opinion``, ingest.second_opinion).

Real speech segments (Asterisk's IVR prompts of six voices, recorded the same way, 1-6 s each; the
segments an ingest would hand the models) are heard by SenseVoiceSmall (the ingest's model, the
product's default CPU precision, int8) and by emotion2vec+ base, both at their real sizes with
random weights (their real weights cannot be fetched here; the cost does not depend on them).
Reported: seconds per minute of speech for each, and the second opinion's cost as a share of the
model's. ``all`` hears every segment; ``emotional`` only those SenseVoice tagged with an emotion,
so its cost is this share times the fraction of such segments in your calls.

    .venv/bin/python benchmarks/second_opinion.py --minutes 5 --threads 2
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def segments(minutes: float) -> list:
    import samechain

    out, total = [], 0.0
    voices = [v for v in samechain.VOICES if samechain.available(v)]
    for i in range(10_000):
        voice = voices[i % len(voices)]
        xs = samechain.utterances(voice)
        x = xs[(i // len(voices)) % len(xs)]
        out.append(x)
        total += len(x) / 16000
        if total >= minutes * 60:
            break
    return out


def timed(fn, clips, repeat: int = 2) -> float:
    fn(clips[:2])  # warm up (first-call allocations)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(clips)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    import torch

    torch.set_num_threads(a.threads)
    from emotion2vec_random import build_emotion2vec_dir
    from sensevoice_random import build_model_dir

    from ingest.models.emotion2vec import Emotion2vec
    from ingest.models.recognize import RecognizerSettings, SenseVoiceRecognizer

    clips = segments(a.minutes)
    audio_min = sum(len(c) for c in clips) / 16000 / 60
    sv = SenseVoiceRecognizer(RecognizerSettings(model=str(build_model_dir(ROOT / ".cache" / "test-models" / "full", "full")),
                                                 device="cpu", threads=a.threads))
    e2v = Emotion2vec(str(build_emotion2vec_dir(ROOT / ".cache" / "test-models" / "emotion2vec-full", size="full")),
                      threads=a.threads)
    t_sv = timed(sv.transcribe, clips)
    t_e2v = timed(e2v.judge, clips)
    print(f"{len(clips)} segments, {audio_min:.1f} min of speech, {a.threads} threads")
    print("| model | seconds | per minute of speech | real-time factor |")
    print("|---|---:|---:|---:|")
    for name, t in (("SenseVoiceSmall (int8, batched)", t_sv), ("emotion2vec+ base (fp32, one segment at a time)", t_e2v)):
        print(f"| {name} | {t:.1f} | {t / audio_min:.2f} s | {t / (audio_min * 60):.3f} |")
    print(f"second opinion on every segment (`all`): {t_e2v / t_sv * 100:.0f} % of the model's time")


if __name__ == "__main__":
    main()

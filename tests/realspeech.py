"""Real human speech from Debian packages, assembled into conversations with known turns, and the
diarization error rate against them. Used by the speaker tests and benchmarks/diarization.py.

Voices (each package holds one person's recordings):
- ``allison``: Asterisk's IVR prompts (asterisk-core-sounds-en-gsm; US English, 8 kHz GSM, ~37 min)
- ``gcin``: Mandarin syllables (gcin-voice; joined here into phrases of 3-7 syllables)
- ``librivox``: a LibriVox reader of *Sense and Sensibility* (pocketsphinx-testdata; ~25 s)
- ``alsa``: ALSA's speaker-test channel prompts (alsa-utils; "Front left", ...; ~12 s)

Install them with ``apt-get install asterisk-core-sounds-en-gsm gcin-voice pocketsphinx-testdata
alsa-utils`` (``make test`` does, where it may).
"""
from __future__ import annotations

import random
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

SR = 16000
PACKAGES = "asterisk-core-sounds-en-gsm gcin-voice pocketsphinx-testdata alsa-utils"
SOURCES = {
    "allison": (Path("/usr/share/asterisk/sounds/en"), "*.gsm"),
    "gcin": (Path("/usr/share/gcin-voice/ogg"), "*/*.ogg"),
    "librivox": (Path("/usr/share/pocketsphinx/test/data/librivox"), "*.wav"),
    "alsa": (Path("/usr/share/sounds/alsa"), "[FRS]*_*.wav"),
}


def available(voice: str) -> bool:
    root, pattern = SOURCES[voice]
    return root.is_dir() and any(root.glob(pattern))


def load(path: Path) -> np.ndarray:
    """A file as 16 kHz mono float32 (ffmpeg), silence at both ends trimmed."""
    fmt = ["-f", "gsm"] if path.suffix == ".gsm" else []  # raw GSM has no header to probe
    pcm = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", *fmt, "-i", str(path), "-ac", "1", "-ar", str(SR),
                          "-f", "f32le", "-"], capture_output=True, check=True).stdout
    x = np.frombuffer(pcm, np.float32).copy()
    loud = np.flatnonzero(np.abs(x) > 0.02 * max(np.abs(x).max(), 1e-6) * 5)
    return x[max(0, loud[0] - 800):loud[-1] + 800] if len(loud) else x


CACHE = Path(__file__).resolve().parent.parent / ".cache" / "realspeech"


@cache
def clips(voice: str, limit: int = 400) -> tuple[np.ndarray, ...]:
    """Utterances of one voice, in a fixed order (each 0.5-8 s); decoded once, cached in .cache/."""
    cached = CACHE / f"{voice}-{limit}.npz"
    if cached.is_file():
        with np.load(cached) as z:
            return tuple(z[k] for k in sorted(z.files, key=int))
    out = _clips(voice, limit)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(cached.with_suffix(".tmp.npz"), **{str(i): c for i, c in enumerate(out)})
    cached.with_suffix(".tmp.npz").replace(cached)
    return out


def _clips(voice: str, limit: int) -> tuple[np.ndarray, ...]:
    root, pattern = SOURCES[voice]
    files = sorted(f for f in root.glob(pattern) if "tone" not in f.name and "beep" not in f.name)
    if voice == "gcin":  # syllables → phrases of 3-7 syllables with 60 ms between them
        rng = random.Random(5)
        syl = [load(f) for f in rng.sample(files, min(len(files), 900))]
        out, i = [], 0
        while i < len(syl) and len(out) < limit:
            k = rng.randint(3, 7)
            gap = np.zeros(int(0.06 * SR), np.float32)
            out.append(np.concatenate([p for s in syl[i:i + k] for p in (s, gap)])[:-len(gap)])
            i += k
        return tuple(out)
    out = []
    for f in files[:limit * 2]:
        x = load(f)
        if 0.5 * SR <= len(x) <= 8 * SR:
            out.append(x / max(np.abs(x).max(), 1e-6) * 0.5)
        if len(out) >= limit:
            break
    return tuple(out)


@dataclass
class Conversation:
    audio: np.ndarray  # 16 kHz mono
    turns: list[tuple[float, float, str]]  # reference: (start, end, voice), speech only


def conversation(voices: list[str], seconds: float = 90, turn_s: tuple[float, float] = (1, 15),
                 gap_s: tuple[float, float] = (0.3, 1.2), seed: int = 0, band: str = "16k",
                 first: list[np.ndarray] | None = None) -> Conversation:
    """Turns of the given voices in random order (never the same voice twice in a row), each
    1-15 s of that voice's utterances, separated by silence; a faint noise floor. ``band="8k"``
    passes the result through the telephone band (8 kHz). ``first``: clips the first turn opens with."""
    rng = random.Random(seed)
    cursor = {v: rng.randrange(len(clips(v))) for v in voices}
    parts, turns, t, prev = [], [], 0.0, None
    lead = np.zeros(int(0.5 * SR), np.float32)
    parts.append(lead)
    t = len(lead) / SR
    while t < seconds:
        voice = rng.choice([v for v in voices if v != prev] or voices)
        want = rng.uniform(*turn_s)
        got = 0.0
        pool = clips(voice)
        opening = list(first) if first and prev is None else []
        while got < want or not got:
            if opening:
                c = opening.pop(0)
            else:
                c = pool[cursor[voice] % len(pool)]
                cursor[voice] += 1
            if got and got + len(c) / SR > want + 2:
                break
            if got:
                pause = np.zeros(int(rng.uniform(0.05, 0.2) * SR), np.float32)
                parts.append(pause)
                t += len(pause) / SR
            parts.append(c)
            turns.append((round(t, 3), round(t + len(c) / SR, 3), voice))
            t += len(c) / SR
            got += len(c) / SR
        gap = np.zeros(int(rng.uniform(*gap_s) * SR), np.float32)
        parts.append(gap)
        t += len(gap) / SR
        prev = voice
    audio = np.concatenate(parts)
    audio = audio + np.random.default_rng(seed).normal(0, 0.001, len(audio)).astype(np.float32)
    if band == "8k":
        from scipy.signal import resample_poly

        audio = resample_poly(resample_poly(audio, 1, 2), 2, 1).astype(np.float32)[:len(audio)]
    return Conversation(audio.astype(np.float32), _merge_turns(turns))


def _merge_turns(turns):
    """Utterances of one voice less than 0.3 s apart form one reference stretch."""
    out = []
    for b, e, v in turns:
        if out and out[-1][2] == v and b - out[-1][1] < 0.3:
            out[-1] = (out[-1][0], e, v)
        else:
            out.append((b, e, v))
    return out


def der(reference: list[tuple[float, float, str]], hypothesis: list[tuple[float, float, object]],
        collar: float = 0.25, step: float = 0.01) -> dict:
    """Diarization error rate: (missed + false alarm + speaker confusion) / scored speech, on 10 ms
    frames, with ``collar`` seconds around every reference boundary not scored and overlapping
    reference speech excluded; hypothesis speakers mapped to reference ones one-to-one (Hungarian)."""
    from scipy.optimize import linear_sum_assignment

    end = max([e for _, e, _ in reference] + [e for _, e, _ in hypothesis] + [0])
    n = int(np.ceil(end / step)) + 1
    ref_ids = sorted({v for *_, v in reference})
    hyp_ids = sorted({v for *_, v in hypothesis}, key=str)
    ref = np.zeros((len(ref_ids), n), bool)
    hyp = np.zeros((max(len(hyp_ids), 1), n), bool)
    scored = np.ones(n, bool)
    for b, e, v in reference:
        ref[ref_ids.index(v), int(round(b / step)):int(round(e / step))] = True
        for edge in (b, e):
            scored[max(0, int(round((edge - collar) / step))):int(round((edge + collar) / step))] = False
    for b, e, v in hypothesis:
        hyp[hyp_ids.index(v), int(round(b / step)):int(round(e / step))] = True
    scored &= ref.sum(axis=0) <= 1  # overlap excluded
    r, h = ref[:, scored], hyp[:, scored]
    ref_speech = r.any(axis=0)
    hyp_speech = h.any(axis=0)
    co = (r[:, None, :] & h[None, :, :]).sum(axis=2)
    ri, hi = linear_sum_assignment(-co)
    correct = co[ri, hi].sum()
    total = int(ref_speech.sum())
    missed = int((ref_speech & ~hyp_speech).sum())
    false_alarm = int((hyp_speech & ~ref_speech).sum())
    both = int((ref_speech & hyp_speech).sum())
    confusion = both - int(correct)
    return {"der": (missed + false_alarm + confusion) / max(total, 1), "missed": missed / max(total, 1),
            "false_alarm": false_alarm / max(total, 1), "confusion": confusion / max(total, 1),
            "speakers_ref": len(ref_ids), "speakers_hyp": len(hyp_ids) if hypothesis else 0,
            "scored_s": total * step}

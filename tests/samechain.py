"""Harder real speech for the speaker tests: conversations between two people of the **same sex**
recorded **the same way** — every voice an Asterisk IVR speaker from a Debian package (8 kHz, GSM),
brought to the same loudness, mixed on one line and, for the telephone band, passed through GSM
once more as one call would be — with short back-channel turns ("two", "oh": a digit or a letter
of the other voice, often over the speaker's turn) and turns that start before the last one ended.

On these the encoder cannot tell the speakers apart by their recording chain: only the person
differs. Used by tests/test_speaker_count.py and benchmarks/diarization.py (calibration on seeds
below 1000, reported figures on seeds from 1000).

Voices (one person each; ``apt-get install`` the package named):
- women: ``allison`` (US English, asterisk-core-sounds-en-gsm), ``june`` (Canadian French,
  asterisk-core-sounds-fr-gsm), ``menardi`` (Italian, asterisk-prompt-it-menardi-gsm), ``ivrru``
  (Russian, asterisk-core-sounds-ru-gsm), ``armelle`` (French, asterisk-prompt-fr-armelle)
- a man: ``carlo`` (Italian, asterisk-core-sounds-it-gsm; his pitch lies in the women's range);
  not stated: ``esco`` (Colombian Spanish, asterisk-prompt-es-co)
"""
from __future__ import annotations

import random
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from realspeech import SR, load

PACKAGES = ("asterisk-core-sounds-en-gsm asterisk-core-sounds-fr-gsm asterisk-core-sounds-it-gsm "
            "asterisk-core-sounds-ru-gsm asterisk-prompt-fr-armelle asterisk-prompt-es-co "
            "asterisk-prompt-it-menardi-gsm")
ROOT = Path("/usr/share/asterisk/sounds")
VOICES = {
    "allison": ("f", ROOT / "en_US_f_Allison"),
    "june": ("f", ROOT / "fr_CA_f_June"),
    "menardi": ("f", ROOT / "it_IT_f_Menardi"),
    "ivrru": ("f", ROOT / "ru_RU_f_IvrvoiceRU"),
    "armelle": ("f", ROOT / "fr"),
    "carlo": ("m", ROOT / "it_IT_m_Carlo"),
    "esco": ("?", ROOT / "es"),
}
LEVEL_RMS = 0.06  # every utterance at the same loudness (about -24 dBFS)
CACHE = Path(__file__).resolve().parent.parent / ".cache" / "samechain"


def available(*voices: str) -> bool:
    return all(VOICES[v][1].is_dir() and any(VOICES[v][1].glob("*.gsm")) for v in voices)


def pairs(sex: str) -> list[tuple[str, str]]:
    """Every pair of installed voices of one sex."""
    vs = [v for v, (s, _) in VOICES.items() if s == sex and available(v)]
    return [(a, b) for i, a in enumerate(vs) for b in vs[i + 1:]]


def _level(x: np.ndarray) -> np.ndarray:
    return (x * (LEVEL_RMS / max(float(np.sqrt(np.mean(x ** 2))), 1e-6))).astype(np.float32)


@cache
def utterances(voice: str, short: bool = False) -> tuple[np.ndarray, ...]:
    """A voice's prompts (0.8-8 s), or with ``short`` its digits and letters (0.2-0.8 s: back-
    channels), each at the same loudness; decoded once and cached in .cache/."""
    cached = CACHE / f"{voice}-{'short' if short else 'long'}.npz"
    if cached.is_file():
        with np.load(cached) as z:
            return tuple(z[k] for k in sorted(z.files, key=int))
    root = VOICES[voice][1]
    files = sorted((root / "digits").glob("*.gsm")) + sorted((root / "letters").glob("*.gsm")) if short \
        else sorted(f for f in root.glob("*.gsm") if not any(w in f.name for w in ("tone", "beep", "silence")))
    lo, hi = (0.2, 0.8) if short else (0.8, 8.0)
    with ThreadPoolExecutor(4) as pool:  # one ffmpeg per file
        decoded = list(pool.map(_load, files))
    out = [_level(x) for x in decoded if lo * SR <= len(x) <= hi * SR]
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(".tmp.npz")
    np.savez(tmp, **{str(i): c for i, c in enumerate(out)})
    tmp.replace(cached)
    return tuple(out)


def _load(path: Path) -> np.ndarray:
    try:
        return load(path)
    except ValueError:  # an empty file
        return np.zeros(0, np.float32)


def gsm_line(audio: np.ndarray) -> np.ndarray:
    """One telephone line: 8 kHz GSM and back to 16 kHz (ffmpeg's libgsm)."""
    enc = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "f32le", "-ar", str(SR), "-ac", "1", "-i", "-",
                          "-ar", "8000", "-c:a", "libgsm", "-f", "gsm", "-"],
                         input=np.clip(audio, -1, 1).astype(np.float32).tobytes(), capture_output=True, check=True).stdout
    pcm = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "gsm", "-i", "-", "-ar", str(SR), "-ac", "1",
                          "-f", "f32le", "-"], input=enc, capture_output=True, check=True).stdout
    out = np.zeros(len(audio), np.float32)
    x = np.frombuffer(pcm, np.float32)[:len(audio)]
    out[:len(x)] = x
    return out


@dataclass
class Call:
    audio: np.ndarray  # 16 kHz mono
    turns: list[tuple[float, float, str]]  # reference speech (start, end, voice); overlaps kept


def call(voices: list[str], seconds: float = 90, seed: int = 0, band: str = "8k", turn_s=(1.0, 10.0),
         backchannel: float = 0.3, overlap: float = 0.2, weights: list[float] | None = None,
         brief: str | None = None) -> Call:
    """Turns of ``voices`` (never the same twice in a row; ``weights``: how often each takes the
    floor), 1-10 s each (``brief``: a voice whose turns are one prompt under 2.5 s, a customer who
    says little); after a turn the other voice may have said a back-channel during it (with probability
    ``backchannel``), and the next turn may start 0.2-0.8 s before it ends (``overlap``)."""
    rng = random.Random(seed)
    long = {v: list(utterances(v)) for v in voices}
    short = {v: list(utterances(v, short=True)) for v in voices}
    for v in voices:
        rng.shuffle(long[v])
    if brief:  # a few words: prompts under 2.5 s
        long[brief] = [c for c in long[brief] if len(c) < 2.5 * SR]
    cursor = dict.fromkeys(voices, 0)
    placed: list[tuple[float, np.ndarray, str]] = []
    t, prev = 0.5, None
    while t < seconds:
        choices = [v for v in voices if v != prev] or voices
        w = [weights[voices.index(v)] for v in choices] if weights else None
        voice = rng.choices(choices, weights=w)[0]
        if prev is not None and rng.random() < overlap:
            t -= rng.uniform(0.2, 0.8)
        start, want = t, 0.0 if voice == brief else rng.uniform(*turn_s)
        while t == start or t - start < want:
            c = long[voice][cursor[voice] % len(long[voice])]
            cursor[voice] += 1
            placed.append((t, c, voice))
            t += len(c) / SR + rng.uniform(0.05, 0.25)
        others = [v for v in voices if v != voice]
        if others and t - start > 3 and rng.random() < backchannel:
            listener = rng.choice(others)
            placed.append((rng.uniform(start + 1, t - 1), rng.choice(short[listener]), listener))
        t += rng.uniform(0.2, 1.0)
        prev = voice
    end = max(a + len(c) / SR for a, c, _ in placed) + 0.5
    audio = np.zeros(int(end * SR) + 1, np.float32)
    turns = []
    for a, c, v in placed:
        i = int(a * SR)
        audio[i:i + len(c)] += c
        turns.append((round(a, 3), round(a + len(c) / SR, 3), v))
    audio += np.random.default_rng(seed).normal(0, 0.0015, len(audio)).astype(np.float32)
    if band == "8k":
        audio = gsm_line(audio)
    return Call(audio, _merge(sorted(turns)))


def monologue(voice: str, seconds: float = 60, seed: int = 0, band: str = "8k") -> Call:
    """One voice throughout (an IVR message, a voicemail), through the same chain."""
    return call([voice], seconds, seed, band, turn_s=(seconds, seconds), backchannel=0, overlap=0)


def _merge(turns):
    """Utterances of one voice less than 0.3 s apart form one reference stretch."""
    out: list[tuple[float, float, str]] = []
    last: dict[str, int] = {}
    for b, e, v in turns:
        j = last.get(v)
        if j is not None and b - out[j][1] < 0.3 and j == len(out) - 1:
            out[j] = (out[j][0], max(e, out[j][1]), v)
        else:
            last[v] = len(out)
            out.append((b, e, v))
    return out

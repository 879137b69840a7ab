"""Evidence that does not depend on the model: the pitch of each segment, and a voice raised above
its own start.

Pitch is the fundamental frequency (F0) by YIN (``librosa.yin``: 64 ms frames, 10 ms apart, 60-500
Hz), read only where the voice is clearly there: frames within 30 dB of the segment's loudest and
agreeing with both neighbours within a semitone (the rest are unvoiced sounds, silence or octave
errors). A segment with less than 0.15 s of such frames has no pitch. Per segment: the median F0 and
its range (10th to 90th percentile, in semitones).

A speaker's *baseline* is their own first segments with a pitch (up to ``BASELINE_SEGMENTS``,
within their first ``BASELINE_S`` seconds of speech): the median pitch and loudness there. Every
later segment of that speaker gets its change from it (semitones, dB), and is a *raised voice* when
both rise: pitch by ``RAISED_ST`` semitones or more (19 %) and loudness by ``RAISED_DB`` dB or more —
a speaker's own change, not a comparison between people (a high voice is not a raised one).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .decode import SAMPLE_RATE

FMIN, FMAX = 60.0, 500.0
FRAME, HOP = 1024, 160  # 64 ms, 10 ms at 16 kHz
MIN_VOICED_S = 0.15
BASELINE_SEGMENTS, BASELINE_S = 4, 30.0
RAISED_ST, RAISED_DB = 3.0, 5.0


@dataclass
class Pitch:
    median_hz: float
    range_st: float
    voiced_s: float


def semitones(hz: float, ref_hz: float) -> float:
    return 12.0 * math.log2(hz / ref_hz)


def pitch(samples: np.ndarray, sr: int = SAMPLE_RATE) -> Pitch | None:
    """The pitch of one segment (16 kHz mono float32), or None where too little of it is voiced."""
    if samples.size < FRAME * 2:
        return None
    import librosa

    x = samples.astype(np.float32, copy=False)
    if not np.isfinite(x).all():  # YIN refuses it; a live client may send anything
        return None
    f0 = librosa.yin(x, fmin=FMIN, fmax=FMAX, sr=sr, frame_length=FRAME, hop_length=HOP)
    rms = librosa.feature.rms(y=x, frame_length=FRAME, hop_length=HOP)[0][:len(f0)]
    f0 = f0[:len(rms)]
    if not len(f0) or rms.max() <= 0:
        return None
    loud = rms >= rms.max() * 10 ** (-30 / 20)
    step = np.abs(np.diff(12 * np.log2(f0)))
    steady = np.zeros(len(f0), bool)
    steady[1:-1] = (step[:-1] < 1.0) & (step[1:] < 1.0)
    voiced = f0[loud & steady & (f0 > FMIN * 1.02) & (f0 < FMAX * 0.98)]
    if len(voiced) * HOP / sr < MIN_VOICED_S:
        return None
    p10, p50, p90 = np.percentile(voiced, [10, 50, 90])
    return Pitch(round(float(p50), 1), round(semitones(p90, p10), 2), round(len(voiced) * HOP / sr, 2))


@dataclass
class Change:
    pitch_change_st: float | None
    loudness_change_db: float | None
    raised_voice: bool | None  # None: no baseline to compare with (or the segment is the baseline)


def changes(speakers: list, durations: list[float], pitches: list[Pitch | None], loudness: list[float]) -> list[Change]:
    """Each segment's change against its speaker's baseline (segments in time order; ``speakers``:
    any hashable naming who spoke)."""
    base: dict = {}
    spoken: dict = {}
    members: dict = {}
    for i, (who, dur, p) in enumerate(zip(speakers, durations, pitches)):
        seen = spoken.get(who, 0.0)
        spoken[who] = seen + dur
        if p is not None and seen < BASELINE_S and len(members.setdefault(who, [])) < BASELINE_SEGMENTS:
            members[who].append(i)
    for who, idx in members.items():
        if idx:
            base[who] = (float(np.median([pitches[i].median_hz for i in idx])), float(np.median([loudness[i] for i in idx])))
    out = []
    for i, (who, p, db) in enumerate(zip(speakers, pitches, loudness)):
        if who not in base or i in members.get(who, ()):
            out.append(Change(None, None, None))
            continue
        hz, ref_db = base[who]
        st = round(semitones(p.median_hz, hz), 2) if p is not None else None
        ddb = round(db - ref_db, 2)
        out.append(Change(st, ddb, st is not None and st >= RAISED_ST and ddb >= RAISED_DB))
    return out


def segment_fields(slices: list[np.ndarray], speakers: list, loudness: list[float]) -> list[dict]:
    """Each segment's prosody as ``ingest.records.Segment`` names its fields (slices in time order)."""
    pitches = [pitch(sl) for sl in slices]
    moved = changes(speakers, [len(sl) / SAMPLE_RATE for sl in slices], pitches, loudness)
    return [{"pitch_hz": p.median_hz if p else None, "pitch_range_st": p.range_st if p else None,
             "pitch_change_st": m.pitch_change_st, "loudness_change_db": m.loudness_change_db, "raised_voice": m.raised_voice}
            for p, m in zip(pitches, moved)]

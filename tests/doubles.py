"""Test doubles (only for tests). A random-weight model emits no ``<|...|>`` header, so tests that
need meaningful tags downstream of the recogniser use this double at the recogniser boundary."""
from __future__ import annotations

import numpy as np

from ingest.models.recognize import Recognized
from ingest.models.tags import parse


class LoudnessTaggingRecognizerDouble:
    """Emits a real-format SenseVoice string whose tags follow the slice's level: loud slices are
    ANGRY with laughter, quiet ones NEUTRAL. Records every slice it was given."""

    model_id = "test-double"
    revision = None

    def __init__(self, loud_rms: float = 0.06):
        self.loud_rms = loud_rms
        self.calls: list[list[np.ndarray]] = []

    def transcribe(self, slices):
        self.calls.append(list(slices))
        out = []
        for s in slices:
            loud = float(np.sqrt(np.mean(s.astype(np.float64) ** 2))) > self.loud_rms
            raw = ("<|en|><|ANGRY|><|Laughter|><|withitn|>that is not good enough" if loud
                   else "<|zh|><|NEUTRAL|><|Speech|><|withitn|>好的，我来查一下")
            out.append(Recognized(parse(raw), 0.9 if loud else 0.6))
        return out


class FixedTextRecognizerDouble:
    """Emits the same SenseVoice string for every slice (e.g. one containing a phone number)."""

    model_id = "test-double-fixed"
    revision = None

    def __init__(self, raw: str):
        self.raw = raw

    def transcribe(self, slices):
        return [Recognized(parse(self.raw), 0.8) for _ in slices]


class SecondOpinionDouble:
    """Stands in for emotion2vec+ (ingest.models.emotion2vec.Emotion2vec): hears every clip as
    ``emotion`` with probability ``p``. Records how many clips it was given."""

    def __init__(self, model: str = "", hub: str = "ms", device: str = "cpu", threads: int | None = None,
                 emotion: str = "NEUTRAL", p: float = 0.8):
        from ingest.models.emotion2vec import CLASSES

        self.name, self.emotion, self.p, self.heard = "emotion2vec:double", emotion, p, 0
        self.probs = {c: (p if c == emotion else (1 - p) / (len(CLASSES) - 1)) for c in CLASSES}

    def judge(self, clips):
        from ingest.models.emotion2vec import Opinion

        self.heard += len(clips)
        return [Opinion(self.emotion, self.p, dict(self.probs)) for _ in clips]

"""A second opinion on emotion: FunASR's emotion2vec+ (``iic/emotion2vec_plus_base``, or ``_large``),
a model trained for speech emotion alone, heard on the same segment as SenseVoice.

Loaded through the same hub / local-directory path as SenseVoiceSmall (``hub.fetch``, then
``funasr.AutoModel``); each segment gets FunASR's own ``Emotion2vec.inference``: a score for each
of its 9 classes (angry, disgusted, fearful, happy, neutral, other, sad, surprised, unknown), named
here in SenseVoice's words (``ANGRY`` ...; ``OTHER`` stays its own). ``ingest.second_opinion``
decides which segments are heard and how the two opinions are combined.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..decode import SAMPLE_RATE
from ..errors import ModelUnavailable
from . import hub as hubs

EMOTION2VEC = "iic/emotion2vec_plus_base"
# emotion2vec+'s classes, as stored (segments.second_emotion_probs; ingest.store.schema.PROB_CLASSES)
CLASSES = ("ANGRY", "DISGUSTED", "FEARFUL", "HAPPY", "NEUTRAL", "OTHER", "SAD", "SURPRISED", "UNKNOWN")
# a clip shorter than this gets no opinion (the model's convolutions need 25 ms; a word needs more)
MIN_CLIP_S = 0.3
_MODULES = ("funasr.models.emotion2vec.model", "funasr.tokenizer.char_tokenizer")


def class_name(label: str) -> str | None:
    """emotion2vec+'s label ("生气/angry", "<unk>") in SenseVoice's words ("ANGRY", "UNKNOWN");
    None for a label it does not use ("unuse...")."""
    label = str(label).strip()
    if label.startswith("unuse"):
        return None
    name = label.rsplit("/", 1)[-1].strip().upper()
    if name in ("<UNK>", "UNK", ""):
        return "UNKNOWN"
    return name if name in CLASSES else None


@dataclass
class Opinion:
    emotion: str  # the most likely class (CLASSES)
    confidence: float  # its score
    probs: dict[str, float]  # every class's score


class Emotion2vec:
    """emotion2vec+ through ``funasr.AutoModel``: a hub id is downloaded as FunASR does; a local
    directory must hold the hub's layout (configuration.json, config.yaml, model.pt, tokens.txt)."""

    def __init__(self, model: str = EMOTION2VEC, hub: str = "ms", device: str = "cpu", threads: int | None = None):
        from .recognize import resolve_device

        self.device = resolve_device(device)
        self.am, self.name = hubs.load(model, hub, self.device, threads, "emotion2vec+", "emotion2vec", "Emotion2vec",
                                       ModelUnavailable,
                                       modules=_MODULES, advice=". Download it where the hub can be reached and pass its "
                                       "directory with --emotion2vec DIR, or leave the second opinion off")
        if getattr(self.am.model, "proj", None) is None:
            raise ModelUnavailable(f"{model} is emotion2vec without its emotion classes (use emotion2vec_plus_base "
                                   "or _large, not the feature-only emotion2vec_base)")

    def judge(self, clips: list[np.ndarray]) -> list[Opinion | None]:
        """One opinion per 16 kHz clip (None for a clip too short to judge)."""
        out: list[Opinion | None] = [None] * len(clips)
        todo = [i for i, c in enumerate(clips) if len(c) >= MIN_CLIP_S * SAMPLE_RATE]
        if not todo:
            return out
        with hubs.quiet():
            results = self.am.generate([np.ascontiguousarray(clips[i], np.float32) for i in todo],
                                       granularity="utterance", extract_embedding=False, disable_pbar=True)
        for i, r in zip(todo, results):
            probs = dict.fromkeys(CLASSES, 0.0)
            for label, score in zip(r.get("labels", []), r.get("scores", [])):
                name = class_name(label)
                if name is not None:
                    probs[name] += float(score)
            best = max(probs, key=probs.get)
            out[i] = Opinion(best, round(probs[best], 6), {k: round(v, 6) for k, v in probs.items()})
        return out


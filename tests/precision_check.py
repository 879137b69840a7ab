"""How often two recognisers (fp32 and int8) make the same tag decisions on the same slices.

A random-weight model emits no ``<|...|>`` header as text, so the decision is read where SenseVoice
makes it: the CTC posteriors of the four header frames (language, emotion, event, text
normalisation: ingest.models.header), argmax over each header's own candidate tokens. Shared by the tests and
``benchmarks/ingest_speed.py``."""
from __future__ import annotations

import numpy as np
import torch

from ingest.models.header import EMOTION_FRAME, EVENT_FRAME, LANGUAGE_FRAME

LANGUAGE_IDS = [24884, 24885, 24888, 24892, 24896, 24992]  # zh en yue ja ko nospeech
EVENT_IDS = [24993, 24995, 24997, 24999, 25010, 25011, 25012, 25013, 25014, 25015]
EMOTION_IDS = [25001, 25002, 25003, 25004, 25005, 25006, 25007, 25009]


def header_decisions(recognizer, slices: list[np.ndarray]) -> list[tuple[int, int, int]]:
    """(language, event, emotion) token ids per slice, in the order given."""
    model = recognizer.am.model
    captured = []
    hook = model.encoder.register_forward_hook(
        lambda _m, _i, out: captured.append(out[0] if isinstance(out, tuple) else out))
    try:
        out = []
        for s in slices:  # one at a time: the decision of a slice, not of its batch
            captured.clear()
            recognizer.transcribe([s])
            with torch.inference_mode():
                head = model.ctc.log_softmax(captured[-1][:1, :3].float())[0]
            out.append(tuple(ids[int(head[row, ids].argmax())]
                             for row, ids in ((LANGUAGE_FRAME, LANGUAGE_IDS), (EVENT_FRAME, EVENT_IDS),
                                              (EMOTION_FRAME, EMOTION_IDS))))
        return out
    finally:
        hook.remove()


def agreement(a: list[tuple], b: list[tuple]) -> dict[str, float]:
    """Share of slices with the same decision, per header."""
    return {name: float(np.mean([x[i] == y[i] for x, y in zip(a, b)]))
            for i, name in enumerate(("language", "event", "emotion"))}

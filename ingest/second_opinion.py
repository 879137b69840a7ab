"""A second opinion on emotion (``--emotion-second-opinion``): emotion2vec+ (``ingest.models.emotion2vec``)
hears the segments again, and its verdict is stored beside SenseVoice's (``second_emotion``, its
score and every class's).

Which segments: ``emotional`` — those SenseVoice tagged with an emotion other than NEUTRAL or
UNKNOWN: every segment an emotion rule or an alert could act on, at a fraction of the cost; ``all`` —
every segment (a NEUTRAL the second model hears otherwise becomes uncertain too); ``off`` (the default).

How the two combine (``agree``): where emotion2vec+ names another emotion — OTHER included —
SenseVoice's tag counts as uncertain: not counted on any page, in any rule or alert
(``analytics.confidence``), and drawn faded on the timeline. Where it says UNKNOWN (it could not
tell) or was not asked, SenseVoice's tag stands on its own probability.
"""
from __future__ import annotations

import time

from .errors import FileFailed

MODES = ("off", "emotional", "all")
CALM = ("NEUTRAL", "UNKNOWN")  # tags no emotion rule or alert acts on
NO_OPINION = "UNKNOWN"


def wanted(emotion: str | None, mode: str) -> bool:
    """Whether a segment SenseVoice tagged ``emotion`` is heard again in ``mode``."""
    return mode == "all" or (mode == "emotional" and emotion not in CALM)


def agree(first: str | None, second: str | None) -> bool:
    """Whether the second opinion leaves SenseVoice's ``first`` tag standing: none given, the same
    emotion, or UNKNOWN (it could not tell)."""
    return second is None or second == NO_OPINION or second == first


def apply(pipeline, segments: list, slices: list) -> str | None:
    """Hear again the segments ``pipeline.options.emotion_second_opinion`` asks for (``slices[i]``
    is ``segments[i]``'s audio) and fill in their ``second_emotion*``; returns the model's name
    (None when no segment was asked). A model that cannot load stops the batch (ModelUnavailable);
    a failure on this file is the file's own (FileFailed)."""
    mode = pipeline.options.emotion_second_opinion
    todo = [i for i, s in enumerate(segments) if wanted(s.emotion, mode)]
    if not todo:
        return None
    judge = pipeline.emotion_judge
    t0 = time.perf_counter()
    try:
        opinions = judge.judge([slices[i] for i in todo])
    except Exception as e:  # noqa: BLE001
        raise FileFailed("second_opinion", f"the emotion second opinion failed: {type(e).__name__}: {e}") from e
    finally:
        pipeline.times.add("second_opinion", time.perf_counter() - t0)
    for i, op in zip(todo, opinions):
        if op is not None:
            s = segments[i]
            s.second_emotion, s.second_emotion_confidence, s.second_emotion_probs = op.emotion, op.confidence, op.probs
    return judge.name

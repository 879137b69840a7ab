"""How sure SenseVoice is of each tag: the probabilities at its four query frames.

SenseVoiceSmall puts four learnt queries before the audio frames — language, emotion, event, text
normalisation, in that order (FunASR's ``SenseVoiceSmall.inference`` builds them, and its training
loss reads the first four encoder frames against the first four tokens of the target, which come
as ``<|zh|><|ANGRY|><|Speech|><|withitn|>``). The CTC posterior at each of those frames is a
distribution over the whole vocabulary; the tag printed is its argmax. Restricted to one class
set and normalised over it (the same as a softmax over those classes' logits), it gives the
probability of every emotion, every event and the chosen language. These are the model's numbers,
nothing added: forms without logits (FunASR's emoji text, sherpa-onnx's JSON) store NULL.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .tags import EMOTIONS, EVENT_TOKENS, LANGUAGES, UNKNOWN_EMOTION

LANGUAGE_FRAME, EMOTION_FRAME, EVENT_FRAME = 0, 1, 2
# how sure a tag must be to count unless a team sets otherwise (analytics.confidence): at least as
# likely as every other class of its set together
DEFAULT_THRESHOLD = 0.5

# class name as stored -> SenseVoice token, per class set, in storage order
EMOTION_CLASSES = {**{e: f"<|{e}|>" for e in EMOTIONS}, UNKNOWN_EMOTION: "<|EMO_UNKNOWN|>"}
# SPEECH: plain speech, no event (the usual answer); UNKNOWN: the model's own "unknown event"
EVENT_CLASSES = {"SPEECH": "<|Speech|>", **{name: f"<|{tok}|>" for tok, name in EVENT_TOKENS.items()},
                 "UNKNOWN": "<|Event_UNK|>"}
LANGUAGE_CLASSES = {**{lang: f"<|{lang}|>" for lang in LANGUAGES}, "nospeech": "<|nospeech|>"}


def struct_sql(classes: dict[str, str]) -> str:
    """The DuckDB type that stores one class set's probabilities (a column per class)."""
    return "STRUCT(" + ", ".join(f"{name} DOUBLE" for name in classes) + ")"


@dataclass
class HeaderProbabilities:
    """One slice's distributions over each class set (probabilities summing to 1), rounded."""

    emotion: dict[str, float | None]
    event: dict[str, float | None]
    language: dict[str, float | None]


class ClassIds:
    """The token id of every class in one tokenizer (a class its vocabulary lacks is left out,
    and stored as NULL)."""

    def __init__(self, piece_to_id, unk_id: int):
        def ids(classes: dict[str, str]) -> dict[str, int]:
            return {name: i for name, tok in classes.items() if (i := piece_to_id(tok)) != unk_id}
        self.emotion, self.event, self.language = ids(EMOTION_CLASSES), ids(EVENT_CLASSES), ids(LANGUAGE_CLASSES)

    def probabilities(self, log_probs: np.ndarray) -> HeaderProbabilities:
        """From the log-posteriors of one slice's four query frames (4 x vocabulary)."""
        return HeaderProbabilities(emotion=_over(log_probs[EMOTION_FRAME], self.emotion, EMOTION_CLASSES),
                                   event=_over(log_probs[EVENT_FRAME], self.event, EVENT_CLASSES),
                                   language=_over(log_probs[LANGUAGE_FRAME], self.language, LANGUAGE_CLASSES))


def _over(frame: np.ndarray, ids: dict[str, int], classes: dict[str, str]) -> dict[str, float | None]:
    if not ids:
        return dict.fromkeys(classes)
    logp = np.array([frame[i] for i in ids.values()], dtype=np.float64)
    p = np.exp(logp - logp.max())
    p /= p.sum()
    got = {name: round(float(v), 4) for name, v in zip(ids, p)}
    return {name: got.get(name) for name in classes}


def latest_threshold(files: list[str], tag: str) -> float:
    """A team's threshold for ``tag`` from the store's ``tag_thresholds`` files (the latest row
    wins; none: the default). For a process that reads no other table (the live server)."""
    import duckdb

    if files:
        con = duckdb.connect()
        try:
            row = con.execute("SELECT arg_max(threshold, set_at) FROM read_parquet(?, union_by_name = true) WHERE tag = ?",
                              [files, tag]).fetchone()
        except duckdb.Error:  # a file being replaced, or damaged: the default until the next call
            row = None
        finally:
            con.close()
        if row and row[0] is not None:
            return float(row[0])
    return DEFAULT_THRESHOLD


def confidence(probs: dict[str, float | None] | None, tag: str | None) -> float | None:
    """The probability of ``tag`` in a stored distribution (None where there is none)."""
    if not probs or tag is None:
        return None
    return probs.get(tag)

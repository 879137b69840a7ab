"""How right the model's tags are on the segments your team checked, and the threshold that would
have matched the team best.

A checked segment is one a person corrected (its emotion, or its events): the person's label is
the truth, the model's label and its probability (``emotion_confidence``, ``event_probs``) what is
judged. For a tag T and a threshold t, the model *says* T when it printed T with p >= t:

- precision: of the segments the model says T, the share the people call T;
- recall: of the segments the people call T, the share the model says T.

Raising t trades recall for precision. ``learn`` proposes, per tag with enough checked segments
(``MIN_CHECKED``, with the model both right and wrong about T among them), the t with the best F1
(the harmonic mean of the two; the lowest such t), and says what it means in a sentence. Segments
stored without a probability teach nothing about thresholds and are left out.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from ingest.models.tags import EMOTIONS, EVENTS

from .confidence import DEFAULT_THRESHOLD, event_probability
from .corrections import wilson
from .filters import Filter, recording_where

MIN_CHECKED = 30  # checked segments about a tag (the model's or the people's) before a threshold is learnt
RELIABILITY_BINS = 10


def checked(con: duckdb.DuckDBPyConnection, flt: Filter | None = None) -> pd.DataFrame:
    """The checked segments: the model's emotion, events and probabilities beside the people's
    (``human_emotion`` / ``human_events``: NULL where that part was not corrected)."""
    where, params = recording_where(flt)
    return con.execute(f"""
        SELECT s.recording_id, s.seg_index, s.model_emotion, s.emotion_confidence, s.model_events, s.event_probs,
               c.emotion AS human_emotion, c.events AS human_events
        FROM seg s JOIN recordings r USING (recording_id) JOIN corrections_latest c USING (recording_id, seg_index)
        WHERE {where}""", params).df()


def tag_evidence(df: pd.DataFrame, tag: str) -> pd.DataFrame:
    """For one tag, each checked segment that has a say about it: ``p`` (the model's probability of
    the tag it printed, NaN if none), ``model`` (printed the tag) and ``human`` (the people's tag)."""
    if tag in EMOTIONS:
        d = df[df["human_emotion"].notna()]
        model = d["model_emotion"] == tag
        p = pd.to_numeric(d["emotion_confidence"], errors="coerce")
        human = d["human_emotion"] == tag
    else:
        d = df[df["human_events"].notna()]
        model = d["model_events"].map(lambda e: e is not None and tag in list(e))
        p = pd.Series([event_probability(x, tag) for x in d["event_probs"]], index=d.index, dtype=float)
        human = d["human_events"].map(lambda e: tag in list(e))
    out = pd.DataFrame({"p": p.where(model), "model": model, "human": human})
    out = out[out["model"] | out["human"]]  # a segment neither side called the tag says nothing about it
    return out[~(out["model"] & out["p"].isna())]  # printed without a probability: nothing to learn


def curve(ev: pd.DataFrame) -> pd.DataFrame:
    """Precision and recall at every threshold worth trying (0, and each probability the model gave
    the tag): threshold, says, right (true positives), precision, recall, f1."""
    printed = ev[ev["model"]]
    actual = int(ev["human"].sum())
    rows = []
    for t in sorted({0.0, *printed["p"]}):  # exact: a rounded-up value would leave its own segment out
        says = printed[printed["p"] >= t]
        right = int(says["human"].sum())
        prec = right / len(says) if len(says) else math.nan
        rec = right / actual if actual else math.nan
        f1 = 2 * prec * rec / (prec + rec) if len(says) and actual and prec + rec else 0.0
        rows.append({"threshold": t, "says": len(says), "right": right, "precision": prec, "recall": rec, "f1": f1})
    return pd.DataFrame(rows, columns=["threshold", "says", "right", "precision", "recall", "f1"])


@dataclass
class Learnt:
    """What a tag's checked segments say (``threshold`` None: too few, or nothing to choose)."""

    tag: str
    n: int                        # checked segments about the tag
    actual: int                   # of them, the people's tag
    threshold: float | None       # the proposal
    precision: float = math.nan   # at the proposal
    recall: float = math.nan
    says: int = 0
    right: int = 0
    curve: pd.DataFrame | None = None
    why_not: str | None = None    # too_few | always_right | never_right


def learn_tag(ev: pd.DataFrame, tag: str) -> Learnt:
    printed = ev[ev["model"]]
    base = Learnt(tag=tag, n=len(ev), actual=int(ev["human"].sum()), threshold=None)
    if len(ev) < MIN_CHECKED:
        base.why_not = "too_few"
        return base
    if printed.empty or printed["human"].all():
        base.why_not = "always_right" if not printed.empty else "never_right"
        return base
    if not printed["human"].any():
        base.why_not = "never_right"
        return base
    c = curve(ev)
    best = c.loc[c["f1"].idxmax()]  # idxmax: the first (lowest) threshold of the best
    base.threshold, base.curve = float(best["threshold"]), c
    base.precision, base.recall = float(best["precision"]), float(best["recall"])
    base.says, base.right = int(best["says"]), int(best["right"])
    return base


def learn(df: pd.DataFrame, tags=(*EMOTIONS, *EVENTS)) -> list[Learnt]:
    """Per tag the people or the model named on the checked segments ``df`` (``checked``), what it
    teaches (most checked first)."""
    out = [learn_tag(tag_evidence(df, t), t) for t in tags] if not df.empty else []
    return sorted((x for x in out if x.n), key=lambda x: -x.n)


def at_threshold(ev: pd.DataFrame, t: float) -> dict:
    """Precision and recall (each with its 95 % Wilson interval and n) at threshold ``t``."""
    printed = ev[ev["model"] & (ev["p"] >= t)]
    right, says, actual = int(printed["human"].sum()), len(printed), int(ev["human"].sum())
    (plo, phi), (rlo, rhi) = wilson(right, says), wilson(right, actual)
    return {"says": says, "right": right, "actual": actual,
            "precision": right / says if says else math.nan, "precision_low": plo, "precision_high": phi,
            "recall": right / actual if actual else math.nan, "recall_low": rlo, "recall_high": rhi}


def per_tag(df: pd.DataFrame, limits: dict[str, float]) -> pd.DataFrame:
    """Each tag's precision and recall on the checked segments ``df`` at the team's threshold, with intervals."""
    rows = []
    for tag in (*EMOTIONS, *EVENTS):
        ev = tag_evidence(df, tag) if not df.empty else pd.DataFrame()
        if len(ev):
            rows.append({"tag": tag, "threshold": limits.get(tag, DEFAULT_THRESHOLD), "checked": len(ev),
                         **at_threshold(ev, limits.get(tag, DEFAULT_THRESHOLD))})
    return pd.DataFrame(rows)


def reliability(df: pd.DataFrame) -> pd.DataFrame:
    """Is the emotion's probability a probability? The checked segments ``df`` binned by the
    probability of the emotion the model printed: per bin the mean probability, the share the people
    agreed with, n."""
    df = df[df["human_emotion"].notna()] if not df.empty else df
    p = pd.to_numeric(df["emotion_confidence"], errors="coerce") if not df.empty else pd.Series(dtype=float)
    ok = p.notna()
    if not ok.any():
        return pd.DataFrame(columns=["bin", "mean_p", "agreed", "n"])
    d = pd.DataFrame({"p": p[ok], "agreed": (df["model_emotion"] == df["human_emotion"])[ok]})
    d["bin"] = np.minimum((d["p"] * RELIABILITY_BINS).astype(int), RELIABILITY_BINS - 1)
    g = d.groupby("bin").agg(mean_p=("p", "mean"), agreed=("agreed", "mean"), n=("p", "size")).reset_index()
    return g


def second_opinions(con: duckdb.DuckDBPyConnection, flt: Filter | None = None) -> pd.DataFrame:
    """Per emotion the model printed, on the segments a second model heard again (ingest
    --emotion-second-opinion): ``heard``, ``agreed`` (the second model heard the same, or could not
    tell), and where a person checked the emotion (``checked``), how often each model matched them
    (``first_right``: SenseVoice; ``second_right``: the second model). Empty when none was asked."""
    where, params = recording_where(flt)
    return con.execute(f"""
        SELECT s.model_emotion AS tag, count(*) AS heard,
               count(*) FILTER (s.second_emotion IN (s.model_emotion, 'UNKNOWN')) AS agreed,
               count(c.emotion) AS checked,
               count(*) FILTER (c.emotion = s.model_emotion) AS first_right,
               count(*) FILTER (c.emotion = s.second_emotion) AS second_right
        FROM seg s JOIN recordings r USING (recording_id)
        LEFT JOIN corrections_latest c USING (recording_id, seg_index)
        WHERE s.second_emotion IS NOT NULL AND {where}
        GROUP BY 1 ORDER BY heard DESC, tag""", params).df()

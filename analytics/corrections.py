"""Human corrections of a segment's emotion or events, stored beside the model's output (never
over it; every analysis reads the corrected label through the ``seg`` view), and the agreement
report: how often the model agrees with the people who checked it, on your own calls."""
from __future__ import annotations

import math
from datetime import datetime

import duckdb
import pandas as pd

from ingest.models.tags import EMOTIONS, EVENTS, UNKNOWN_EMOTION

from .filters import Filter, FilterError, recording_where

# what a person may set a segment to (a segment the model could not tell starts as UNKNOWN, not HAPPY)
EMOTION_CHOICES = (UNKNOWN_EMOTION, *EMOTIONS)
EVENT_CHOICES = EVENTS


def correct_segment(store, con: duckdb.DuckDBPyConnection, recording_id: str, seg_index: int,
                    emotion: str | None = None, events: list[str] | None = None, by: str = "", note: str = "") -> None:
    """Record a correction (the latest correction of a segment wins)."""
    if emotion is None and events is None:
        raise FilterError("give a corrected emotion or events")
    if emotion is not None and emotion.upper() not in (*EMOTIONS, UNKNOWN_EMOTION):
        raise FilterError(f"emotion: {emotion!r} is not one of {', '.join(EMOTIONS)}, {UNKNOWN_EMOTION}")
    events = None if events is None else [e.upper() for e in events]
    if events is not None and any(e not in EVENTS for e in events):
        raise FilterError(f"events: unknown event in {events}; known: {', '.join(EVENTS)}")
    if con.execute("SELECT count(*) FROM segments WHERE recording_id = ? AND seg_index = ?",
                   [recording_id, seg_index]).fetchone()[0] == 0:
        raise FilterError(f"no segment {seg_index} in recording {recording_id!r}")
    store.append_rows("corrections", [{"recording_id": recording_id, "seg_index": seg_index,
                                       "emotion": emotion.upper() if emotion else None, "events": events,
                                       "corrected_by": by, "corrected_at": datetime.now(), "note": note}])


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % interval of a share k/n (Wilson): honest with small n."""
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, c - h), min(1.0, c + h))


def agreement(con: duckdb.DuckDBPyConnection, flt: Filter | None = None) -> dict:
    """Model vs human on corrected segments: n, accuracy with a 95 % Wilson interval, the emotion
    confusion matrix (rows: human, columns: model) and per-class precision/recall/F1."""
    where, params = recording_where(flt)
    pairs = con.execute(f"""
        SELECT s.model_emotion AS model, s.emotion AS human FROM seg s JOIN recordings r USING (recording_id)
        JOIN corrections_latest c USING (recording_id, seg_index)
        WHERE {where} AND c.emotion IS NOT NULL""", params).df()
    n = len(pairs)
    k = int((pairs["model"] == pairs["human"]).sum()) if n else 0
    labels = sorted(set(pairs["model"]) | set(pairs["human"])) if n else []
    confusion = pd.crosstab(pairs["human"], pairs["model"]).reindex(index=labels, columns=labels, fill_value=0) \
        if n else pd.DataFrame()
    per_class = []
    for lab in labels:
        tp = int(confusion.loc[lab, lab])
        pred, true = int(confusion[lab].sum()), int(confusion.loc[lab].sum())
        prec = tp / pred if pred else math.nan
        rec = tp / true if true else math.nan
        f1 = 2 * prec * rec / (prec + rec) if pred and true and (prec + rec) else math.nan
        per_class.append({"emotion": lab, "human_n": true, "model_n": pred, "precision": prec, "recall": rec, "f1": f1})
    lo, hi = wilson(k, n)
    return {"n": n, "agree": k, "accuracy": k / n if n else math.nan, "ci_low": lo, "ci_high": hi,
            "confusion": confusion, "per_class": pd.DataFrame(per_class)}


def add_arguments(p) -> None:
    """``toneboard correct``'s options."""
    p.add_argument("recording")
    p.add_argument("seg_index", type=int)
    p.add_argument("--emotion")
    p.add_argument("--events", help="comma-separated, e.g. LAUGHTER,BGM ('' for none)")
    p.add_argument("--by", default="")

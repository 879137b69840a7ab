"""Which segments a selector picks (``{role: agent, text: ..., emotion: ANGRY}``): row by row over
any segments — one call's, or a chunk of calls' at once (``Masks``, what makes scoring a year of
calls on a form take minutes) — and how sure a tag must be to count."""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd

from ..talk.trackers import Tracker, TrackerError, current_trackers, norm
from ..timeline import raised_flags


def as_list(v) -> list:
    return v if isinstance(v, list) else [v]


class Masks:
    """Which segments each selector picks, computed once over a chunk of recordings' segments (each
    recording's rows contiguous): a form or rule set asks the same selectors of every call, and one
    vectorised pass over 2,000 calls costs what one call's pass did."""

    def __init__(self, segs: pd.DataFrame):
        self.segs, self._masks = segs, {}
        self.times = segs[["start_s", "end_s", "duration_s"]]  # what a condition reads of the segments it picks
        self.start = self.times["start_s"].to_numpy(dtype=float)

    def mask(self, sel: dict) -> np.ndarray:
        key = json.dumps(sel, sort_keys=True, default=str)
        if key not in self._masks:
            self._masks[key] = segment_mask(self.segs, sel).to_numpy(dtype=bool)
        return self._masks[key]


def tracker_of(tracker_id) -> Tracker:
    """The tracker a selector names (data/trackers.yaml, read again when the file changes)."""
    for t in current_trackers():
        if t.id == tracker_id:
            return t
    raise TrackerError(f"no tracker has the id {tracker_id!r} (toneboard trackers list)")


def _says(texts: pd.Series, t: Tracker) -> pd.Series:
    """Whether each text says the tracker's words; the tracker's own role and question too."""
    rx = t.regex
    return texts.fillna("").map(lambda x: rx.search(norm(x)) is not None)


def _sure_emotion(segs: pd.DataFrame, floor) -> pd.Series:
    """Whether each segment's emotion is sure enough: the team's threshold for the tag
    (``emotion_counts``, analytics.confidence), or the condition's own ``min_confidence``, which a
    tag without a probability does not meet; a tag a second opinion disputes meets neither. Segments
    without those columns: all sure."""
    if "emotion_p" not in segs:
        return pd.Series(True, index=segs.index)
    if floor is None:
        return segs["emotion_counts"].astype(bool)
    disputed = segs["emotion_disputed"].astype(bool) if "emotion_disputed" in segs else False
    return (segs["emotion_p"] >= floor).fillna(False) & ~disputed


def _sure_events(segs: pd.DataFrame, floor) -> pd.Series:
    """Each segment's events that are sure enough (as ``_sure_emotion``), as sets."""
    if "event_p" not in segs:
        return segs["events"].map(set)
    if floor is None:
        return segs["events_counting"].map(set)
    return segs["event_p"].map(lambda ps: {e for e, p in ps.items() if p is not None and p >= floor})


def select_segments(segs: pd.DataFrame, sel: dict) -> pd.DataFrame:
    return segs[segment_mask(segs, sel)]


def scene_segments(scene, sel: dict, b: float | None = None, e: float | None = None) -> pd.DataFrame:
    """The scene's segments ``sel`` picks (starting in [b, e) if given): their start_s, end_s and
    duration_s at least (from its chunk's masks where it has them: one selection of a few columns)."""
    if scene.masks is None:
        picked = select_segments(scene.segs, sel)
        return picked if b is None else picked[(picked["start_s"] >= b) & (picked["start_s"] < e)]
    lo, hi = scene.lo, scene.lo + len(scene.segs)
    m = scene.masks.mask(sel)[lo:hi]
    if b is not None:
        start = scene.masks.start[lo:hi]
        m = m & (start >= b) & (start < e)
    return scene.masks.times.iloc[lo + np.flatnonzero(m)]


def segment_mask(segs: pd.DataFrame, sel: dict) -> pd.Series:
    """Whether each segment meets selector ``sel`` (row by row: any rows, one call's or many)."""
    m = pd.Series(True, index=segs.index)
    floor = sel.get("min_confidence")
    sure = _sure_emotion(segs, floor)
    if sel.get("both_models"):  # the second model (ingest.second_opinion) was asked and heard the same
        sure &= segs["second_emotion"].eq(segs["emotion"]).fillna(False) if "second_emotion" in segs else False
    if "emotion" in sel:
        m &= segs["emotion"].isin([str(v).upper() for v in as_list(sel["emotion"])]) & sure
    if "event" in sel:
        want = {str(v).upper() for v in as_list(sel["event"])}
        m &= _sure_events(segs, floor).map(lambda ev: bool(want & ev))
    if "tags" in sel:
        want = {str(v).upper() for v in as_list(sel["tags"])}
        m &= ((segs["emotion"].isin(want) & sure)
              | _sure_events(segs, floor).map(lambda ev: bool(want & ev)))
    if "raised_voice" in sel:  # pitch and loudness well above the speaker's own start (ingest.prosody)
        raised = raised_flags(segs)
        m &= raised if sel["raised_voice"] else ~raised
    if "question" in sel:  # ends as a question does (analytics.stats.QUESTION_REGEX: ?, 吗, 呢 ...)
        asked = segs["is_question"].fillna(False).astype(bool)
        m &= asked if sel["question"] else ~asked
    if "role" in sel:
        m &= segs["role"].isin(as_list(sel["role"]))
    if "channel" in sel:
        m &= segs["channel"] == sel["channel"]
    if "text" in sel:
        rx = re.compile(str(sel["text"]), re.IGNORECASE)
        m &= segs["text"].fillna("").map(lambda t: rx.search(t) is not None)
    if "tracker" in sel:  # its words, and its own role and question (its time window: the condition's first / last)
        t = tracker_of(sel["tracker"])
        m &= _says(segs["text"], t)
        if t.role:
            m &= segs["role"].isin(t.role)
        if t.question is not None:
            asked = segs["is_question"].fillna(False).astype(bool)
            m &= asked if t.question else ~asked
    for f, col, op in (("loudness_above", "loudness_dbfs", "gt"), ("loudness_below", "loudness_dbfs", "lt"),
                       ("rate_above", "speaking_rate", "gt"), ("rate_below", "speaking_rate", "lt"),
                       ("longer_than", "duration_s", "gt")):
        if f in sel:
            m &= getattr(segs[col], op)(sel[f]).fillna(False)
    return m

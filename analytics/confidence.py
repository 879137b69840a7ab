"""How sure a tag must be to count: one minimum probability per tag, for the whole team.

SenseVoice gives every emotion and event a probability (``ingest.models.header``). A tag counts —
in every page's figures, a rule, a live alert, on the timeline at full strength — when the model gave
it at least the tag's threshold,
or a person confirmed it (a corrected segment), or no probability was recorded for it (output
stored before probabilities existed, or a form without them: taken as given, as it always was).
The default (0.5) asks that the model find the tag at least as likely as every other class
together. A team changes one tag's threshold with ``set_threshold`` (the accuracy page does it when
a manager accepts a threshold learnt from their corrections): an append-only row saying who, when
and why, the latest per tag winning.
"""
from __future__ import annotations

import math
from datetime import datetime

import duckdb

from ingest.models.header import DEFAULT_THRESHOLD
from ingest.models.tags import EMOTIONS, EVENTS
from ingest.second_opinion import NO_OPINION, agree

from .filters import FilterError

TAGS = (*EMOTIONS, *EVENTS)  # the tags a threshold is set for (UNKNOWN and plain speech are no findings)


def thresholds(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Every tag's threshold: the team's latest setting, or the default."""
    out = dict.fromkeys(TAGS, DEFAULT_THRESHOLD)
    try:
        rows = con.execute("SELECT tag, arg_max(threshold, set_at) FROM tag_thresholds GROUP BY tag").fetchall()
    except duckdb.CatalogException:  # a reader of a store written before thresholds existed
        rows = []
    out.update({tag: float(t) for tag, t in rows if tag in out and t is not None})
    return out


def set_threshold(store, tag: str, threshold: float, by: str = "", note: str = "") -> None:
    """Make ``tag`` count from probability ``threshold`` on (0 counts every tag the model printed)."""
    tag = str(tag).upper()
    if tag not in TAGS:
        raise FilterError(f"tag: {tag!r} is not one of {', '.join(TAGS)}")
    try:
        threshold = float(threshold)
    except (TypeError, ValueError):
        threshold = math.nan
    if not 0.0 <= threshold <= 1.0:
        raise FilterError("threshold: a probability from 0 to 1")
    store.append_rows("tag_thresholds", [{"tag": tag, "threshold": round(threshold, 4), "set_by": by,
                                          "set_at": datetime.now(), "note": note}])


def counts(p: float | None, tag: str, limits: dict[str, float], corrected: bool = False) -> bool:
    """Whether a tag given with probability ``p`` counts under ``limits`` (see the module's text)."""
    if corrected or p is None or (isinstance(p, float) and math.isnan(p)):
        return True
    return p >= limits.get(tag, DEFAULT_THRESHOLD)


def event_probability(event_probs, event: str) -> float | None:
    """The stored probability of ``event`` in a segment's ``event_probs`` (None where none)."""
    if not isinstance(event_probs, dict):
        return None
    v = event_probs.get(event)
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def top(probs, n: int = 3) -> list[tuple[str, float]]:
    """The ``n`` most likely classes of a stored distribution, most likely first."""
    if not isinstance(probs, dict):
        return []
    known = [(k, float(v)) for k, v in probs.items() if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return sorted(known, key=lambda kv: -kv[1])[:n]


def disputed(emotion, second) -> bool:
    """Whether a second opinion names another emotion than the model's (ingest.second_opinion.agree)."""
    second = None if second is None or (isinstance(second, float) and math.isnan(second)) else second
    return not agree(emotion, second)


def _by_person(segs) -> list[bool]:
    """Per segment (rows with ``emotion_by_person``, else ``corrected``; neither: no): whether a
    person set its emotion."""
    col = "emotion_by_person" if "emotion_by_person" in segs else "corrected"
    return [p == True for p in segs[col]] if col in segs else [False] * len(segs)  # noqa: E712 - numpy bools


def disputed_tags(segs) -> list[bool]:
    """Per segment: whether a second opinion names another emotion than its own (a person's choice
    is never disputed)."""
    second = segs["second_emotion"] if "second_emotion" in segs else [None] * len(segs)
    return [not person and disputed(e, o) for e, o, person in zip(segs["emotion"], second, _by_person(segs))]


def sure_tags(segs, limits: dict[str, float]) -> list[bool]:
    """Per segment (a timeline's rows): whether its emotion counts (see ``counts``; a second opinion
    that names another emotion makes it uncertain)."""
    out = []
    for emo, p, person, d in zip(segs["emotion"], segs["emotion_confidence"], _by_person(segs), disputed_tags(segs)):
        p = None if p is None or (isinstance(p, float) and math.isnan(p)) else float(p)
        out.append(counts(p, emo, limits, person) and not d)
    return out


def differing(limits: dict[str, float]) -> dict[str, float]:
    """The tags whose threshold the team changed from the default (for a sentence saying which)."""
    return {t: v for t, v in limits.items() if v != DEFAULT_THRESHOLD}


def add_arguments(p) -> None:
    """``toneboard thresholds``: list every tag's threshold, or set one (``TAG P``)."""
    p.description = ("A tag (an emotion or an event) counts in rules, live alerts and on the timeline when the model "
                     f"gave it at least its threshold (default {DEFAULT_THRESHOLD}), or a person corrected it. "
                     "Without arguments: list them; with TAG P: set one (kept with who and why; the latest wins).")
    p.add_argument("tag", nargs="?", help="ANGRY, LAUGHTER, ... (none: list)")
    p.add_argument("threshold", nargs="?", help="a probability from 0 to 1")
    p.add_argument("--by", default="", help="who sets it")
    p.add_argument("--note", default="", help="why")


def listing(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One line per tag: its threshold, and whether the team set it."""
    limits = thresholds(con)
    return [f"{tag:<13} p >= {v:.2f}" + ("" if v == DEFAULT_THRESHOLD else "  (set by the team)") for tag, v in limits.items()]


# -- counting in SQL: what every page counts ------------------------------------------------------
# The reader (analytics.db) keeps in ``emotion`` and ``events`` the tags as counted — a person's
# correction, else the model's tag where sure enough (a weak emotion reads UNKNOWN, a weak event is
# left out) — and in ``model_emotion`` / ``model_events`` the tags as the model printed them. Every
# statistic, heatmap, trend and comparison reads the counted ones; the timeline and the rules read
# the printed ones with their probabilities (``printed_sql``: a rule may set its own minimum).
def _num(v: float) -> str:
    return repr(float(v))


def emotion_sql(limits: dict[str, float], emotion: str = "model_emotion", p: str = "emotion_confidence",
                second: str | None = "second_emotion") -> str:
    """The counted emotion of the printed ``emotion`` given with probability ``p``: UNKNOWN where
    weak, or where the second opinion ``second`` (None: not read) names another emotion
    (ingest.second_opinion.agree)."""
    cases = " ".join(f"WHEN '{t}' THEN {_num(limits.get(t, DEFAULT_THRESHOLD))}" for t in EMOTIONS)
    sure = f"({p} IS NULL OR {p} >= (CASE {emotion} {cases} ELSE 0 END))"
    if second:
        sure = f"({sure} AND ({second} IS NULL OR {second} IN ({emotion}, '{NO_OPINION}')))"
    return f"(CASE WHEN {sure} THEN {emotion} ELSE 'UNKNOWN' END)"


def events_sql(limits: dict[str, float], events: str = "model_events", probs: str = "event_probs") -> str:
    """The counted events of the printed ``events`` with their probabilities ``probs`` (a struct)."""
    cases = " ".join(f"WHEN '{t}' THEN coalesce({probs}.{t} >= {_num(limits.get(t, DEFAULT_THRESHOLD))}, TRUE)"
                     for t in EVENTS)
    return f"list_filter({events}, lambda _e: CASE _e {cases} ELSE TRUE END)"


def stale_sql(limits: dict[str, float]) -> str:
    """A condition on segment rows whose counted tags are not those ``limits`` give (uncorrected rows:
    a threshold changed since they were counted, or they were counted before thresholds existed)."""
    return (f"(NOT coalesce(corrected, FALSE) AND (emotion IS DISTINCT FROM {emotion_sql(limits)} "
            f"OR events IS DISTINCT FROM {events_sql(limits)}))")


def printed_sql(limits: dict[str, float]) -> str:
    """Select-list items of a segment's tags as the model printed them, or as a person set them
    (``emotion``, ``events``), and whether a person did (``emotion_by_person``,
    ``events_by_person``): what the timeline draws (fading the weak) and the rules judge (with the
    threshold of their own, or the team's)."""
    by_emo = f"(coalesce(corrected, FALSE) AND emotion IS DISTINCT FROM {emotion_sql(limits)})"
    by_evs = f"(coalesce(corrected, FALSE) AND events IS DISTINCT FROM {events_sql(limits)})"
    return (f"CASE WHEN {by_emo} THEN emotion ELSE coalesce(model_emotion, emotion) END AS emotion, "
            f"CASE WHEN {by_evs} THEN events ELSE coalesce(model_events, events) END AS events, "
            f"{by_emo} AS emotion_by_person, {by_evs} AS events_by_person")


def affected_sql(limits: dict[str, float], with_events: bool = True) -> str | None:
    """A condition on compacted segment rows (counted by the defaults) whose counting ``limits``
    change: rows of the tags the team set otherwise, narrowed first by the printed tag. None: the
    defaults, nothing changes."""
    diff = differing(limits)
    emotions = [t for t in diff if t in EMOTIONS]
    events = [t for t in diff if t in EVENTS] if with_events else []
    parts = []
    if emotions:
        listed = ", ".join(f"'{t}'" for t in emotions)
        # (compaction counted the second opinion already; older files lack its column)
        parts.append(f"(model_emotion IN ({listed}) AND emotion IS DISTINCT FROM {emotion_sql(limits, second=None)})")
    if events:
        listed = ", ".join(f"'{t}'" for t in events)
        parts.append(f"(list_has_any(model_events, [{listed}]) AND events IS DISTINCT FROM {events_sql(limits)})")
    return f"(NOT coalesce(corrected, FALSE) AND ({' OR '.join(parts)}))" if parts else None

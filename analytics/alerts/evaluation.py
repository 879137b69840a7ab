"""Rules evaluated on stored recordings: each rule's conditions over a recording's segments, pauses
and conversation dynamics (the language is ``rules``); a match is a ticket to open
(``analytics.tickets.open_tickets``)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from ingest.records import Ticket

from .. import confidence
from ..filters import Filter, recording_where
from .conditions import DYNAMICS, Scene, holds
from .rules import Rule
from .selectors import Masks


@dataclass
class Match:
    recording_id: str
    rule: Rule
    evidence: list[dict] = field(default_factory=list)

    def ticket(self) -> Ticket:
        return Ticket(recording_id=self.recording_id, rule_id=self.rule.id, rule_name=self.rule.name, severity=self.rule.severity,
                      evidence=self.evidence, rule_type=self.rule.type)

    @property
    def ticket_id(self) -> str:
        return self.ticket().ticket_id


def with_confidence(segs: pd.DataFrame, limits: dict[str, float]) -> None:
    """Add how sure each segment's tags are (in place): ``emotion_p`` and ``event_p`` (tags a person
    set: 1; ``emotion_by_person`` / ``events_by_person``, else ``corrected``), and which of them
    count under the team's thresholds (``emotion_counts``, ``events_counting``; an emotion a second
    opinion disputes, ``emotion_disputed``, counts under none); conditions read them
    (selectors.select_segments)."""
    def by_person(col: str) -> pd.Series:
        flag = segs[col] if col in segs else segs.get("corrected", pd.Series(False, index=segs.index))
        return flag.fillna(False).astype(bool)
    emo_person, evs_person = by_person("emotion_by_person"), by_person("events_by_person")
    conf = pd.to_numeric(segs["emotion_confidence"], errors="coerce") if "emotion_confidence" in segs else None
    segs["emotion_p"] = 1.0 if conf is None else conf.where(~emo_person, 1.0)
    probs = segs["event_probs"] if "event_probs" in segs else pd.Series(None, index=segs.index, dtype=object)
    segs["event_p"] = [{e: 1.0 if c else confidence.event_probability(p, e) for e in evs}
                       for evs, p, c in zip(segs["events"], probs, evs_person)]
    # a second opinion naming another emotion makes the tag uncertain (ingest.second_opinion), unless a person set it
    segs["emotion_disputed"] = confidence.disputed_tags(segs)
    segs["emotion_counts"] = [confidence.counts(None if pd.isna(p) else p, e, limits) and not d
                              for e, p, d in zip(segs["emotion"], segs["emotion_p"], segs["emotion_disputed"])]
    segs["events_counting"] = [[e for e, p in ps.items() if confidence.counts(p, e, limits)] for ps in segs["event_p"]]


CHUNK = 2000  # recordings whose segments are held at once (a year of calls is evaluated chunk by chunk)


def scenes(con: duckdb.DuckDBPyConnection, flt: Filter | None = None, recording_ids: set[str] | None = None,
           chunk: int = CHUNK) -> Iterator[tuple[tuple, Scene]]:
    """Each recording the filter selects (and, given ``recording_ids``, only those) as a condition
    sees it: (its row: recording_id, kind, duration_s, analysed_channels; its ``Scene``), read
    ``chunk`` recordings at a time."""
    where, params = recording_where(flt)
    recs = con.execute(f"SELECT recording_id, kind, duration_s, analysed_channels FROM recordings r WHERE {where} "
                       "ORDER BY recording_id", params).df()
    if recording_ids is not None:
        recs = recs[recs["recording_id"].isin(recording_ids)]
    if recs.empty:
        return
    limits = confidence.thresholds(con)
    for i in range(0, len(recs), chunk):
        part = recs.iloc[i:i + chunk]
        segs, pauses, dyn = _read(con, part, limits)  # sorted by recording: each one's rows are contiguous
        seg_at, pause_by = segs.groupby("recording_id").indices, dict(tuple(pauses.groupby("recording_id")))
        empty_p, masks = pauses.iloc[0:0], Masks(segs)
        for rec in part.itertuples(index=False):
            rows = seg_at.get(rec.recording_id)
            lo, hi = (int(rows[0]), int(rows[-1]) + 1) if rows is not None else (0, 0)
            yield rec, Scene(segs.iloc[lo:hi], pause_by.get(rec.recording_id, empty_p), rec.duration_s,
                             rec.analysed_channels > 1, dyn.get(rec.recording_id, {}), masks, lo)


def _read(con: duckdb.DuckDBPyConnection, recs: pd.DataFrame, limits: dict) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The segments (with how sure their tags are), pauses and conversation dynamics of ``recs``."""
    con.register("_recs", recs[["recording_id"]])
    try:
        # the tags as printed (or set by a person), with their probabilities: each condition applies
        # its own minimum, or the team's threshold (with_confidence)
        segs = con.execute(f"SELECT recording_id, channel, role, start_s, end_s, duration_s, {confidence.printed_sql(limits)}, "
                           "text, is_question, loudness_dbfs, speaking_rate, emotion_confidence, event_probs, raised_voice, "
                           "second_emotion FROM seg WHERE recording_id IN (SELECT recording_id FROM _recs) "
                           "ORDER BY recording_id, start_s").df()
        pauses = con.execute("SELECT recording_id, channel, role, start_s, end_s, duration_s FROM pauses "
                             "WHERE recording_id IN (SELECT recording_id FROM _recs) ORDER BY recording_id, start_s").df()
        stats = con.execute("""SELECT st.recording_id, st.role, st.talk_s / nullif(al.talk_s, 0) AS talk_share,
                                      st.longest_monologue_s, (al.turns - 1) / greatest(r.duration_s / 60, 1e-9) AS switches_per_min,
                                      st.response_s, st.questions, st.turns, st.overtalk_s, st.interruptions
                               FROM role_stats st JOIN recordings r USING (recording_id)
                               JOIN role_stats al ON al.recording_id = st.recording_id AND al.role = '*'
                               WHERE st.recording_id IN (SELECT recording_id FROM _recs)""").df()
    finally:
        con.unregister("_recs")
    dyn: dict[str, dict] = {}
    for row in stats.to_dict("records"):
        for m in DYNAMICS:
            dyn.setdefault(row["recording_id"], {})[(row["role"], m)] = row[m]
    segs["events"] = segs["events"].apply(lambda e: list(e) if e is not None else [])
    with_confidence(segs, limits)
    return segs, pauses, dyn


def evaluate(con: duckdb.DuckDBPyConnection, rules: list[Rule], flt: Filter | None = None,
             recording_ids: set[str] | None = None) -> list[Match]:
    """All (recording, rule) matches among the recordings the filter selects (and, given
    ``recording_ids``, only among those: the ones an ingest just stored)."""
    matches = []
    for rec, scene in scenes(con, flt, recording_ids):
        for rule in rules:
            if rule.kinds and rec.kind not in rule.kinds:
                continue
            hit, evidence = all_or_any(rule.mode, rule.conditions, scene)
            if hit:
                matches.append(Match(rec.recording_id, rule, evidence))
    return matches


def all_or_any(mode: str, conditions: list[dict], scene: Scene) -> tuple[bool, list[dict]]:
    """Whether ``all`` (or ``any``) of the conditions hold on the scene, with the moments of those
    that held, in time order."""
    results = [holds(c, scene) for c in conditions]
    hit = all(ok for ok, _ in results) if mode == "all" else any(ok for ok, _ in results)
    evidence = sorted((e for ok, ev in results if ok for e in ev), key=lambda e: e["start_s"]) if hit else []
    return hit, evidence

"""Phrase → reaction: where a phrase is said, and what the other party does in the next seconds
(emotions, events, or silence), aggregated and split by cohort — e.g. after "custom dashboard
dimensions", won prospects laugh, surprised; lost ones go quiet."""
from __future__ import annotations

import re

import duckdb
import pandas as pd

from .filters import Filter, FilterError, recording_where, segment_conditions


def _group_sql(group_by: str) -> tuple[str, str, list]:
    if group_by in ("outcome", "kind", "language_requested", "batch_id"):
        return f"r.{group_by}", "", []
    if group_by.startswith("meta:") and len(group_by) > 5:
        return "gm.value", "LEFT JOIN metadata gm ON gm.recording_id = r.recording_id AND gm.key = ?", [group_by[5:]]
    raise FilterError("group_by must be outcome, kind, batch_id or meta:KEY")


def find_mentions(con: duckdb.DuckDBPyConnection, phrase: str, flt: Filter | None = None,
                  speaker_role: str | None = None, regex: bool = False) -> pd.DataFrame:
    if not phrase or not phrase.strip():
        raise FilterError("phrase: empty")
    pattern = phrase if regex else "(?i)" + re.escape(phrase.strip())
    try:
        con.execute("SELECT regexp_matches('', ?)", [pattern])
    except duckdb.Error as e:
        raise FilterError(f"phrase: not a valid regular expression ({str(e).splitlines()[0]})") from None
    where, params = recording_where(flt)
    sc, sp = segment_conditions(flt)
    role_sql, role_p = ("AND s.role = ?", [speaker_role]) if speaker_role else ("", [])
    return con.execute(f"""
        SELECT s.recording_id, s.seg_index, s.channel, s.role, s.start_s, s.end_s, s.text
        FROM seg s JOIN recordings r USING (recording_id)
        WHERE {where} AND {' AND '.join(sc)} {role_sql} AND regexp_matches(s.text, ?)
        ORDER BY s.recording_id, s.start_s""", params + sp + role_p + [pattern]).df()


def phrase_reactions(con: duckdb.DuckDBPyConnection, phrase: str, flt: Filter | None = None,
                     speaker_role: str | None = None, window_s: float = 10.0, long_pause_s: float = 2.0,
                     group_by: str = "outcome", regex: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Returns (mentions, summary). ``mentions``: one row per mention with the gap before the other
    party's first response, and the emotions/events in the window. ``summary``: per cohort and
    reaction, the mentions followed by it, of how many, and the share."""
    if window_s <= 0 or long_pause_s < 0:
        raise FilterError("window_s must be positive and long_pause_s not negative")
    mentions = find_mentions(con, phrase, flt, speaker_role, regex)
    gsql, gjoin, gp = _group_sql(group_by)
    con.register("_mentions", mentions)
    try:
        per = con.execute(f"""
            SELECT m.recording_id, m.seg_index, m.role, m.start_s, m.end_s, m.text, {gsql} AS cohort,
                   min(f.start_s) - m.end_s AS response_gap_s,
                   list(DISTINCT f.emotion) FILTER (f.emotion IS NOT NULL AND f.emotion <> 'UNKNOWN') AS emotions,
                   flatten(list(f.events) FILTER (f.events IS NOT NULL)) AS events
            FROM _mentions m JOIN recordings r USING (recording_id) {gjoin}
            LEFT JOIN seg f ON f.recording_id = m.recording_id AND f.role <> m.role
                 AND f.start_s >= m.end_s - 0.05 AND f.start_s <= m.end_s + ?
            GROUP BY m.recording_id, m.seg_index, m.role, m.start_s, m.end_s, m.text, cohort
            ORDER BY m.recording_id, m.start_s""", gp + [window_s]).df()
    finally:
        con.unregister("_mentions")
    if per.empty:
        return per, pd.DataFrame(columns=["cohort", "reaction", "mentions_with", "mentions", "share", "recordings"])
    per["events"] = per["events"].apply(lambda e: sorted(set(e)) if e is not None else [])
    per["emotions"] = per["emotions"].apply(lambda e: sorted(e) if e is not None else [])
    per["silence"] = per["response_gap_s"].isna() | (per["response_gap_s"] > long_pause_s)
    per["cohort"] = per["cohort"].fillna("(none)")
    rows = []
    for cohort, g in per.groupby("cohort"):
        reactions = {f"SILENCE>{long_pause_s:g}s": g["silence"]}
        for tag in sorted({t for lst in g["emotions"] for t in lst} | {t for lst in g["events"] for t in lst}):
            reactions[tag] = g.apply(lambda r, t=tag: t in r["emotions"] or t in r["events"], axis=1)
        for name, hit in reactions.items():
            rows.append({"cohort": cohort, "reaction": name, "mentions_with": int(hit.sum()), "mentions": len(g),
                         "share": float(hit.mean()), "recordings": g["recording_id"].nunique()})
    summary = pd.DataFrame(rows).sort_values(["cohort", "share"], ascending=[True, False]).reset_index(drop=True)
    return per, summary

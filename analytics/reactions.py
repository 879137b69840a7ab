"""Phrase → reaction: where a phrase is said, and what the other party does in the next seconds
(emotions, events, or silence), aggregated and split by cohort — e.g. after "custom dashboard
dimensions", won prospects laugh, surprised; lost ones go quiet."""
from __future__ import annotations

import duckdb
import pandas as pd

from ingest.tags import EMOTIONS, EVENTS

from .filters import Filter, FilterError, recording_where, segment_conditions
from .stats import MASK_TAGS


def _group_sql(group_by: str) -> tuple[str, str, list]:
    if group_by in ("outcome", "kind", "language_requested", "batch_id"):
        return f"r.{group_by}", "", []
    if group_by.startswith("meta:") and len(group_by) > 5:
        return "gm.value", "LEFT JOIN metadata gm ON gm.recording_id = r.recording_id AND gm.key = $k", [group_by[5:]]
    raise FilterError("group_by must be outcome, kind, batch_id or meta:KEY")


def _mention_sql(con, phrase: str, flt: Filter | None, speaker_role: str | None, regex: bool) -> tuple[str, list]:
    if not phrase or not phrase.strip():
        raise FilterError("phrase: empty")
    if regex:
        try:
            con.execute("SELECT regexp_matches('', ?)", [phrase])
        except duckdb.Error as e:
            raise FilterError(f"phrase: not a valid regular expression ({str(e).splitlines()[0]})") from None
        match, arg = "regexp_matches(s.text, ?)", phrase
    else:
        norm = con.execute("SELECT trim(norm_text(?))", [phrase]).fetchone()[0]
        if not norm:
            raise FilterError("phrase: no letters or digits")
        match, arg = "contains(s.text_norm, ?)", norm
    where, params = recording_where(flt)
    sc, sp = segment_conditions(flt)
    role_sql, role_p = ("AND s.role = ?", [speaker_role]) if speaker_role else ("", [])
    join = "JOIN recordings r USING (recording_id)" if where != "TRUE" else ""  # no filter: no join
    return (f"""SELECT s.recording_id, s.rec_key, s.seg_index, s.channel, s.role, s.start_s, s.end_s, s.text
                FROM seg s {join}
                WHERE {match} AND {where} AND {' AND '.join(sc)} {role_sql}""", [arg] + params + sp + role_p)


def find_mentions(con: duckdb.DuckDBPyConnection, phrase: str, flt: Filter | None = None,
                  speaker_role: str | None = None, regex: bool = False) -> pd.DataFrame:
    sql, params = _mention_sql(con, phrase, flt, speaker_role, regex)
    return con.execute(sql + " ORDER BY s.recording_id, s.start_s", params).df().drop(columns="rec_key")


def phrase_reactions(con: duckdb.DuckDBPyConnection, phrase: str, flt: Filter | None = None,
                     speaker_role: str | None = None, window_s: float = 10.0, long_pause_s: float = 2.0,
                     group_by: str = "outcome", regex: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Returns (mentions, summary). ``mentions``: one row per mention with the gap before the other
    party's first response, and the emotions/events in the window. ``summary``: per cohort and
    reaction, the mentions followed by it, of how many, and the share."""
    if window_s <= 0 or long_pause_s < 0:
        raise FilterError("window_s must be positive and long_pause_s not negative")
    msql, mparams = _mention_sql(con, phrase, flt, speaker_role, regex)
    gsql, gjoin, gp = _group_sql(group_by)
    silence = f"SILENCE>{long_pause_s:g}s"
    con.execute("CREATE OR REPLACE TEMP TABLE _mentions AS " + msql, mparams)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _per AS
        SELECT m.recording_id, m.seg_index, m.role, m.start_s, m.end_s, m.text, coalesce({gsql}, '(none)') AS cohort,
               min(f.start_s) - m.end_s AS response_gap_s, coalesce(bit_or(f.tag_mask), 0) AS mask
        FROM (SELECT *, unnest(range(floor((end_s - 0.05) / $w)::BIGINT, floor((end_s + $w) / $w)::BIGINT + 1)) AS bucket
              FROM _mentions) m
        JOIN recordings r USING (recording_id) {gjoin}
        -- followers: integer columns only (recording key, time bucket of the window's length, tag bits)
        LEFT JOIN (SELECT rec_key, role, start_s, tag_mask, floor(start_s / $w)::BIGINT AS bucket
                   FROM seg WHERE {"role <> $speaker" if speaker_role else "TRUE"}) f
             ON f.rec_key = m.rec_key AND f.bucket = m.bucket
             AND f.role <> m.role AND f.start_s >= m.end_s - 0.05 AND f.start_s <= m.end_s + $w
        GROUP BY m.recording_id, m.seg_index, m.role, m.start_s, m.end_s, m.text, cohort""",
        {**({"k": gp[0]} if gp else {}), **({"speaker": speaker_role} if speaker_role else {}), "w": window_s})
    bits = ", ".join(f'sum(((mask >> {i}) & 1)::INT) AS "{t}"' for i, t in enumerate(MASK_TAGS) if t != "UNKNOWN")
    counts = con.execute(f"""
        SELECT cohort, count(*) AS mentions, count(DISTINCT recording_id) AS recordings,
               count(*) FILTER (response_gap_s IS NULL OR response_gap_s > ?) AS "{silence}", {bits}
        FROM _per GROUP BY cohort ORDER BY cohort""", [long_pause_s]).df()
    emotions = [t for t in MASK_TAGS if t in EMOTIONS]  # the UNKNOWN bit is left out
    offset = len(MASK_TAGS) - len(EVENTS)
    per = con.execute("""
        SELECT * EXCLUDE (mask), response_gap_s IS NULL OR response_gap_s > $gap AS silence,
               list_filter($emotions::VARCHAR[], lambda t, i: ((mask >> (i - 1)::UINTEGER) & 1) = 1) AS emotions,
               list_filter($events::VARCHAR[], lambda t, i: ((mask >> (i - 1 + $offset)::UINTEGER) & 1) = 1) AS events
        FROM _per ORDER BY recording_id, start_s""",
                      {"gap": long_pause_s, "emotions": emotions, "events": list(EVENTS), "offset": offset}).df()
    con.execute("DROP TABLE IF EXISTS _per")
    con.execute("DROP TABLE IF EXISTS _mentions")
    long = counts.melt(id_vars=["cohort", "mentions", "recordings"], var_name="reaction", value_name="mentions_with")
    long = long[(long["mentions_with"] > 0) | (long["reaction"] == silence)]
    long["share"] = long["mentions_with"] / long["mentions"]
    summary = long[["cohort", "reaction", "mentions_with", "mentions", "share", "recordings"]] \
        .sort_values(["cohort", "share"], ascending=[True, False], kind="stable").reset_index(drop=True)
    return per, summary

"""Phrase → reaction: where a phrase is said, and what the other party does in the next seconds
(emotions, events, or silence), aggregated and split by cohort — e.g. after "custom dashboard
dimensions", won prospects laugh, surprised; lost ones go quiet."""
from __future__ import annotations

import duckdb
import pandas as pd

from ingest.tags import EMOTIONS, EVENTS

from .filters import NEEDLE_USES, Filter, FilterError, recording_where, segment_conditions, text_match, time_conditions, validate
from .stats import MASK_TAGS

REACTION_WINDOW_S = 10.0  # the window precomputed for every segment at load (analytics/db.py)


def followers_sql(mentions: str, segments: str) -> str:
    """For each row of ``mentions`` (columns key, rec_key, role, end_s): the gap before the first of
    the other parties' segments (in ``segments``) that start within $w seconds of its end, and the
    OR of their tag bits (NULL gap and 0 when none). Joins on the recording key and a time bucket of
    the window's length, so a mention meets only nearby segments, on integer columns only."""
    return f"""
        SELECT m.key, min(f.start_s) - m.end_s AS gap, coalesce(bit_or(f.tag_mask), 0)::UINTEGER AS mask
        FROM (SELECT key, rec_key, role, end_s,
                     unnest(range(floor((end_s - 0.05) / $w)::BIGINT, floor((end_s + $w) / $w)::BIGINT + 1)) AS bucket
              FROM {mentions}) m
        LEFT JOIN (SELECT rec_key, role, start_s, tag_mask, floor(start_s / $w)::BIGINT AS bucket FROM {segments}) f
             ON f.rec_key = m.rec_key AND f.bucket = m.bucket AND f.role <> m.role
            AND f.start_s >= m.end_s - 0.05 AND f.start_s <= m.end_s + $w
        GROUP BY m.key, m.end_s"""


def update_sql(todo: str = "_todo") -> str:
    """UPDATE every segment of the recordings listed in table ``todo`` with its reaction in the
    default window (react_gap_s, react_mask); parameter $w is REACTION_WINDOW_S."""
    segs = f"(SELECT rowid AS key, * FROM segments WHERE recording_id IN (SELECT recording_id FROM {todo}))"
    return f"""UPDATE segments s SET react_gap_s = r.gap, react_mask = r.mask
               FROM ({followers_sql(segs, segs)}) r WHERE s.rowid = r.key"""


def _group_sql(group_by: str) -> tuple[str, str, list]:
    if group_by in ("outcome", "kind", "language_requested", "batch_id"):
        return f"r.{group_by}", "", []
    if group_by.startswith("meta:") and len(group_by) > 5:
        return "gm.value", "LEFT JOIN metadata gm ON gm.recording_id = r.recording_id AND gm.key = $k", [group_by[5:]]
    raise FilterError("group_by must be outcome, kind, batch_id or meta:KEY")


def _create_mentions(con, phrase: str, flt: Filter | None, speaker_role: str | None, regex: bool) -> None:
    """Temp table _mentions: the segments that say ``phrase``, with their precomputed reaction."""
    if not phrase or not phrase.strip():
        raise FilterError("phrase: empty")
    sc, sp = segment_conditions(flt, time=False)
    period, period_params = time_conditions(flt)
    if speaker_role:
        sc, sp = sc + ["s.role = ?"], sp + [speaker_role]
    if regex:
        try:
            con.execute("SELECT regexp_matches('', ?)", [phrase])
        except duckdb.Error as e:
            raise FilterError(f"phrase: not a valid regular expression ({str(e).splitlines()[0]})") from None
        match, args = f"regexp_matches(s.text, ?) AND {' AND '.join(sc)}", [phrase] + sp
    else:
        norm = con.execute("SELECT trim(norm_text(?))", [phrase]).fetchone()[0]
        if not norm:
            raise FilterError("phrase: no letters or digits")
        match, args = text_match("s", also=" AND ".join(sc)), [norm] * NEEDLE_USES + sp
    match, args = " AND ".join(period + [match]), period_params + args
    where, params = recording_where(flt)
    # one scan (as in search.search): the period prunes, the signature test picks candidates, the
    # text is read for those only. Recordings are joined on rec_key, so recording_id is not read
    # per segment.
    # (numbered afterwards: row_number() in the scan itself made it twice as slow)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _found AS
                    SELECT r.recording_id, s.rec_key, s.seg_index, s.role, s.start_s, s.end_s,
                           s.text, s.react_gap_s, s.react_mask
                    FROM segments s JOIN recordings r ON hash(r.recording_id) = s.rec_key
                    WHERE {match} AND {where}""", args + params)
    con.execute("CREATE OR REPLACE TEMP TABLE _mentions AS SELECT row_number() OVER () AS key, * FROM _found")
    con.execute("DROP TABLE _found")


def phrase_reactions(con: duckdb.DuckDBPyConnection, phrase: str, flt: Filter | None = None,
                     speaker_role: str | None = None, window_s: float = 10.0, long_pause_s: float = 2.0,
                     group_by: str = "outcome", regex: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Returns (mentions, summary). ``mentions``: one row per mention with the gap before the other
    party's first response, and the emotions/events in the window. ``summary``: per cohort and
    reaction, the mentions followed by it, of how many, and the share."""
    if window_s <= 0 or long_pause_s < 0:
        raise FilterError("window_s must be positive and long_pause_s not negative")
    gsql, gjoin, gp = _group_sql(group_by)
    if gp:  # meta:KEY: a key no recording has is the same clear error as in filters and heatmaps
        validate(Filter(metadata={gp[0]: []}), con)
    silence = f"SILENCE>{long_pause_s:g}s"
    _create_mentions(con, phrase, flt, speaker_role, regex)
    params = {"k": gp[0]} if gp else {}
    if window_s == REACTION_WINDOW_S:  # precomputed for every segment when the snapshot loaded it
        reaction = "SELECT key, react_gap_s AS gap, react_mask AS mask FROM _mentions"
    else:
        reaction, params["w"] = followers_sql("_mentions", "seg"), window_s
    params["gap"] = long_pause_s
    per = con.execute(f"""
        SELECT m.recording_id, m.seg_index, m.role, m.start_s, m.end_s, m.text, coalesce({gsql}, '(none)') AS cohort,
               x.gap AS response_gap_s, x.gap IS NULL OR x.gap > $gap AS silence, x.mask
        FROM _mentions m JOIN ({reaction}) x USING (key) JOIN recordings r USING (recording_id) {gjoin}
        ORDER BY m.recording_id, m.start_s""", params).df()
    con.execute("DROP TABLE IF EXISTS _mentions")
    mask = per.pop("mask").to_numpy(dtype="uint32")
    bits = {t: (mask >> i) & 1 for i, t in enumerate(MASK_TAGS) if t != "UNKNOWN"}
    # tag names per mask value (a few dozen distinct values; rows with one value share the list):
    # far cheaper than a list built per row
    for col, tags in (("emotions", EMOTIONS), ("events", EVENTS)):
        lists = {m: [t for t, b in bits.items() if t in tags and (m >> MASK_TAGS.index(t)) & 1] for m in set(mask.tolist())}
        per[col] = pd.Series(mask.tolist(), dtype=object).map(lists)
    flags = pd.DataFrame({silence: per["silence"].to_numpy()} | bits)
    grouped = flags.groupby(per["cohort"].to_numpy())
    counts = grouped.sum().astype(int)
    counts.insert(0, "recordings", per.groupby("cohort")["recording_id"].nunique())
    counts.insert(0, "mentions", grouped.size())
    counts = counts.rename_axis("cohort").reset_index()
    long = counts.melt(id_vars=["cohort", "mentions", "recordings"], var_name="reaction", value_name="mentions_with")
    long = long[(long["mentions_with"] > 0) | (long["reaction"] == silence)]
    long["share"] = long["mentions_with"] / long["mentions"]
    summary = long[["cohort", "reaction", "mentions_with", "mentions", "share", "recordings"]] \
        .sort_values(["cohort", "share"], ascending=[True, False], kind="stable").reset_index(drop=True)
    return per, summary

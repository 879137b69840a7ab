"""Phrase → reaction: where a phrase is said, and what the other party does in the next seconds
(emotions, events, or silence), aggregated and split by cohort — e.g. after "custom dashboard
dimensions", won prospects laugh, surprised; lost ones go quiet."""
from __future__ import annotations

import duckdb
import pandas as pd

from ingest.models.tags import EMOTIONS, EVENTS

from .filters import SAYING, Filter, FilterError, limit_text, recording_where, segment_conditions, time_conditions, validate
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
        return "gm.value", "LEFT JOIN metadata gm ON gm.recording_id = r.recording_id AND gm.key = ?", [group_by[5:]]
    raise FilterError("group_by must be outcome, kind, batch_id or meta:KEY")


def _create_mentions(con, phrase: str, flt: Filter | None, speaker_role: str | None, regex: bool,
                     cohort: tuple[str, str, list] = ("NULL", "", [])) -> None:
    """Temp table _mentions: the segments that say ``phrase``, with their precomputed reaction, the
    recording's time and its ``cohort`` (an expression over recordings r, a join, its parameters:
    ``_group_sql``), so recordings are read once."""
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
        source, sc, sp = "segments s", sc + ["regexp_matches(s.text, ?)"], sp + [phrase]
        source_params = []
    else:
        norm = con.execute("SELECT trim(norm_text(?))", [phrase]).fetchone()[0]
        if not norm:
            raise FilterError("phrase: no letters or digits")
        source, source_params = f"{SAYING}(?) s", [norm]
    where, params = recording_where(flt)
    # one scan (as in search.search): the period prunes, the signature test picks candidates, the
    # text is read for those only. Recordings are joined on rec_key, so recording_id is not read
    # per segment.
    # (numbered afterwards: row_number() in the scan itself made it twice as slow)
    gsql, gjoin, gparams = cohort
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _found AS
                    SELECT r.recording_id, r.recorded_at, coalesce({gsql}, '(none)') AS cohort, s.rec_key, s.seg_index,
                           s.role, s.start_s, s.end_s, s.text, s.react_gap_s, s.react_mask
                    FROM {source} JOIN recordings r ON hash(r.recording_id) = s.rec_key {gjoin}
                    WHERE {' AND '.join(period + sc)} AND {where}""",
                source_params + gparams + period_params + sp + params)
    con.execute("CREATE OR REPLACE TEMP TABLE _mentions AS SELECT row_number() OVER () AS key, * FROM _found")
    con.execute("DROP TABLE _found")


MENTIONS_SHOWN = 2000  # the mentions a page lists (newest first); the summary counts them all


def phrase_reactions(con: duckdb.DuckDBPyConnection, phrase: str, flt: Filter | None = None,
                     speaker_role: str | None = None, window_s: float = 10.0, long_pause_s: float = 2.0,
                     group_by: str = "outcome", regex: bool = False,
                     limit: int | None = MENTIONS_SHOWN) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Returns (mentions, summary). ``mentions``: one row per mention — the newest ``limit`` (None:
    all), by the recording's time — with the gap before the other party's first response, and the
    emotions/events in the window; ``mentions.attrs``: ``total`` mentions and the ``recordings``
    they are in. ``summary``: per cohort and reaction, the mentions followed by it, of how many,
    and the share, over every mention. Counted in SQL: a year's phrase has 100,000 mentions, and
    a table of them built in pandas took a quarter of the time."""
    limit_text(phrase, "phrase")
    if window_s <= 0 or long_pause_s < 0:
        raise FilterError("window_s must be positive and long_pause_s not negative")
    if limit is not None and limit < 0:
        raise FilterError("limit must not be negative")
    gsql, gjoin, gp = _group_sql(group_by)
    if gp:  # meta:KEY: a key no recording has is the same clear error as in filters and heatmaps
        validate(Filter(metadata={gp[0]: []}), con)
    silence = f"SILENCE>{long_pause_s:g}s"
    _create_mentions(con, phrase, flt, speaker_role, regex, (gsql, gjoin, gp))
    params = {}
    if window_s == REACTION_WINDOW_S:  # precomputed for every segment when the snapshot loaded it
        reaction = "SELECT key, react_gap_s AS gap, react_mask AS mask FROM _mentions"
    else:
        # the other party's segments are of the same recordings, so of the same period: a period
        # lets the scan skip the compacted row groups outside it
        flt = flt or Filter()
        period = [c for c, v in (("recorded_at >= $since", flt.since), ("recorded_at < $until", flt.until)) if v is not None]
        params.update({k: v for k, v in (("since", flt.since), ("until", flt.until)) if v is not None})
        segments = f"(SELECT * FROM seg WHERE {' AND '.join(period)})" if period else "seg"
        reaction, params["w"] = followers_sql("_mentions", segments), window_s
    params["gap"] = long_pause_s
    try:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _reacted AS
            SELECT m.key, m.recording_id, m.recorded_at, m.seg_index, m.role, m.start_s, m.end_s,
                   m.cohort, x.gap AS response_gap_s, x.gap IS NULL OR x.gap > $gap AS silence, x.mask
            FROM _mentions m JOIN ({reaction}) x USING (key)""", params)
        bits = [(i, t) for i, t in enumerate(MASK_TAGS) if t != "UNKNOWN"]
        counts = con.execute(f"""
            SELECT cohort, count(*) AS mentions, count(DISTINCT recording_id) AS recordings,
                   count(*) FILTER (silence) AS "{silence}",
                   {", ".join(f'count(*) FILTER ((mask >> {i}) & 1 = 1) AS "{t}"' for i, t in bits)}
            FROM _reacted GROUP BY cohort ORDER BY cohort""").df()
        total, recordings = con.execute("SELECT count(*), count(DISTINCT recording_id) FROM _reacted").fetchone()
        per = con.execute(f"""
            SELECT x.recording_id, x.seg_index, x.role, x.start_s, x.end_s, m.text, x.cohort, x.response_gap_s, x.silence, x.mask
            FROM _reacted x JOIN _mentions m USING (key)
            ORDER BY x.recorded_at DESC NULLS LAST, x.recording_id, x.start_s, x.cohort
            {"LIMIT ?" if limit is not None else ""}""", [limit] if limit is not None else []).df()
    finally:
        con.execute("DROP TABLE IF EXISTS _mentions")
        con.execute("DROP TABLE IF EXISTS _reacted")
    mask = per.pop("mask").to_numpy(dtype="uint32")
    # tag names per mask value (a few dozen distinct values; rows with one value share the list):
    # far cheaper than a list built per row
    for col, tags in (("emotions", EMOTIONS), ("events", EVENTS)):
        lists = {m: [t for i, t in bits if t in tags and (m >> i) & 1] for m in set(mask.tolist())}
        per[col] = pd.Series(mask.tolist(), dtype=object).map(lists)
    per.attrs.update(total=int(total), recordings=int(recordings))
    long = counts.melt(id_vars=["cohort", "mentions", "recordings"], var_name="reaction", value_name="mentions_with")
    long = long[(long["mentions_with"] > 0) | (long["reaction"] == silence)].copy()
    long["share"] = long["mentions_with"] / long["mentions"]
    summary = long[["cohort", "reaction", "mentions_with", "mentions", "share", "recordings"]] \
        .sort_values(["cohort", "share"], ascending=[True, False], kind="stable").reset_index(drop=True)
    return per, summary

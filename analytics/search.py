"""Transcript search, combined with the filters. CJK text is matched as a substring (Chinese and
Japanese have no spaces); alphabetic queries match whole words, case-insensitively, punctuation
ignored. Both are substring tests on the normalised text (``filters.SAYING``: a signature
made at load rules out most segments first), so no DuckDB extension is needed (FTS would be
downloaded at run time)."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import duckdb
import pandas as pd

from ingest.signals import CJK_CHAR

from .filters import SAYING, Filter, FilterError, limit_text, recording_where, segment_conditions, time_conditions


def _needle(con: duckdb.DuckDBPyConnection, query: str) -> str:
    """The substring to look for in the normalised text: CJK text anywhere, other words as whole words."""
    if not query or not query.strip():
        raise FilterError("search: the query is empty")
    norm = con.execute("SELECT norm_text(?)", [query]).fetchone()[0]
    if norm.strip() == "":
        raise FilterError("search: the query has no letters or digits")
    return norm.strip() if CJK_CHAR.search(query) else norm


FIRST_WINDOW_DAYS = 7  # a search looks in the newest week first (see ``search``)


def search(con: duckdb.DuckDBPyConnection, query: str, flt: Filter | None = None, limit: int = 500) -> pd.DataFrame:
    """Segments whose text matches ``query``, newest recordings first (at most ``limit``).

    Newest first means the answer is often in the last days: the newest week is searched first, and
    when it holds ``limit`` matches those are the answer (every later match is older). Otherwise
    the week's count says how far back ``limit`` matches should be, and that stretch is tried
    before the whole period. Over a year of calls a common word reads a week instead of a year; a
    rare one costs one week more than reading the year."""
    limit_text(query, "search")
    needle = _needle(con, query)
    flt = flt or Filter()
    newest = flt.until or con.execute("SELECT max(recorded_at) FROM recordings").fetchone()[0]
    if newest is not None:
        days = FIRST_WINDOW_DAYS
        while True:
            since = newest - timedelta(days=days)
            if flt.since is not None and since <= flt.since:
                break  # the window covers the whole period: search the period itself
            found = _search(con, needle, replace(flt, since=since), limit)
            if len(found) >= limit:
                return found
            if days > FIRST_WINDOW_DAYS or found.empty:
                break
            days = int(days * limit / len(found) * 1.5) + 1  # where ``limit`` matches should be
    return _search(con, needle, flt, limit)


def _search(con: duckdb.DuckDBPyConnection, needle: str, flt: Filter, limit: int) -> pd.DataFrame:
    where, params = recording_where(flt)
    seg_conds, seg_params = segment_conditions(flt, time=False)
    period, period_params = time_conditions(flt)
    # one scan: the period prunes the compacted row groups, the signature test runs on the rest and
    # only its candidates have their text read and tested (filters.SAYING)
    return con.execute(f"""
        SELECT r.recording_id, r.filename, r.kind, r.outcome, r.recorded_at, s.channel, s.role,
               s.seg_index, s.start_s, s.end_s, s.emotion, s.events, s.text
        FROM {SAYING}(?) s JOIN recordings r ON hash(r.recording_id) = s.rec_key
        WHERE {' AND '.join(period + seg_conds)} AND {where}
        ORDER BY r.recorded_at DESC NULLS LAST, s.start_s LIMIT ?""",
        [needle] + period_params + seg_params + params + [limit]).df()


class NothingToFind(FilterError):
    """Moments were asked for with neither words nor tags, a role or text in the filters."""


def moments(con: duckdb.DuckDBPyConnection, query: str | None = None, flt: Filter | None = None,
            limit: int = 100) -> pd.DataFrame:
    """Moments across recordings: segments matching ``query`` (words; optional) and the filter's
    tags, role and other conditions, newest first, each with the line said before and after it
    (``before`` / ``after``: the neighbouring segments of the same recording, whoever said them)."""
    flt = flt or Filter()
    limit_text(query, "moments")
    tags = [t.upper() for t in flt.tags]
    if query and query.strip():
        found = search(con, query, flt, limit)
        if tags and not found.empty:  # the moment itself carries a chosen tag
            found = found[[e in tags or bool(set(tags) & set(ev if ev is not None else []))
                           for e, ev in zip(found["emotion"], found["events"])]]
    else:
        if not (flt.tags or flt.roles or flt.text):
            raise NothingToFind("moments: give words to look for, or pick tags or a role in the filters")
        where, params = recording_where(flt)
        seg_conds, seg_params = segment_conditions(flt)
        if tags:
            seg_conds.append("(s.emotion IN (SELECT unnest(?::VARCHAR[])) OR list_has_any(s.events, ?::VARCHAR[]))")
            seg_params += [tags, tags]
        found = con.execute(f"""
            SELECT r.recording_id, r.filename, r.kind, r.outcome, r.recorded_at, s.channel, s.role,
                   s.seg_index, s.start_s, s.end_s, s.emotion, s.events, s.text
            FROM segments s JOIN recordings r ON hash(r.recording_id) = s.rec_key
            WHERE {where} AND {' AND '.join(seg_conds) or 'TRUE'}
            ORDER BY r.recorded_at DESC NULLS LAST, s.start_s LIMIT ?""", params + seg_params + [limit]).df()
    if found.empty:
        return found.assign(before=[], after=[])
    near = con.execute("""
        SELECT recording_id, seg_index,
               lag(text) OVER (PARTITION BY recording_id ORDER BY start_s, channel) AS before,
               lead(text) OVER (PARTITION BY recording_id ORDER BY start_s, channel) AS after
        FROM segments WHERE recording_id IN (SELECT unnest(?::VARCHAR[]))""",
        [sorted(set(found["recording_id"]))]).df()
    return found.merge(near, on=["recording_id", "seg_index"], how="left")

"""Transcript search, combined with the filters. CJK text is matched as a substring (Chinese and
Japanese have no spaces); alphabetic queries match whole words, case-insensitively, punctuation
ignored. Both are substring tests on a normalised copy of the text made when the snapshot loads
it, so no DuckDB extension is needed (FTS would be downloaded at run time)."""
from __future__ import annotations

import duckdb
import pandas as pd

from ingest.signals import CJK_CHAR

from .filters import Filter, FilterError, recording_where, segment_conditions


def _needle(con: duckdb.DuckDBPyConnection, query: str) -> str:
    """The substring to look for in ``text_norm``: CJK text anywhere, other words as whole words."""
    if not query or not query.strip():
        raise FilterError("search: the query is empty")
    norm = con.execute("SELECT norm_text(?)", [query]).fetchone()[0]
    if norm.strip() == "":
        raise FilterError("search: the query has no letters or digits")
    return norm.strip() if CJK_CHAR.search(query) else norm


def search(con: duckdb.DuckDBPyConnection, query: str, flt: Filter | None = None, limit: int = 500) -> pd.DataFrame:
    """Segments whose text matches ``query``, newest recordings first."""
    where, params = recording_where(flt)
    seg_conds, seg_params = segment_conditions(flt)
    return con.execute(f"""
        SELECT r.recording_id, r.filename, r.kind, r.outcome, r.recorded_at, s.channel, s.role,
               s.seg_index, s.start_s, s.end_s, s.emotion, s.events, s.text
        FROM seg s JOIN recordings r USING (recording_id)
        WHERE contains(s.text_norm, ?) AND {where} AND {' AND '.join(seg_conds)}
        ORDER BY r.recorded_at DESC NULLS LAST, s.start_s LIMIT ?""",
        [_needle(con, query)] + params + seg_params + [limit]).df()

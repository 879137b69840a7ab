"""Transcript search, combined with the filters. CJK text is matched as a substring (Chinese and
Japanese have no spaces); alphabetic queries match whole words, case-insensitively. No DuckDB
extension is needed (FTS would be downloaded at run time)."""
from __future__ import annotations

import re

import duckdb
import pandas as pd

from .filters import Filter, FilterError, recording_where, segment_conditions

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def _pattern(query: str) -> str:
    words = query.strip()
    if not words:
        raise FilterError("search: the query is empty")
    if _CJK.search(words):
        return "(?i)" + re.escape(words)
    return r"(?i)(^|[^\pL\pN])" + r"\s+".join(re.escape(w) for w in words.split()) + r"($|[^\pL\pN])"


def search(con: duckdb.DuckDBPyConnection, query: str, flt: Filter | None = None, limit: int = 500) -> pd.DataFrame:
    """Segments whose text matches ``query``, newest recordings first."""
    where, params = recording_where(flt)
    seg_conds, seg_params = segment_conditions(flt)
    return con.execute(f"""
        SELECT r.recording_id, r.filename, r.kind, r.outcome, r.recorded_at, s.channel, s.role,
               s.seg_index, s.start_s, s.end_s, s.emotion, s.events, s.text
        FROM seg s JOIN recordings r USING (recording_id)
        WHERE {where} AND {' AND '.join(seg_conds)} AND regexp_matches(s.text, ?)
        ORDER BY r.recorded_at DESC NULLS LAST, s.start_s LIMIT ?""",
        params + seg_params + [_pattern(query), limit]).df()

"""A call's score on a form: each item's answer is a reviewer's where one was given (the latest,
``qa_reviews`` outside calibration rounds), else the machine's (``qa_answers``, its latest version).
An item earns answer / top × weight; items that do not apply, and items still waiting for a
person, count in neither what was earned nor what was possible; a "no" on a fatal item makes the
score 0. Everything is SQL over the reader's cursor, so a viewer's scope limits it as any other
query (``analytics.scope``).
"""
from __future__ import annotations

import duckdb
import pandas as pd

from ..filters import Filter, recording_where
from ..metadata import with_metadata

# each item of each call, answered: the machine's latest version joined with the latest review
ITEMS_SQL = """
    WITH latest AS (
        SELECT * FROM qa_answers
        QUALIFY form_version = arg_max(form_version, scored_at) OVER (PARTITION BY recording_id, form_id)
            AND row_number() OVER (PARTITION BY recording_id, form_id, item_id ORDER BY scored_at DESC) = 1),
    reviewed AS (
        SELECT recording_id, form_id, item_id, answer, na, comment, reviewed_by, reviewed_at FROM qa_reviews
        WHERE round IS NULL
        QUALIFY row_number() OVER (PARTITION BY recording_id, form_id, item_id ORDER BY reviewed_at DESC) = 1)
    SELECT l.recording_id, l.form_id, l.item_id, l.form_version, l.weight, l.top, l.fatal, l.evidence,
           l.status AS machine, l.answer AS machine_answer, r.reviewed_by, r.reviewed_at, r.comment,
           r.reviewed_by IS NOT NULL AS reviewed,
           CASE WHEN r.reviewed_by IS NOT NULL THEN (CASE WHEN r.na THEN NULL ELSE r.answer END) ELSE l.answer END AS answer,
           CASE WHEN r.reviewed_by IS NOT NULL THEN coalesce(r.na, false) ELSE l.status = 'na' END AS na,
           r.reviewed_by IS NULL AND l.status = 'person' AS pending
    FROM latest l LEFT JOIN reviewed r USING (recording_id, form_id, item_id)"""

CALLS_SQL = f"""
    WITH items AS ({ITEMS_SQL}),
    per_call AS (
        SELECT recording_id, form_id,
               bool_or(fatal AND answer = 0) AS failed_fatal,
               sum(answer / top * weight) FILTER (WHERE NOT na AND NOT pending) AS earned,
               sum(weight) FILTER (WHERE NOT na AND NOT pending) AS possible,
               count(*) FILTER (WHERE pending) AS waiting,
               count(*) FILTER (WHERE reviewed) AS reviewed_items,
               count(*) FILTER (WHERE NOT na AND NOT pending AND answer < top) AS missed
        FROM items GROUP BY recording_id, form_id)
    SELECT *, CASE WHEN failed_fatal THEN 0.0 ELSE round(100 * earned / nullif(possible, 0), 1) END AS score
    FROM per_call"""


def item_answers(con: duckdb.DuckDBPyConnection, recording_id: str, form_id: str | None = None) -> pd.DataFrame:
    """Every item of a call's forms as it stands: the machine's answer and its moments, the
    reviewer's, and the answer that counts."""
    where, params = ("AND form_id = ?", [form_id]) if form_id else ("", [])
    return con.execute(f"SELECT * FROM ({ITEMS_SQL}) WHERE recording_id = ? {where} ORDER BY form_id",
                       [recording_id, *params]).df()


def call_scores(con: duckdb.DuckDBPyConnection, flt: Filter | None = None, form_id: str | None = None) -> pd.DataFrame:
    """One row per call and form among the recordings the filter selects: score (0-100; NULL: no
    item could be scored yet), fatal failure, items missed, items waiting for a person, with the
    recording's name, kind, date and metadata."""
    where, params = recording_where(flt)
    form_sql, form_p = ("AND c.form_id = ?", [form_id]) if form_id else ("", [])
    df = con.execute(f"""
        SELECT c.*, r.filename, r.kind, r.recorded_at, r.duration_s
        FROM ({CALLS_SQL}) c JOIN recordings r USING (recording_id)
        WHERE {where} {form_sql}
        ORDER BY r.recorded_at DESC, c.recording_id""", params + form_p).df()
    return with_metadata(con, df)

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


def items_sql(where: str = "TRUE") -> str:
    """Each item of each call (of the rows meeting ``where``: columns recording_id, form_id),
    answered: the machine's latest version joined with the latest review."""
    return f"""
    WITH latest AS (  -- a scoring run writes every item of a call's form at one time: its latest run's rows
        SELECT * FROM qa_answers WHERE {where}
        QUALIFY scored_at = max(scored_at) OVER (PARTITION BY recording_id, form_id)),
    reviewed AS (
        SELECT recording_id, form_id, item_id, answer, na, comment, reviewed_by, reviewed_at FROM qa_reviews
        WHERE round IS NULL AND {where}
        QUALIFY row_number() OVER (PARTITION BY recording_id, form_id, item_id ORDER BY reviewed_at DESC) = 1)
    SELECT l.recording_id, l.form_id, l.item_id, l.form_version, l.weight, l.top, l.fatal, l.evidence,
           l.status AS machine, l.answer AS machine_answer, r.reviewed_by, r.reviewed_at, r.comment,
           r.reviewed_by IS NOT NULL AS reviewed,
           CASE WHEN r.reviewed_by IS NOT NULL THEN (CASE WHEN r.na THEN NULL ELSE r.answer END) ELSE l.answer END AS answer,
           CASE WHEN r.reviewed_by IS NOT NULL THEN coalesce(r.na, false) ELSE l.status = 'na' END AS na,
           r.reviewed_by IS NULL AND l.status = 'person' AS pending
    FROM latest l LEFT JOIN reviewed r USING (recording_id, form_id, item_id)"""


def calls_sql(where: str = "TRUE") -> str:
    """One row per call and form: what was earned and possible, fatal failure, items waiting, the score."""
    return f"""
    WITH items AS ({items_sql(where)}),
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


ITEMS_SQL, CALLS_SQL = items_sql(), calls_sql()
ONE_CALL = "recording_id = $rid AND form_id = $form"


def item_answers(con: duckdb.DuckDBPyConnection, recording_id: str, form_id: str | None = None) -> pd.DataFrame:
    """Every item of a call's forms as it stands: the machine's answer and its moments, the
    reviewer's, and the answer that counts."""
    if form_id:
        return con.execute(items_sql(ONE_CALL), {"rid": recording_id, "form": form_id}).df()
    return con.execute(f"SELECT * FROM ({items_sql('recording_id = $rid')}) ORDER BY form_id", {"rid": recording_id}).df()


def call_score(con: duckdb.DuckDBPyConnection, recording_id: str, form_id: str) -> dict | None:
    """One call's score on one form (calls_sql's columns), or None: not scored on it."""
    df = con.execute(calls_sql(ONE_CALL), {"rid": recording_id, "form": form_id}).df()
    return None if df.empty else df.iloc[0].to_dict()


def call_scores(con: duckdb.DuckDBPyConnection, flt: Filter | None = None, form_id: str | None = None,
                limit: int | None = None, metadata: bool = True) -> pd.DataFrame:
    """One row per call and form among the recordings the filter selects, the newest first (at most
    ``limit``): score (0-100; NULL: no item could be scored yet), fatal failure, items missed, items
    waiting for a person, with the recording's name, kind, date and (``metadata``) metadata."""
    where, params = recording_where(flt)
    calls, form_p = (calls_sql("form_id = ?"), [form_id]) if form_id else (CALLS_SQL, [])
    df = con.execute(f"""
        SELECT c.*, r.filename, r.kind, r.recorded_at, r.duration_s
        FROM ({calls}) c JOIN recordings r USING (recording_id)
        WHERE {where}
        ORDER BY r.recorded_at DESC, c.recording_id {f"LIMIT {int(limit)}" if limit else ""}""", form_p * 2 + params).df()
    return with_metadata(con, df) if metadata else df


def scored_calls(con: duckdb.DuckDBPyConnection, flt: Filter | None = None, limit: int = 500) -> pd.DataFrame:
    """The newest calls scored on a form (a picker's): recording_id, form_id, filename, recorded_at."""
    where, params = recording_where(flt)
    return con.execute(f"""
        SELECT a.recording_id, a.form_id, r.filename, r.recorded_at
        FROM (SELECT DISTINCT recording_id, form_id FROM qa_answers) a JOIN recordings r USING (recording_id)
        WHERE {where} ORDER BY r.recorded_at DESC, a.recording_id LIMIT {int(limit)}""", params).df()


NO_CALL = "0" * 64  # a recording id no call has: "the calls below" when none is


def calls_below(con: duckdb.DuckDBPyConnection, form_id: str, below: float) -> list[str]:
    """The calls scored under ``below`` on the form (a score of the reviewer's where given; calls
    with no score yet are not among them); ``[NO_CALL]`` when there is none, so that a filter on
    these ids selects nothing rather than everything."""
    ids = [r for (r,) in con.execute(f"SELECT recording_id FROM ({calls_sql('form_id = $form')}) WHERE score < $below",
                                     {"form": form_id, "below": float(below)}).fetchall()]
    return ids or [NO_CALL]


def passed_and_below(con: duckdb.DuckDBPyConnection, form) -> dict[str, list[str]]:
    """The calls scored on ``form`` that reach its pass mark ("passed") and those under it ("below"),
    each ``[NO_CALL]`` when there is none (a filter on them then selects nothing, not everything)."""
    rows = con.execute(f"SELECT recording_id, score >= ? FROM ({calls_sql('form_id = ?')}) WHERE score IS NOT NULL",
                       [form.pass_mark, form.id, form.id]).fetchall()
    return {"passed": [r for r, ok in rows if ok] or [NO_CALL], "below": [r for r, ok in rows if not ok] or [NO_CALL]}

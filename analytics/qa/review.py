"""People's answers: a reviewer confirms or overrides the machine's answer to an item (with a
comment), answers the items left to a person, and works through a queue; every change is kept
(``qa_reviews``, append-only: who, when, from what, to what). A calibration round's answers are the
same rows with the round's name: given blind, they decide nothing (``analytics.qa.agreement``).
"""
from __future__ import annotations

import random
from datetime import datetime

import duckdb
import pandas as pd

from ..filters import MAX_NOTE, Filter, limit_text, recording_where
from ..metadata import with_metadata
from .forms import Form, FormError
from .scores import CALLS_SQL, calls_sql, item_answers

ROUND_CHARS = 60
QUEUE_ROWS = 200  # the queue's first rows: a reviewer works from its top


def check_answer(form: Form, item_id: str, answer: float | None, na: bool = False) -> float | None:
    """The answer as stored (None: does not apply), or a FormError saying what the item takes."""
    item = form.item(item_id)
    if na:
        if not item.na:
            raise FormError(f"'{item.label()}' always applies: answer it")
        return None
    if answer is None:
        raise FormError(f"'{item.label()}': give an answer")
    value = float(answer)
    if item.answer == "yes_no" and value not in (0.0, 1.0):
        raise FormError(f"'{item.label()}' is answered yes (1) or no (0)")
    if item.answer == "scale" and (value != int(value) or not 0 <= value <= item.scale):
        raise FormError(f"'{item.label()}' is answered from 0 to {item.scale}")
    return value


def answer(store, con: duckdb.DuckDBPyConnection, form: Form, recording_id: str, item_id: str, value: float | None,
           by: str, comment: str = "", na: bool = False, round_: str | None = None) -> dict:
    """A person's answer to one item of a call (``round_``: blind, in that calibration round);
    returns the row written. The recording must be one ``con`` sees (a viewer's scoped cursor)."""
    stored = check_answer(form, item_id, value, na)
    limit_text(comment, "comment", MAX_NOTE)
    if round_ is not None:
        round_ = round_.strip()
        if not round_ or len(round_) > ROUND_CHARS:
            raise FormError(f"a calibration round is named with 1-{ROUND_CHARS} characters")
    if not con.execute("SELECT count(*) FROM recordings WHERE recording_id = ?", [recording_id]).fetchone()[0]:
        raise FormError("recording not found")
    row = {"recording_id": recording_id, "form_id": form.id, "item_id": item_id, "answer": stored, "na": na,
           "comment": (comment or "").strip() or None, "reviewed_by": by, "reviewed_at": datetime.now(), "round": round_}
    store.append_rows("qa_reviews", [row])
    return row


def confirm_all(store, con: duckdb.DuckDBPyConnection, form: Form, recording_id: str, by: str) -> int:
    """Confirm every machine answer of a call not reviewed yet (yes / no / does not apply as it
    stands); the items left to a person stay for them. Returns how many were confirmed."""
    items = item_answers(con, recording_id, form.id)
    todo = items[~items["reviewed"] & items["machine"].isin(["yes", "no", "na"])]
    now = datetime.now()
    rows = [{"recording_id": recording_id, "form_id": form.id, "item_id": r.item_id,
             "answer": None if r.machine == "na" else float(r.machine_answer), "na": r.machine == "na",
             "comment": None, "reviewed_by": by, "reviewed_at": now, "round": None}
            for r in todo.itertuples() if r.item_id in {i.id for i in form.items}]
    if rows:
        store.append_rows("qa_reviews", rows)
    return len(rows)


def history(con: duckdb.DuckDBPyConnection, recording_id: str, form_id: str) -> pd.DataFrame:
    """Every change to a call's answers, oldest first: when, who, item, from, to, comment (the
    first "from" of an item is the machine's answer)."""
    return con.execute("""
        WITH machine AS (
            SELECT item_id, arg_max(CASE status WHEN 'na' THEN 'na' WHEN 'person' THEN NULL ELSE answer::VARCHAR END,
                                    scored_at) AS answered
            FROM qa_answers WHERE recording_id = $1 AND form_id = $2 GROUP BY item_id),
        changes AS (
            SELECT reviewed_at AS changed_at, reviewed_by AS changed_by, item_id, comment,
                   CASE WHEN na THEN 'na' ELSE answer::VARCHAR END AS answered
            FROM qa_reviews WHERE recording_id = $1 AND form_id = $2 AND round IS NULL)
        SELECT c.changed_at, c.changed_by, c.item_id,
               coalesce(lag(c.answered) OVER (PARTITION BY c.item_id ORDER BY c.changed_at), m.answered) AS answer_from,
               c.answered AS answer_to, c.comment
        FROM changes c LEFT JOIN machine m USING (item_id)
        ORDER BY c.changed_at""", [recording_id, form_id]).df()


def queue(con: duckdb.DuckDBPyConnection, forms: list[Form], flt: Filter | None = None, form_id: str | None = None,
          sample: int = 5, seed: int | None = None, limit: int = QUEUE_ROWS) -> pd.DataFrame:
    """The calls a reviewer should look at, in order: auto-failed ones (a fatal item, the newest
    first), then those under their form's pass mark, lowest first — the first ``limit - sample`` of
    them — then ``sample`` calls drawn at random among the rest (the machine's good scores are
    checked too). Calls a person has reviewed are left out. Column ``why``: fatal | low | sample."""
    where, params = recording_where(flt)
    marks = {f.id: float(f.pass_mark) for f in forms if form_id in (None, f.id)}
    calls, form_p = (calls_sql("form_id = ?"), [form_id] * 2) if form_id else (CALLS_SQL, [])
    base = f"""
        SELECT c.*, r.filename, r.kind, r.recorded_at, r.duration_s,
               CASE WHEN c.failed_fatal THEN 'fatal' WHEN c.score < m.mark THEN 'low' END AS why
        FROM ({calls}) c JOIN recordings r USING (recording_id)
        JOIN (SELECT unnest(?::VARCHAR[]) AS form_id, unnest(?::DOUBLE[]) AS mark) m USING (form_id)
        WHERE c.reviewed_items = 0 AND {where}"""
    p = form_p + [list(marks), list(marks.values())] + params
    flagged = con.execute(f"""SELECT * FROM ({base}) WHERE why IS NOT NULL
                              ORDER BY why = 'low', CASE WHEN why = 'fatal' THEN epoch(recorded_at) END DESC, score,
                                       recorded_at, recording_id LIMIT {max(int(limit) - sample, 0)}""", p).df()
    salt = str(seed if seed is not None else random.random())  # a seed draws the same calls again
    drawn = con.execute(f"""SELECT * EXCLUDE (why), 'sample' AS why FROM ({base}) WHERE why IS NULL
                            ORDER BY hash(recording_id || ?), recording_id LIMIT {int(sample)}""", p + [salt]).df()
    return with_metadata(con, pd.concat([flagged, drawn], ignore_index=True))

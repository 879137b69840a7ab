"""Classroom: stuck points — a teacher's question followed by a long silence and/or a cough — per
class and across a course (e.g. BGM in consecutive classes → a noisy listening environment)."""
from __future__ import annotations

import duckdb
import pandas as pd

from .filters import Filter, FilterError, recording_where, time_conditions

TEACHER_ROLES = ("teacher", "mixed")  # who asks in a class: the teacher, or anyone on a mono recording
_TEACHER_SQL = "(" + ", ".join(f"'{r}'" for r in TEACHER_ROLES) + ")"  # the same, as an SQL list
NO_COURSE = "(no course)"  # the course of classes that name none (the page says it in its language)
NOISY, MANY_STUCK = "noisy listening environment", "many stuck points"  # the findings' names


def _follows(source: str) -> str:
    """For each row of ``source`` (rec_key, channel, start_s and flags by_teacher, cough): the start
    of the next segment, of the teacher's next and of the next cough, in one ordering per class
    (each the first one after: lead ... IGNORE NULLS, not a minimum over every later row)."""
    return f"""SELECT *, lead(start_s) OVER w1 AS next_start,
                      lead(CASE WHEN by_teacher THEN start_s END IGNORE NULLS) OVER w1 AS next_teacher_s,
                      lead(CASE WHEN cough THEN start_s END IGNORE NULLS) OVER w1 AS next_cough_s
               FROM {source} WINDOW w1 AS (PARTITION BY rec_key ORDER BY start_s, channel)"""


def follows_sql(todo: str = "_todo") -> str:
    """UPDATE the teacher's questions (TEACHER_ROLES, is_question) of the recordings listed in table
    ``todo`` with what follows them (``_follows``), and mark every segment of them as done
    (follows_known): computed once per recording when it is loaded, so stuck points read a year's
    questions instead of ordering every segment of every class (analytics/db.py)."""
    source = f"""(SELECT rowid AS key, rec_key, channel, start_s, is_question, role IN {_TEACHER_SQL} AS by_teacher,
                         list_contains(events, 'COUGH') AS cough
                  FROM segments WHERE recording_id IN (SELECT recording_id FROM {todo}))"""
    return f"""UPDATE segments s SET follows_known = TRUE,
                      next_start_s = CASE WHEN f.by_teacher AND f.is_question THEN f.next_start END,
                      next_teacher_s = CASE WHEN f.by_teacher AND f.is_question THEN f.next_teacher_s END,
                      next_cough_s = CASE WHEN f.by_teacher AND f.is_question THEN f.next_cough_s END
               FROM ({_follows(source)}) f WHERE s.rowid = f.key"""


def stuck_points(con: duckdb.DuckDBPyConnection, flt: Filter | None = None,
                 teacher_roles: tuple[str, ...] = TEACHER_ROLES, min_silence_s: float = 5.0,
                 cough_window_s: float = 10.0, question_phrases: tuple[str, ...] = (),
                 mode: str = "silence_or_cough", text: bool = True) -> pd.DataFrame:
    """One row per stuck point: the question, when it ended (the stuck point's time), the silence
    after it, and whether someone coughed. ``mode``: silence_or_cough | silence | cough | silence_and_cough.
    ``text``: False leaves the question's words out (None), for counts over every question of a year."""
    if mode not in ("silence_or_cough", "silence", "cough", "silence_and_cough"):
        raise FilterError("mode must be silence_or_cough, silence, cough or silence_and_cough")
    flt = flt or Filter(kinds=["class"])
    where, params = recording_where(flt)
    period, period_params = time_conditions(flt)  # lets DuckDB skip the compacted segments outside it
    cond, cond_params = {"silence_or_cough": ("silence_s > ? OR coughed", [min_silence_s]),
                         "silence": ("silence_s > ?", [min_silence_s]),
                         "cough": ("coughed", []),
                         "silence_and_cough": ("silence_s > ? AND coughed", [min_silence_s])}[mode]
    # Only classes where the teacher asked something are read: each recording's questions per
    # role are counted when it is loaded (role_stats); with phrases, every class is.
    asked, who_asked = "s.is_question", "AND r.recording_id IN (SELECT recording_id FROM role_stats WHERE " \
        "role IN (SELECT unnest(?::VARCHAR[])) AND questions > 0)"
    if question_phrases:
        asked += " OR len(list_filter(?::VARCHAR[], lambda p: contains(lower(s.text), lower(p)))) > 0"
        who_asked = ""
    # What follows each of the teacher's questions was found when the recording was loaded
    # (follows_sql); it is found now, in one ordering per class, for other teachers' roles or
    # question phrases, and for recordings compacted by a version before it. The ordering takes keys,
    # times and flags only; the questions' own words are read back for the stuck points alone.
    stored = not question_phrases and tuple(teacher_roles) == TEACHER_ROLES
    scan = ' AND '.join(['s.rec_key IN (SELECT rec_key FROM r)'] + period)
    return con.execute(f"""
        WITH r AS MATERIALIZED (SELECT hash(r.recording_id) AS rec_key, r.recording_id, r.filename, r.recorded_at,
                                       r.duration_s
                                FROM recordings r WHERE {where} {who_asked}),
        c AS (SELECT s.rec_key, s.channel, s.seg_index, s.start_s, s.end_s, list_contains(s.events, 'COUGH') AS cough,
                     s.role IN (SELECT unnest(?::VARCHAR[])) AS by_teacher, {asked} AS asked
              FROM segments s WHERE {scan} {"AND s.follows_known IS NOT TRUE" if stored else ""}),
        w AS ({_follows("c")}
              UNION ALL BY NAME
              SELECT s.rec_key, s.seg_index, s.end_s, TRUE AS by_teacher, TRUE AS asked, s.next_start_s AS next_start,
                     s.next_teacher_s, s.next_cough_s
              FROM segments s WHERE {scan} AND {f"s.follows_known AND s.is_question AND s.role IN {_TEACHER_SQL}"
                                                 if stored else "FALSE"}),
        -- the silence after a question; the response lasts until the teacher speaks again
        x AS MATERIALIZED (
              SELECT * FROM (
                  SELECT w.rec_key, w.seg_index, w.end_s,
                         CASE WHEN w.next_start IS NULL THEN r.duration_s - w.end_s
                              ELSE greatest(w.next_start - w.end_s, 0) END AS silence_s,
                         coalesce(w.next_cough_s <= least(w.end_s + ?, coalesce(w.next_teacher_s, 1e12)), FALSE)
                             AS coughed
                  FROM w JOIN r USING (rec_key)
                  WHERE w.by_teacher AND w.asked)
              WHERE {cond}),
        q AS (SELECT s.rec_key, s.seg_index, s.text AS question FROM segments s
              WHERE {' AND '.join(['s.rec_key IN (SELECT rec_key FROM x)', f'({asked})'] + period
                                  + ([] if text else ['FALSE']))})
        SELECT r.recording_id, r.filename, r.recorded_at,
               (SELECT value FROM metadata m WHERE m.recording_id = r.recording_id AND m.key = 'course') AS course,
               (SELECT value FROM metadata m WHERE m.recording_id = r.recording_id AND m.key = 'class') AS class,
               x.end_s AS at_s, x.silence_s, x.coughed, q.question
        FROM x JOIN r USING (rec_key) LEFT JOIN q USING (rec_key, seg_index)
        ORDER BY r.recorded_at, r.recording_id, x.end_s""",
        params + ([] if question_phrases else [list(teacher_roles)]) + [list(teacher_roles)]
        + ([list(question_phrases)] if question_phrases else []) + period_params + period_params
        + [cough_window_s] + cond_params + ([list(question_phrases)] if question_phrases else []) + period_params).df()


def with_questions(con: duckdb.DuckDBPyConnection, stuck: pd.DataFrame,
                   teacher_roles: tuple[str, ...] = TEACHER_ROLES, question_phrases: tuple[str, ...] = ()) -> pd.DataFrame:
    """``stuck`` (stuck points read with ``text=False``; a few, such as the newest a page shows)
    with each question's words: read from their recordings' period only, where a year's questions
    took a third of a second (pass the roles and phrases ``stuck_points`` was given)."""
    if stuck.empty:
        return stuck
    asked = "" if question_phrases else "AND s.is_question"  # a phrase may ask without a question mark
    words = con.execute(f"""
        WITH k AS MATERIALIZED (SELECT recording_id, hash(recording_id) AS rec_key FROM (SELECT unnest(?::VARCHAR[]) AS recording_id))
        SELECT k.recording_id, s.end_s AS at_s, any_value(s.text) AS question
        FROM segments s JOIN k USING (rec_key)
        WHERE s.recorded_at BETWEEN ? AND ? AND s.rec_key IN (SELECT rec_key FROM k)
          AND s.role IN (SELECT unnest(?::VARCHAR[])) {asked}
        GROUP BY ALL""", [sorted(set(stuck["recording_id"])), stuck["recorded_at"].min(), stuck["recorded_at"].max(),
                          list(teacher_roles)]).df()
    return stuck.drop(columns="question").merge(words, on=["recording_id", "at_s"], how="left")[list(stuck.columns)] \
        .set_axis(stuck.index)


def course_findings(con: duckdb.DuckDBPyConnection, flt: Filter | None = None, course_key: str = "course",
                    consecutive: int = 3, stuck: pd.DataFrame | None = None,
                    **stuck_kwargs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(findings, classes). Per course, classes in recording order: stuck points per class, and findings — BGM (or
    SPEECH_NOISE) in ``consecutive`` classes in a row (``heard``: bgm | noise), or a class with at least twice
    the course's median of stuck points (``count``, ``median``); each with the classes' ``files`` and ``recordings``.
    ``stuck``: ``stuck_points(con, flt)`` when the caller has it."""
    flt = flt or Filter(kinds=["class"])
    where, params = recording_where(flt)
    # what was heard in each class, from its counts (role_stats: one '*' row per recording with segments)
    classes = con.execute(f"""
        SELECT coalesce(m.value, ?) AS course, r.recording_id, r.filename, r.recorded_at,
               st."n_BGM" > 0 AS bgm, st."n_SPEECH_NOISE" > 0 AS noise
        FROM recordings r LEFT JOIN metadata m ON m.recording_id = r.recording_id AND m.key = ?
        JOIN role_stats st ON st.recording_id = r.recording_id AND st.role = '*'
        WHERE {where} ORDER BY course, r.recorded_at, r.recording_id""", [NO_COURSE, course_key] + params).df()
    stuck = stuck_points(con, flt, **stuck_kwargs) if stuck is None else stuck
    counts = stuck.groupby("recording_id").size()
    classes["stuck_points"] = classes["recording_id"].map(counts).fillna(0).astype(int)
    # columns as Python lists once: reading them value by value from their Arrow arrays took most
    # of the time at a year of classes
    rids, files, heard = classes["recording_id"].tolist(), classes["filename"].tolist(), \
        {f: classes[f].fillna(False).tolist() for f in ("bgm", "noise")}
    findings = []
    for course, at in classes.groupby("course", sort=True).indices.items():  # positions, in recording order
        for flag, label in (("bgm", "background music"), ("noise", "background noise")):
            run: list[int] = []
            for i in at:
                run = run + [i] if heard[flag][i] else []
                if len(run) == consecutive:
                    findings.append({"course": course, "finding": NOISY, "heard": flag, "count": consecutive,
                                     "detail": f"{label} in {consecutive} consecutive classes",
                                     "files": [files[j] for j in run], "recordings": [rids[j] for j in run]})
        g = classes.iloc[at]
        typical = float(g["stuck_points"].median())
        for row in g[(g["stuck_points"] >= 2) & (g["stuck_points"] >= 2 * max(typical, 1))].itertuples():
            findings.append({"course": course, "finding": MANY_STUCK, "heard": None, "count": row.stuck_points,
                             "median": typical, "detail": f"{row.stuck_points} in {row.filename} (course median {typical:g})",
                             "files": [row.filename], "recordings": [row.recording_id]})
    cols = ["course", "finding", "detail", "files", "recordings", "heard", "count", "median"]
    return pd.DataFrame(findings, columns=cols), classes

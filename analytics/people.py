"""People: agents (teachers for classes) as a team lead sees them — one row per person with their
recordings, key rates, open tickets and trend; a person's scorecard against their team, week by
week with n and an interval; their best and worst moments. People come from the recordings'
metadata (``agent`` / ``teacher``), which voiceprint matches fill in for mono recordings.

Teachers are measured in class terms (``teachers``, ``class_moments``): their talk share, the
questions they ask and how long the class waits before anyone answers, the students' laughter and
the stuck points (a question met by a long silence or a cough, as the Classroom page finds them)."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import duckdb
import pandas as pd

from .corrections import wilson
from .filters import Filter, recording_where, time_conditions
from .home import CUSTOMER_ROLES, LONG_SILENCE_S, per_recording

STUDENT_ROLES = ("student", "mixed")  # who laughs in a class: the students, or anyone on a mono recording


def _with(flt: Filter | None, key: str, values: list[str]) -> Filter:
    flt = flt or Filter()
    return replace(flt, metadata={**flt.metadata, key: values})


def _from(flt: Filter | None, since: datetime) -> Filter:
    """``flt`` from ``since`` on (or from its own start, when later)."""
    flt = flt or Filter()
    return replace(flt, since=max(since, flt.since) if flt.since else since)


def _per_recording(con, flt: Filter | None, key: str) -> pd.DataFrame:
    """home.per_recording for the recordings that name a person under ``key`` (person = its value)."""
    per = per_recording(con, flt, split_key=key)
    return per[per["grp"].notna()].rename(columns={"grp": "person", "lead_share": "talk_share"})


def people(con: duckdb.DuckDBPyConnection, key: str = "agent", flt: Filter | None = None,
           now: datetime | None = None) -> pd.DataFrame:
    """One row per person: team, recordings, hours, share of calls with an angry customer (with its
    interval), silences of 5 s or more per call, their talk share, open tickets, and the trend of
    the angry share (last 4 weeks against the 4 before: up, down, steady or n/a)."""
    per = _per_recording(con, flt, key)
    if per.empty:
        return pd.DataFrame(columns=["person", "team", "recordings", "hours", "angry_share", "angry_low", "angry_high",
                                     "silences_per_call", "talk_share", "open_tickets", "trend"])
    per = per.assign(open_tickets=_open_tickets_by_recording(con, flt, per["recording_id"]))
    now = now or datetime.now()
    rows = []
    for person, g in per.groupby("person"):
        k, n = int(g["angry"].sum()), len(g)
        lo, hi = wilson(k, n)
        trend = _trend(g, "angry", now)
        rows.append({"person": person, "team": g["team"].mode().iloc[0] if g["team"].notna().any() else None,
                     "recordings": n, "hours": g["duration_s"].sum() / 3600, "angry_share": k / n,
                     "angry_low": lo, "angry_high": hi, "silences_per_call": g["silences"].mean(),
                     "talk_share": g["talk_share"].mean(),
                     "open_tickets": int(g["open_tickets"].sum()), "trend": trend})
    return pd.DataFrame(rows).sort_values(["open_tickets", "angry_share"], ascending=False).reset_index(drop=True)


def _open_tickets_by_recording(con, flt: Filter | None, recording_ids: pd.Series) -> pd.Series:
    """Open tickets of each of ``recording_ids`` (of the recordings ``flt`` selects; 0 for none)."""
    from .tickets import tickets

    t = tickets(con, flt, ["open"])
    counts = t.groupby("recording_id").size() if not t.empty else pd.Series(dtype=int)
    return recording_ids.map(counts).fillna(0).astype(int)


def _trend(g: pd.DataFrame, flag: str, now: datetime) -> str:
    """The share of recordings with ``flag`` over the last 4 weeks against the 4 before: up, down,
    steady (within 10 points) or n/a (fewer than 3 recordings in either)."""
    recent, before = now - timedelta(weeks=4), now - timedelta(weeks=8)
    a = g[g["recorded_at"] >= recent][flag]
    b = g[(g["recorded_at"] >= before) & (g["recorded_at"] < recent)][flag]
    if len(a) < 3 or len(b) < 3:
        return "n/a"
    d = a.mean() - b.mean()
    return "up" if d > 0.1 else "down" if d < -0.1 else "steady"


def scorecard(con: duckdb.DuckDBPyConnection, person: str, key: str = "agent", flt: Filter | None = None,
              weeks: int = 12, now: datetime | None = None) -> pd.DataFrame:
    """Week by week, the person's share of calls with an angry customer against their team's (the
    team's other people), each with n and a 95 % interval: week, who (person | team), share, low,
    high, n. For ``key="teacher"``: the share of their classes with a stuck point against the other
    teachers'."""
    now = now or datetime.now()
    flt = _from(flt, _week_start(now, weeks))  # only the weeks drawn are read (a year of calls is 100,000)
    if key == "teacher":
        per = _per_class(con, flt)
        return _weekly(per[per["person"] == person], per[per["person"] != person], "stuck", weeks, now)
    per = _per_recording(con, flt, key)
    mine = per[per["person"] == person]
    team = mine["team"].mode().iloc[0] if not mine.empty and mine["team"].notna().any() else None
    others = per[(per["person"] != person) & ((per["team"] == team) if team else True)]
    return _weekly(mine, others, "angry", weeks, now)


def _week_start(now: datetime, weeks: int) -> datetime:
    """Monday 0:00 of the first of the ``weeks`` weeks that end with ``now``'s."""
    return (now - timedelta(days=now.weekday(), weeks=weeks - 1)).replace(hour=0, minute=0, second=0, microsecond=0)


def _weekly(mine: pd.DataFrame, others: pd.DataFrame, flag: str, weeks: int, now: datetime) -> pd.DataFrame:
    start = _week_start(now, weeks)
    rows = []
    for who, g in (("person", mine), ("team", others)):
        g = g[g["recorded_at"] >= start]
        for w in pd.date_range(start, periods=weeks, freq="7D"):
            x = g[(g["recorded_at"] >= w) & (g["recorded_at"] < w + timedelta(days=7))]
            k, n = int(x[flag].sum()), len(x)
            lo, hi = wilson(k, n)
            rows.append({"week": w, "who": who, "share": k / n if n else None, "low": lo, "high": hi, "n": n})
    return pd.DataFrame(rows)


def moments(con: duckdb.DuckDBPyConnection, person: str, key: str = "agent", flt: Filter | None = None,
            limit: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(best, worst) moments of the person's calls, newest first: the customer happy or laughing; the
    customer angry. Each: recording_id, filename, start_s, end_s, emotion, events, text."""
    flt = _with(flt, key, [person])
    return (_newest_segments(con, flt, CUSTOMER_ROLES, "s.emotion = 'HAPPY' OR list_contains(s.events, 'LAUGHTER')",
                             limit),
            _newest_segments(con, flt, CUSTOMER_ROLES, "s.emotion = 'ANGRY'", limit))


NEWEST_FIRST = (100, 1000)  # how many of the newest recordings are searched for moments before all of them


def _newest_since(con, flt: Filter, n: int) -> datetime | None:
    """When the ``n``-th newest recording of ``flt`` was made; None when it has no more than ``n``."""
    where, params = recording_where(flt)
    count, since = con.execute(f"""SELECT count(*), min(recorded_at) FROM (SELECT r.recorded_at FROM recordings r
                                   WHERE {where} ORDER BY r.recorded_at DESC NULLS LAST LIMIT ?)""",
                               params + [n + 1]).fetchone()
    return since if count > n else None


def _newest_first(flt: Filter, find, limit: int, con) -> pd.DataFrame:
    """``find(flt)``'s first ``limit`` rows, newest recording first, looked for in the newest
    recordings before all of them: segments are stored by when they were recorded, so a person's
    latest 100 calls are a few row groups where the year is all of them (at 100,000 recordings,
    0.5 s a query -> 0.1 s). A wider look only when those hold fewer than ``limit``."""
    for n in NEWEST_FIRST:
        since = _newest_since(con, flt, n)
        if since is None:
            break
        rows = find(_from(flt, since))
        if len(rows) >= limit:
            return rows.head(limit)
    return find(flt).head(limit)


def _newest_segments(con, flt: Filter, roles, cond: str, limit: int) -> pd.DataFrame:
    """The ``roles``' segments meeting ``cond`` of the recordings ``flt`` selects, newest recording first."""
    def find(f: Filter) -> pd.DataFrame:
        where, params = recording_where(f)
        period, period_params = time_conditions(f)
        return con.execute(f"""
            WITH r AS MATERIALIZED (SELECT hash(r.recording_id) AS rec_key, r.recording_id, r.filename, r.recorded_at
                                   FROM recordings r WHERE {where})
            SELECT r.recording_id, r.filename, s.start_s, s.end_s, s.emotion, s.events, s.text
            FROM (SELECT * FROM segments s WHERE {' AND '.join(['s.rec_key IN (SELECT rec_key FROM r)'] + period)}
                  AND s.role IN (SELECT unnest(?::VARCHAR[])) AND ({cond})) s JOIN r USING (rec_key)
            ORDER BY r.recorded_at DESC NULLS LAST, r.recording_id, s.start_s LIMIT ?""",
            params + period_params + [list(roles), limit]).df()
    return _newest_first(flt, find, limit, con)


def their_tickets(con: duckdb.DuckDBPyConnection, person: str, key: str = "agent", flt: Filter | None = None) -> pd.DataFrame:
    from .tickets import tickets

    return tickets(con, _with(flt, key, [person]), ["open"])


def _per_class(con, flt: Filter | None) -> pd.DataFrame:
    """One row per class recording that names a teacher: person, course, recorded_at, duration_s,
    talk_share (the teacher's), questions (the teacher asked), wait_s (median silence after them),
    laughs (student segments with laughter), stuck_points, stuck (at least one)."""
    from .classroom import stuck_points

    flt = replace(flt or Filter(), kinds=["class"]) if not (flt and flt.kinds) else flt
    per = _per_recording(con, flt, "teacher")
    if per.empty:
        return per.assign(course=None, questions=0, wait_s=None, laughs=0, stuck_points=0, stuck=False)
    # every question with the silence after it (min_silence_s < 0 keeps them all), then the stuck ones
    asked = stuck_points(con, flt, mode="silence", min_silence_s=-1.0, text=False)
    asked["is_stuck"] = (asked["silence_s"] > LONG_SILENCE_S) | asked["coughed"]
    by_rec = asked.groupby("recording_id")
    where, params = recording_where(flt)
    extra = con.execute(f"""
        SELECT r.recording_id,
               (SELECT value FROM metadata m WHERE m.recording_id = r.recording_id AND m.key = 'course') AS course,
               (SELECT count(*) FROM seg s WHERE s.recording_id = r.recording_id AND list_contains(s.events, 'LAUGHTER')
                AND s.role IN (SELECT unnest(?::VARCHAR[]))) AS laughs
        FROM recordings r WHERE {where}""", [list(STUDENT_ROLES)] + params).df().set_index("recording_id")
    rid = per["recording_id"]
    return per.assign(course=rid.map(extra["course"]), laughs=rid.map(extra["laughs"]).fillna(0).astype(int),
                      questions=rid.map(by_rec.size()).fillna(0).astype(int),
                      wait_s=rid.map(by_rec["silence_s"].median()),
                      stuck_points=rid.map(by_rec["is_stuck"].sum()).fillna(0).astype(int)).assign(
                          stuck=lambda d: d["stuck_points"] > 0)


def teachers(con: duckdb.DuckDBPyConnection, flt: Filter | None = None, now: datetime | None = None) -> pd.DataFrame:
    """One row per teacher, in class terms: their course(s), classes, hours, their talk share,
    questions asked per class, the median wait after a question (s), student laughs per class,
    stuck points per class, the share of classes with one (and its interval), open tickets, and the
    trend of that share (as ``people``: up is worse)."""
    cols = ["person", "course", "classes", "hours", "talk_share", "questions_per_class", "wait_s", "laughs_per_class",
            "stuck_per_class", "stuck_share", "stuck_low", "stuck_high", "open_tickets", "trend"]
    per = _per_class(con, flt)
    if per.empty:
        return pd.DataFrame(columns=cols)
    per = per.assign(open_tickets=_open_tickets_by_recording(con, flt, per["recording_id"]))
    now = now or datetime.now()
    rows = []
    for person, g in per.groupby("person"):
        k, n = int(g["stuck"].sum()), len(g)
        lo, hi = wilson(k, n)
        rows.append({"person": person, "course": ", ".join(sorted(g["course"].dropna().unique())) or None,
                     "classes": n, "hours": g["duration_s"].sum() / 3600, "talk_share": g["talk_share"].mean(),
                     "questions_per_class": g["questions"].mean(),
                     "wait_s": float(g["wait_s"].median()) if g["wait_s"].notna().any() else None,
                     "laughs_per_class": g["laughs"].mean(), "stuck_per_class": g["stuck_points"].mean(),
                     "stuck_share": k / n, "stuck_low": lo, "stuck_high": hi,
                     "open_tickets": int(g["open_tickets"].sum()),
                     "trend": _trend(g, "stuck", now)})
    return pd.DataFrame(rows, columns=cols).sort_values(["stuck_per_class", "person"], ascending=[False, True]) \
        .reset_index(drop=True)


def class_moments(con: duckdb.DuckDBPyConnection, teacher: str, flt: Filter | None = None,
                  limit: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(best, worst) moments of a teacher's classes, newest first: the students happy or laughing; the stuck
    points (the question, when it ended, the silence after it, whether someone coughed). Best:
    recording_id, filename, start_s, emotion, events, text; worst: recording_id, filename, start_s,
    silence_s, coughed, text."""
    from .classroom import stuck_points

    flt = _with(replace(flt or Filter(), kinds=["class"]) if not (flt and flt.kinds) else flt, "teacher", [teacher])
    best = _newest_segments(con, flt, STUDENT_ROLES, "s.emotion = 'HAPPY' OR list_contains(s.events, 'LAUGHTER')", limit)

    def stuck(f: Filter) -> pd.DataFrame:
        return stuck_points(con, f, min_silence_s=LONG_SILENCE_S).sort_values(
            ["recorded_at", "recording_id", "at_s"], ascending=[False, True, True])
    worst = _newest_first(flt, stuck, limit, con)
    worst = worst.rename(columns={"at_s": "start_s", "question": "text"})[
        ["recording_id", "filename", "start_s", "silence_s", "coughed", "text"]].reset_index(drop=True)
    return best, worst

"""Trackers counted on every call, and read back as trends and comparisons.

``count`` runs after every batch and live call (``analytics.workflow.after_batch``), when a
tracker is made or changed (its new version is counted on the calls it has not counted yet) and
by ``toneboard trackers count``: one SQL pass per tracker over the segments of the calls to do, one
file of ``tracker_hits`` per run. Reading a trend then joins those few rows per call with the
recordings — as fast as a tag's trend, whatever the number of segments.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from ingest.records import now

from ..corrections import wilson
from ..db import Data
from ..filters import Filter, recording_where
from .trackers import Tracker, load_trackers

CHUNK = 20_000  # calls counted per query (a year of calls: a few passes, each under the reader's memory)


@dataclass
class CountReport:
    calls: int = 0                                        # call x tracker pairs counted
    by_tracker: dict[str, int] = field(default_factory=dict)  # tracker id -> calls counted
    said: dict[str, int] = field(default_factory=dict)       # tracker id -> of those, calls that say it
    seconds: float = 0.0

    def describe(self) -> str:
        if not self.by_tracker:
            return "every call is counted on the current version of every tracker: nothing to do"
        each = ", ".join(f"{tid}: {self.said.get(tid, 0)} of {n}" for tid, n in sorted(self.by_tracker.items()))
        return f"trackers counted on {self.calls} call(s) ({each} say it) in {self.seconds:.1f} s"


def segment_sql(t: Tracker, alias: str = "s", rec: str = "r") -> str:
    """SQL: segment ``alias`` (of recording ``rec``) says the tracker, by the right person at the right time."""
    pattern = t.pattern().replace("'", "''")
    conds = [f"regexp_matches(norm_text({alias}.text), '{pattern}')"]
    if t.role:
        conds.append(f"{alias}.role IN ({', '.join(repr(r) for r in t.role)})")  # roles checked against ROLES
    if t.question is not None:
        conds.append(f"{'' if t.question else 'NOT '}coalesce({alias}.is_question, FALSE)")
    if t.first_s is not None:
        conds.append(f"{alias}.start_s < {float(t.first_s)}")
    if t.last_s is not None:
        conds.append(f"{alias}.start_s >= {rec}.duration_s - {float(t.last_s)}")
    return " AND ".join(conds)


def counted(con: duckdb.DuckDBPyConnection, t: Tracker) -> set[str]:
    """The calls counted on the tracker's current version."""
    return {r for (r,) in con.execute("SELECT DISTINCT recording_id FROM tracker_hits WHERE tracker_id = ? AND tracker_version = ?",
                                      [t.id, t.version]).fetchall()}


def missing(con: duckdb.DuckDBPyConnection, trackers: list[Tracker]) -> int:
    """How many (call, tracker) pairs are not counted on the tracker's current version."""
    if not trackers:
        return 0
    calls = con.execute("SELECT count(*) FROM recordings").fetchone()[0]
    done = con.execute("SELECT count(DISTINCT (recording_id, tracker_id)) FROM tracker_hits WHERE (tracker_id, tracker_version) IN "
                       "(SELECT (unnest(?::VARCHAR[]), unnest(?::VARCHAR[])))",
                       [[t.id for t in trackers], [t.version for t in trackers]]).fetchone()[0]
    return max(0, calls * len(trackers) - done)


def rows_for(con: duckdb.DuckDBPyConnection, t: Tracker, recording_ids: list[str]) -> pd.DataFrame:
    """One row per call and role that says it; calls where nobody does: one row, role NULL, segments 0."""
    con.execute("CREATE OR REPLACE TEMP TABLE _todo AS SELECT unnest(?::VARCHAR[]) AS recording_id", [recording_ids])
    return con.execute(f"""
        WITH hits AS (
            SELECT s.recording_id, s.role, count(*)::INTEGER AS segments, min(s.start_s) AS first_s
            FROM seg s JOIN recordings r USING (recording_id)
            WHERE s.recording_id IN (SELECT recording_id FROM _todo) AND {segment_sql(t)}
            GROUP BY ALL)
        SELECT d.recording_id, h.role, coalesce(h.segments, 0)::INTEGER AS segments, h.first_s
        FROM _todo d LEFT JOIN hits h USING (recording_id) ORDER BY 1, 2""").df()


def count(db: str | Path, trackers: list[Tracker] | None = None, recording_ids: list[str] | None = None,
          on_progress: Callable[[int, int], None] | None = None, recount: list[str] | None = None) -> CountReport:
    """Count every tracker on the calls it has not counted on its current version (given
    ``recording_ids``: only among those), and on the calls of ``recount`` again (their words changed:
    the latest count of a call wins). ``on_progress(done, of)`` follows a long run."""
    started, report = time.perf_counter(), CountReport()
    trackers = load_trackers() if trackers is None else trackers
    if not trackers:
        return report
    data = Data(db)
    try:
        con = data.con
        every = [r for (r,) in con.execute("SELECT recording_id FROM recordings ORDER BY recorded_at, recording_id").fetchall()]
        wanted = every if recording_ids is None else [r for r in every if r in set(recording_ids)]
        todo, again = {}, set(recount or ())
        for t in trackers:
            done = counted(con, t) - again
            todo[t.id] = [r for r in wanted if r not in done]
        total, finished, at = sum(map(len, todo.values())), 0, now()
        for t in trackers:
            ids = todo[t.id]
            for i in range(0, len(ids), CHUNK):
                rows = rows_for(con, t, ids[i:i + CHUNK])
                rows["tracker_id"], rows["tracker_version"], rows["counted_at"] = t.id, t.version, at
                data.store.append_rows("tracker_hits", rows.to_dict("records"))
                n = min(CHUNK, len(ids) - i)
                report.calls += n
                report.by_tracker[t.id] = report.by_tracker.get(t.id, 0) + n
                report.said[t.id] = report.said.get(t.id, 0) + int(rows.loc[rows["segments"] > 0, "recording_id"].nunique())
                finished += n
                if on_progress:
                    on_progress(finished, total)
    finally:
        data.con.close()
        data.store.close()
        report.seconds = time.perf_counter() - started
    return report


# -- reading -----------------------------------------------------------------------------------
def _per_call(t: Tracker, flt: Filter | None, extra: str = "") -> tuple[str, list]:
    """SQL of one row per counted call in the filter: recording_id, recorded_at, outcome, segments (0:
    not said), first_s, by (the roles that said it)."""
    where, params = recording_where(flt)
    return f"""
        SELECT h.recording_id, any_value(r.recorded_at) AS recorded_at, any_value(r.outcome) AS outcome,
               any_value(r.kind) AS kind, sum(h.segments)::INTEGER AS segments, min(h.first_s) AS first_s,
               list(DISTINCT h.role) FILTER (WHERE h.role IS NOT NULL) AS roles {extra}
        FROM (SELECT DISTINCT recording_id, role, segments, first_s FROM tracker_hits
              WHERE tracker_id = ? AND tracker_version = ?
              QUALIFY counted_at = max(counted_at) OVER (PARTITION BY recording_id)) h
        JOIN recordings r USING (recording_id)
        WHERE {where}
        GROUP BY h.recording_id""", [t.id, t.version, *params]


PERIODS = {"day": "day", "week": "week", "month": "month"}


def trend(con: duckdb.DuckDBPyConnection, t: Tracker, flt: Filter | None = None, period: str = "week") -> pd.DataFrame:
    """period (its first day), n (calls counted), said (calls that say it), share, lo, hi (its 95 %
    Wilson interval), mentions (segments that say it), per_100 (mentions per 100 calls)."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}")
    sql, params = _per_call(t, flt)
    df = con.execute(f"""
        SELECT date_trunc('{PERIODS[period]}', recorded_at) AS period, count(*) AS n,
               count(*) FILTER (WHERE segments > 0) AS said, coalesce(sum(segments), 0) AS mentions
        FROM ({sql}) GROUP BY 1 ORDER BY 1""", params).df()
    return _with_share(df).assign(per_100=lambda d: 100 * d["mentions"] / d["n"].clip(lower=1))


def _with_share(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df["share"] = df["said"] / df["n"].clip(lower=1)
    ci = [wilson(int(k), int(n)) for k, n in zip(df["said"], df["n"])]
    df["lo"] = [c[0] for c in ci]
    df["hi"] = [c[1] for c in ci]
    return df


def summary(con: duckdb.DuckDBPyConnection, trackers: list[Tracker], flt: Filter | None = None) -> pd.DataFrame:
    """One row per tracker: id, n (calls counted in the filter), said, share, lo, hi, mentions (one query)."""
    if not trackers:
        return _with_share(pd.DataFrame(columns=["id", "n", "said", "mentions"]))
    where, params = recording_where(flt)
    df = con.execute(f"""
        WITH h AS (SELECT DISTINCT recording_id, tracker_id, role, segments FROM tracker_hits
                   WHERE (tracker_id, tracker_version) IN (SELECT (unnest(?::VARCHAR[]), unnest(?::VARCHAR[])))
                   QUALIFY counted_at = max(counted_at) OVER (PARTITION BY recording_id, tracker_id)),
        per AS (SELECT h.tracker_id, h.recording_id, sum(h.segments) AS segments
                FROM h JOIN recordings r USING (recording_id) WHERE {where} GROUP BY ALL)
        SELECT tracker_id AS id, count(*) AS n, count(*) FILTER (WHERE segments > 0) AS said,
               coalesce(sum(segments), 0) AS mentions FROM per GROUP BY 1""",
                     [[t.id for t in trackers], [t.version for t in trackers], *params]).df()
    df = df.set_index("id").reindex([t.id for t in trackers], fill_value=0).reset_index()
    return _with_share(df)


COHORTS = ("outcome", "emotion")


def compare(con: duckdb.DuckDBPyConnection, t: Tracker, by: str = "outcome", flt: Filter | None = None,
            groups: dict[str, Filter] | None = None) -> pd.DataFrame:
    """How often the tracker is said in each cohort: group, n, said, share, lo, hi. ``by``: outcome
    (won, lost), emotion (calls with an angry customer or student, and calm ones), or ``groups``
    (name -> a filter: e.g. calls under and over a quality form's mark)."""
    if groups is None:
        if by == "outcome":
            groups = {"won": Filter(outcomes=["won"]), "lost": Filter(outcomes=["lost"])}
        elif by == "emotion":
            return _by_anger(con, t, flt)
        else:
            raise ValueError(f"by must be one of {', '.join(COHORTS)}")
    rows = []
    for name, g in groups.items():
        sql, params = _per_call(t, _both(flt, g))
        n, said = con.execute(f"SELECT count(*), count(*) FILTER (WHERE segments > 0) FROM ({sql})", params).fetchone()
        rows.append({"group": name, "n": n, "said": said})
    return _with_share(pd.DataFrame(rows, columns=["group", "n", "said"]))


def _by_anger(con, t: Tracker, flt: Filter | None) -> pd.DataFrame:
    sql, params = _per_call(t, flt, extra=", bool_or(h.recording_id IN (SELECT recording_id FROM role_stats "
                            "WHERE role IN ('customer', 'student') AND n_ANGRY > 0)) AS angry")
    df = con.execute(f"""SELECT CASE WHEN angry THEN 'angry' ELSE 'calm' END AS "group", count(*) AS n,
                                count(*) FILTER (WHERE segments > 0) AS said FROM ({sql}) GROUP BY 1""", params).df()
    df = df.set_index("group").reindex(["angry", "calm"], fill_value=0).reset_index()
    return _with_share(df)


def outcome_when_said(con: duckdb.DuckDBPyConnection, t: Tracker, flt: Filter | None = None) -> pd.DataFrame:
    """Of the calls with an outcome: the share won where the tracker is said and where it is not
    (group said / not said, n, said = calls won, share, lo, hi)."""
    sql, params = _per_call(t, flt)
    df = con.execute(f"""SELECT CASE WHEN segments > 0 THEN 'said' ELSE 'not said' END AS "group", count(*) AS n,
                                count(*) FILTER (WHERE outcome = 'won') AS said
                         FROM ({sql}) WHERE outcome IN ('won', 'lost') GROUP BY 1""", params).df()
    df = df.set_index("group").reindex(["said", "not said"], fill_value=0).reset_index()
    return _with_share(df)


def _both(a: Filter | None, b: Filter) -> Filter:
    """Filter ``a`` narrowed by ``b``'s outcomes and recordings (both sets of recordings: the calls in both)."""
    from dataclasses import replace
    a = a or Filter()
    ids = b.recording_ids or a.recording_ids
    if a.recording_ids and b.recording_ids:
        ids = [r for r in b.recording_ids if r in set(a.recording_ids)] or ["0" * 64]  # none in both: nothing
    return replace(a, outcomes=list(b.outcomes or a.outcomes), recording_ids=list(ids))


def moments(con: duckdb.DuckDBPyConnection, t: Tracker, flt: Filter | None = None, limit: int = 20) -> pd.DataFrame:
    """The newest segments that say it: recording_id, filename, seg_index, start_s, role, text, recorded_at
    (the newest calls that say it first, from the counts; then only their segments are read)."""
    where, params = recording_where(flt)
    ids = [r for (r,) in con.execute(f"""
        SELECT DISTINCT h.recording_id FROM (SELECT recording_id, segments FROM tracker_hits WHERE tracker_id = ? AND tracker_version = ?
                                             QUALIFY counted_at = max(counted_at) OVER (PARTITION BY recording_id)) h
        JOIN recordings r USING (recording_id) WHERE {where} AND h.segments > 0
        ORDER BY r.recorded_at DESC, r.recording_id LIMIT {int(limit)}""", [t.id, t.version, *params]).fetchall()]
    return con.execute(f"""
        SELECT s.recording_id, r.filename, s.seg_index, s.start_s, s.role, s.text, r.recorded_at
        FROM seg s JOIN recordings r USING (recording_id)
        WHERE s.recording_id IN (SELECT unnest(?::VARCHAR[])) AND {segment_sql(t)}
        ORDER BY r.recorded_at DESC, s.recording_id, s.start_s LIMIT {int(limit)}""", [ids]).df()


def report_section(con: duckdb.DuckDBPyConnection, flt: Filter | None = None, lang: str = "en") -> str:
    """The HTML report's trackers: each tracker's calls that say it, of those counted, with the interval
    (a trackers file that does not load is named instead)."""
    import html

    from ..report import table_html
    from .trackers import TrackerError, current_trackers
    try:
        trackers = current_trackers()
    except TrackerError as e:
        return f"<p class='muted'>{html.escape(str(e))}</p>"
    if not trackers:
        return ""
    s = summary(con, trackers, flt)
    zh = lang == "zh"
    names = {t.id: t.label(lang) for t in trackers}
    df = pd.DataFrame({("追踪话题" if zh else "tracker"): [names[i] for i in s["id"]],
                       ("提到的通话" if zh else "calls that say it"): s["said"], ("统计的通话" if zh else "calls counted"): s["n"],
                       "share": [v if n else None for v, n in zip(s["share"], s["n"])],  # the report writes it as a percentage
                       ("95% 区间" if zh else "95 % interval"): [f"{lo:.0%}–{hi:.0%}" if n else "—"
                                                               for lo, hi, n in zip(s["lo"], s["hi"], s["n"])]})
    return f"<h2>{'话题追踪' if zh else 'Trackers'}</h2>" + table_html(df, lang)

"""What needs attention today (the dashboard's home page): open tickets, unresolved customer anger
in the last day, the key figures week by week with this week against last, the people who moved
most, and the files that failed. SQL and pure functions; every figure comes with its n."""
from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pandas as pd

from .filters import Filter, recording_where

CUSTOMER_ROLES = ("customer", "mixed")
LEAD_ROLES = ("agent", "seller", "teacher")
LONG_SILENCE_S = 5.0
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
# key figure -> higher is better? (for the arrow's colour)
FIGURES = {"recordings": None, "angry_share": False, "long_silences": False, "lead_talk_share": None, "won_rate": True}


def open_tickets(con: duckdb.DuckDBPyConnection, flt: Filter | None = None, limit: int = 10) -> pd.DataFrame:
    """Open tickets, the most severe and newest first, with the moment each points at."""
    from .tickets import tickets

    df = tickets(con, flt, ["open"])
    if df.empty:
        return df
    df["rank"] = df["severity"].map(SEVERITY_ORDER).fillna(3)
    return df.sort_values(["rank", "created_at"], ascending=[True, False]).drop(columns="rank").head(limit)


def ticket_counts(con: duckdb.DuckDBPyConnection, flt: Filter | None = None) -> dict[str, int]:
    from .tickets import tickets

    df = tickets(con, flt, ["open"])
    return {s: int((df["severity"] == s).sum()) for s in SEVERITY_ORDER} if not df.empty else dict.fromkeys(SEVERITY_ORDER, 0)


def unresolved_anger(con: duckdb.DuckDBPyConnection, flt: Filter | None = None, hours: float = 24,
                     now: datetime | None = None) -> pd.DataFrame:
    """Recordings of the last ``hours`` where the customer was ANGRY and nothing calmer (NEUTRAL or
    HAPPY) came from them afterwards: filename, agent, times angry, the last angry moment."""
    where, params = recording_where(flt)
    since = (now or datetime.now()) - timedelta(hours=hours)
    return con.execute(f"""
        WITH c AS (SELECT s.recording_id, s.start_s, s.emotion FROM seg s JOIN recordings r USING (recording_id)
                   WHERE {where} AND r.recorded_at >= ? AND s.role IN (SELECT unnest(?::VARCHAR[]))),
             a AS (SELECT recording_id, count(*) AS angry, max(start_s) AS last_angry_s FROM c
                   WHERE emotion = 'ANGRY' GROUP BY 1)
        SELECT r.recording_id, r.filename, r.recorded_at, a.angry, a.last_angry_s,
               (SELECT value FROM metadata m WHERE m.recording_id = r.recording_id AND m.key = 'agent') AS agent
        FROM a JOIN recordings r USING (recording_id)
        WHERE NOT EXISTS (SELECT 1 FROM c WHERE c.recording_id = a.recording_id AND c.start_s > a.last_angry_s
                          AND c.emotion IN ('NEUTRAL', 'HAPPY'))
        ORDER BY r.recorded_at DESC""", params + [since, list(CUSTOMER_ROLES)]).df()


def per_recording(con: duckdb.DuckDBPyConnection, flt: Filter | None = None, since: datetime | None = None,
                  split_key: str | None = None) -> pd.DataFrame:
    """The key figures' ingredients per recording: recorded_at, kind, outcome, duration_s, team,
    angry (a customer was ANGRY), silences (of 5 s or more), lead_share (the agent's or teacher's
    share of the talk), and ``grp``: the value of the metadata key ``split_key`` (None without one)."""
    where, params = recording_where(flt)
    since_sql, since_p = ("AND r.recorded_at >= ?", [since]) if since else ("", [])
    # each ingredient aggregated once over the recordings chosen, then joined (a subquery per
    # recording and ingredient took a third longer at a year of calls)
    return con.execute(f"""
        WITH r AS MATERIALIZED (SELECT r.recorded_at, r.recording_id, r.kind, r.outcome, r.duration_s, r.analysed_channels
                                FROM recordings r WHERE {where} {since_sql} AND r.recorded_at IS NOT NULL),
        m AS (SELECT recording_id, any_value(value) FILTER (key = ?) AS grp, any_value(value) FILTER (key = 'team') AS team
              FROM metadata WHERE recording_id IN (SELECT recording_id FROM r) AND key IN (?, 'team') GROUP BY recording_id),
        st AS (SELECT recording_id, sum("n_ANGRY") FILTER (role IN (SELECT unnest(?::VARCHAR[]))) AS angry_n,
                      sum(talk_s) FILTER (role IN (SELECT unnest(?::VARCHAR[]))) AS lead_s,
                      any_value(talk_s) FILTER (role = '*') AS all_s
               FROM role_stats WHERE recording_id IN (SELECT recording_id FROM r) GROUP BY recording_id),
        p AS (SELECT p.recording_id, count(*) AS n FROM pauses p JOIN r USING (recording_id)
              WHERE p.duration_s >= ? AND (p.channel = -1 OR r.analysed_channels = 1) GROUP BY p.recording_id)
        SELECT r.recorded_at, r.recording_id, r.kind, r.outcome, r.duration_s, m.grp, m.team,
               coalesce(st.angry_n, 0) > 0 AS angry, coalesce(p.n, 0) AS silences,
               st.lead_s / nullif(st.all_s, 0) AS lead_share
        FROM r LEFT JOIN m USING (recording_id) LEFT JOIN st USING (recording_id) LEFT JOIN p USING (recording_id)
        ORDER BY r.recorded_at, r.recording_id""",
        params + since_p + [split_key, split_key, list(CUSTOMER_ROLES), list(LEAD_ROLES), LONG_SILENCE_S]).df()


def figure_of(g: pd.DataFrame, figure: str) -> tuple[float | None, int]:
    """One key figure over some recordings of ``per_recording``: (value, n)."""
    if figure == "recordings":
        return float(len(g)), len(g)
    if figure == "angry_share":
        return (float(g["angry"].mean()) if len(g) else None), len(g)
    if figure == "long_silences":
        return (float(g["silences"].mean()) if len(g) else None), len(g)
    if figure == "lead_talk_share":
        v = g["lead_share"].dropna()
        return (float(v.mean()) if len(v) else None), len(v)
    if figure == "won_rate":
        s = g[(g["kind"] == "sales") & g["outcome"].notna()]
        return (float((s["outcome"] == "won").mean()) if len(s) else None), len(s)
    raise ValueError(f"unknown figure {figure!r}: {', '.join(FIGURES)}")


def weekly(con: duckdb.DuckDBPyConnection, flt: Filter | None = None, weeks: int = 12,
           now: datetime | None = None) -> pd.DataFrame:
    """Key figures per week (Monday) for the last ``weeks`` weeks: week, figure, value, n (the
    recordings the value is over). recordings; angry_share (of recordings with an ANGRY customer);
    long_silences (silences of 5 s or more per recording); lead_talk_share (the agent's or
    teacher's share of the talk); won_rate (of sales recordings with an outcome)."""
    now = now or datetime.now()
    start = (now - timedelta(days=now.weekday(), weeks=weeks - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    per = per_recording(con, flt, since=start)
    per["week"] = per["recorded_at"].dt.to_period("W-SUN").dt.start_time if not per.empty else per.get("recorded_at")
    rows = []
    for w in pd.date_range(start, periods=weeks, freq="7D"):
        g = per[per["week"] == w] if not per.empty else per
        rows += [(w, fig, *figure_of(g, fig)) for fig in FIGURES]
    return pd.DataFrame(rows, columns=["week", "figure", "value", "n"])


def this_week_vs_last(df: pd.DataFrame) -> pd.DataFrame:
    """From ``weekly``: per figure this week's value and n, last week's, and the change."""
    if df.empty:
        return df
    weeks = sorted(df["week"].unique())
    cur, prev = weeks[-1], weeks[-2] if len(weeks) > 1 else None
    out = []
    for fig in FIGURES:
        a = df[(df["figure"] == fig) & (df["week"] == cur)].iloc[0]
        b = df[(df["figure"] == fig) & (df["week"] == prev)].iloc[0] if prev is not None else None
        change = (a["value"] - b["value"]) if b is not None and pd.notna(a["value"]) and pd.notna(b["value"]) else None
        out.append({"figure": fig, "value": a["value"], "n": int(a["n"]),
                    "last_value": None if b is None else b["value"], "last_n": 0 if b is None else int(b["n"]),
                    "change": change})
    return pd.DataFrame(out)


def movers(con: duckdb.DuckDBPyConnection, key: str = "agent", flt: Filter | None = None, days: int = 7,
           min_n: int = 3, now: datetime | None = None, limit: int = 5) -> pd.DataFrame:
    """The people (or teams) whose share of calls with an angry customer moved most between the last
    ``days`` and the ``days`` before, among those with at least ``min_n`` recordings in both."""
    now = now or datetime.now()
    per = per_recording(con, flt, since=now - timedelta(days=2 * days), split_key=key).dropna(subset=["grp"])
    if per.empty:  # nobody with this key in the period (or an empty store)
        return pd.DataFrame(columns=["who", "now_share", "now_n", "before_share", "before_n", "change"])
    per["recent"] = per["recorded_at"] >= now - timedelta(days=days)
    g = per.groupby("grp")
    df = pd.DataFrame({"now_share": g.apply(lambda x: x.loc[x["recent"], "angry"].mean(), include_groups=False),
                       "now_n": g["recent"].sum(),
                       "before_share": g.apply(lambda x: x.loc[~x["recent"], "angry"].mean(), include_groups=False),
                       "before_n": g["recent"].size() - g["recent"].sum()}).rename_axis("who").reset_index()
    df = df[(df["now_n"] >= min_n) & (df["before_n"] >= min_n)].copy()
    df["change"] = df["now_share"] - df["before_share"]
    df = df.sort_values("who").assign(_abs=df["change"].abs())  # ties in name order
    return df.sort_values("_abs", ascending=False, kind="stable").drop(columns="_abs").head(limit).reset_index(drop=True)


def failed_files(con: duckdb.DuckDBPyConnection, limit: int = 200) -> pd.DataFrame:
    """The files that could not be ingested, newest first, with the stage and the reason."""
    return con.execute("""SELECT e.path, e.stage, e.reason, e.failed_at, b.name AS batch FROM ingest_errors e
                          LEFT JOIN batches b USING (batch_id) ORDER BY e.failed_at DESC LIMIT ?""", [limit]).df()

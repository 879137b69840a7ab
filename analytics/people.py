"""People: agents (teachers for classes) as a team lead sees them — one row per person with their
recordings, key rates, open tickets and trend; a person's scorecard against their team, week by
week with n and an interval; their best and worst moments. People come from the recordings'
metadata (``agent`` / ``teacher``), which voiceprint matches fill in for mono recordings."""
from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timedelta

import duckdb
import pandas as pd

from .filters import Filter, recording_where
from .home import CUSTOMER_ROLES, LEAD_ROLES, LONG_SILENCE_S


def _with(flt: Filter | None, key: str, values: list[str]) -> Filter:
    flt = flt or Filter()
    return replace(flt, metadata={**flt.metadata, key: values})


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % interval of a share k/n (Wilson): honest with small n."""
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, c - h), min(1.0, c + h))


def _per_recording(con, flt: Filter | None, key: str) -> pd.DataFrame:
    where, params = recording_where(flt)
    return con.execute(f"""
        SELECT m.value AS person, r.recording_id, r.recorded_at, r.duration_s,
               coalesce((SELECT sum("n_ANGRY") FROM role_stats st WHERE st.recording_id = r.recording_id
                         AND st.role IN (SELECT unnest(?::VARCHAR[]))), 0) > 0 AS angry,
               (SELECT count(*) FROM pauses p WHERE p.recording_id = r.recording_id AND p.duration_s >= ?
                AND (p.channel = -1 OR r.analysed_channels = 1)) AS silences,
               (SELECT sum(st.talk_s) FROM role_stats st WHERE st.recording_id = r.recording_id
                AND st.role IN (SELECT unnest(?::VARCHAR[]))) / nullif((SELECT st.talk_s FROM role_stats st
                WHERE st.recording_id = r.recording_id AND st.role = '*'), 0) AS talk_share,
               (SELECT value FROM metadata t WHERE t.recording_id = r.recording_id AND t.key = 'team') AS team
        FROM recordings r JOIN metadata m ON m.recording_id = r.recording_id AND m.key = ?
        WHERE {where}""", [list(CUSTOMER_ROLES), LONG_SILENCE_S, list(LEAD_ROLES), key] + params).df()


def people(con: duckdb.DuckDBPyConnection, key: str = "agent", flt: Filter | None = None,
           now: datetime | None = None) -> pd.DataFrame:
    """One row per person: team, recordings, hours, share of calls with an angry customer (with its
    interval), silences of 5 s or more per call, their talk share, open tickets, and the trend of
    the angry share (last 4 weeks against the 4 before: up, down, steady or n/a)."""
    per = _per_recording(con, flt, key)
    if per.empty:
        return pd.DataFrame(columns=["person", "team", "recordings", "hours", "angry_share", "angry_low", "angry_high",
                                     "silences_per_call", "talk_share", "open_tickets", "trend"])
    from .rules import tickets

    t = tickets(con, flt, ["open"])
    open_by_rec = t.groupby("recording_id").size() if not t.empty else pd.Series(dtype=int)
    now = now or datetime.now()
    recent, before = now - timedelta(weeks=4), now - timedelta(weeks=8)
    rows = []
    for person, g in per.groupby("person"):
        k, n = int(g["angry"].sum()), len(g)
        lo, hi = wilson(k, n)
        a = g[g["recorded_at"] >= recent]["angry"]
        b = g[(g["recorded_at"] >= before) & (g["recorded_at"] < recent)]["angry"]
        if len(a) >= 3 and len(b) >= 3:
            d = a.mean() - b.mean()
            trend = "up" if d > 0.1 else "down" if d < -0.1 else "steady"
        else:
            trend = "n/a"
        rows.append({"person": person, "team": g["team"].mode().iloc[0] if g["team"].notna().any() else None,
                     "recordings": n, "hours": g["duration_s"].sum() / 3600, "angry_share": k / n,
                     "angry_low": lo, "angry_high": hi, "silences_per_call": g["silences"].mean(),
                     "talk_share": g["talk_share"].mean(),
                     "open_tickets": int(sum(open_by_rec.get(r, 0) for r in g["recording_id"])), "trend": trend})
    return pd.DataFrame(rows).sort_values(["open_tickets", "angry_share"], ascending=False).reset_index(drop=True)


def scorecard(con: duckdb.DuckDBPyConnection, person: str, key: str = "agent", flt: Filter | None = None,
              weeks: int = 12, now: datetime | None = None) -> pd.DataFrame:
    """Week by week, the person's share of calls with an angry customer against their team's (the
    team's other people), each with n and a 95 % interval: week, who (person | team), share, low,
    high, n."""
    per = _per_recording(con, flt, key)
    mine = per[per["person"] == person]
    team = mine["team"].mode().iloc[0] if not mine.empty and mine["team"].notna().any() else None
    others = per[(per["person"] != person) & ((per["team"] == team) if team else True)]
    now = now or datetime.now()
    start = (now - timedelta(days=now.weekday(), weeks=weeks - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = []
    for who, g in (("person", mine), ("team", others)):
        g = g[g["recorded_at"] >= start]
        for w in pd.date_range(start, periods=weeks, freq="7D"):
            x = g[(g["recorded_at"] >= w) & (g["recorded_at"] < w + timedelta(days=7))]
            k, n = int(x["angry"].sum()), len(x)
            lo, hi = wilson(k, n)
            rows.append({"week": w, "who": who, "share": k / n if n else None, "low": lo, "high": hi, "n": n})
    return pd.DataFrame(rows)


def moments(con: duckdb.DuckDBPyConnection, person: str, key: str = "agent", flt: Filter | None = None,
            limit: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(best, worst) moments of the person's calls: the customer happy or laughing; the customer
    angry. Each: recording_id, filename, start_s, emotion, events, text."""
    where, params = recording_where(_with(flt, key, [person]))
    q = f"""SELECT s.recording_id, r.filename, s.start_s, s.end_s, s.emotion, s.events, s.text
            FROM seg s JOIN recordings r USING (recording_id)
            WHERE {where} AND s.role IN (SELECT unnest(?::VARCHAR[])) AND ({{cond}})
            ORDER BY r.recorded_at DESC, s.start_s LIMIT ?"""
    best = con.execute(q.format(cond="s.emotion = 'HAPPY' OR list_contains(s.events, 'LAUGHTER')"),
                       params + [list(CUSTOMER_ROLES), limit]).df()
    worst = con.execute(q.format(cond="s.emotion = 'ANGRY'"), params + [list(CUSTOMER_ROLES), limit]).df()
    return best, worst


def their_tickets(con: duckdb.DuckDBPyConnection, person: str, key: str = "agent", flt: Filter | None = None) -> pd.DataFrame:
    from .rules import tickets

    return tickets(con, _with(flt, key, [person]), ["open"])

"""People: agents (teachers for classes) as a team lead sees them — one row per person with their
recordings, key rates, open tickets and trend; a person's scorecard against their team, week by
week with n and an interval; their best and worst moments. People come from the recordings'
metadata (``agent`` / ``teacher``), which voiceprint matches fill in for mono recordings."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import duckdb
import pandas as pd

from .corrections import wilson
from .filters import Filter, recording_where
from .home import CUSTOMER_ROLES, per_recording


def _with(flt: Filter | None, key: str, values: list[str]) -> Filter:
    flt = flt or Filter()
    return replace(flt, metadata={**flt.metadata, key: values})


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

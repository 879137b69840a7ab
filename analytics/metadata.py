"""The metadata a manager filters by (agent, team, teacher, course, customer …) as columns of any
per-recording table: every table and export that lists recordings carries it."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

FIRST = ("agent", "team", "teacher", "course", "customer")  # the keys people look for first, in this order


def with_metadata(con: duckdb.DuckDBPyConnection, df: pd.DataFrame, after: str = "filename") -> pd.DataFrame:
    """``df`` (a ``recording_id`` column) with one column per metadata key its recordings have, placed
    after ``after`` (or at the end); a key that is already a column of ``df`` is left out."""
    if df is None or df.empty or "recording_id" not in df.columns:
        return df
    ids = sorted(set(df["recording_id"].dropna()))
    rows = con.execute("SELECT recording_id, key, value FROM metadata WHERE recording_id IN (SELECT unnest(?::VARCHAR[]))",
                       [ids]).fetchall()
    values: dict[str, dict[str, str]] = {}
    for rid, key, value in rows:
        if key not in df.columns:
            values.setdefault(key, {})[rid] = value
    if not values:
        return df
    keys = [k for k in FIRST if k in values] + sorted(k for k in values if k not in FIRST)
    out = df.copy()
    for k in keys:
        out[k] = out["recording_id"].map(values[k])
    cols = [c for c in df.columns]
    at = cols.index(after) + 1 if after in cols else len(cols)
    return out[cols[:at] + keys + cols[at:]]

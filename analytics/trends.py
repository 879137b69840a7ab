"""Trends: any key figure by day, week or month, split by kind or a metadata key (team, agent,
teacher …), with n per point (analytics.home's figures)."""
from __future__ import annotations

import duckdb
import pandas as pd

from .filters import Filter, FilterError, validate
from .home import FIGURES, figure_of, per_recording

PERIODS = {"day": "D", "week": "W-SUN", "month": "M"}


def trend(con: duckdb.DuckDBPyConnection, figure: str, period: str = "week", split: str | None = None,
          flt: Filter | None = None) -> pd.DataFrame:
    """period (its first day), group (the kind or the metadata value; 'all' without a split),
    value, n — one row per period and group that has recordings."""
    if figure not in FIGURES:
        raise FilterError(f"figure must be one of {', '.join(FIGURES)}")
    if period not in PERIODS:
        raise FilterError(f"period must be one of {', '.join(PERIODS)}")
    key = split if split not in (None, "", "kind") else None
    if key:
        validate(Filter(metadata={key: []}), con)  # an unknown key: the same error as everywhere
    per = per_recording(con, flt, split_key=key)
    if per.empty:
        return pd.DataFrame(columns=["period", "group", "value", "n"])
    per["period"] = per["recorded_at"].dt.to_period(PERIODS[period]).dt.start_time
    per["group"] = per["kind"] if split == "kind" else per["grp"].fillna("(none)") if key else "all"
    rows = [(p, g, *figure_of(x, figure)) for (p, g), x in per.groupby(["period", "group"])]
    return pd.DataFrame(rows, columns=["period", "group", "value", "n"]).sort_values(["group", "period"]).reset_index(drop=True)

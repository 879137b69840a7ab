"""Export: any result to CSV (UTF-8 with BOM, so Excel shows Chinese correctly), and the HTML
report a manager can mail around (Plotly charts inlined: it opens offline)."""
from __future__ import annotations

import html
import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from .filters import Filter


def _cell(v):
    if hasattr(v, "tolist") and not isinstance(v, (str, bytes)):
        v = v.tolist()
    if isinstance(v, (list, tuple, dict)):
        return json.dumps(v, ensure_ascii=False, default=str)
    return v


def to_csv(df: pd.DataFrame, path: str | Path | None = None) -> bytes:
    """CSV bytes (UTF-8 with BOM); lists and dicts as JSON. Written to ``path`` if given."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(_cell)
    data = out.to_csv(index=False).encode("utf-8-sig")
    if path is not None:
        Path(path).write_bytes(data)
    return data


def _table(df: pd.DataFrame, max_rows: int = 30) -> str:
    if df is None or df.empty:
        return "<p class='muted'>nothing in this period</p>"
    return df.head(max_rows).to_html(index=False, escape=True, float_format=lambda v: f"{v:.3g}", border=0)


def html_report(con: duckdb.DuckDBPyConnection, flt: Filter | None = None, title: str = "toneboard report") -> str:
    """A self-contained HTML report for the filter: summary, heatmaps, top tickets, won-vs-lost
    comparison, stuck points."""
    import plotly.express as px

    from .classroom import stuck_points
    from .compare import compare_cohorts
    from .filters import FilterError
    from .heatmaps import time_profile
    from .metrics import recording_summary
    from .options import noise_recordings
    from .rules import tickets
    from .trends import trend

    flt = flt or Filter()
    recs = recording_summary(con, flt)
    parts = [f"<h1>{html.escape(title)}</h1>",
             f"<p class='muted'>generated {datetime.now():%Y-%m-%d %H:%M}; {len(recs)} recordings"
             + (f" since {flt.since:%Y-%m-%d %H:%M}" if flt.since else "") + "</p>"]
    noise = noise_recordings(con, flt)
    if noise:  # honest about the model, as the dashboard is
        parts.append(f"<p class='noise'><b>{noise} of these recordings were analysed with a random-weight stand-in "
                     "model</b> (the real model could not be loaded): their emotions, events and text are noise, "
                     "not findings.</p>")
    figs = []
    if not recs.empty:
        v = time_profile(con, flt, bins=10, value="valence")
        if not v.empty:
            fig = px.density_heatmap(v, x="bin", y="filename", z="valence", histfunc="avg", nbinsx=10,
                                     color_continuous_scale="RdYlGn", range_color=(-1, 1),
                                     title=f"Valence over each recording (n = {v['recording_id'].nunique()})")
            figs.append(fig)
        emo = con.execute("SELECT s.emotion, sum(s.duration_s) / 60 AS minutes FROM seg s JOIN recordings r USING "
                          "(recording_id) WHERE r.recording_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1 ORDER BY 2 DESC",
                          [list(recs["recording_id"])]).df()
        figs.append(px.bar(emo, x="emotion", y="minutes", title=f"Speech minutes per emotion (n = {len(recs)} recordings)"))
        weeks = trend(con, "angry_share", "week", None, flt).dropna(subset=["value"])
        if not weeks.empty:  # the trend, with n on every point
            figs.append(px.line(weeks.assign(share=weeks["value"] * 100), x="period", y="share", markers=True,
                                hover_data={"n": True}, labels={"period": "week", "share": "% of calls"},
                                title="Calls with an angry customer, week by week (hover: n)"))
    for i, fig in enumerate(figs):
        parts.append(fig.to_html(full_html=False, include_plotlyjs="inline" if i == 0 else False))
    parts.append("<h2>Recordings</h2>" + _table(recs.drop(columns=["batch_id"], errors="ignore")))
    parts.append("<h2>Open risk tickets</h2>" + _table(tickets(con, flt, ["open"]).drop(columns=["evidence"])))
    try:
        cmp = compare_cohorts(con, replace(flt, kinds=["sales"], outcomes=["won"]),
                              replace(flt, kinds=["sales"], outcomes=["lost"]))
        cols = [c for c in cmp.columns if c in ("feature", "n_won", "n_lost", "mean_won", "mean_lost", "difference",
                                                  "ci_low", "ci_high", "cliffs_delta", "p_adjusted", "small_n")]
        parts.append("<h2>Won vs lost demos</h2>" + _table(cmp[cols], 12))
    except FilterError as e:
        parts.append(f"<h2>Won vs lost demos</h2><p class='muted'>{html.escape(str(e))}</p>")
    parts.append("<h2>Classroom stuck points</h2>" + _table(stuck_points(con, replace(flt, kinds=["class"]))))
    style = ("body{font-family:system-ui,'PingFang SC','Microsoft YaHei',sans-serif;margin:2em;color:#222}"
             "table{border-collapse:collapse;font-size:13px}td,th{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left}"
             ".muted{color:#777}.noise{background:#fde8e8;border:1px solid #d62728;padding:8px;color:#7a1010}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")

"""Plotly charts that answer clicks: a heatmap whose cells can be selected, and the emotion timeline
whose segments can be. Streamlit reports no selection for Plotly heatmap traces, so each cell also
carries an invisible point (the one nearest the pointer wins, so the whole cell answers) that holds its hover text and is
what a click selects."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics.timeline import raised_flags
from analytics.words import mmss

from . import i18n

DATES = "%Y-%m-%d"  # date axes in digits: Plotly's month names are English whatever the page's language
CELL_PX = 14  # the invisible point's size; the whole cell answers since the nearest point wins


def picked(event) -> list | None:
    """The customdata of the first selected point of a chart event, or None."""
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return None
    return next((p["customdata"] for p in points if p.get("customdata") is not None), None)


ROW_PX = 20  # a heatmap row's height: its label stays readable


def heatmap(grid: pd.DataFrame, key: str, *, hover: pd.DataFrame | None = None, colorscale: str = "Blues",
            zmin: float | None = None, zmax: float | None = None, x_title: str = "", y_title: str = "",
            color_title: str = "", height: int | None = None, row_names: dict | None = None,
            color_ticks: dict | None = None) -> tuple | None:
    """Draw ``grid`` (index = rows, columns = columns) as a heatmap; hovering a cell shows its value and
    ``hover`` (text such as counts and n, laid out like ``grid``); returns the clicked cell as
    (row, column). ``row_names`` labels the rows where the index is an id; ``color_ticks`` names
    values of the colour scale ({-1: "negative", …}). Every row gets room for its label: a long
    heatmap grows tall rather than squeezing its rows."""
    xs = [str(c) for c in grid.columns]
    ys = [str((row_names or {}).get(i, i)) for i in grid.index]
    if hover is not None:
        hover = hover.reindex(index=grid.index, columns=grid.columns)
    fig = go.Figure(go.Heatmap(z=grid.to_numpy(dtype=float), x=xs, y=ys, colorscale=colorscale, zmin=zmin, zmax=zmax,
                               hoverinfo="skip", colorbar={"title": {"text": color_title}, **(
                                   {"tickvals": list(color_ticks), "ticktext": list(color_ticks.values())}
                                   if color_ticks else {})}))
    px_, py_, text, cd = [], [], [], []
    for i, r in enumerate(grid.index):
        for j, c in enumerate(grid.columns):
            v = grid.iat[i, j]  # empty cells answer too, so a click never lands on a neighbour
            px_.append(xs[j])
            py_.append(ys[i])
            extra = hover.iat[i, j] if hover is not None else None
            text.append("–" if pd.isna(v) else f"{v:.3g}" + (f"<br>{extra}" if isinstance(extra, str) else ""))
            cd.append([_plain(r), _plain(c)])
    fig.add_trace(go.Scatter(x=px_, y=py_, mode="markers", text=text, customdata=cd, showlegend=False,
                             marker={"size": CELL_PX, "color": "rgba(0,0,0,0)"},
                             selected={"marker": {"color": "rgba(0,0,0,0.45)"}},
                             hovertemplate=f"{y_title} %{{y}} · {x_title} %{{x}}<br>%{{text}}<extra></extra>"))
    fig.update_layout(xaxis={"type": "category", "title": x_title}, yaxis={"type": "category", "title": y_title},
                      hovermode="closest", hoverdistance=-1, clickmode="event+select", margin={"t": 10},
                      height=height or max(260, 60 + ROW_PX * len(ys)))
    cell = picked(st.plotly_chart(fig, key=key, on_select="rerun", selection_mode="points", width="stretch"))
    return tuple(cell) if cell else None


def _plain(v):
    """A numpy scalar as a plain Python value (for JSON)."""
    return v.item() if hasattr(v, "item") else v


RAISED_COLOUR = "#6a1b9a"  # purple, white-edged: seen on every emotion's colour (ANGRY is red)
OVERLAP_COLOUR = "#212121"  # the outline of a segment spoken at once with the other party
WEAK_OPACITY = 0.45  # a tag under the team's threshold (analytics.confidence)


def emotion_timeline(segs: pd.DataFrame, pauses: pd.DataFrame, lang: str, key: str, events_label: str,
                     loudness_label: str = "loudness (dBFS)", moment: float | None = None, raised_label: str = "raised voice",
                     raised_hover: str = "pitch {st:+.1f} st ({pct:+.0f} %), {db:+.0f} dB") -> int | None:
    """Segments as bars coloured by emotion (one row per role; outlined where mostly spoken at once with
    the other party), events as stars, a raised voice as a purple triangle, pauses shaded and the
    loudness curve on its own axis (whole dB); ``moment`` (s) marked by a line; the time axis in m:ss.
    Returns the seg_index of a clicked segment or event."""
    fig = go.Figure()
    for emo, part in segs.groupby("emotion"):
        # a tag the model was less sure of than the team's threshold is drawn faded ("sure" False);
        # "how": how sure, said on hover
        sure = part["sure"] if "sure" in part else pd.Series(True, index=part.index)
        how = part["how"] if "how" in part else pd.Series("", index=part.index)
        # outlined: mostly spoken at once with another party (ingest.signals.mark_overlap)
        over = [isinstance(v, (bool, np.bool_)) and bool(v) for v in part["overlap"]] if "overlap" in part else [False] * len(part)
        fig.add_trace(go.Bar(
            x=part["duration_s"], base=part["start_s"], y=[i18n.role_name(r, lang) for r in part["role"].fillna("-")],
            orientation="h",
            name=i18n.emotion_name(emo, lang), marker_color=i18n.EMOTION_COLORS.get(emo, "#999"),
            marker_opacity=[1.0 if ok else WEAK_OPACITY for ok in sure],
            marker_pattern_shape=["" if ok else "/" for ok in sure],  # hatched: not mistaken for a pause
            marker_line_width=[3 if o else 0 for o in over], marker_line_color=OVERLAP_COLOUR,
            customdata=pd.concat([part[["seg_index", "text"]], how.rename("how")], axis=1).to_numpy(),
            hovertext=[mmss(x) for x in part["start_s"]],
            hovertemplate="%{hovertext} %{customdata[1]}<br>%{customdata[2]}<extra></extra>"))
    ev = segs[segs["events"].map(lambda e: e is not None and len(e) > 0)]
    if not ev.empty:
        fig.add_trace(go.Scatter(x=ev["start_s"], y=[i18n.role_name(r, lang) for r in ev["role"].fillna("-")],
                                 mode="markers", name=events_label,
                                 marker={"symbol": "star", "size": 11, "color": "black"},
                                 customdata=ev[["seg_index"]].to_numpy(),
                                 text=ev["events"].map(lambda e: ", ".join(i18n.tag_name(x, lang) for x in e)),
                                 hovertext=[mmss(x) for x in ev["start_s"]],
                                 hovertemplate="%{hovertext} %{text}<extra></extra>"))
    if "raised_voice" in segs:  # a voice well above the speaker's own start (ingest.prosody)
        up = segs[raised_flags(segs)]
        if not up.empty:
            fig.add_trace(go.Scatter(x=(up["start_s"] + up["end_s"]) / 2, y=[i18n.role_name(r, lang) for r in up["role"].fillna("-")],
                                     mode="markers", name=raised_label,
                                     marker={"symbol": "triangle-up", "size": 15, "color": RAISED_COLOUR,
                                             "line": {"color": "white", "width": 1.5}},
                                     customdata=up[["seg_index"]].to_numpy(), hovertext=[mmss(x) for x in up["start_s"]],
                                     text=[raised_hover.format(st=st, pct=(2 ** (st / 12) - 1) * 100, db=db)
                                           for st, db in zip(up["pitch_change_st"], up["loudness_change_db"])],
                                     hovertemplate="%{hovertext} %{text}<extra></extra>"))
    # all pauses as one list of shapes: add_vrect() per pause re-validates the layout each time
    # (0.5 s for 50 pauses)
    fig.update_layout(shapes=[{"type": "rect", "xref": "x", "yref": "paper", "x0": p.start_s, "x1": p.end_s,
                               "y0": 0, "y1": 1, "fillcolor": "#888", "opacity": 0.12, "line_width": 0}
                              for p in pauses.itertuples()]
                      + ([{"type": "line", "xref": "x", "yref": "paper", "x0": moment, "x1": moment, "y0": 0, "y1": 1,
                           "line": {"color": "#d62728", "width": 2, "dash": "dash"}}] if moment is not None else []))
    if moment is not None:
        fig.add_annotation(x=moment, y=1, yref="paper", text=f"▼ {mmss(moment)}", showarrow=False, yanchor="bottom",
                           font={"color": "#d62728"})
    loud = segs["loudness_dbfs"].dropna() if "loudness_dbfs" in segs else pd.Series(dtype=float)
    y2 = {"overlaying": "y", "side": "right", "title": loudness_label, "showgrid": False, "tickformat": ".0f",
          "zeroline": False}
    if not loud.empty:
        lo, hi = float(loud.min()), float(loud.max())
        pad = max(3.0, (hi - lo) * 0.15)
        y2.update(range=[lo - pad, hi + pad], nticks=5)  # a few whole-dB ticks, never one lone "−24.11"
        fig.add_trace(go.Scatter(x=(segs["start_s"] + segs["end_s"]) / 2, y=segs["loudness_dbfs"], yaxis="y2",
                                 mode="lines", name=loudness_label, line={"color": "#444", "width": 1},
                                 hovertemplate="%{y:.0f} dBFS<extra></extra>"))
    end = float(max(segs["end_s"].max() if not segs.empty else 0, pauses["end_s"].max() if not pauses.empty else 0, 1))
    step = next(s for s in (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600) if end / s <= 12)
    ticks = [i * step for i in range(int(end // step) + 1)]
    # the legend below the chart: on the right it hid the loudness axis' numbers
    fig.update_layout(barmode="overlay", height=400, margin={"t": 24}, clickmode="event+select", yaxis2=y2,
                      xaxis={"tickvals": ticks, "ticktext": [mmss(t) for t in ticks]},
                      legend={"orientation": "h", "y": -0.12, "x": 0, "yanchor": "top"})
    seg = picked(st.plotly_chart(fig, key=key, on_select="rerun", selection_mode="points", width="stretch"))
    return int(seg[0]) if seg else None


def sparkline(df: pd.DataFrame, key: str, percent: bool = False) -> None:
    """A small line of a figure over the weeks (``week``, ``value``, ``n``; n on hover)."""
    import plotly.graph_objects as go

    y = df["value"] * (100 if percent else 1)
    fig = go.Figure(go.Scatter(x=df["week"], y=y, mode="lines+markers", marker={"size": 4},
                               line={"width": 2, "color": "#1f77b4"}, customdata=df["n"],
                               hovertemplate="%{x|%Y-%m-%d}: %{y:.0f}" + ("%" if percent else "") + " (n = %{customdata})<extra></extra>"))
    fig.update_layout(height=70, margin={"l": 0, "r": 0, "t": 0, "b": 0}, showlegend=False,
                      xaxis={"visible": False}, yaxis={"visible": False})
    st.plotly_chart(fig, key=key, config={"displayModeBar": False})


COHORT_COLOURS = {"won": ("#1f77b4", "#6fa8dc"), "lost": ("#d62728", "#ea9999")}  # (clear, likely), every chart
OTHER_COLOURS = (("#1f77b4", "#6fa8dc"), ("#d62728", "#ea9999"))  # two cohorts that are not won / lost


def cohort_colour(cohort: str, i: int, strength: str = "clear") -> str:
    """One colour per cohort in every chart (won blue, lost red); an unclear difference grey."""
    if strength == "unclear":
        return ("#b0b0b0", "#d0d0d0")[i % 2]
    clear, likely = COHORT_COLOURS.get(cohort, OTHER_COLOURS[i % 2])
    return clear if strength == "clear" else likely


def cohort_dots(f: pd.DataFrame, names: dict, labels: tuple[str, str], key: str,
                cohorts: tuple[str, str] = ("", "")) -> None:
    """Per feature (one small panel each: their units differ), each cohort's mean as a dot with its
    95 % interval; a clear or likely difference is drawn in the cohort's colour, an unclear one in
    grey. Shares are drawn in % (as the sentences say them)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from analytics.words import SIGNAL_NAMES

    fig = make_subplots(rows=len(f), cols=1, subplot_titles=[names[x] for x in f["feature"]], vertical_spacing=0.5 / max(len(f), 1))
    for i, r in enumerate(f.itertuples(), start=1):
        pct = SIGNAL_NAMES.get(r.feature, ("", "", ""))[2] == "%"
        k = 100 if pct else 1
        for j, (label, mean, lo, hi, n) in enumerate(((labels[0], r.mean_a, r.low_a, r.high_a, r.n_a),
                                                      (labels[1], r.mean_b, r.low_b, r.high_b, r.n_b))):
            colour = cohort_colour(cohorts[j], j, r.strength)
            fig.add_trace(go.Scatter(x=[mean * k], y=[label], mode="markers", marker={"size": 11, "color": colour},
                                     error_x={"type": "data", "symmetric": False, "array": [(hi - mean) * k],
                                              "arrayminus": [(mean - lo) * k], "color": colour},
                                     hovertemplate=f"{label}: %{{x:.3g}}{'%' if pct else ''} (n = {n})<extra></extra>",
                                     showlegend=False),
                          row=i, col=1)
        if pct:
            fig.update_xaxes(ticksuffix="%", row=i, col=1)
    fig.update_layout(height=110 * len(f) + 40, margin={"l": 10, "r": 10, "t": 30, "b": 10})
    st.plotly_chart(fig, key=key, config={"displayModeBar": False})


def person_vs_team(card: pd.DataFrame, names: dict, ylabel: str, key: str) -> None:
    """A person's weekly share against their team's, each point with its 95 % interval and n."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for who, colour in (("person", "#d62728"), ("team", "#7f7f7f")):
        d = card[(card["who"] == who) & (card["n"] > 0)]
        fig.add_trace(go.Scatter(
            x=d["week"], y=d["share"] * 100, name=names[who], mode="lines+markers", line={"color": colour},
            error_y={"type": "data", "symmetric": False, "array": (d["high"] - d["share"]) * 100,
                     "arrayminus": (d["share"] - d["low"]) * 100, "color": colour, "thickness": 1},
            customdata=d["n"], hovertemplate="%{x|%Y-%m-%d}: %{y:.0f}% (n = %{customdata})<extra>" + names[who] + "</extra>"))
    fig.update_layout(height=300, margin={"l": 10, "r": 10, "t": 10, "b": 10}, yaxis={"title": ylabel, "ticksuffix": "%"},
                      legend={"orientation": "h"}, xaxis=date_axis(card["week"], "week"))
    st.plotly_chart(fig, key=key, config={"displayModeBar": False})


def date_axis(dates: pd.Series, period: str) -> dict:
    """A date axis in digits (Plotly's month names are English whatever the page's language) with a
    tick per period while there are few: one week is not split into hours that repeat its date."""
    axis = {"type": "date", "tickformat": "%Y-%m" if period == "month" else DATES}
    n = pd.Series(dates).nunique()
    if n <= 12:
        axis["dtick"] = {"day": 86_400_000, "week": 7 * 86_400_000, "month": "M1"}[period]
        if n == 1:  # one point: show a period either side of it
            d = pd.Timestamp(pd.Series(dates).iloc[0])
            step = pd.DateOffset(months=1) if period == "month" else pd.Timedelta(days=1 if period == "day" else 7)
            axis["range"] = [d - step, d + step]
    return axis


def trend_lines(df: pd.DataFrame, percent: bool, ylabel: str, key: str, period: str = "week", mark=None,
                names: dict | None = None) -> None:
    """One line per group over the periods; hovering a point shows its n; points over fewer than
    3 recordings are drawn hollow (too few to read much into). ``mark``: a date drawn as a dashed
    line (a change); ``names``: what each group is called."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for group, d in df.dropna(subset=["value"]).groupby("group"):
        y = d["value"] * (100 if percent else 1)
        group = (names or {}).get(group, group)
        fig.add_trace(go.Scatter(x=d["period"], y=y, name=str(group), mode="lines+markers", customdata=d["n"],
                                 marker={"size": 8, "symbol": ["circle-open" if n < 3 else "circle" for n in d["n"]]},
                                 hovertemplate="%{x|%Y-%m-%d}: %{y:.3g}" + ("%" if percent else "")
                                 + " (n = %{customdata})<extra>" + str(group) + "</extra>"))
    fig.update_layout(height=380, margin={"l": 10, "r": 10, "t": 10, "b": 10}, legend={"orientation": "h"},
                      yaxis={"title": ylabel, "ticksuffix": "%" if percent else ""}, xaxis=date_axis(df["period"], period))
    if mark is not None:
        fig.add_vline(x=pd.Timestamp(mark).timestamp() * 1000, line_dash="dash", line_color="#888")
    st.plotly_chart(fig, key=key, config={"displayModeBar": False})


def share_bars(df: pd.DataFrame, label: str, share: str, n: str, xlabel: str, key: str) -> None:
    """One horizontal bar per row: ``share`` (0..1) of ``n``, the largest on top (hover: the n)."""
    d = df.dropna(subset=[share]).iloc[::-1]
    fig = go.Figure(go.Bar(x=d[share] * 100, y=d[label], orientation="h", customdata=d[n], marker_color="#d62728",
                           hovertemplate="%{y}: %{x:.0f}% (n = %{customdata})<extra></extra>"))
    fig.update_layout(height=80 + 28 * len(d), margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      xaxis={"title": xlabel, "ticksuffix": "%", "range": [0, 100]})
    st.plotly_chart(fig, key=key, config={"displayModeBar": False})


def cohort_share_bars(df: pd.DataFrame, label: str, names: tuple[str, str], cohorts: tuple[str, str], xlabel: str,
                      key: str) -> None:
    """Per row (a form's item), each cohort's share (columns ``miss_rate_a/_b`` with ``low_``, ``high_``
    and ``answered_``) as a bar with its 95 % interval (hover: k of n)."""
    fig = go.Figure()
    d = df.iloc[::-1]
    for j, side in enumerate(("a", "b")):
        rate = d[f"miss_rate_{side}"] * 100
        fig.add_trace(go.Bar(x=rate, y=d[label], orientation="h", name=names[j],
                             marker_color=cohort_colour(cohorts[j], j),
                             error_x={"type": "data", "symmetric": False, "array": d[f"high_{side}"] * 100 - rate,
                                      "arrayminus": rate - d[f"low_{side}"] * 100},
                             customdata=d[[f"missed_{side}", f"answered_{side}"]].to_numpy(),
                             hovertemplate="%{y}: %{x:.0f}% (%{customdata[0]} / %{customdata[1]})<extra>" + names[j] + "</extra>"))
    fig.update_layout(barmode="group", height=80 + 44 * len(d), margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      legend={"orientation": "h"}, xaxis={"title": xlabel, "ticksuffix": "%", "range": [0, 100]})
    st.plotly_chart(fig, key=key, config={"displayModeBar": False})


def reaction_bars(summary: pd.DataFrame, cohorts: dict, reactions: dict, xlabel: str, key: str) -> None:
    """Phrase → reaction: per cohort, the share of mentions followed by each reaction (hover: how
    many of how many mentions, in how many recordings)."""
    fig = go.Figure()
    for c, d in summary.groupby("cohort", sort=False):
        d = d.sort_values("share")
        fig.add_trace(go.Bar(x=d["share"] * 100, y=[reactions[r] for r in d["reaction"]], orientation="h",
                             name=cohorts[c], marker_color=cohort_colour(c, list(cohorts).index(c)),
                             customdata=d[["mentions_with", "mentions", "recordings"]].to_numpy(),
                             hovertemplate="%{y}: %{x:.0f}% (%{customdata[0]} / %{customdata[1]}, "
                                           "n = %{customdata[2]})<extra>" + cohorts[c] + "</extra>"))
    fig.update_layout(barmode="group", height=80 + 28 * summary["reaction"].nunique() * max(1, summary["cohort"].nunique()),
                      margin={"l": 10, "r": 10, "t": 10, "b": 10}, legend={"orientation": "h"},
                      xaxis={"title": xlabel, "ticksuffix": "%", "range": [0, 100]})
    st.plotly_chart(fig, key=key, config={"displayModeBar": False})


def threshold_curve(c: pd.DataFrame, current: float, proposed: float, names: dict, key: str) -> None:
    """Precision and recall (%) against the threshold on the team's checked segments, the team's
    threshold now and the proposal marked (``names``: precision, recall, threshold, now, proposed)."""
    fig = go.Figure()
    for col, colour in (("precision", "#1f77b4"), ("recall", "#ff7f0e")):
        fig.add_trace(go.Scatter(x=c["threshold"], y=c[col] * 100, mode="lines", name=names[col], line={"color": colour},
                                 customdata=c[["says", "right"]].to_numpy(), line_shape="hv",
                                 hovertemplate=f"p ≥ %{{x:.2f}}: {names[col]} %{{y:.0f}}% (%{{customdata[1]}} / "
                                               f"%{{customdata[0]}})<extra></extra>"))
    marks = [(proposed, names["proposed"], "dash", "top")]  # the team's threshold labelled below it: never on top of the proposal
    if round(current, 2) != round(proposed, 2):
        marks.append((current, names["now"], "dot", "bottom"))
    for x, label, dash, where in marks:
        fig.add_vline(x=x, line={"dash": dash, "color": "#555"}, annotation_text=f"{label} {x:.2f}", annotation_position=where)
    fig.update_layout(height=280, margin={"t": 30, "b": 10}, xaxis={"title": names["threshold"], "range": [0, 1]},
                      yaxis={"title": "%", "range": [0, 105]}, legend={"orientation": "h", "y": -0.25})
    st.plotly_chart(fig, key=key, width="stretch")


def reliability(r: pd.DataFrame, names: dict, key: str, bins: int) -> None:
    """The reliability chart: per bin of the model's probability, the share of its tags the people
    agreed with (bars, n on hover) against the diagonal a calibrated model would follow."""
    fig = go.Figure(go.Bar(x=(r["bin"] + 0.5) / bins, y=r["agreed"] * 100, width=0.9 / bins, name=names["agreed"],
                           customdata=r[["n", "mean_p"]].to_numpy(), marker_color="#2ca02c",
                           hovertemplate="p ≈ %{customdata[1]:.2f}: %{y:.0f}% (n = %{customdata[0]})<extra></extra>"))
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 100], mode="lines", name=names["ideal"], line={"dash": "dot", "color": "#888"},
                             hoverinfo="skip"))
    fig.update_layout(height=280, margin={"t": 10, "b": 10}, xaxis={"title": names["p"], "range": [0, 1]},
                      yaxis={"title": "%", "range": [0, 105]}, legend={"orientation": "h", "y": -0.25})
    st.plotly_chart(fig, key=key, width="stretch")


def share_band(df: pd.DataFrame, ylabel: str, key: str, period: str = "week") -> None:
    """A share (``share``, 0..1) over the periods with its 95 % interval (``lo``, ``hi``) as a band;
    hover: k of n. Periods of fewer than 3 calls are hollow."""
    fig = go.Figure()
    x = list(df["period"]) + list(df["period"])[::-1]
    fig.add_trace(go.Scatter(x=x, y=list(df["hi"] * 100) + list(df["lo"] * 100)[::-1], fill="toself", line={"width": 0},
                             fillcolor="rgba(31,119,180,0.15)", hoverinfo="skip", showlegend=False))
    fig.add_trace(go.Scatter(x=df["period"], y=df["share"] * 100, mode="lines+markers", showlegend=False,
                             customdata=df[["said", "n"]].to_numpy(), line={"color": "#1f77b4"},
                             marker={"size": 8, "symbol": ["circle-open" if n < 3 else "circle" for n in df["n"]]},
                             hovertemplate="%{x|%Y-%m-%d}: %{y:.0f}% (%{customdata[0]} / %{customdata[1]})<extra></extra>"))
    fig.update_layout(height=340, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      yaxis={"title": ylabel, "ticksuffix": "%", "rangemode": "tozero"}, xaxis=date_axis(df["period"], period))
    st.plotly_chart(fig, key=key, config={"displayModeBar": False})


def group_bars(df: pd.DataFrame, names: dict, xlabel: str, key: str) -> None:
    """One bar per group (``group`` named by ``names``): its share with the 95 % interval; hover: k of n."""
    colours = [cohort_colour(str(g), i) for i, g in enumerate(df["group"])][::-1]  # the first group on top
    d = df.iloc[::-1]
    share = d["share"] * 100
    fig = go.Figure(go.Bar(x=share, y=[names.get(g, g) for g in d["group"]], orientation="h", marker_color=colours,
                           error_x={"type": "data", "symmetric": False, "array": (d["hi"] * 100 - share).fillna(0),
                                    "arrayminus": (share - d["lo"] * 100).fillna(0)},
                           customdata=d[["said", "n"]].to_numpy(),
                           hovertemplate="%{y}: %{x:.0f}% (%{customdata[0]} / %{customdata[1]})<extra></extra>"))
    fig.update_layout(height=90 + 40 * len(d), margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      xaxis={"title": xlabel, "ticksuffix": "%", "range": [0, 100]})
    st.plotly_chart(fig, key=key, config={"displayModeBar": False})

"""Heatmaps over the shared filters: emotion through each recording, hour × weekday, by metadata
and tag co-occurrence. Hover shows the value, counts and n; clicking a cell lists its recordings."""
import pandas as pd
import streamlit as st

from analytics.filters import TAGS
from analytics.heatmaps import (
    by_metadata,
    cell_recordings,
    cooccurrence,
    hour_weekday,
    time_profile,
)
from dashboard import charts, i18n, ui

BINS = 10
PROFILE_ROWS = 200  # recordings in the profile heatmap: the most recent ones

st.title(ui.tr("heatmaps"))
flt = ui.page_filter()
con = ui.con()
lang = ui.lang()


def cell_list(kind: str, cell: tuple | None, label: str, **kw) -> None:
    """Below a heatmap: the recordings behind the clicked cell, with a way to open one."""
    if cell is None:
        st.caption(ui.tr("click_cell"))
        return
    recs = cell_recordings(con, kind, cell[0], cell[1], flt, **kw)
    st.subheader(ui.tr("cell_recordings", cell=label))
    ui.n_caption(len(recs))
    ui.table(recs, f"heatmap-{kind}-cell", opens_timeline=True)
    ui.open_timeline(recs, f"hm_{kind}")


def pivot(df: pd.DataFrame, index: str, columns: str, values: str, fmt) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The heatmap's values and, laid out the same way, each cell's hover text (``fmt`` of its row)."""
    grid = df.pivot_table(index=index, columns=columns, values=values)
    return grid, df.assign(_t=df.apply(fmt, axis=1)).pivot(index=index, columns=columns, values="_t")


# Lazy tabs: only the open one is queried and drawn (four charts and tables at once took ~0.7 s in a browser).
tab1, tab2, tab3, tab4 = st.tabs([ui.tr("heat_profile"), ui.tr("heat_hour"), ui.tr("heat_meta"), ui.tr("heat_co")],
                                 key="hm_tab", on_change="rerun")
if tab1.open:
    with tab1:
        prof = time_profile(con, flt, bins=BINS, value="valence", limit=PROFILE_ROWS)
        if prof.empty:
            st.info(ui.tr("no_match"))
        else:
            names = prof.groupby("recording_id")["filename"].first()
            labels = {r: f"{n} ({r[:6]})" for r, n in names.items()}
            grid, hover = pivot(prof, "recording_id", "bin", "valence", lambda r: f"{r.filename}<br>{r.speech_s:.0f} s speech")
            cell = charts.heatmap(grid, "hm_prof", hover=hover, colorscale="RdYlGn", zmin=-1, zmax=1,
                                  x_title="bin (0 = start)", y_title="", color_title="valence",
                                  row_names=labels)
            ui.n_caption(grid.shape[0])
            if grid.shape[0] >= PROFILE_ROWS:
                st.caption(ui.tr("latest_only", n=PROFILE_ROWS))
            ui.table(prof, "heatmap-profile")
            cell_list("profile", cell, f"{names.get(cell[0], '')} · bin {cell[1]}" if cell else "", bins=BINS)
if tab2.open:
    with tab2:
        tag = st.selectbox(ui.tr("tags"), list(TAGS), index=list(TAGS).index("ANGRY"), key="hm_tag",
                           format_func=lambda x: i18n.emotion_name(x, lang))
        hw = hour_weekday(con, tag, flt)
        if hw.empty:
            st.info(ui.tr("no_match"))
        else:
            grid, hover = pivot(hw, "weekday", "hour", "share", lambda r: f"{int(r.with_tag)} of n = {int(r.recordings)}")
            cell = charts.heatmap(grid, f"hm_hw_{tag}", hover=hover, colorscale="Reds", zmin=0, zmax=1,
                                  x_title="hour", y_title="weekday (0 = Mon)", color_title="share")
            ui.n_caption(int(hw["recordings"].sum()))
            ui.table(hw, "heatmap-hour-weekday")
            cell_list("hour", cell, f"weekday {cell[0]} · {cell[1]}h" if cell else "", tag=tag)
if tab3.open:
    with tab3:
        keys = list(st.session_state["options"].metadata)
        if not keys:
            st.info(ui.tr("no_match"))
        else:
            key = st.selectbox(ui.tr("meta"), keys, key="hm_key")
            bm = by_metadata(con, key, flt)
            if bm.empty:
                st.info(ui.tr("no_match"))
            else:
                grid, hover = pivot(bm, "value", "tag", "rate_per_min",
                                    lambda r: f"{int(r['count'])} × in {r.speech_min:.1f} min, n = {int(r.recordings)}")
                cell = charts.heatmap(grid, f"hm_meta_{key}", hover=hover, colorscale="Blues", x_title="tag",
                                      y_title=key, color_title="/ min")
                ui.n_caption(int(bm.drop_duplicates("value")["recordings"].sum()))
                ui.table(bm, f"heatmap-{key}")
                cell_list("metadata", cell, f"{key} = {cell[0]} · {cell[1]}" if cell else "", key=key)
if tab4.open:
    with tab4:
        co = cooccurrence(con, flt)
        if co.empty:
            st.info(ui.tr("no_match"))
        else:
            grid, hover = pivot(co, "tag_a", "tag_b", "together",
                                lambda r: f"{int(r.together)} segments ({r.tag_a}: {int(r.n_a)}, {r.tag_b}: {int(r.n_b)})")
            cell = charts.heatmap(grid, "hm_co", hover=hover, colorscale="Purples", x_title="", y_title="",
                                  color_title="segments")
            ui.n_caption(int(co["recordings"].iloc[0]))
            ui.table(co, "heatmap-cooccurrence")
            cell_list("cooccurrence", cell, f"{cell[0]} + {cell[1]}" if cell else "")

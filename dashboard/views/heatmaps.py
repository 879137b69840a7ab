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
ROW_CHOICES = (40, 100, 200)  # recordings in the profile heatmap, the most recent ones: 40 are readable at once
MIN_N = 3  # a cell over fewer recordings is left blank (its hover says so): one call is not a hotspot

st.title(ui.tr("heatmaps"))
flt = ui.page_filter()
ui.counted_note()
con = ui.con()
lang = ui.lang()


def cell_list(kind: str, cell: tuple | None, label: str, **kw) -> None:
    """Below a heatmap: the recordings behind the clicked cell, with a way to open one."""
    if cell is None:
        st.caption(ui.tr("click_cell"))
        return
    recs = cell_recordings(con, kind, cell[0], cell[1], flt, **kw)
    st.subheader(ui.tr("cell_recordings", cell=ui.as_text(label)))
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
        newest = {n: ui.tr("hm_newest", n=n) for n in ROW_CHOICES}  # computed now: Streamlit may format later
        shown = st.segmented_control(ui.tr("hm_rows"), ROW_CHOICES, default=ROW_CHOICES[0], key="hm_rows",
                                     format_func=newest.__getitem__) or ROW_CHOICES[0]
        prof = time_profile(con, flt, bins=BINS, value="valence", limit=shown)
        if prof.empty:
            st.info(ui.tr("no_match"))
        else:
            names = prof.groupby("recording_id")["filename"].first()
            labels = ui.recording_labels(names.index, names.values)
            speech = ui.tr("hm_speech", s="{s:.0f}")  # once, not per cell
            grid, hover = pivot(prof.assign(part=prof["bin"] + 1), "recording_id", "part", "valence",
                                lambda r: f"{r.filename}<br>{speech.format(s=r.speech_s)}")
            st.caption(ui.tr("hm_mood_note"))
            cell = charts.heatmap(grid, "hm_prof", hover=hover, colorscale="RdYlGn", zmin=-1, zmax=1,
                                  x_title=ui.tr("hm_part", n=BINS), y_title="", color_title=ui.tr("hm_mood"),
                                  row_names=labels, color_ticks={-1: ui.tr("hm_mood_neg"), 0: ui.tr("hm_mood_zero"),
                                                                 1: ui.tr("hm_mood_pos")})
            cell = (cell[0], cell[1] - 1) if cell else None  # parts are counted from 1, bins from 0
            ui.n_caption(grid.shape[0])
            if grid.shape[0] >= shown:
                st.caption(ui.tr("latest_only", n=shown))
            ui.table(prof, "heatmap-profile")
            cell_list("profile", cell, f"{names.get(cell[0], '')} · {ui.tr('hm_part_n', n=cell[1] + 1)}" if cell else "", bins=BINS)
if tab2.open:
    with tab2:
        tag = st.selectbox(ui.tr("tags"), list(TAGS), index=list(TAGS).index("ANGRY"), key="hm_tag",
                           format_func=lambda x: i18n.tag_name(x, lang))
        hw = hour_weekday(con, tag, flt)
        if hw.empty:
            st.info(ui.tr("no_match"))
        else:
            days = ui.tr("weekdays").split()
            hw = hw.assign(day=[days[int(d)] for d in hw["weekday"]],
                           share=hw["share"].where(hw["recordings"] >= MIN_N))  # too few calls: no colour
            grid, hover = pivot(hw, "day", "hour", "share",
                                lambda r: ui.tr("hm_of", k=int(r.with_tag), n=int(r.recordings))
                                + ("" if r.recordings >= MIN_N else " · " + ui.tr("hm_too_few", min=MIN_N)))
            grid, hover = grid.reindex([d for d in days if d in grid.index]), hover.reindex([d for d in days if d in hover.index])
            cell = charts.heatmap(grid, f"hm_hw_{tag}", hover=hover, colorscale="Reds", zmin=0, zmax=1,
                                  x_title=ui.tr("hm_hour"), y_title="", color_title=ui.tr("col_share"))
            st.caption(ui.tr("hm_min_note", min=MIN_N))
            ui.n_caption(int(hw["recordings"].sum()))
            ui.table(hw.drop(columns="day"), "heatmap-hour-weekday")
            if cell:
                cell = (days.index(cell[0]), cell[1])
            cell_list("hour", cell, f"{days[cell[0]]} · {cell[1]}:00" if cell else "", tag=tag)
if tab3.open:
    with tab3:
        keys = list(st.session_state["options"].metadata)
        if not keys:
            st.info(ui.tr("no_match"))
        else:
            key_names = {k: i18n.meta_key_name(k, lang) for k in keys}
            key = st.selectbox(ui.tr("meta"), keys, key="hm_key", format_func=key_names.__getitem__)
            bm = by_metadata(con, key, flt)
            if bm.empty:
                st.info(ui.tr("no_match"))
            else:
                # each tag on its own scale (laughs are rarer than neutral speech): colour = the rate against
                # that tag's highest; values with fewer than MIN_N recordings get no colour
                bm = bm.assign(tag_name=[i18n.tag_name(t, lang) for t in bm["tag"]])
                top = bm[bm["recordings"] >= MIN_N].groupby("tag")["rate_per_min"].max()
                bm = bm.assign(relative=(bm["rate_per_min"] / bm["tag"].map(top)).where(bm["recordings"] >= MIN_N))
                grid, hover = pivot(bm, "value", "tag_name", "relative",
                                    lambda r: ui.tr("hm_rate", rate=f"{r.rate_per_min:.2g}", k=int(r['count']),
                                                    m=f"{r.speech_min:.1f}", n=int(r.recordings))
                                    + ("" if r.recordings >= MIN_N else " · " + ui.tr("hm_too_few", min=MIN_N)))
                cell = charts.heatmap(grid, f"hm_meta_{key}", hover=hover, colorscale="Blues", zmin=0, zmax=1,
                                      x_title="", y_title=i18n.meta_key_name(key, lang), color_title=ui.tr("hm_relative"))
                st.caption(ui.tr("hm_scale_note", min=MIN_N))
                if cell:
                    cell = (cell[0], bm.loc[bm["tag_name"] == cell[1], "tag"].iloc[0])
                ui.n_caption(int(bm.drop_duplicates("value")["recordings"].sum()))
                ui.table(bm.drop(columns=["tag_name", "relative"]), f"heatmap-{key}")
                cell_list("metadata", cell, f"{key_names[key]} = {cell[0]} · {i18n.tag_name(cell[1], lang)}" if cell else "",
                          key=key)
if tab4.open:
    with tab4:
        co = cooccurrence(con, flt)
        if co.empty:
            st.info(ui.tr("no_match"))
        else:
            co = co.assign(a_name=[i18n.tag_name(t, lang) for t in co["tag_a"]], b_name=[i18n.tag_name(t, lang) for t in co["tag_b"]])
            grid, hover = pivot(co, "a_name", "b_name", "together",
                                lambda r: ui.tr("hm_together", k=int(r.together), a=r.a_name, na=int(r.n_a), b=r.b_name, nb=int(r.n_b)))
            cell = charts.heatmap(grid, "hm_co", hover=hover, colorscale="Purples", x_title="", y_title="",
                                  color_title=ui.tr("segments"))
            if cell:
                cell = (co.loc[co["a_name"] == cell[0], "tag_a"].iloc[0], co.loc[co["b_name"] == cell[1], "tag_b"].iloc[0])
            ui.n_caption(int(co["recordings"].iloc[0]))
            ui.table(co.drop(columns=["a_name", "b_name"]), "heatmap-cooccurrence")
            cell_list("cooccurrence", cell, f"{i18n.tag_name(cell[0], lang)} + {i18n.tag_name(cell[1], lang)}" if cell else "")

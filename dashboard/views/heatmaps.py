"""Heatmaps over the shared filters: emotion through each recording, hour × weekday, by metadata
and tag co-occurrence. Hover shows counts and n; a cell's recordings are listed below."""
import plotly.express as px
import streamlit as st

from analytics.filters import TAGS
from analytics.heatmaps import by_metadata, cooccurrence, hour_weekday, time_profile
from dashboard import i18n, ui

st.title(ui.tr("heatmaps"))
flt = ui.page_filter()
con = ui.con()
lang = ui.lang()
tab1, tab2, tab3, tab4 = st.tabs([ui.tr("heat_profile"), ui.tr("heat_hour"), ui.tr("heat_meta"), ui.tr("heat_co")])
with tab1:
    prof = time_profile(con, flt, bins=10, value="valence")
    if prof.empty:
        st.info(ui.tr("no_match"))
    else:
        grid = prof.pivot_table(index="recording_id", columns="bin", values="valence")
        st.plotly_chart(px.imshow(grid, color_continuous_scale="RdYlGn", zmin=-1, zmax=1, aspect="auto",
                                  labels={"x": "bin (0 = start)", "y": "", "color": "valence"}), key="hm_prof")
        ui.n_caption(grid.shape[0])
        ui.table(prof, "heatmap-profile")
with tab2:
    tag = st.selectbox(ui.tr("tags"), list(TAGS), index=list(TAGS).index("ANGRY"), key="hm_tag",
                       format_func=lambda x: i18n.emotion_name(x, lang))
    hw = hour_weekday(con, tag, flt)
    if hw.empty:
        st.info(ui.tr("no_match"))
    else:
        grid = hw.pivot_table(index="weekday", columns="hour", values="share")
        st.plotly_chart(px.imshow(grid, color_continuous_scale="Reds", aspect="auto",
                                  labels={"x": "hour", "y": "weekday (0 = Mon)", "color": "share"}), key="hm_hw")
        ui.n_caption(int(hw["recordings"].sum()))
        ui.table(hw, "heatmap-hour-weekday")
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
            grid = bm.pivot_table(index="value", columns="tag", values="rate_per_min")
            st.plotly_chart(px.imshow(grid, color_continuous_scale="Blues", aspect="auto",
                                      labels={"color": "/ min"}), key="hm_meta")
            ui.table(bm, f"heatmap-{key}")
with tab4:
    co = cooccurrence(con, flt)
    if co.empty:
        st.info(ui.tr("no_match"))
    else:
        grid = co.pivot_table(index="tag_a", columns="tag_b", values="together")
        st.plotly_chart(px.imshow(grid, color_continuous_scale="Purples", aspect="auto"), key="hm_co")
        ui.table(co, "heatmap-cooccurrence")

"""Timeline of one recording: segments coloured by emotion over time with events, pauses and
loudness; the tagged transcript; the audio from a chosen segment; one-click corrections."""
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

from analytics.corrections import correct_segment
from analytics.filters import FilterError
from analytics.metrics import recording_summary
from analytics.options import recording_audio
from analytics.timeline import rich_text, timeline
from dashboard import i18n, ui
from ingest.tags import EMOTIONS, EVENTS

st.title(ui.tr("timeline"))
flt = ui.page_filter()
con = ui.con()
recs = recording_summary(con, flt)
if recs.empty:
    st.info(ui.tr("no_match"))
    st.stop()
ids = list(recs["recording_id"])
current = st.session_state.get("recording_id")
rid = st.selectbox(ui.tr("recording"), ids, index=ids.index(current) if current in ids else 0, key="tl_pick",
                   format_func=lambda r: f"{recs.set_index('recording_id').at[r, 'filename']} ({r[:8]})")
st.session_state["recording_id"] = rid
tl = timeline(con, rid)
segs, pauses = tl[tl["item"] == "segment"], tl[tl["item"] == "pause"]
lang = ui.lang()

fig = go.Figure()
for emo, part in segs.groupby("emotion"):
    fig.add_trace(go.Bar(
        x=part["duration_s"], base=part["start_s"], y=part["role"].fillna("-"), orientation="h",
        name=i18n.emotion_name(emo, lang), marker_color=i18n.EMOTION_COLORS.get(emo, "#999"),
        customdata=part[["seg_index", "text"]].to_numpy(), hovertemplate="#%{customdata[0]} %{customdata[1]}<extra></extra>"))
ev = segs[segs["events"].map(lambda e: e is not None and len(e) > 0)]
if not ev.empty:
    fig.add_trace(go.Scatter(x=ev["start_s"], y=ev["role"].fillna("-"), mode="markers", name=ui.tr("events"),
                             marker={"symbol": "star", "size": 11, "color": "black"},
                             text=ev["events"].map(", ".join), hovertemplate="%{text}<extra></extra>"))
for p in pauses.itertuples():
    fig.add_vrect(x0=p.start_s, x1=p.end_s, fillcolor="#888", opacity=0.12, line_width=0)
if "loudness_dbfs" in segs and segs["loudness_dbfs"].notna().any():
    fig.add_trace(go.Scatter(x=(segs["start_s"] + segs["end_s"]) / 2, y=segs["loudness_dbfs"], yaxis="y2",
                             mode="lines", name="dBFS", line={"color": "#444", "width": 1}))
fig.update_layout(barmode="overlay", height=360, xaxis_title="s", margin={"t": 10},
                  yaxis2={"overlaying": "y", "side": "right", "title": "dBFS", "showgrid": False})
st.plotly_chart(fig, width="stretch", key="tl_chart")
st.caption(f"{len(segs)} {ui.tr('segments').lower()}")

left, right = st.columns([3, 2])
with left:
    st.subheader(ui.tr("transcript"))
    st.text(rich_text(con, rid))
    ui.table(tl, f"timeline-{rid[:8]}")
with right:
    seg_ids = list(segs["seg_index"].astype(int))
    if seg_ids:
        idx = st.selectbox(ui.tr("segment"), seg_ids, key="tl_seg",
                           format_func=lambda i: f"#{i} {segs.set_index('seg_index').at[i, 'start_s']:.1f}s")
        row = segs.set_index("seg_index").loc[idx]
        path, _ = recording_audio(con, rid)
        if path and Path(path).is_file():
            st.audio(path, start_time=int(row["start_s"]))
        else:
            st.caption(ui.tr("no_audio"))
        st.markdown(f"**{ui.tr('correct')}**" + (" ✎" if row.get("corrected") else ""))
        emo = st.selectbox(ui.tr("emotion"), list(EMOTIONS), index=list(EMOTIONS).index(row["emotion"])
                           if row["emotion"] in EMOTIONS else 0, key=f"tl_emo_{rid}_{idx}",
                           format_func=lambda e: i18n.emotion_name(e, lang))
        evs = st.multiselect(ui.tr("events"), list(EVENTS), default=[e for e in (list(row["events"]) if row["events"] is not None else []) if e in EVENTS],
                             key=f"tl_ev_{rid}_{idx}")
        if st.button(ui.tr("save"), key="tl_save"):
            try:
                correct_segment(ui.data().store, con, rid, int(idx), emo, evs, by="dashboard")
                st.success(ui.tr("saved"))
            except FilterError as e:
                st.error(str(e))

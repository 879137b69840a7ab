"""Trends: any key figure by day, week or month, split by kind, team, agent or teacher, as lines
with n on every point. The choices live in the page's address, so a link reopens the same view."""
import streamlit as st

from analytics.filters import FilterError
from analytics.home import FIGURES
from analytics.trends import PERIODS, trend
from dashboard import charts, i18n, ui

st.title(ui.tr("trends"))
flt = ui.page_filter()
ui.counted_note()
opts = st.session_state["options"]
con = ui.con()
splits = ["", "kind"] + [k for k in ("team", "agent", "teacher") if k in opts.metadata]
q = st.query_params
c1, c2, c3 = st.columns(3)
figures = list(FIGURES)
names = {f: ui.tr(f"fig_{f}") for f in figures} | {p: ui.tr(f"period_{p}") for p in PERIODS} | \
    {s: ui.tr("split_none") if not s else ui.tr(f"split_{s}") for s in splits}  # now: options may be formatted later
figure = c1.selectbox(ui.tr("figure"), figures, key="tr_figure", format_func=names.__getitem__,
                      index=figures.index(q["figure"]) if q.get("figure") in figures else 1)
periods = list(PERIODS)
period = c2.selectbox(ui.tr("period"), periods, key="tr_period", format_func=names.__getitem__,
                      index=periods.index(q["period"]) if q.get("period") in periods else 1)
split = c3.selectbox(ui.tr("split_by"), splits, key="tr_split", format_func=names.__getitem__,
                     index=splits.index(q["split"]) if q.get("split") in splits else 0)
st.query_params.update({"figure": figure, "period": period, "split": split})
try:
    df = trend(con, figure, period, split or None, flt)
except FilterError as e:
    st.warning(ui.as_text(e))
    st.stop()
if df.empty or df["n"].sum() == 0:
    st.info(ui.tr("no_match"))
    st.stop()
lang = ui.lang()
groups = {"all": ui.tr("split_none"), "(none)": ui.tr("not_given")}
shown = df.assign(group=[groups.get(g) or (i18n.value_name("kind", g, lang) if split == "kind" else g) for g in df["group"]])
charts.trend_lines(shown, percent=figure in ("angry_share", "lead_talk_share", "won_rate"), ylabel=ui.tr(f"fig_{figure}"),
                   key=f"tr_{figure}_{period}_{split}", period=period)
st.caption(ui.tr("trend_note"))
with st.expander(ui.tr("stats_table")):
    ui.table(shown, f"trend-{figure}-{period}")  # the groups named as in the chart

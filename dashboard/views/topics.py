"""Topics: what customers and students talk about, found without being asked — each topic's key
phrases, share of calls, angry customers and won calls, its share week by week, the rising ones, and
example moments that play; "Track this topic" makes a tracker of its phrases."""
from pathlib import Path

import pandas as pd
import streamlit as st

from analytics.talk import topics
from analytics.talk.words import TopicsError
from dashboard import cards, charts, i18n, login, ui

st.title(ui.tr("topics"))
st.caption(ui.tr("tp_intro"))
lang = ui.lang()
flt = ui.page_filter()
con = ui.con()

c1, c2, c3 = st.columns(3)
# the options' names made now (a format_func that reads the session's language breaks a rerun outside the script)
periods = {n: ui.tr("tp_weeks_n", n=n) for n in (4, 8, 13, 26, 52)}
weeks = c1.selectbox(ui.tr("tp_weeks"), list(periods), index=1, key="tp_weeks", format_func=periods.__getitem__)
sides = {"both": ui.tr("tp_side_both"), "customer": i18n.role_name("customer", lang), "student": i18n.role_name("student", lang)}
side = c2.selectbox(ui.tr("tp_side"), list(sides), key="tp_side", format_func=sides.__getitem__)
counts = {0: ui.tr("tp_k_auto"), **{v: str(v) for v in range(topics.MIN_TOPICS, topics.MAX_TOPICS + 1)}}
k = c3.selectbox(ui.tr("tp_k"), list(counts), key="tp_k", format_func=counts.__getitem__)


@st.cache_data(show_spinner=False, max_entries=8)
def _found(db: str, stamp: tuple, flt_key: str, weeks: int, side: str, k: int) -> topics.TopicRun:
    """The topics of this period and side, found once per state of the store (``stamp``)."""
    period = topics.period(con, weeks, flt)
    docs = topics.documents(con, period, topics.SIDES if side == "both" else (side,))
    return topics.find(docs, k or None)


stamp = topics.stamp(con)
try:
    with st.spinner(ui.tr("tp_finding", n=stamp[0])):
        run = _found(str(ui.db_path()), stamp, repr(flt), weeks, side, k)
except TopicsError as e:
    st.error(ui.as_text(e))
    st.stop()
if not run.topics:
    st.info(ui.tr("tp_too_few", n=run.calls, m=topics.MIN_CALLS))
    st.stop()
if weeks == topics.DEFAULT_WEEKS and side == "both" and not k:
    topics.save(ui.data().store, run)  # the home page's rising topics
st.caption(ui.tr("tp_found", k=len(run.topics), n=run.calls, s=run.seconds))


def label(t: topics.Topic) -> str:
    return f"{t.index + 1}. " + " · ".join(t.phrases[:3])


for r in run.rising:
    st.warning(ui.tr("tp_rising", p=ui.as_text(label(run.topics[r["topic"]])), share=r["share"], week=r["week"], base=r["baseline"]))

ui.table(pd.DataFrame({ui.tr("tp_col_topic"): [t.index + 1 for t in run.topics],
                       ui.tr("tp_col_phrases"): [" · ".join(t.phrases) for t in run.topics],
                       ui.tr("tp_col_share"): [f"{t.share:.1%}" for t in run.topics],
                       ui.tr("tp_col_calls"): [t.calls for t in run.topics],
                       ui.tr("tp_col_angry"): [f"{t.angry:.0%}" for t in run.topics],
                       ui.tr("tp_col_won"): [f"{t.won:.0%} / {t.with_outcome}" if t.won is not None else "—" for t in run.topics]}),
         "topics")

st.subheader(ui.tr("tp_weekly"))
top = {t.index: label(t) for t in run.topics[:8]}  # the eight largest: more lines cannot be read
wk = run.weekly[run.weekly["topic"].isin(list(top))]
charts.trend_lines(pd.DataFrame({"period": wk["week"], "group": wk["topic"].map(top), "value": wk["share"], "n": wk["calls"]}),
                   True, ui.tr("tp_share_axis"), key="tp_weekly_chart")

names = {t.index: label(t) for t in run.topics}
if st.session_state.get("tp_pick") not in names:
    st.session_state["tp_pick"] = run.rising[0]["topic"] if run.rising else 0
pick = st.selectbox(ui.tr("tp_pick"), list(names), key="tp_pick", format_func=names.__getitem__)
topic = run.topics[pick]
st.subheader(ui.tr("tp_examples"))
cards.moments(con, topics.examples(con, topic), lang, "tp_open")
if login.may("trackers") and st.button(ui.tr("tp_track"), key="tp_track"):
    st.session_state["tk_prefill"] = "\n".join(topic.phrases[:4])
    st.switch_page(str(Path(__file__).with_name("trackers.py")))

"""Sessions: the filtered recordings with key figures; choosing one opens its timeline."""
import streamlit as st

from analytics.corrections import agreement
from analytics.metrics import recent_sessions, recording_summary
from dashboard import i18n, ui

st.title(ui.tr("sessions"))
flt = ui.page_filter()
df, total = recent_sessions(ui.con(), flt)
ui.n_caption(total)
if total > len(df):
    st.caption(ui.tr("sessions_shown", shown=len(df), n=total))
ui.table(df, "sessions", opens_timeline=True, every=ui.later(lambda c: recording_summary(c, flt)))
ui.open_timeline(df, "sessions")

MIN_CORRECTIONS = 20  # below this, an accuracy figure in large type says more than it knows

with st.expander(ui.tr("accuracy")):
    r = agreement(ui.con(), flt)
    if not r["n"]:
        st.caption(ui.tr("accuracy_none"))
    else:
        lo, hi = f"{r['ci_low']:.0%}", f"{r['ci_high']:.0%}"
        if r["n"] < MIN_CORRECTIONS:
            st.info(ui.tr("accuracy_few", n=r["n"], min=MIN_CORRECTIONS, lo=lo, hi=hi))
        else:
            st.metric(ui.tr("accuracy"), f"{r['accuracy']:.0%}")
            st.caption(ui.tr("accuracy_n", n=r["n"], lo=lo, hi=hi))
        st.caption(ui.tr("confusion"))
        lang = ui.lang()
        confusion = r["confusion"].rename(index=lambda x: i18n.tag_name(str(x), lang),
                                          columns=lambda x: i18n.tag_name(str(x), lang))
        st.dataframe(confusion, key="sess_confusion")

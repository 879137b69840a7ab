"""Sessions: the filtered recordings with key figures; choosing one opens its timeline."""
import streamlit as st

from analytics.corrections import agreement
from analytics.metrics import recording_summary
from dashboard import ui

st.title(ui.tr("sessions"))
flt = ui.page_filter()
df = recording_summary(ui.con(), flt)
ui.n_caption(len(df))
ui.table(df, "sessions", opens_timeline=True)
ui.open_timeline(df, "sessions")

with st.expander(ui.tr("accuracy")):
    r = agreement(ui.con(), flt)
    if not r["n"]:
        st.caption(ui.tr("accuracy_none"))
    else:
        st.metric(ui.tr("accuracy"), f"{r['accuracy']:.0%}", help=f"95% CI {r['ci_low']:.0%}–{r['ci_high']:.0%}")
        st.caption(f"n = {r['n']} {ui.tr('segments').lower()}")
        st.dataframe(r["confusion"])

"""Sessions: the filtered recordings with key figures; choosing one opens its timeline."""
import streamlit as st

from analytics.metrics import recent_sessions, recording_summary
from dashboard import ui

st.title(ui.tr("sessions"))
flt = ui.page_filter()
df, total = recent_sessions(ui.con(), flt)
ui.n_caption(total)
if total > len(df):
    st.caption(ui.tr("sessions_shown", shown=len(df), n=total))
ui.table(df, "sessions", opens_timeline=True, every=ui.later(lambda c: recording_summary(c, flt)))
ui.open_timeline(df, "sessions")

st.caption(ui.tr("sessions_accuracy"))  # the model's accuracy on the team's corrections: its own page

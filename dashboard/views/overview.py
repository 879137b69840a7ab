"""First page: the friendly first run on an empty database, else key figures and demo-data controls."""
import streamlit as st

from analytics.summary import database_summary
from dashboard import ui
from ingest import demo

st.title(ui.tr("app_title"))
opts = st.session_state["options"]
if not opts.recordings:
    st.subheader(ui.tr("first_run"))
    st.markdown(ui.tr("first_run_body"))
    if st.button(ui.tr("load_demo"), type="primary"):
        demo.build(ui.db_path())
        st.rerun()
    st.stop()

s = database_summary(ui.con())
c = st.columns(4)
c[0].metric(ui.tr("recordings"), f"{s['recordings']:,}")
c[1].metric(ui.tr("audio_hours"), f"{s['audio_min'] / 60:,.1f}")
c[2].metric(ui.tr("segments"), f"{s['segments']:,}")
c[3].metric(ui.tr("errors"), f"{s['errors']:,}")
if opts.demo_recordings and st.button(ui.tr("remove_demo")):
    demo.remove(ui.db_path())
    st.rerun()

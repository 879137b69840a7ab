"""Export: the HTML report and every session of the current filters as CSV (every table has its
own CSV button too; the sessions page shows the newest only)."""
from datetime import datetime

import streamlit as st

from analytics.export import html_report, to_csv
from analytics.metrics import conversation_metrics, recording_summary
from dashboard import ui

st.title(ui.tr("export"))
flt = ui.page_filter()
con = ui.con()
if st.button(ui.tr("report"), key="exp_build"):
    st.session_state["report_html"] = html_report(con, flt, lang=ui.lang(), rule_names=ui.rule_names())
if st.session_state.get("report_html"):
    st.download_button(ui.tr("report"), st.session_state["report_html"].encode("utf-8"),
                       file_name=f"toneboard-report-{datetime.now():%Y%m%d-%H%M}.html", mime="text/html",
                       key="exp_dl")
if st.button(ui.tr("all_sessions"), key="exp_sessions"):
    st.session_state["sessions_csv"] = to_csv(recording_summary(con, flt))
if st.session_state.get("sessions_csv"):
    st.download_button(ui.tr("all_sessions"), st.session_state["sessions_csv"],
                       file_name=f"toneboard-sessions-{datetime.now():%Y%m%d-%H%M}.csv", mime="text/csv",
                       key="exp_sessions_dl")
st.subheader(ui.tr("conversation_metrics"))
ui.table(conversation_metrics(con, flt), "conversation-metrics")

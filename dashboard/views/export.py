"""Export: the HTML report for the current filters (every table has its own CSV button)."""
from datetime import datetime

import streamlit as st

from analytics.export import html_report
from analytics.metrics import conversation_metrics
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
st.subheader(ui.tr("conversation_metrics"))
ui.table(conversation_metrics(con, flt), "conversation-metrics")

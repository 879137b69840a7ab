"""Export: the HTML report and every session of the current filters as CSV, one button each (every
table has its own CSV button too; the sessions page shows the newest only)."""
from datetime import datetime

import streamlit as st

from analytics.export import to_csv
from analytics.metrics import conversation_metrics, recording_summary
from analytics.report import html_report
from dashboard import ui

st.title(ui.tr("export"))
flt = ui.page_filter()
con = ui.con()
d, lang, names = ui.data(), ui.lang(), ui.rule_names()  # read now: the files are made when a button is pressed
stamp = f"{datetime.now():%Y%m%d-%H%M}"
# One button per action: each file is made when its button is pressed (not built first, then offered).
st.download_button(ui.tr("report"), lambda: html_report(d.con.cursor(), flt, lang=lang, rule_names=names).encode("utf-8"),
                   file_name=f"toneboard-report-{stamp}.html", mime="text/html", key="exp_dl", on_click="ignore",
                   icon=":material/description:")
st.download_button(ui.tr("all_sessions"), lambda: to_csv(recording_summary(d.con.cursor(), flt)),
                   file_name=f"toneboard-sessions-{stamp}.csv", mime="text/csv", key="exp_sessions_dl",
                   on_click="ignore", icon=":material/table:")
st.subheader(ui.tr("conversation_metrics"))
ui.table(conversation_metrics(con, flt), "conversation-metrics")

"""Export: the HTML report and every session of the current filters as CSV, one button each; the
figures per recording and speaker of the newest recordings, with every one in its CSV."""
from datetime import datetime

import streamlit as st

from analytics.experiments.estimate import saved_report_section as experiment_report
from analytics.export import to_csv
from analytics.metrics import METRICS_SHOWN, conversation_metrics, recording_count, recording_summary
from analytics.qa import scores as qa_scores, trends as qa_trends
from analytics.report import html_report
from analytics.talk.counts import report_section as tracker_report
from dashboard import ui

st.title(ui.tr("export"))
flt = ui.page_filter()
con = ui.con()
lang, names = ui.lang(), ui.rule_names()  # read now: the files are made when a button is pressed
stamp = f"{datetime.now():%Y%m%d-%H%M}"
# One button per action: each file is made when its button is pressed (not built first, then offered).
st.download_button(ui.tr("report"), ui.later(lambda c: html_report(c, flt, lang=lang, rule_names=names,
                                                                    extra=qa_trends.report_section(c, flt, lang)
                                                                    + tracker_report(c, flt, lang)
                                                                    + experiment_report(c, flt, lang)).encode("utf-8"),
                                                 "report"),
                   file_name=f"toneboard-report-{stamp}.html", mime="text/html", key="exp_dl", on_click="ignore",
                   icon=":material/description:")
st.download_button(ui.tr("all_sessions"), ui.later(lambda c: to_csv(recording_summary(c, flt)), "sessions"),
                   file_name=f"toneboard-sessions-{stamp}.csv", mime="text/csv", key="exp_sessions_dl",
                   on_click="ignore", icon=":material/table:")
st.download_button(ui.tr("qa_scores_csv"), ui.later(lambda c: to_csv(qa_scores.call_scores(c, flt)), "quality"),
                   file_name=f"toneboard-quality-{stamp}.csv", mime="text/csv", key="exp_qa_dl",
                   on_click="ignore", icon=":material/fact_check:")
st.subheader(ui.tr("conversation_metrics"))
total = recording_count(con, flt)
if total > METRICS_SHOWN:  # a year of calls is 200,000 rows here: the newest are shown, the CSV has them all
    st.caption(ui.tr("metrics_shown", shown=METRICS_SHOWN, n=total))
ui.table(conversation_metrics(con, flt, limit=METRICS_SHOWN), "conversation-metrics",
         every=ui.later(lambda c: conversation_metrics(c, flt)))

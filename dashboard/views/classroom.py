"""Classroom: where students went silent (or coughed) after a question, per class and across a course."""
import dataclasses

import streamlit as st

from analytics.classroom import course_findings, stuck_points
from analytics.filters import FilterError
from dashboard import ui

st.title(ui.tr("classroom"))
flt = ui.page_filter()
if flt.kinds and "class" not in flt.kinds:
    st.info(ui.tr("no_classes"))
    st.stop()
flt = dataclasses.replace(flt, kinds=["class"])  # classes only, whatever else the sidebar holds
con = ui.con()
sp = stuck_points(con, flt)
st.subheader(ui.tr("stuck"))
ui.n_caption(sp["recording_id"].nunique() if not sp.empty else 0)
ui.table(sp, "stuck-points", empty=ui.tr("no_stuck"))
keys = list(st.session_state["options"].metadata)
if keys:
    st.subheader(ui.tr("course"))
    key = st.selectbox(ui.tr("meta"), keys, index=keys.index("course") if "course" in keys else 0, key="cls_key")
    try:
        findings, classes = course_findings(con, flt, course_key=key, stuck=sp)
        ui.table(findings, "course-findings", empty=ui.tr("no_course_findings"))
        ui.table(classes, "course-classes")
    except FilterError as e:
        st.warning(ui.as_text(e))

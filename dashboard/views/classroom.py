"""Classroom: where students went silent (or coughed) after a question, per class and across a course."""
import dataclasses

import streamlit as st

from analytics.classroom import MANY_STUCK, NO_COURSE, course_findings, stuck_points, with_questions
from analytics.filters import FilterError
from dashboard import i18n, ui

st.title(ui.tr("classroom"))
flt = ui.page_filter()
if flt.kinds and "class" not in flt.kinds:
    st.info(ui.tr("no_classes"))
    st.stop()
flt = dataclasses.replace(flt, kinds=["class"])  # classes only, whatever else the sidebar holds
con = ui.con()
sp = stuck_points(con, flt, text=False)  # a year's questions: the words are read for the rows shown
st.subheader(ui.tr("stuck"))
ui.n_caption(sp["recording_id"].nunique() if not sp.empty else 0)
shown = with_questions(con, ui.newest_rows(sp))
if len(shown) < len(sp):
    st.caption(ui.tr("rows_shown", shown=len(shown), n=len(sp)))
ui.table(shown, "stuck-points", empty=ui.tr("no_stuck"), every=ui.later(lambda c: stuck_points(c, flt)))
keys = list(st.session_state["options"].metadata)
if keys:
    st.subheader(ui.tr("course"))
    key_names = {k: i18n.meta_key_name(k, ui.lang()) for k in keys}
    key = st.selectbox(ui.tr("meta"), keys, index=keys.index("course") if "course" in keys else 0, key="cls_key",
                       format_func=key_names.__getitem__)
    try:
        findings, classes = course_findings(con, flt, course_key=key, stuck=sp)
        course = {NO_COURSE: ui.tr("no_course")}
        # the findings in the page's language, the classes by file name (the ids stay in the CSV)
        said = findings.assign(
            course=findings["course"].replace(course),
            finding=[ui.tr("finding_many_stuck") if f == MANY_STUCK else ui.tr("finding_noisy") for f in findings["finding"]],
            detail=[ui.tr("detail_many_stuck", n=r.count, median=f"{r.median:g}") if r.finding == MANY_STUCK else
                    ui.tr("detail_noisy", what=ui.tr(f"heard_{r.heard}"), n=r.count) for r in findings.itertuples()],
            files=[", ".join(f) for f in findings["files"]])
        ui.table(said[["course", "finding", "detail", "files"]], "course-findings", empty=ui.tr("no_course_findings"))
        ui.table(classes.assign(course=classes["course"].replace(course)), "course-classes", newest=True)
    except FilterError as e:
        st.warning(ui.as_text(e))

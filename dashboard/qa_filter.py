"""The sidebar's quality filter: the calls scored below a mark on one of the team's forms (their
ids join the shared filter, so every page counts only those calls)."""
import streamlit as st

from analytics.qa import scores
from analytics.qa.forms import FormError, load_forms
from dashboard.i18n import t


def quality_filter(sb, lg: str, con) -> list[str] | None:
    """The calls scored below a mark on a quality form, chosen in the sidebar ``sb`` (None: no form
    chosen); ``con``: the page's scoped cursor."""
    try:
        forms = {f.id: f for f in load_forms()}
    except FormError:
        return None  # the Quality page says what is wrong with the form
    if not forms:
        return None
    names = {"": t("qa_filter_none", lg), **{k: f.label(lg) for k, f in forms.items()}}
    if st.session_state.get("f_qa_form") not in names:
        st.session_state["f_qa_form"] = ""
    chosen = sb.selectbox(t("qa_filter", lg), list(names), key="f_qa_form", format_func=names.__getitem__)
    if not chosen:
        return None
    mark = sb.number_input(t("qa_filter_below", lg), 0.0, 101.0, float(forms[chosen].pass_mark), 5.0, key="f_qa_below")
    ids = scores.calls_below(con, chosen, mark)
    sb.caption(t("qa_filter_note", lg, n=0 if ids == [scores.NO_CALL] else len(ids), below=f"{mark:g}"))
    return ids

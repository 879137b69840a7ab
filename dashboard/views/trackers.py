"""Trackers: a concept said many ways, counted on every call — how many calls say each, one
tracker's share by week, in won and lost calls, with angry and calm customers, whether calls that
say it are won more often, and where it is said (playing from that second). Admins and leads make
trackers here, or from a search on Moments ("Track this"). The tracker lives in the address
(?tracker=…)."""

import pandas as pd
import streamlit as st

from analytics.filters import Filter
from analytics.qa import scores
from analytics.qa.forms import FormError, load_forms
from analytics.talk import counts
from analytics.talk.trackers import TrackerError, load_trackers, parse_tracker, remove, slug, upsert
from dashboard import cards, charts, i18n, login, ui

st.title(ui.tr("trackers"))
st.caption(ui.tr("tk_intro"))
lang = ui.lang()
try:
    trackers = load_trackers()
except TrackerError as e:
    st.error(ui.as_text(e))
    trackers = []
flt = ui.page_filter()
d = ui.data()


def count_missing(found) -> None:
    """Count the trackers on the calls they have not counted yet (a new or changed tracker: every call)."""
    todo = counts.missing(ui.con(), found)
    if todo:
        bar = st.progress(0.0, text=ui.tr("tk_counting", n=todo))
        counts.count(d.db_path, found, on_progress=lambda done, of: bar.progress(min(1.0, done / max(of, 1))))
        bar.empty()
        d.refresh()


prefill = st.session_state.pop("tk_prefill", None)  # "Track this" on Moments: the words searched
if prefill:  # into the form's fields themselves: they keep them through the page's reruns until saved
    st.session_state["tk_new_name"], st.session_state["tk_new_phrases"] = prefill.splitlines()[0], prefill
    st.session_state["tk_open"] = True
saved = None
if login.may("trackers"):
    with st.expander(ui.tr("tk_new"), expanded=st.session_state.get("tk_open", False)):
        with st.form("tk_new_form", clear_on_submit=False):
            name = st.text_input(ui.tr("tk_name"), max_chars=200, key="tk_new_name")
            phrases = st.text_area(ui.tr("tk_phrases_in"), height=120, max_chars=20_000, key="tk_new_phrases")
            roles = {"": ui.tr("tk_anyone"), **{r: i18n.role_name(r, lang) for r in ("customer", "agent", "student", "teacher")}}
            role = st.selectbox(ui.tr("tk_role"), list(roles), format_func=roles.__getitem__, key="tk_new_role")
            sounds = st.checkbox(ui.tr("tk_sounds_like"), key="tk_new_sounds")
            if st.form_submit_button(ui.tr("tk_save")):
                try:
                    lines = [p.strip() for p in phrases.splitlines() if p.strip()]
                    label = name.strip() or (lines[0] if lines else "")
                    raw = {"id": slug(label), "name": label or "?", "phrases": lines, **({"role": role} if role else {}),
                           **({"sounds_like": True} if sounds else {})}
                    if lang == "zh":
                        raw["names"] = {"zh": label}
                    t = parse_tracker(raw, ui.tr("tk_new"))
                    upsert(t)
                    login.audited("tracker", detail={"id": t.id, "version": t.version, "phrases": list(t.phrases)})
                    count_missing([t])
                    s = counts.summary(ui.con(), [t], flt).iloc[0]
                    saved = ui.tr("tk_saved", name=ui.as_text(t.label(lang)), said=int(s["said"]), n=int(s["n"]))
                    st.session_state["tk_pick"] = t.id
                    st.session_state["tk_open"] = False
                    trackers = load_trackers()
                except TrackerError as e:
                    st.error(ui.as_text(e))
if saved:  # outside the form: it folds away once saved
    st.success(saved)
if not trackers:
    st.info(ui.tr("tk_none"))
    st.stop()
count_missing(trackers)
con = ui.con()
names = {t.id: t.label(lang) for t in trackers}

st.subheader(ui.tr("tk_overview"))
summary = counts.summary(con, trackers, flt)
shown = pd.DataFrame({ui.tr("tk_col_tracker"): [names[i] for i in summary["id"]], ui.tr("tk_col_said"): summary["said"],
                      ui.tr("tk_col_n"): summary["n"],
                      ui.tr("tk_col_share"): [f"{v:.1%}" if n else "—" for v, n in zip(summary["share"], summary["n"])],
                      ui.tr("tk_col_ci"): [f"{lo:.0%}–{hi:.0%}" if n else "—"
                                           for lo, hi, n in zip(summary["lo"], summary["hi"], summary["n"])]})
ui.table(shown, "trackers")

asked = st.query_params.get("tracker")
if asked in names and "tk_pick" not in st.session_state:
    st.session_state["tk_pick"] = asked
if st.session_state.get("tk_pick") not in names:  # at first: the tracker said in most calls
    st.session_state["tk_pick"] = summary.sort_values("said", ascending=False)["id"].iloc[0]
tid = st.selectbox(ui.tr("tk_pick"), list(names), key="tk_pick", format_func=names.__getitem__)
st.query_params["tracker"] = tid
t = next(x for x in trackers if x.id == tid)
who = ", ".join(i18n.role_name(r, lang) for r in t.role) or ui.tr("tk_anyone")
st.caption(ui.tr("tk_phrases", p=ui.as_text(" · ".join(t.phrases)), n=len(t.spellings()), who=who)
           + (ui.tr("tk_sounds") if t.sounds_like else ""))

left, right = st.columns(2)
with left:
    st.subheader(ui.tr("tk_trend"))
    week = counts.trend(con, t, flt)
    if week.empty:
        st.info(ui.tr("no_match"))
    else:
        charts.share_band(week, ui.tr("tk_share_axis"), key="tk_trend_chart")
        ui.table(pd.DataFrame({ui.tr("tk_col_week"): week["period"].dt.strftime("%Y-%m-%d"), ui.tr("tk_col_n"): week["n"],
                               ui.tr("tk_col_said"): week["said"], ui.tr("tk_col_share"): [f"{v:.0%}" for v in week["share"]],
                               ui.tr("tk_col_ci"): [f"{lo:.0%}–{hi:.0%}" for lo, hi in zip(week["lo"], week["hi"])],
                               ui.tr("tk_col_mentions"): week["mentions"].astype(int)}),
                 f"tracker-{t.id}-trend")


def cohort_view(df: pd.DataFrame, names_: dict, xlabel: str, key: str, of_said: bool = True) -> None:
    """Two groups' shares as bars with their intervals, and a sentence saying whether they differ.
    ``of_said``: the share is of calls that say it (else: of calls won)."""
    if df["n"].sum() == 0:
        st.info(ui.tr("tk_no_outcomes"))
        return
    if of_said and df["said"].sum() == 0:
        st.info(ui.tr("tk_no_moments"))
        return
    charts.group_bars(df, names_, xlabel, key=key)
    a, b = df.iloc[0], df.iloc[1]
    if a["n"] and b["n"]:
        st.caption(ui.tr("tk_cohort_line", a=names_[a["group"]], sa=a["share"], na=int(a["n"]), la=a["lo"], ha=a["hi"],
                         b=names_[b["group"]], sb=b["share"], nb=int(b["n"]), lb=b["lo"], hb=b["hi"])
                   + " " + ui.tr("tk_apart" if a["lo"] > b["hi"] or b["lo"] > a["hi"] else "tk_overlap"))


with right:
    st.subheader(ui.tr("tk_compare"))
    outcomes = {g: i18n.value_name("outcome", g, lang) for g in ("won", "lost")}
    cohort_view(counts.compare(con, t, "outcome", flt), outcomes, ui.tr("tk_share_axis"), "tk_won_lost")
    st.subheader(ui.tr("tk_when_said"))
    cohort_view(counts.outcome_when_said(con, t, flt), {"said": ui.tr("tk_said"), "not said": ui.tr("tk_not_said")},
                ui.tr("tk_won_axis"), "tk_when_said_chart", of_said=False)
    st.subheader(ui.tr("tk_anger"))
    cohort_view(counts.compare(con, t, "emotion", flt).iloc[::-1], {"angry": ui.tr("tk_angry"), "calm": ui.tr("tk_calm")},
                ui.tr("tk_share_axis"), "tk_anger_chart")
    try:
        forms = {f.id: f for f in load_forms()}
    except FormError:
        forms = {}
    if forms:  # by the quality score: calls that reach a form's pass mark and calls under it
        st.subheader(ui.tr("tk_by_qa"))
        fid = st.selectbox(ui.tr("qa_form"), list(forms), key="tk_qa_form", format_func=lambda f, fs=forms: fs[f].label(lang))
        groups = {k: Filter(recording_ids=ids) for k, ids in scores.passed_and_below(con, forms[fid]).items()}
        cohort_view(counts.compare(con, t, flt=flt, groups=groups), {"passed": ui.tr("tk_passed"), "below": ui.tr("tk_below")},
                    ui.tr("tk_share_axis"), "tk_qa_chart")

st.subheader(ui.tr("tk_moments"))
found = counts.moments(con, t, flt, limit=10)
if found.empty:
    st.info(ui.tr("tk_no_moments"))
cards.moments(con, found, lang, "tk_open")

if login.may("trackers") and st.button(ui.tr("tk_delete"), key="tk_delete"):
    try:
        remove(t.id)
        login.audited("tracker", detail={"id": t.id, "deleted": True})
        st.session_state.pop("tk_pick", None)
        st.success(ui.tr("tk_deleted"))
        st.rerun()
    except TrackerError as e:
        st.error(ui.as_text(e))

"""Accuracy: how right the model's tags are on the segments the team corrected (overall, per tag
with intervals, and whether its probabilities mean what they say), and the thresholds learnt from
those corrections, each applied when a manager accepts it."""
import pandas as pd
import streamlit as st

from analytics import calibration, confidence
from analytics.corrections import agreement
from analytics.filters import FilterError
from dashboard import charts, i18n, login, ui

MIN_CORRECTIONS = 20  # below this, an accuracy figure in large type says more than it knows

st.title(ui.tr("accuracy"))
st.caption(ui.tr("acc_intro"))
flt = ui.page_filter()
con, lang = ui.con(), ui.lang()
limits = confidence.thresholds(con)


def pct(x: float) -> str:
    return "–" if pd.isna(x) else f"{x:.0%}"


def with_interval(p: float, lo: float, hi: float, n: int) -> str:
    return f"{pct(p)} ({pct(lo)}–{pct(hi)}), n = {n}" if n else "–, n = 0"


st.subheader(ui.tr("accuracy_model"))
r = agreement(con, flt)
if not r["n"]:
    st.caption(ui.tr("accuracy_none"))
else:
    lo, hi = pct(r["ci_low"]), pct(r["ci_high"])
    if r["n"] < MIN_CORRECTIONS:
        st.info(ui.tr("accuracy_few", n=r["n"], min=MIN_CORRECTIONS, lo=lo, hi=hi))
    else:
        st.metric(ui.tr("acc_agreement"), pct(r["accuracy"]))
        st.caption(ui.tr("accuracy_n", n=r["n"], lo=lo, hi=hi))
    st.caption(ui.tr("confusion"))
    confusion = r["confusion"].rename(index=lambda x: i18n.tag_name(str(x), lang), columns=lambda x: i18n.tag_name(str(x), lang))
    st.dataframe(confusion.rename_axis(index=ui.tr("acc_people"), columns=ui.tr("acc_model")), key="acc_confusion")

    st.subheader(ui.tr("acc_tags"))
    st.caption(ui.tr("acc_tags_help"))
    checked = calibration.checked(con, flt)  # read once for the three below
    tags = calibration.per_tag(checked, limits)
    if not tags.empty:
        shown = pd.DataFrame({
            ui.tr("emotion") + " / " + ui.tr("events"): [i18n.tag_name(t, lang) for t in tags["tag"]],
            ui.tr("acc_threshold"): [f"{t:.2f}" for t in tags["threshold"]],
            ui.tr("acc_precision"): [with_interval(*x) for x in
                                     zip(tags["precision"], tags["precision_low"], tags["precision_high"], tags["says"])],
            ui.tr("acc_recall"): [with_interval(*x) for x in
                                  zip(tags["recall"], tags["recall_low"], tags["recall_high"], tags["actual"])]})
        st.dataframe(shown, key="acc_tags", hide_index=True)

    rel = calibration.reliability(checked)
    if not rel.empty:
        st.subheader(ui.tr("acc_reliability"))
        st.caption(ui.tr("acc_reliability_help"))
        charts.reliability(rel, {"agreed": ui.tr("acc_agreed"), "ideal": ui.tr("acc_ideal"), "p": ui.tr("acc_p")},
                           "acc_reliability_chart", calibration.RELIABILITY_BINS)

    st.subheader(ui.tr("acc_learnt"))
    st.caption(ui.tr("acc_learnt_help", min=calibration.MIN_CHECKED))
    if (done := st.session_state.pop("acc_done", None)) is not None:
        st.success(done)  # said after the rerun that shows the new threshold
    for x in calibration.learn(checked):
        name, now = i18n.tag_name(x.tag, lang), limits.get(x.tag, confidence.DEFAULT_THRESHOLD)
        if x.threshold is None:
            st.caption(ui.tr(f"acc_{x.why_not}", tag=name, n=x.n, min=calibration.MIN_CHECKED))
            continue
        ev_now = x.curve[x.curve["threshold"] >= now].head(1)
        st.markdown(ui.tr("acc_sentence", t=f"{x.threshold:.2f}", tag=name, p10=round(x.precision * 10), right=x.right,
                          says=x.says, r10=round(x.recall * 10), actual=x.actual, now=f"{now:.2f}",
                          p_now=pct(ev_now["precision"].iloc[0]) if len(ev_now) else "–",
                          r_now=pct(ev_now["recall"].iloc[0]) if len(ev_now) else "–"))
        charts.threshold_curve(x.curve, now, x.threshold, {"precision": ui.tr("acc_precision"), "recall": ui.tr("acc_recall"),
                                                           "threshold": ui.tr("acc_threshold"), "now": ui.tr("acc_now"),
                                                           "proposed": ui.tr("acc_proposed")}, f"acc_curve_{x.tag}")
        if round(x.threshold, 2) == round(now, 2):
            st.caption(ui.tr("acc_same", tag=name, t=f"{now:.2f}"))
        elif st.button(ui.tr("acc_accept", t=f"{x.threshold:.2f}", tag=name), key=f"acc_accept_{x.tag}",
                       disabled=not login.may("thresholds"), help=login.read_only("thresholds")):
            try:
                confidence.set_threshold(ui.data().store, x.tag, round(x.threshold, 2), by=login.who(),
                                         note=f"learnt from {x.n} checked segments (precision {x.precision:.2f}, recall {x.recall:.2f})")
                login.audited("threshold", detail={"tag": x.tag, "threshold": round(x.threshold, 2)})
                st.session_state["acc_done"] = ui.tr("acc_accepted", tag=name, t=f"{round(x.threshold, 2):.2f}")
                st.rerun()
            except FilterError as e:
                st.error(ui.as_text(e))

opinions = calibration.second_opinions(con, flt)  # ingest --emotion-second-opinion
if not opinions.empty:
    st.subheader(ui.tr("acc_second"))
    heard, agreed = int(opinions["heard"].sum()), int(opinions["agreed"].sum())
    st.caption(ui.tr("acc_second_help", n=heard, agreed=pct(agreed / heard)))
    st.dataframe(pd.DataFrame({
        ui.tr("emotion"): [i18n.emotion_name(t, lang) for t in opinions["tag"]],
        ui.tr("acc_second_heard"): opinions["heard"],
        ui.tr("acc_second_agreed"): [pct(a / h) for a, h in zip(opinions["agreed"], opinions["heard"])],
        ui.tr("acc_second_checked"): opinions["checked"],
        ui.tr("acc_second_first"): [pct(a / c) if c else "–" for a, c in zip(opinions["first_right"], opinions["checked"])],
        ui.tr("acc_second_second"): [pct(b / c) if c else "–" for b, c in zip(opinions["second_right"], opinions["checked"])],
    }), key="acc_second", hide_index=True)

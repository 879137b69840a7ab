"""Experiments: did our change work? Each saved experiment's answer — the pilot's change against
everyone else's, before and after the change, with its 95 % interval, n and one sentence — its
weekly chart with the change marked, and the four groups; admins and leads describe a new one."""
from datetime import date

import pandas as pd
import streamlit as st

from analytics.experiments import design, estimate
from analytics.qa.forms import FormError, load_forms
from analytics.talk.trackers import TrackerError, current_trackers, slug
from dashboard import charts, i18n, login, ui

st.title(ui.tr("experiments"))
st.caption(ui.tr("ex_intro"))
lang = ui.lang()
flt = ui.page_filter()
con = ui.con()
try:
    saved = design.load()
except design.ExperimentError as e:
    st.error(ui.as_text(e))
    saved = []


def outcomes() -> dict[str, str]:
    out = {k: ui.tr(f"ex_out_{k}") for k in design.OUTCOMES}
    try:
        out |= {f"qa:{f.id}": ui.tr("ex_out_qa", name=f.label(lang)) for f in load_forms()}
    except FormError:
        pass
    try:
        out |= {f"tracker:{t.id}": ui.tr("ex_out_tracker", name=t.label(lang)) for t in current_trackers()}
    except TrackerError:
        pass
    return out


if login.may("experiments"):
    with st.expander(ui.tr("ex_new"), expanded=not saved):
        opts = st.session_state["options"]
        with st.form("ex_new_form"):
            name = st.text_input(ui.tr("ex_name"), max_chars=200, key="ex_new_name")
            change = st.date_input(ui.tr("ex_change"), value=date.today(), key="ex_new_change")
            outs = outcomes()
            outcome = st.selectbox(ui.tr("ex_outcome"), list(outs), format_func=outs.__getitem__, key="ex_new_outcome")
            keys = {"": ui.tr("ex_pilot_none"), **{k: i18n.meta_key_name(k, lang) for k in opts.metadata}}
            key = st.selectbox(ui.tr("ex_pilot_key"), list(keys), key="ex_new_key", format_func=keys.__getitem__)
            values = st.multiselect(ui.tr("ex_pilot_values"), sorted({v for vs in opts.metadata.values() for v in vs}), key="ex_new_values")
            trackers = {"": "—", **{t.id: t.label(lang) for t in current_trackers()}}
            tracker = st.selectbox(ui.tr("ex_pilot_tracker"), list(trackers), format_func=trackers.__getitem__, key="ex_new_tracker")
            kind_names = {k: i18n.value_name("kind", k, lang) for k in opts.kinds}
            kinds = st.multiselect(ui.tr("ex_kinds"), list(kind_names), key="ex_new_kinds", format_func=kind_names.__getitem__)
            weeks = st.number_input(ui.tr("ex_weeks"), 1, 26, 4, key="ex_new_weeks")
            if st.form_submit_button(ui.tr("ex_save")):
                try:
                    raw = {"id": slug(name or outcome), "name": name.strip() or outs[outcome], "change": change.isoformat(),
                           "outcome": outcome, "weeks": int(weeks), **({"kinds": kinds} if kinds else {}),
                           **({"pilot": {key: values}} if key and values else {}),
                           **({"pilot_tracker": tracker} if tracker else {})}
                    if lang == "zh" and name.strip():
                        raw["names"] = {"zh": name.strip()}
                    e = design.parse(raw, ui.tr("ex_new"))
                    design.upsert(e)
                    login.audited("experiment", detail=e.as_dict())
                    st.session_state["ex_pick"] = e.id
                    saved = design.load()
                    st.success(ui.tr("ex_saved", name=ui.as_text(e.label(lang))))
                except design.ExperimentError as err:
                    st.error(ui.as_text(err))
if not saved:
    st.info(ui.tr("ex_none"))
    st.stop()

names = {e.id: e.label(lang) for e in saved}
asked = st.query_params.get("experiment")
if asked in names and "ex_pick" not in st.session_state:
    st.session_state["ex_pick"] = asked
if st.session_state.get("ex_pick") not in names:
    st.session_state["ex_pick"] = saved[-1].id
eid = st.selectbox(ui.tr("ex_pick"), list(names), key="ex_pick", format_func=names.__getitem__)
st.query_params["experiment"] = eid
e = next(x for x in saved if x.id == eid)
try:
    a = estimate.estimate(con, e, flt)
except design.ExperimentError as err:
    st.error(ui.as_text(err))
    st.stop()
st.markdown(f"#### {ui.as_text(estimate.sentence(a, lang))}")
groups = ["pilot", "others"] if e.has_pilot else ["all"]
label = {"pilot": ui.tr("ex_pilot"), "others": ui.tr("ex_others"), "all": ui.tr("ex_all")}


def shown(x) -> str:
    return "–" if x is None or x != x else (f"{x:.0%}" if a.percent else f"{x:.1f}")


cols = st.columns(len(groups) + 1)
for c, g in zip(cols, groups):
    before, after = a.cell(g, "before"), a.cell(g, "after")
    c.metric(label[g], shown(after), None if before is None or after is None else
             (f"{100 * (after - before):+.0f} pp" if a.percent else f"{after - before:+.1f}"), delta_color="off")
    c.caption(f"{ui.tr('ex_before')}: {shown(before)}")
if a.estimate is not None:
    cols[-1].metric(ui.tr("ex_difference"), f"{100 * a.estimate:+.0f} pp" if a.percent else f"{a.estimate:+.1f}", delta_color="off")
    cols[-1].caption(f"95 %: {100 * a.lo:.0f} – {100 * a.hi:.0f}" if a.percent else f"95 %: {a.lo:.1f} – {a.hi:.1f}")
st.subheader(ui.tr("ex_weekly"))
charts.trend_lines(a.weekly.rename(columns={"week": "period"}), a.percent, estimate.what(e, lang), key="ex_chart",
                   mark=e.change, names=label)
st.subheader(ui.tr("ex_cells"))
ui.table(pd.DataFrame({ui.tr("ex_col_group"): [label[g] for g in a.cells["group"]],
                       ui.tr("ex_col_period"): [ui.tr(f"ex_{p}") for p in a.cells["period"]],
                       "n": a.cells["n"], ui.tr("ex_col_mean"): [shown(x) for x in a.cells["mean"]]}), f"experiment-{e.id}")
st.caption(ui.tr("ex_note"))
if login.may("experiments") and st.button(ui.tr("ex_delete"), key="ex_delete"):
    design.remove(e.id)
    login.audited("experiment", detail={"id": e.id, "deleted": True})
    st.session_state.pop("ex_pick", None)
    st.rerun()

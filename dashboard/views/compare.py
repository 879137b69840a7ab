"""Compare two cohorts (default won vs lost sales demos): ranked differences with uncertainty;
and the phrase → reaction tool."""
import dataclasses

import streamlit as st

from analytics.compare import compare_cohorts, findings
from analytics.filters import FilterError
from analytics.reactions import phrase_reactions
from dashboard import charts, i18n, ui

st.title(ui.tr("compare"))
flt = ui.page_filter()
opts = st.session_state["options"]
con = ui.con()
outcomes = opts.outcomes or ["won", "lost"]
c1, c2 = st.columns(2)
a = c1.selectbox(ui.tr("cohort_a"), outcomes, index=outcomes.index("won") if "won" in outcomes else 0, key="cmp_a")
b = c2.selectbox(ui.tr("cohort_b"), outcomes, index=outcomes.index("lost") if "lost" in outcomes else 0, key="cmp_b")
try:
    if a == b:
        raise FilterError(f"{ui.tr('cohort_a')} = {ui.tr('cohort_b')}")
    res = compare_cohorts(con, dataclasses.replace(flt, outcomes=[a]), dataclasses.replace(flt, outcomes=[b]),
                          labels=(a, b))
    n_a, n_b = (int(res.iloc[0][f"n_{a}"]), int(res.iloc[0][f"n_{b}"])) if not res.empty else (0, 0)
    st.caption(f"n({a}) = {n_a} · n({b}) = {n_b}" + (f" · ⚠ {ui.tr('few_note')}" if min(n_a, n_b) < ui.FEW else ""))
    found = findings(res, (a, b))
    st.markdown("#### " + ui.tr("findings"))
    if found.empty:
        st.info(ui.tr("no_findings"))
    else:
        lang = ui.lang()
        for r in found.itertuples():
            st.markdown(ui.tr("finding", feature=i18n.feature_name(r.feature, lang), a=a, b=b,
                              va=i18n.feature_value(r.feature, r.mean_a, lang), vb=i18n.feature_value(r.feature, r.mean_b, lang),
                              na=r.n_a, nb=r.n_b, strength=ui.tr(f"strength_{r.strength}")))
        charts.cohort_dots(found, {f: i18n.feature_name(f, lang) for f in found["feature"]}, (a, b), key=f"cmp_dots_{a}_{b}")
    with st.expander(ui.tr("stats_table")):
        ui.table(res, f"compare-{a}-{b}")
except FilterError as e:
    st.warning(str(e))

st.subheader("→ " + ui.tr("phrase"))
p1, p2, p3 = st.columns([3, 1, 1])
phrase = p1.text_input(ui.tr("phrase"), key="cmp_phrase")
roles = ["", *opts.roles]
speaker = p2.selectbox(ui.tr("speaker"), roles, key="cmp_speaker")
window = p3.number_input(ui.tr("window"), 1.0, 60.0, 10.0, 1.0, key="cmp_window")
if phrase.strip():
    try:
        mentions, summary = phrase_reactions(con, phrase, flt, speaker or None, window_s=window)
        ui.n_caption(mentions["recording_id"].nunique() if not mentions.empty else 0)
        ui.table(summary, "phrase-reaction-summary")
        ui.table(mentions, "phrase-reaction-mentions")
    except FilterError as e:
        st.warning(str(e))

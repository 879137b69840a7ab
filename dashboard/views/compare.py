"""Compare two cohorts (default won vs lost sales demos): ranked differences with uncertainty;
and the phrase → reaction tool."""
import dataclasses

import streamlit as st

from analytics.compare import EmptyCohort, compare_cohorts, findings
from analytics.filters import MAX_TEXT, FilterError
from analytics.options import synthetic
from analytics.qa import trends as qa_trends
from analytics.qa.forms import FormError, load_forms
from analytics.reactions import MENTIONS_SHOWN, phrase_reactions
from dashboard import charts, i18n, ui

st.title(ui.tr("compare"))
flt = ui.page_filter()
ui.counted_note()
opts = st.session_state["options"]
con = ui.con()
outcomes = opts.outcomes or ["won", "lost"]
c1, c2 = st.columns(2)
lang = ui.lang()
names = {o: i18n.value_name("outcome", o, lang) for o in outcomes}  # computed now: Streamlit may format later
a = c1.selectbox(ui.tr("cohort_a"), outcomes, index=outcomes.index("won") if "won" in outcomes else 0, key="cmp_a",
                 format_func=names.__getitem__)
b = c2.selectbox(ui.tr("cohort_b"), outcomes, index=outcomes.index("lost") if "lost" in outcomes else 0, key="cmp_b",
                 format_func=names.__getitem__)
na_, nb_ = names[a], names[b]
roles = ["", *opts.roles]
role_names = {r: (ui.tr("everyone") if not r else i18n.role_name(r, lang)) for r in roles}
role = st.selectbox(ui.tr("measured_on"), roles, key="cmp_role", format_func=role_names.__getitem__,
                    help=ui.tr("measured_on_help"))
# Demo and stand-in-model recordings are not measurements: say how many each cohort holds, offer to leave them out
syn = {o: synthetic(con, dataclasses.replace(flt, outcomes=[o])) for o in dict.fromkeys((a, b))}
if any(x["demo"] or x["stand_in"] for x in syn.values()):
    def counted(x: dict) -> str:
        return ui.tr("and").join([ui.tr("n_demo", n=x["demo"])] * bool(x["demo"])
                                 + [ui.tr("n_stand_in", n=x["stand_in"])] * bool(x["stand_in"]))

    st.warning(" ".join(ui.tr("cohort_synthetic", cohort=ui.as_text(names[o]), what=counted(x))
                        for o, x in syn.items() if x["demo"] or x["stand_in"]))
    if st.toggle(ui.tr("leave_out_synthetic"), key="cmp_real_only"):
        flt = dataclasses.replace(flt, models_out=sorted({m for x in syn.values() for m in x["models"]}))
try:
    if a == b:
        raise FilterError(f"{ui.tr('cohort_a')} = {ui.tr('cohort_b')}")
    res = compare_cohorts(con, dataclasses.replace(flt, outcomes=[a]), dataclasses.replace(flt, outcomes=[b]),
                          labels=(a, b), role=role or None)
    n_a, n_b = (int(res.iloc[0][f"n_{a}"]), int(res.iloc[0][f"n_{b}"])) if not res.empty else (0, 0)
    st.caption(f"n({ui.as_text(na_)}) = {n_a} · n({ui.as_text(nb_)}) = {n_b}"
               + (f" · ⚠ {ui.tr('few_note')}" if min(n_a, n_b) < ui.FEW else ""))
    found = findings(res, (a, b))
    st.markdown("#### " + ui.tr("findings"))
    if found.empty:
        st.info(ui.tr("no_findings"))
    else:
        for r in found.itertuples():
            st.markdown(ui.tr("finding", feature=i18n.feature_name(r.feature, lang, role or None), a=ui.as_text(na_), b=ui.as_text(nb_),
                              va=i18n.feature_value(r.feature, r.mean_a, lang), vb=i18n.feature_value(r.feature, r.mean_b, lang),
                              na=r.n_a, nb=r.n_b, strength=ui.tr(f"strength_{r.strength}")))
        charts.cohort_dots(found, {f: i18n.feature_name(f, lang, role or None) for f in found["feature"]}, (na_, nb_),
                           key=f"cmp_dots_{a}_{b}_{role}", cohorts=(a, b))
    with st.expander(ui.tr("stats_table")):
        cohort_cols = {f"{m}_{o}": f"{ui.tr('col_' + m)} · {names[o]}" for m in ("n", "mean", "low", "high", "share")
                       for o in (a, b)}
        ui.table(res, f"compare-{a}-{b}", column_config=cohort_cols)
except EmptyCohort as e:  # say it in words; with demo data left out, say why
    who = ui.as_text(names.get(e.cohort, e.cohort))
    st.info(ui.tr("cohort_only_synthetic", cohort=who) if flt.models_out else ui.tr("cohort_empty", cohort=who))
except FilterError as e:
    st.warning(ui.as_text(e))

# -- the quality forms' items, cohort against cohort (won vs lost demos: which items the lost ones missed)
try:
    qa_forms = load_forms()
except FormError as e:
    qa_forms = []
    st.caption(ui.as_text(e))
for form in qa_forms if a != b else []:
    items = qa_trends.items_by_cohort(con, form, dataclasses.replace(flt, outcomes=[a]), dataclasses.replace(flt, outcomes=[b]),
                                      lang)
    if items.empty:
        continue
    st.subheader(ui.tr("qa_compare", form=ui.as_text(form.label(lang))))
    for r in items.head(3).itertuples():
        st.markdown(ui.tr("qa_compare_line", item=ui.as_text(r.item), a=ui.as_text(na_), b=ui.as_text(nb_),
                          ra=f"{r.miss_rate_a:.0%}", rb=f"{r.miss_rate_b:.0%}", na=int(r.answered_a), nb=int(r.answered_b)))
    charts.cohort_share_bars(items, "item", (na_, nb_), (a, b), ui.tr("qa_missed_axis"), key=f"cmp_qa_{form.id}_{a}_{b}")

st.subheader("→ " + ui.tr("phrase"))
p1, p2, p3 = st.columns([3, 1, 1])
phrase = p1.text_input(ui.tr("phrase"), key="cmp_phrase", max_chars=MAX_TEXT)
speaker = p2.selectbox(ui.tr("speaker"), roles, key="cmp_speaker", format_func=role_names.__getitem__)
window = p3.number_input(ui.tr("window"), 1.0, 60.0, 10.0, 1.0, key="cmp_window")
if phrase.strip():
    try:
        mentions, summary = phrase_reactions(con, phrase, flt, speaker or None, window_s=window, limit=MENTIONS_SHOWN)
        ui.n_caption(mentions.attrs["recordings"])
        cohorts = {c: (ui.tr("cohort_none") if c == "(none)" else i18n.value_name("outcome", c, lang))
                   for c in set(summary["cohort"]) | set(mentions["cohort"])}  # the chart's and the tables' names
        if not summary.empty:
            tops = summary.sort_values("share", ascending=False).groupby("cohort", sort=False).head(1)
            for c, top in tops.set_index("cohort").iterrows():
                st.markdown(ui.tr("reaction_line", phrase=ui.as_text(phrase.strip()), cohort=ui.as_text(cohorts[c]),
                                  reaction=i18n.tag_name(top["reaction"], lang), share=f"{top['share']:.0%}",
                                  m=int(top["mentions"]), r=int(top["recordings"]), s=f"{window:g}"))
            charts.reaction_bars(summary, cohorts, {x: i18n.tag_name(x, lang) for x in summary["reaction"].unique()},
                                 ui.tr("col_share"), key=f"cmp_react_{phrase}_{speaker}_{window}")
        with st.expander(ui.tr("stats_table")):
            ui.table(summary.assign(cohort=summary["cohort"].map(cohorts)), "phrase-reaction-summary")
            if len(mentions) < mentions.attrs["total"]:
                st.caption(ui.tr("mentions_shown", shown=len(mentions), n=mentions.attrs["total"]))
            ui.table(mentions.assign(cohort=mentions["cohort"].map(cohorts)), "phrase-reaction-mentions")
    except FilterError as e:
        st.warning(ui.as_text(e))

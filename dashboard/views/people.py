"""People: the agents (or teachers) with their key rates and trend; a person's scorecard against
their team, week by week with n and an interval; their best and worst moments, which play and open
the timeline there; their open tickets."""
from pathlib import Path

import streamlit as st

from analytics import people
from analytics.options import recording_audio
from dashboard import charts, i18n, ui

st.title(ui.tr("people"))
flt = ui.page_filter()
opts = st.session_state["options"]
con = ui.con()
keys = [k for k in ("agent", "teacher") if k in opts.metadata]
if not keys:
    st.info(ui.tr("no_people"))
    st.stop()
kind_names = {k: ui.tr(f"key_{k}") for k in keys}  # computed now: Streamlit may format options later
key = st.radio(ui.tr("people_kind"), keys, horizontal=True, key="pp_key", format_func=kind_names.__getitem__)
table = people.people(con, key, flt)
if table.empty:
    st.info(ui.tr("no_match"))
    st.stop()
TREND = {"up": "▲", "down": "▼", "steady": "→", "n/a": "–"}
shown = table.assign(trend=table["trend"].map(TREND), angry_share=table["angry_share"] * 100,
                     talk_share=table["talk_share"] * 100,
                     angry_interval=[f"{lo:.0%}–{hi:.0%}" for lo, hi in zip(table["angry_low"], table["angry_high"])])
labels = {c: ui.tr(f"col_{c}") for c in ("person", "team", "recordings", "hours", "angry_share", "angry_interval",
                                          "silences_per_call", "talk_share", "open_tickets", "trend")}
st.dataframe(shown[list(labels)], hide_index=True, width="stretch", key="pp_table",
             column_config={"person": labels["person"], "team": labels["team"], "recordings": labels["recordings"],
                            "hours": st.column_config.NumberColumn(labels["hours"], format="%.1f"),
                            "angry_share": st.column_config.NumberColumn(labels["angry_share"], format="%.0f%%"),
                            "angry_interval": labels["angry_interval"],
                            "silences_per_call": st.column_config.NumberColumn(labels["silences_per_call"], format="%.1f"),
                            "talk_share": st.column_config.NumberColumn(labels["talk_share"], format="%.0f%%"),
                            "open_tickets": labels["open_tickets"], "trend": labels["trend"]})
st.caption(ui.tr("people_note"))

# -- a person's scorecard ---------------------------------------------------------------------------
person = st.selectbox(ui.tr("scorecard_of"), list(table["person"]), key="pp_person")
row = table[table["person"] == person].iloc[0]
st.markdown("#### " + ui.tr("scorecard", who=ui.as_text(person)))
card = people.scorecard(con, person, key, flt)
charts.person_vs_team(card, {"person": person, "team": ui.tr("their_team", team=row["team"] or "–")},
                      ui.tr("col_angry_share"), key=f"pp_card_{key}_{person}")
best, worst = people.moments(con, person, key, flt)
lang = ui.lang()


def moment_list(df, title: str, tag: str) -> None:
    st.markdown("#### " + title)
    if df.empty:
        st.caption(ui.tr("no_moments"))
    for i, m in enumerate(df.itertuples()):
        c1, c2 = st.columns([5, 1], vertical_alignment="center")
        what = i18n.emotion_name(m.emotion, lang) + ("".join(f" · {i18n.EVENT_NAMES.get(lang, {}).get(e, e)}" for e in
                                                             (list(m.events) if m.events is not None else [])))
        c1.markdown(f"**{ui.as_text(m.filename)}** · {ui.mmss(m.start_s)} · {what} — {ui.as_text(m.text)}")
        if c2.button(ui.tr("open_moment"), key=f"pp_{tag}_{i}"):
            ui.goto_timeline(m.recording_id, m.start_s)
        path, _ = recording_audio(con, m.recording_id)
        if path and Path(path).is_file():
            c1.audio(str(path), start_time=int(m.start_s))


left, right = st.columns(2)
with left:
    moment_list(best, ui.tr("best_moments"), "best")
with right:
    moment_list(worst, ui.tr("worst_moments"), "worst")
st.markdown("#### " + ui.tr("open_tickets", n=int(row["open_tickets"])))
for t in people.their_tickets(con, person, key, flt).head(20).itertuples():
    c1, c2 = st.columns([5, 1], vertical_alignment="center")
    c1.markdown(f"**{ui.as_text(ui.rule_name(t.rule_id, t.rule_name))}** — {ui.as_text(t.filename)} · "
                f"{ui.mmss(t.first_evidence_s)}")
    if c2.button(ui.tr("open_moment"), key=f"pp_t_{t.ticket_id}"):
        ui.goto_timeline(t.recording_id, t.first_evidence_s)

"""People: the agents with their key rates and trend (teachers with class measures: talk share,
questions, the wait after them, laughter, stuck points); a person's scorecard against
their team, week by week with n and an interval; their best and worst moments, which play and open
the timeline there; their open tickets."""
from pathlib import Path

import pandas as pd
import streamlit as st

from analytics import people
from analytics.options import recording_audio
from analytics.qa import trends
from analytics.qa.forms import FormError, load_forms
from dashboard import charts, i18n, ui

st.title(ui.tr("people"))
flt = ui.page_filter()
ui.counted_note()
opts = st.session_state["options"]
con = ui.con()
keys = [k for k in ("agent", "teacher") if k in opts.metadata]
if not keys:
    st.info(ui.tr("no_people"))
    st.stop()
kind_names = {k: ui.tr(f"key_{k}") for k in keys}  # computed now: Streamlit may format options later
key = st.radio(ui.tr("people_kind"), keys, horizontal=True, key="pp_key", format_func=kind_names.__getitem__)
TREND = {"up": "▲", "down": "▼", "steady": "→", "n/a": "–"}
teach = key == "teacher"  # classes are measured in class words: questions, waits, laughter, stuck points
table = people.teachers(con, flt) if teach else people.people(con, key, flt)
if table.empty:
    st.info(ui.tr("no_match"))
    st.stop()
pct = st.column_config.NumberColumn


def col(name: str, fmt: str | None = None, width: int = 80):
    """A narrow column headed in the page's language (a short header), its meaning on hover: the
    whole table fits a laptop's screen beside the sidebar."""
    label = ui.tr(f"head_{name}") if ui.has(f"head_{name}") else ui.tr(f"col_{name}")
    help_ = ui.tr(f"help_{name}") if ui.has(f"help_{name}") else None
    return pct(label, format=fmt, help=help_, width=width) if fmt else \
        st.column_config.TextColumn(label, help=help_, width=width)


if teach:
    shown = table.assign(trend=table["trend"].map(TREND), talk_share=table["talk_share"] * 100,
                         course=table["course"].fillna("–"))
    config = {"person": col("person", width=105), "course": col("course", width=105),
              "classes": col("classes", "%d"), "hours": col("hours", "%.1f"), "talk_share": col("teacher_talk", "%.0f%%"),
              "questions_per_class": col("questions_per_class", "%.1f"), "wait_s": col("wait_s", "%.1f s"),
              "laughs_per_class": col("laughs_per_class", "%.1f"), "stuck_per_class": col("stuck_per_class", "%.1f"),
              "open_tickets": col("open_tickets", "%d"), "trend": col("trend")}
else:
    shown = table.assign(trend=table["trend"].map(TREND), angry_share=table["angry_share"] * 100,
                         talk_share=table["talk_share"] * 100, team=table["team"].fillna("–"),
                         angry_interval=[f"{lo:.0%}–{hi:.0%}" for lo, hi in zip(table["angry_low"], table["angry_high"])])
    config = {"person": col("person", width=105), "team": col("team", width=105),
              "recordings": col("recordings", "%d"),
              "hours": col("hours", "%.1f"), "angry_share": col("angry_share", "%.0f%%"),
              "angry_interval": col("angry_interval"), "silences_per_call": col("silences_per_call", "%.1f"),
              "talk_share": col("talk_share", "%.0f%%"), "open_tickets": col("open_tickets", "%d"),
              "trend": col("trend")}
st.dataframe(shown[list(config)], hide_index=True, width="stretch", key="pp_table", column_config=config)
st.caption(ui.tr("teachers_note" if teach else "people_note"))

# -- a person's scorecard ---------------------------------------------------------------------------
person = st.selectbox(ui.tr("scorecard_of"), list(table["person"]), key="pp_person")
row = table[table["person"] == person].iloc[0]
st.markdown("#### " + ui.tr("scorecard_teacher" if teach else "scorecard", who=ui.as_text(person)))
card = people.scorecard(con, person, key, flt)
if not (card[card["who"] == "team"]["n"] > 0).any():  # nobody to draw the team's line from: say so
    st.caption(ui.tr("no_other_teachers" if teach else "no_team_mates", who=ui.as_text(person)))
others = ui.tr("other_teachers") if teach else ui.tr("their_team", team=row["team"] if isinstance(row["team"], str) else "–")
charts.person_vs_team(card, {"person": person, "team": others},
                      ui.tr("col_stuck_share" if teach else "col_angry_share"), key=f"pp_card_{key}_{person}")
if teach:
    best, worst = people.class_moments(con, person, flt)
else:
    best, worst = people.moments(con, person, key, flt)
lang = ui.lang()


def what_happened(m) -> str:
    """A moment in words: the emotion and events heard; for a stuck point, the silence and cough."""
    if hasattr(m, "silence_s"):
        return ui.tr("stuck_what", s=f"{m.silence_s:.1f}") + (" · " + ui.tr("coughed") if m.coughed else "")
    return i18n.emotion_name(m.emotion, lang) + "".join(
        f" · {i18n.EVENT_NAMES.get(lang, {}).get(e, e)}" for e in (list(m.events) if m.events is not None else []))


def moment_list(df, title: str, tag: str) -> None:
    st.markdown("#### " + title)
    if df.empty:
        st.caption(ui.tr("no_moments"))
    for i, m in enumerate(df.itertuples()):
        c1, c2 = st.columns([5, 1], vertical_alignment="center")
        c1.markdown(f"**{ui.as_text(m.filename)}** · {ui.mmss(m.start_s)} · {what_happened(m)} — {ui.as_text(m.text)}")
        if c2.button(ui.tr("open_moment"), key=f"pp_{tag}_{i}"):
            ui.goto_timeline(m.recording_id, m.start_s)
        path, _ = recording_audio(con, m.recording_id)
        if path and Path(path).is_file():
            c1.audio(str(path), start_time=int(m.start_s))


left, right = st.columns(2)
with left:
    moment_list(best, ui.tr("best_class_moments" if teach else "best_moments"), "best")
with right:
    moment_list(worst, ui.tr("worst_class_moments" if teach else "worst_moments"), "worst")
st.markdown("#### " + ui.tr("open_tickets", n=int(row["open_tickets"])))
for t in people.their_tickets(con, person, key, flt).head(20).itertuples():
    c1, c2 = st.columns([5, 1], vertical_alignment="center")
    c1.markdown(f"**{ui.as_text(ui.rule_name(t.rule_id, t.rule_name))}** — {ui.as_text(t.filename)} · "
                f"{ui.mmss(t.first_evidence_s)}")
    if c2.button(ui.tr("open_moment"), key=f"pp_t_{t.ticket_id}"):
        ui.goto_timeline(t.recording_id, t.first_evidence_s)


# -- their quality scores ---------------------------------------------------------------------------
st.markdown("#### " + ui.tr("qa_of_person", who=ui.as_text(person)))
try:
    qa_forms = load_forms()
except FormError as e:
    qa_forms = []
    st.caption(ui.as_text(e))
scored = 0
for form in qa_forms:
    q = trends.of_person(con, form, key, person, flt, lang)
    s, everyone = q["summary"], q["everyone"]
    if not s["calls"]:
        continue
    scored += 1
    st.markdown(ui.tr("qa_person_line_class" if teach else "qa_person_line", form=ui.as_text(form.label(lang)), n=s["calls"],
                      avg=f"{s['average']:.1f}", all=f"{everyone['average']:.1f}", rate=f"{s['pass_rate']:.0%}",
                      mark=form.pass_mark, fatal=s["fatal"]))
    for it in q["items"][q["items"]["missed"] > 0].head(3).itertuples():
        st.caption(ui.tr("qa_person_missed_class" if teach else "qa_person_missed", item=ui.as_text(it.item), k=it.missed, n=it.answered))
    calls = q["calls"]
    labels = {r.recording_id: f"{ui.recording_labels([r.recording_id], [r.filename])[r.recording_id]} · "
              f"{ui.tr('qa_score_of', score=r.score) if pd.notna(r.score) else ui.tr('qa_waiting')}"
              for r in calls.head(200).itertuples()}
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    pick = c1.selectbox(ui.tr("qa_pick_call"), list(labels), format_func=labels.__getitem__, key=f"pp_qa_{form.id}")
    if c2.button(ui.tr("qa_open_review"), key=f"pp_qa_open_{form.id}") and pick:
        ui.goto_review(pick, form.id)
if not scored:
    st.caption(ui.tr("qa_person_none", who=ui.as_text(person)))

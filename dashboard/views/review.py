"""Review a call: the form beside what was said. Each item with the machine's answer and the
moments that decided it (playing from that second); a reviewer confirms or overrides with a
comment and answers the items left to a person; an agent acknowledges or disputes an item; the
history of every change. In a calibration round (``round``) the reviewer scores blind."""
import json

import pandas as pd
import streamlit as st

from analytics.audio import playable
from analytics.filters import FilterError
from analytics.options import has_recording, recording_audio
from analytics.qa import disputes, review, scores
from analytics.qa.forms import FormError, load_forms
from analytics.timeline import link_moment, rich_text
from dashboard import i18n, login, ui

st.title(ui.tr("review"))
lang = ui.lang()
con = ui.con()
d = ui.data()
try:
    forms = {f.id: f for f in load_forms()}
except FormError as e:
    st.error(ui.as_text(e))
    st.stop()
q = st.query_params
if q.get("recording") and q.get("recording") != st.session_state.get("_rv_link"):  # a link (a notification)
    st.session_state["_rv_link"] = q["recording"]
    try:
        rid, _ = link_moment(q["recording"], None)
        st.session_state["qa_call"] = (rid, q.get("form"), q.get("round"))
    except FilterError as e:
        st.warning(ui.tr("bad_link", e=ui.as_text(str(e))))
call = st.session_state.get("qa_call")
if call and not has_recording(con, call[0]):  # gone, never here, or not theirs: the same words
    st.warning(ui.tr("link_not_found"))
    call = None
scored = scores.scored_calls(con, ui.page_filter())
if call is None and scored.empty:
    st.info(ui.tr("qa_call_not_scored"))
    st.stop()
# the call: the one asked for, else one picked among the newest scored (500)
choices = scored.drop_duplicates("recording_id").head(500)
ids = list(choices["recording_id"])
labels = ui.recording_labels(ids, choices["filename"])
if call and call[0] not in labels:
    ids.insert(0, call[0])
    labels[call[0]] = call[0][:8]
rid = st.selectbox(ui.tr("qa_pick_call"), ids, index=ids.index(call[0]) if call else 0, key="rv_pick",
                   format_func=labels.__getitem__)
round_ = call[2] if call and call[0] == rid else None
answered_forms = [f for f in scores.item_answers(con, rid)["form_id"].unique() if f in forms]
wanted = call[1] if call and call[0] == rid and call[1] in forms else None
form_ids = answered_forms or ([wanted] if wanted else [])
if not form_ids:
    st.info(ui.tr("qa_call_not_scored"))
    st.stop()
fid = st.radio(ui.tr("qa_form"), form_ids, index=form_ids.index(wanted) if wanted in form_ids else 0, horizontal=True,
               key="rv_form", format_func=lambda x: forms[x].label(lang)) if len(form_ids) > 1 else form_ids[0]
form = forms[fid]
st.session_state["qa_call"] = (rid, fid, round_)
st.query_params.update({"recording": rid, "form": fid})
st.session_state["_rv_link"] = rid
login.audited("open_recording", rid, once=True)
blind = round_ is not None
if blind:
    st.info(ui.tr("qa_blind", name=ui.as_text(round_)))
    st.query_params["round"] = round_
items = scores.item_answers(con, rid, fid).set_index("item_id")
score = scores.call_score(con, rid, fid)
if not blind and score:
    st.markdown(ui.tr("qa_score_line", score="–" if pd.isna(score["score"]) else f"{score['score']:.1f}",
                      form=ui.as_text(form.label(lang)), mark=form.pass_mark, missed=int(score["missed"]),
                      waiting=int(score["waiting"])))
    if score["failed_fatal"]:
        st.error(ui.tr("qa_fatal_line"))
states = disputes.states(con, recording_id=rid)
states = states[states["form_id"] == fid]


def said(value, na: bool, status: str | None = None) -> str:
    """An answer in words: yes / no / a scale's value / does not apply / for a person."""
    if status == "person":
        return ui.tr("qa_pending")
    if na or status == "na":
        return ui.tr("qa_na")
    if value is None or pd.isna(value):
        return ui.tr("qa_unanswered")
    return f"{value:g}"


def yes_no(value, item) -> str:
    return said(value, False) if item.answer == "scale" or value is None or pd.isna(value) else \
        ui.tr("qa_yes" if value == 1 else "qa_no")


def moments(item_id: str, passed: bool) -> None:
    """The machine's moments for an item: each plays the call from its second; a window where nothing was
    found reads "none in" when that passed the item and "not found in" when it failed it."""
    ev = json.loads(items.loc[item_id, "evidence"] or "[]") if item_id in items.index else []
    for i, m in enumerate(ev[:3]):
        b, e = ui.mmss(m.get("start_s")), ui.mmss(m.get("end_s"))
        if m.get("absence"):
            st.caption(ui.tr("qa_none_in" if passed else "qa_not_found", b=b, e=e))
            continue
        text = ui.as_text(m.get("text") or "")
        if st.button(f"{ui.tr('qa_play_from', at=b)} {text[:60]}", key=f"rv_m_{item_id}_{i}"):
            st.session_state["rv_at"] = (rid, float(m.get("start_s") or 0))


left, right = st.columns([3, 2])
with right:
    st.subheader(ui.tr("qa_transcript"))
    path, muted = playable(con, d.store, rid, recording_audio(con, rid)[0])
    at = st.session_state.get("rv_at")
    start = int(at[1]) if at and at[0] == rid else 0
    if path is not None:
        st.audio(str(path), start_time=start)
        login.audited("play_audio", rid, {"muted_segments": muted} if muted else None, once=True)
    else:
        st.caption(ui.tr("no_audio"))
    st.text(rich_text(con, rid, name=lambda w: i18n.role_name(w, lang) if w and w.islower() else i18n.tag_name(w, lang)))

with left:
    for section in form.sections:
        st.subheader(ui.as_text(section.label(lang)))
        for item in (i for i in form.items if i.section == section.id):
            row = items.loc[item.id] if item.id in items.index else None
            badges = [ui.tr("qa_weight", w=item.weight)] + ([ui.tr("qa_fatal_item")] if item.fatal else [])
            st.markdown(f"**{ui.as_text(item.label(lang))}** · " + " · ".join(badges))
            if row is None:
                continue
            if not blind:
                machine = said(row["machine_answer"], False, row["machine"]) if row["machine"] in ("na", "person") \
                    else yes_no(row["machine_answer"], item)
                line = ui.tr("qa_said_by", who=ui.tr("qa_machine"), what=machine)
                if row["reviewed"]:
                    line += " · " + ui.tr("qa_said_by", who=f"{ui.tr('qa_person')} ({ui.as_text(row['reviewed_by'])})",
                                          what=said(None, True) if row["na"] else yes_no(row["answer"], item))
                    if isinstance(row["comment"], str):
                        line += f" — {ui.as_text(row['comment'])}"
                st.caption(line)
                moments(item.id, row["machine_answer"] == 1)
            for s in states[states["item_id"] == item.id].itertuples():
                st.caption(ui.tr("qa_dispute_state", state=i18n.value_name("state", s.state, lang),
                                 reason=ui.as_text(s.decision_reason if isinstance(s.decision_reason, str) else s.reason)))

    if login.may("review"):
        with st.form(f"rv_form_{rid}_{fid}_{round_}"):
            st.markdown(f"**{ui.tr('qa_save_review')}**")
            choices_of, picked, notes = {}, {}, {}
            for item in form.items:
                opts = ([1.0, 0.0] if item.answer == "yes_no" else [float(v) for v in range(item.scale, -1, -1)]) \
                    + (["na"] if item.na else [])
                names = {o: (ui.tr("qa_na") if o == "na" else yes_no(o, item)) for o in opts}
                row = items.loc[item.id] if item.id in items.index else None
                now = None if blind or row is None else ("na" if row["na"] else row["answer"])
                idx = opts.index(now) if now in opts else None
                c1, c2 = st.columns([2, 3])
                picked[item.id] = c1.radio(ui.as_text(item.label(lang)), opts, index=idx, horizontal=True,
                                           key=f"rv_a_{rid}_{fid}_{round_}_{item.id}", format_func=names.__getitem__)
                notes[item.id] = c2.text_input(ui.tr("qa_comment"), key=f"rv_c_{rid}_{fid}_{round_}_{item.id}",
                                               max_chars=2000)
                choices_of[item.id] = now
            if st.form_submit_button(ui.tr("qa_save_review"), type="primary"):
                written = 0
                try:
                    for item in form.items:
                        value = picked[item.id]
                        if value is None:
                            continue
                        row = items.loc[item.id] if item.id in items.index else None
                        if not blind and row is not None and row["reviewed"] and value == choices_of[item.id] \
                                and not notes[item.id]:
                            continue  # as a person left it
                        review.answer(d.store, con, form, rid, item.id, None if value == "na" else value, login.who(),
                                      comment=notes[item.id], na=value == "na", round_=round_)
                        written += 1
                    login.audited("qa_review", rid, {"form": fid, "answers": written, "round": round_})
                    st.session_state["rv_done"] = ui.tr("qa_review_saved", n=written)
                    st.rerun()
                except (FormError, FilterError) as e:
                    st.error(ui.as_text(e))
    if done := st.session_state.pop("rv_done", None):
        st.success(done)

    if login.may("dispute") and not blind:
        if st.button(ui.tr("qa_acknowledge"), key=f"rv_ack_{rid}"):
            disputes.acknowledge(d.store, con, form, rid, login.who())
            login.audited("qa_dispute", rid, {"form": fid, "acknowledge": True})
            st.success(ui.tr("qa_acknowledged"))
        with st.form(f"rv_dispute_{rid}_{fid}", clear_on_submit=True):
            inames = {i.id: i.label(lang) for i in form.items}
            which = st.selectbox(ui.tr("qa_dispute"), list(inames), key=f"rv_d_item_{rid}", format_func=inames.__getitem__)
            why = st.text_input(ui.tr("qa_dispute_reason"), key=f"rv_d_why_{rid}", max_chars=2000)
            if st.form_submit_button(ui.tr("qa_dispute")):
                try:
                    disputes.dispute(d.store, con, form, rid, which, why, login.who())
                    login.audited("qa_dispute", rid, {"form": fid, "item": which})
                    st.session_state["rv_done"] = ui.tr("qa_disputed")
                    st.rerun()
                except FormError as e:
                    st.error(ui.as_text(e))

    if not blind:
        st.subheader(ui.tr("qa_history"))
        h = review.history(con, rid, fid)
        if h.empty:
            st.caption(ui.tr("qa_no_history"))
        else:
            def word(v, item_id):  # "1.0" -> yes, "na" -> does not apply
                item = next((i for i in form.items if i.id == item_id), None)
                if not isinstance(v, str) or item is None:
                    return v
                return said(None, True) if v == "na" else yes_no(float(v), item)
            h = h.assign(item=h["item_id"].map({i.id: i.label(lang) for i in form.items}),
                         answer_from=[word(v, i) for v, i in zip(h["answer_from"], h["item_id"])],
                         answer_to=[word(v, i) for v, i in zip(h["answer_to"], h["item_id"])])
            ui.table(h.drop(columns=["item_id"]), f"qa-history-{rid[:8]}")

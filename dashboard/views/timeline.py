"""Timeline of one recording: segments coloured by emotion over time with events, pauses and
loudness; the tagged transcript; clicking a segment plays the audio from there and opens its
one-click correction."""

import streamlit as st

from analytics import confidence
from analytics.audio import playable
from analytics.corrections import EMOTION_CHOICES, EVENT_CHOICES, correct_segment
from analytics.filters import FilterError
from analytics.options import has_recording, model_kind, recording_audio, recording_choices
from analytics.speakers import correct_speaker, recording_speakers, remember_voice, speaker_count, swap_roles
from analytics.talk.trackers import TrackerError, current_trackers, said_in
from analytics.timeline import link_moment, raised_voices, rich_text, timeline
from dashboard import charts, i18n, login, ui


def how_sure(row, limits: dict[str, float]) -> str:
    """How sure the model was of a segment's emotion, in the page's language (the chart's hover)."""
    lang = ui.lang()
    if row.emotion_by_person:
        return ui.tr("how_corrected")
    if row.emotion_confidence is None or row.emotion_confidence != row.emotion_confidence:  # None or NaN
        return ui.tr("how_none") + second_opinion(row)
    alts = [(t, p) for t, p in confidence.top(row.emotion_probs, 2) if t != row.emotion]
    alt = ui.tr("how_alt", tag=i18n.emotion_name(alts[0][0], lang), p=f"{alts[0][1]:.2f}") if alts else ""
    out = ui.tr("how_sure", tag=i18n.emotion_name(row.emotion, lang), p=f"{row.emotion_confidence:.2f}", alt=alt)
    if not confidence.counts(float(row.emotion_confidence), row.emotion, limits):
        out += ui.tr("how_weak", t=f"{limits.get(row.emotion, confidence.DEFAULT_THRESHOLD):.2f}")
    return out + second_opinion(row)


def second_opinion(row) -> str:
    """What the second model (emotion2vec+) heard, where it was asked; whether it disputes the tag."""
    other = getattr(row, "second_emotion", None)
    if not isinstance(other, str):
        return ""
    said = ui.tr("how_second", tag=i18n.emotion_name(other, ui.lang()), p=f"{row.second_emotion_confidence:.2f}")
    return said + (ui.tr("how_disputed") if confidence.disputed(row.emotion, other) else "")


def spoken_over(row) -> str:
    """How long another party spoke at the same time as this segment (the chart's hover)."""
    over = getattr(row, "overlap_s", None)
    return ui.tr("how_overlap", s=f"{over:.1f}") if isinstance(over, float) and over > 0 else ""


def thresholds_rule(limits: dict[str, float]) -> str:
    """Which thresholds the team uses, in a few words."""
    other = ui.thresholds_set(limits)
    others = ui.tr("thresholds_other", tags=other) if other else ""
    return ui.tr("thresholds_rule", default=f"{confidence.DEFAULT_THRESHOLD:.2f}", others=others)

st.title(ui.tr("timeline"))
flt = ui.page_filter()
q = st.query_params  # a link (a notification, a shared view): ?recording=ID&t=SECONDS
con = ui.con()
if q.get("recording") and q.get("recording") != st.session_state.get("_tl_link"):
    st.session_state["_tl_link"] = q["recording"]
    try:
        link_rid, link_at = link_moment(q["recording"], q.get("t"))
    except FilterError as e:
        st.warning(ui.tr("bad_link", e=ui.as_text(str(e))))
    else:
        if not has_recording(con, link_rid):  # gone, never here, or not yours: the same words
            st.warning(ui.tr("link_not_found"))
        else:
            st.session_state["recording_id"] = link_rid
            st.session_state["tl_at"] = (link_rid, link_at)
PICKER = 500  # the most recent recordings in the picker; others open from Sessions, Heatmaps or a filter
recs = recording_choices(con, flt, limit=PICKER, keep=st.session_state.get("recording_id"))
if recs.empty:
    st.info(ui.tr("no_match"))
    st.stop()
ids = list(recs["recording_id"])
labels = ui.recording_labels(recs["recording_id"], recs["filename"])  # once, not per option
current = st.session_state.get("recording_id")
rid = st.selectbox(ui.tr("recording"), ids, index=ids.index(current) if current in ids else 0, key="tl_pick",
                   format_func=labels.__getitem__)
st.session_state["recording_id"] = rid
st.query_params["recording"] = rid  # the address opens this recording again
st.session_state["_tl_link"] = rid
login.audited("open_recording", rid, once=True)
if len(ids) >= PICKER:
    st.caption(ui.tr("latest_only", n=PICKER))
tl = timeline(con, rid)
_, rec_model = recording_audio(con, rid)
st.caption(ui.tr("recording_model", model=ui.tr("demo_model") if model_kind(rec_model) == "demo" else ui.as_text(rec_model)))
if model_kind(rec_model) == "stand_in":
    st.error(ui.tr("recording_noise"), icon="⚠️")
segs, pauses = tl[tl["item"] == "segment"], tl[tl["item"] == "pause"]
lang = ui.lang()

at = st.session_state.pop("tl_at", None)  # opened at a moment (a ticket, a search hit)
if at is not None and at[0] == rid and not segs.empty:
    here = segs[(segs["start_s"] <= at[1] + 0.01) & (segs["end_s"] >= at[1] - 0.01)]
    pick = here if not here.empty else segs.iloc[[int((segs["start_s"] - at[1]).abs().argmin())]]
    st.session_state["tl_seg"] = int(pick.iloc[0]["seg_index"])
    st.session_state["tl_mark"] = (rid, st.session_state["tl_seg"], float(at[1]))
# The moment in view, marked on the chart and kept in the address (t=): the moment the page was opened at,
# or the start of the segment picked or clicked since (none before either: the chart stays as drawn, so a
# first click on it is not lost to a redrawn figure)
mark = st.session_state.get("tl_mark")
moment = mark[2] if mark and mark[0] == rid and mark[1] == st.session_state.get("tl_seg") else None
if moment is not None:
    st.query_params["t"] = f"{moment:.1f}"
else:
    st.query_params.pop("t", None)
limits = confidence.thresholds(con)
segs = segs.assign(sure=confidence.sure_tags(segs, limits),
                   how=[how_sure(r, limits) + spoken_over(r) for r in segs.itertuples()])
clicked = charts.emotion_timeline(segs, pauses, lang, key=f"tl_chart_{rid}", events_label=ui.tr("events"),
                                  loudness_label=ui.tr("loudness_axis"), moment=moment, raised_label=ui.tr("raised_voice"),
                                  raised_hover=ui.tr("raised_hover"))
if clicked is not None and st.session_state.get("tl_clicked") != (rid, clicked):
    st.session_state["tl_clicked"] = (rid, clicked)  # a new click moves the segment picker below
    st.session_state["tl_seg"] = clicked
    st.session_state["tl_mark"] = (rid, clicked, float(segs.loc[segs["seg_index"] == clicked, "start_s"].iloc[0]))
    st.rerun()  # and the mark on the chart
st.caption(ui.tr("n_segments", n=len(segs)) + " · " + ui.tr("click_segment"))
# a second opinion (ingest --emotion-second-opinion) that names another emotion fades a tag too
disputed = confidence.disputed_tags(segs)
if any(not sure and not d for sure, d in zip(segs["sure"], disputed)):
    st.caption(ui.tr("weak_tags", rule=thresholds_rule(limits)))
if (heard := segs["second_emotion"].notna()).any():
    st.caption(ui.tr("second_opinion", n=int(heard.sum()), d=sum(disputed)))
if (over := segs["overlap_s"].fillna(0)).sum() > 0:  # two parties at once (ingest.signals.mark_overlap)
    st.caption(ui.tr("overlap_note", n=int((segs["overlap"] == True).sum()), s=f"{over.sum() / 2:.1f}"))  # noqa: E712
for r in raised_voices(tl):  # what the voice did, measured from the audio, whatever the model heard
    st.markdown(ui.tr("raised_sentence", role=i18n.role_name(r["role"], lang), pct=r["pct"], st=f"{r['st']:.1f}",
                      db=f"{r['db']:.0f}", at=ui.mmss(r["start_s"])))

try:  # the trackers this call says, and when (analytics.talk)
    said = said_in(segs, current_trackers(), float(segs["end_s"].max()) if not segs.empty else None)
except TrackerError:
    said = []  # a broken trackers file is said on the Trackers page
if said:
    st.markdown(ui.tr("tk_in_call") + " " + " · ".join(f"**{ui.as_text(t.label(lang))}** ({', '.join(ui.mmss(a) for a in at[:5])}"
                                                       + (" …" if len(at) > 5 else "") + ")" for t, at in said))

left, right = st.columns([3, 2])
with left:
    st.subheader(ui.tr("transcript"))
    st.text(rich_text(con, rid, tl=tl, name=lambda w: i18n.role_name(w, lang) if w and w.islower() else i18n.tag_name(w, lang)))
    # item and role are said in the page's language (tables.shown); the probabilities: on hover and beside a correction
    ui.table(tl.drop(columns=["emotion_probs", "event_probs", "emotion_by_person", "events_by_person"]), f"timeline-{rid[:8]}")
with right:
    seg_ids = list(segs["seg_index"].astype(int))
    if st.session_state.get("tl_seg") not in seg_ids:
        st.session_state.pop("tl_seg", None)  # a segment of another recording
    if seg_ids:
        by_index = segs.set_index("seg_index")
        seg_names = {i: f"{ui.mmss(by_index.at[i, 'start_s'])} · {i18n.role_name(by_index.at[i, 'role'] or '–', lang)} · "
                        f"{i18n.emotion_name(by_index.at[i, 'emotion'], lang)}" for i in seg_ids}
        idx = st.selectbox(ui.tr("segment"), seg_ids, key="tl_seg", format_func=seg_names.__getitem__,
                           on_change=lambda: st.session_state.__setitem__(
                               "tl_mark", (rid, st.session_state["tl_seg"], float(by_index.at[st.session_state["tl_seg"], "start_s"]))))
        row = by_index.loc[idx]
        path, muted = playable(con, ui.data().store, rid, recording_audio(con, rid)[0])
        if path is not None:
            if muted:  # segments with phone, ID or card numbers are muted in playback
                st.caption(ui.tr("pii_muted", n=muted))
            st.audio(str(path), start_time=int(row["start_s"]))
            login.audited("play_audio", rid, {"muted_segments": muted} if muted else None, once=True)
        else:
            st.caption(ui.tr("no_audio"))
        st.markdown(f"**{ui.tr('correct')}**" + (" ✎" if row.get("corrected") else ""))
        said = [f"{i18n.tag_name(t, lang)} {p:.0%}" for probs in (row["emotion_probs"], row["event_probs"])
                for t, p in confidence.top(probs, 3) if p >= 0.05]
        if said:  # the model's probabilities beside the person's choice
            st.caption(ui.tr("model_probs", probs=" · ".join(said)))
        if second := second_opinion(row):  # and the second model's verdict
            st.caption(second.lstrip(" ·"))
        choices = list(EMOTION_CHOICES)
        emo = st.selectbox(ui.tr("emotion"), choices, index=choices.index(row["emotion"])
                           if row["emotion"] in choices else 0, key=f"tl_emo_{rid}_{idx}",
                           format_func=lambda e: i18n.emotion_name(e, lang))
        now = [e for e in (list(row["events"]) if row["events"] is not None else []) if e in EVENT_CHOICES]
        event_names = {e: i18n.tag_name(e, lang) for e in EVENT_CHOICES}  # now: Streamlit may format options later
        evs = st.multiselect(ui.tr("events"), list(EVENT_CHOICES), default=now, key=f"tl_ev_{rid}_{idx}",
                             placeholder=ui.tr("choose"), format_func=event_names.__getitem__)
        if st.session_state.pop("tl_saved", None) == (rid, int(idx)):
            st.success(ui.tr("saved"))
        if st.button(ui.tr("save"), key="tl_save", disabled=not login.may("correct"), help=login.read_only("correct")):
            try:
                correct_segment(ui.data().store, con, rid, int(idx), emo, evs, by=login.who())
                login.audited("correct", rid, {"segment": int(idx), "emotion": emo, "events": evs})
                st.session_state["tl_saved"] = (rid, int(idx))
                st.rerun()  # the chart and the transcript show the correction at once
            except FilterError as e:
                st.error(ui.as_text(e))


def who_spoke(rid: str) -> None:
    """The recording's speakers, with one-click fixes: swap the roles, name a speaker (and keep
    their voiceprint)."""
    spk = recording_speakers(con, rid)
    if spk.empty:
        return
    st.subheader(ui.tr("speakers_title"))
    if (count := speaker_count(con, rid)) is not None:
        n, reason, sep = count
        st.markdown(ui.tr(f"count_{reason}", n=n, sep="–" if sep is None else f"{sep:.2f}"))
    st.caption(ui.tr("speakers_help"))
    if (done := st.session_state.pop("tl_spk_done", None)) is not None and done[0] == rid:
        st.success(done[1])  # said after the rerun that shows the fix in the lines below
    for s in spk.itertuples():
        named = isinstance(s.name, str) and s.name
        st.markdown(ui.tr("speaker_line", s=ui.as_text(s.speaker), role=ui.as_text(i18n.role_name(s.role, lang)),
                          name=ui.as_text(s.name) if named else ui.tr("unnamed"), talk=ui.mmss(s.talk_s), n=s.segments,
                          source=i18n.role_source(s.role_source, lang)))
    if not login.may("correct"):  # the fixes below are a lead's or an admin's
        return
    if spk["role"].nunique() == 2 and st.button(ui.tr("swap_roles"), key=f"tl_swap_{rid}"):
        swap_roles(ui.data().store, con, rid, by=login.who())
        login.audited("correct", rid, {"speakers": "swapped roles"})
        st.rerun()
    with st.form(f"tl_speaker_{rid}"):
        who = st.selectbox(ui.tr("fix_speaker"), list(spk["speaker"]), key=f"tl_spk_{rid}")
        role = st.text_input(ui.tr("speaker_role"), key=f"tl_spk_role_{rid}", max_chars=40)
        name = st.text_input(ui.tr("speaker_name"), key=f"tl_spk_name_{rid}", max_chars=100)
        remember = st.checkbox(ui.tr("remember_voice"), key=f"tl_spk_voice_{rid}")
        if st.form_submit_button(ui.tr("save")):
            try:
                correct_speaker(ui.data().store, con, rid, who, role=role or None, name=name or None, by=login.who())
                login.audited("correct", rid, {"speaker": who, "role": role or None, "name": name or None})
                said = ui.tr("saved")
                if remember and name:
                    vp = remember_voice(con, ui.data().db_path, rid, who, name)
                    said = ui.tr("voice_saved", name=ui.as_text(vp.name), s=vp.seconds)
                st.session_state["tl_spk_done"] = (rid, said)
                st.rerun()  # the speaker lines above show the new role or name at once
            except (FilterError, ValueError, OSError) as e:
                st.error(ui.as_text(e))


who_spoke(rid)

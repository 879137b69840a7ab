"""Moments: find what was said across recordings — by words, and by the tags and role chosen in the
filters — each with its time (mm:ss) and the lines before and after; play it from that second or
open the timeline there. The words live in the page's address (?q=…)."""
from pathlib import Path

import streamlit as st

from analytics import playlists
from analytics.filters import FilterError
from analytics.options import recording_audio
from analytics.search import NothingToFind, moments
from dashboard import i18n, login, ui

st.title(ui.tr("moments"))
flt = ui.page_filter()
con = ui.con()
q = st.text_input(ui.tr("moments_query"), value=st.query_params.get("q", ""), key="mo_q",
                  placeholder=ui.tr("moments_placeholder"))
st.query_params["q"] = q
st.caption(ui.tr("moments_help"))
try:
    found = moments(con, q, flt)
except NothingToFind:
    st.info(ui.tr("moments_need"))
    st.stop()
except FilterError as e:
    st.info(ui.as_text(e))
    st.stop()
if found.empty:
    st.info(ui.tr("moments_none", q=ui.as_text(q.strip())) if q.strip() else ui.tr("no_match"))
    st.stop()
lang = ui.lang()
if login.may("trackers") and st.button(ui.tr("tk_track_this"), key="mo_track"):  # a tracker made from these words
    st.session_state["tk_prefill"] = q.strip()
    st.switch_page(str(Path(__file__).with_name("trackers.py")))
SHOWN = 50
st.caption(ui.tr("moments_found_more" if len(found) > SHOWN else "moments_found", n=len(found),
                 r=found["recording_id"].nunique(), shown=SHOWN))
playlist = st.text_input(ui.tr("playlist_name"), value=st.session_state.get("_playlist", ui.tr("playlist_default")),
                         key="mo_playlist")
st.session_state["_playlist"] = playlist
for i, m in enumerate(found.head(SHOWN).itertuples()):
    with st.container(border=True):
        c1, c2 = st.columns([6, 1], vertical_alignment="center")
        tags = [i18n.tag_name(m.emotion, lang)] + [i18n.tag_name(e, lang) for e in (list(m.events) if m.events is not None else [])]
        c1.markdown(f"**{ui.as_text(m.filename)}** · {ui.mmss(m.start_s)} · {i18n.role_name(m.role, lang)} · {' · '.join(tags)}")
        if isinstance(m.before, str) and m.before:
            c1.caption(f"… {ui.as_text(m.before)}")
        c1.markdown(ui.marked(m.text, q))  # the line found in full colour, what it says in bold; its context greyed
        if isinstance(m.after, str) and m.after:
            c1.caption(f"{ui.as_text(m.after)} …")
        if c2.button(ui.tr("open_moment"), key=f"mo_open_{i}"):
            ui.goto_timeline(m.recording_id, m.start_s)
        if login.may("playlists") and c2.button(ui.tr("save_moment"), key=f"mo_save_{i}"):
            try:
                playlists.add(ui.data().store, con, playlist, m.recording_id, m.seg_index, by=login.who())
                c1.success(ui.tr("saved_to", name=ui.as_text(playlist)))
            except FilterError as e:
                c1.error(ui.as_text(e))
        path, _ = recording_audio(con, m.recording_id)
        if path and Path(path).is_file():
            c1.audio(str(path), start_time=int(m.start_s))

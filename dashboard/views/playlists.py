"""Playlists for coaching: the moments saved under a name, each opening its timeline there; the
whole playlist as one HTML file with the audio clips (segments with personal data muted)."""
import streamlit as st

from analytics import playlists
from analytics.filters import FilterError
from dashboard import i18n, login, session, ui

st.title(ui.tr("playlists"))
con = ui.con()
lists = playlists.playlists(con)
if lists.empty:
    st.info(ui.tr("no_playlists"))
    st.stop()
names = list(lists["playlist"])
q = st.query_params.get("name")
name = st.selectbox(ui.tr("playlist_name"), names, index=names.index(q) if q in names else 0, key="pl_name",
                    format_func=lambda n: n)
st.query_params["name"] = name
df = playlists.items(con, name)
lang = ui.lang()
st.caption(ui.tr("playlist_count", n=len(df), r=df["recording_id"].nunique()))
for i, m in enumerate(df.itertuples()):
    with st.container(border=True):
        c1, c2 = st.columns([6, 1], vertical_alignment="center")
        c1.markdown(f"**{ui.as_text(m.filename)}** · {ui.mmss(m.start_s)} · {i18n.role_name(str(m.role), lang)} · "
                    f"{i18n.tag_name(str(m.emotion), lang)}")
        c1.markdown(f"> {ui.as_text(m.text)}")
        if c2.button(ui.tr("open_moment"), key=f"pl_open_{i}"):
            ui.goto_timeline(m.recording_id, m.start_s)
        if login.may("playlists") and c2.button(ui.tr("remove_moment"), key=f"pl_rm_{i}"):
            playlists.add(ui.data().store, con, name, m.recording_id, m.seg_index, by=login.who(), removed=True)
            st.rerun()
try:
    st.download_button(ui.tr("playlist_html"), playlists.to_html(con, name, lang), file_name=f"{name}.html",
                       mime="text/html", key="pl_html", on_click=session.exported(str(ui.db_path()), f"playlist {name}"))
except FilterError as e:
    st.caption(ui.as_text(e))

"""A moment as a card: the file, its time and who spoke, what was said, Open (the timeline there) and
the audio playing from that second. The pages that list moments of a tracker or a topic draw them so."""
from pathlib import Path

import pandas as pd
import streamlit as st

from analytics.options import recording_audio

from . import i18n, ui


def moments(con, found: pd.DataFrame, lang: str, key: str) -> None:
    """One card per row of ``found`` (recording_id, filename, start_s, role, text); ``key`` names its buttons."""
    for i, m in enumerate(found.itertuples()):
        with st.container(border=True):
            left, right = st.columns([6, 1], vertical_alignment="center")
            left.markdown(f"**{ui.as_text(m.filename)}** · {ui.mmss(m.start_s)} · {i18n.role_name(m.role, lang)}")
            left.markdown(ui.as_text(m.text))
            if right.button(ui.tr("open_moment"), key=f"{key}_{i}"):
                ui.goto_timeline(m.recording_id, m.start_s)
            path, _ = recording_audio(con, m.recording_id)
            if path and Path(path).is_file():
                left.audio(str(path), start_time=int(m.start_s))

"""Playlists for coaching: moments saved under a name ("objection handled well", "angry customer
recovered"), opened as a page, and exported as one HTML file with the audio clips — segments with
personal data stay muted, as in the timeline's playback."""
from __future__ import annotations

import html
from datetime import datetime

import duckdb
import pandas as pd

from . import audio
from .filters import FilterError


def add(store, con: duckdb.DuckDBPyConnection, playlist: str, recording_id: str, seg_index: int,
        by: str = "", note: str = "", removed: bool = False) -> None:
    """Put a moment (a segment) on a playlist, or take it off (``removed``)."""
    playlist = (playlist or "").strip()
    if not playlist or len(playlist) > 100 or any(ord(c) < 32 for c in playlist):
        raise FilterError("a playlist needs a name of 1-100 printable characters")
    row = con.execute("SELECT start_s, end_s FROM segments WHERE recording_id = ? AND seg_index = ?",
                      [recording_id, int(seg_index)]).fetchone()
    if row is None:
        raise FilterError(f"no segment {seg_index} in recording {recording_id!r}")
    store.append_rows("playlist_items", [{"playlist": playlist, "recording_id": recording_id, "seg_index": int(seg_index),
                                          "start_s": row[0], "end_s": row[1], "note": note, "added_by": by,
                                          "added_at": datetime.now(), "removed": removed}])


LATEST = """SELECT * FROM playlist_items QUALIFY row_number() OVER (
                PARTITION BY playlist, recording_id, seg_index ORDER BY added_at DESC) = 1"""


def playlists(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """playlist, moments, recordings, last added."""
    return con.execute(f"""SELECT playlist, count(*) AS moments, count(DISTINCT recording_id) AS recordings,
                                  max(added_at) AS last_added FROM ({LATEST}) WHERE NOT removed
                           GROUP BY 1 ORDER BY last_added DESC""").df()


def items(con: duckdb.DuckDBPyConnection, playlist: str) -> pd.DataFrame:
    """The moments of a playlist in the order they were added, with what was said and how."""
    return con.execute(f"""
        SELECT p.recording_id, p.seg_index, p.start_s, p.end_s, p.note, p.added_by, p.added_at, r.filename, r.path,
               r.model_id, s.role, s.emotion, s.events, s.text, s.pii
        FROM ({LATEST}) p JOIN recordings r USING (recording_id)
        LEFT JOIN segments s ON s.recording_id = p.recording_id AND s.seg_index = p.seg_index
        WHERE p.playlist = ? AND NOT p.removed ORDER BY p.added_at""", [playlist]).df()


def to_html(con: duckdb.DuckDBPyConnection, playlist: str, lang: str = "en") -> str:
    """One self-contained HTML file in ``lang`` (en or zh): each moment with its file, time, what
    was said and its clip; it says so when moments come from a random-weight stand-in model."""
    from ingest.models.recognize import random_weights

    from .words import mmss, role_name, tag_name

    df = items(con, playlist)
    if df.empty:
        raise FilterError(f"the playlist {playlist!r} is empty")
    zh = lang == "zh"
    head = (f"来自 {df['recording_id'].nunique()} 条录音的 {len(df)} 个时刻 · 导出于 {datetime.now():%Y-%m-%d %H:%M} · "
            "含个人信息的片段已静音") if zh else \
        (f"{len(df)} moments from {df['recording_id'].nunique()} recordings · exported "
         f"{datetime.now():%Y-%m-%d %H:%M} · segments with personal data are muted")
    parts = [f"<h1>{html.escape(playlist)}</h1>", f"<p class='muted'>{head}</p>"]
    noise = sum(bool(random_weights(m)) for m in df["model_id"].drop_duplicates() if isinstance(m, str))
    if noise:  # honest about the model, as the dashboard and the report are
        parts.append("<p class='noise'>" + ("部分时刻来自随机权重的替代模型：其情绪、事件和文字都是噪声，不是结论。" if zh else
                     "Some of these moments were analysed with a random-weight stand-in model: their emotions, "
                     "events and text are noise, not findings.") + "</p>")
    for m in df.itertuples():
        clip = audio.clip(con, m.recording_id, m.path, m.start_s, m.end_s)
        player = (f"<audio controls preload='none' src='data:audio/wav;base64,{clip}'></audio>" if clip
                  else f"<p class='muted'>{'此录音没有保存音频' if zh else 'no audio kept for this recording'}</p>")
        events = ", ".join(tag_name(e, lang) for e in m.events) if m.events is not None and len(m.events) else ""
        parts.append(f"<div class='m'><b>{html.escape(str(m.filename))}</b> · {mmss(m.start_s)} · "
                     f"{html.escape(role_name(str(m.role), lang))} · {html.escape(tag_name(str(m.emotion), lang))}"
                     f"{' · ' + html.escape(events) if events else ''}"
                     f"<blockquote>{html.escape(m.text or '')}</blockquote>"
                     + (f"<p>{html.escape(m.note)}</p>" if isinstance(m.note, str) and m.note else "") + player + "</div>")
    style = ("body{font-family:system-ui,'PingFang SC','Microsoft YaHei',sans-serif;margin:2em;max-width:60em;color:#222}"
             ".m{border:1px solid #ddd;border-radius:6px;padding:10px;margin:10px 0}.muted{color:#777}"
             "blockquote{margin:6px 0;padding-left:10px;border-left:3px solid #1f77b4}"
             ".noise{background:#fde8e8;border:1px solid #d62728;padding:8px;color:#7a1010}")
    return (f"<!doctype html><html lang='{'zh-CN' if zh else 'en'}'><head><meta charset='utf-8'><title>{html.escape(playlist)}</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")

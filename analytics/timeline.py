"""One recording's timeline: segments in order with pauses interleaved, and the seed article's
rich-text rendering (``[SAD]订单没收到,[ANGRY]已经三天了[SILENCE 2.3s]…``)."""
from __future__ import annotations

import math

import duckdb
import pandas as pd

from . import confidence
from .filters import FilterError

COLUMNS = ["item", "channel", "role", "seg_index", "start_s", "end_s", "duration_s", "emotion",
           "emotion_confidence", "model_emotion", "corrected", "events", "language", "text",
           "loudness_dbfs", "speaking_rate", "rate_unit", "pii", "emotion_probs", "event_probs",
           "emotion_by_person", "events_by_person", "pitch_hz", "pitch_change_st", "loudness_change_db", "raised_voice",
           "second_emotion", "second_emotion_confidence", "overlap_s", "overlap"]


def link_moment(recording: str, t: str | None) -> tuple[str, float]:
    """A link's ``?recording=ID&t=SECONDS``, checked: (recording id, seconds; 0 without ``t``)."""
    from ingest import ids

    if not ids.is_recording_id(recording):
        raise FilterError(f"recording: {recording[:80]!r} is not a recording id (64 characters 0-9 a-f)")
    try:
        at = float(t) if t not in (None, "") else 0.0
    except ValueError:
        at = math.nan
    if not math.isfinite(at) or not 0 <= at <= 24 * 3600:
        raise FilterError(f"t: {str(t)[:20]!r} is not a time in seconds from the start (0 or more)")
    return recording, at


def _check(con: duckdb.DuckDBPyConnection, recording_id: str) -> tuple[int, object]:
    """The recording's analysed channels and recorded_at (or a clear error)."""
    row = con.execute("SELECT analysed_channels, recorded_at FROM recordings WHERE recording_id = ?",
                      [recording_id]).fetchone()
    if row is None:
        raise FilterError(f"no recording with id {recording_id!r}")
    return row


def timeline(con: duckdb.DuckDBPyConnection, recording_id: str, min_pause_s: float = 0.0) -> pd.DataFrame:
    """Segments (item 'segment') and pauses (item 'pause'; on stereo calls the 'all' pauses when
    nobody speaks and each channel's own) in time order."""
    _, recorded_at = _check(con, recording_id)
    # the segments' own recorded_at too: compacted segments are sorted by it, so DuckDB reads only
    # the row groups of that moment instead of every segment's recording_id
    at = "recorded_at = ?" if recorded_at is not None else "recorded_at IS NULL"
    # the tags as the model printed them (a weak one too: the page fades it), or as a person set them
    return con.execute(f"""
        SELECT * FROM (
          SELECT 'segment' AS item, channel, role, seg_index, start_s, end_s, duration_s,
                 {confidence.printed_sql(confidence.thresholds(con))}, emotion_confidence, model_emotion, corrected,
                 language, text, loudness_dbfs, speaking_rate, rate_unit, pii, emotion_probs, event_probs,
                 pitch_hz, pitch_change_st, loudness_change_db, raised_voice, second_emotion, second_emotion_confidence,
                 overlap_s, overlap
          FROM seg WHERE {at} AND recording_id = ?
          UNION ALL BY NAME
          SELECT 'pause' AS item, channel, role, NULL AS seg_index, start_s, end_s, duration_s
          FROM pauses WHERE recording_id = ? AND duration_s >= ?)
        ORDER BY start_s, item DESC, channel""",
        ([recorded_at] if recorded_at is not None else []) + [recording_id, recording_id, min_pause_s]).df()[COLUMNS]


def rich_text(con: duckdb.DuckDBPyConnection, recording_id: str, min_pause_s: float = 1.0,
              tl: pd.DataFrame | None = None, name=str) -> str:
    """The tagged transcript: an emotion tag where the emotion changes, event tags (``?`` after a tag
    under the team's threshold, or an emotion a second opinion disputes: printed by the model, not counted), long pauses as
    ``[SILENCE 2.3s]``; on stereo calls each turn starts with its role. ``tl``: this recording's
    ``timeline()`` when the caller has it already. ``name`` turns a tag or a role into the words
    shown (the dashboard's Chinese); by default they stay SenseVoice's own."""
    channels, _ = _check(con, recording_id)
    tl = timeline(con, recording_id) if tl is None else tl
    tl = tl[(tl["item"] == "segment") | (tl["duration_s"] >= min_pause_s)]
    pause_channel = -1 if channels > 1 else 0
    limits = confidence.thresholds(con)
    seg_rows = tl["item"] == "segment"
    sure = pd.Series(True, index=tl.index)  # weak or disputed emotions: printed, not counted
    sure[seg_rows] = confidence.sure_tags(tl[seg_rows], limits)
    tl = tl.assign(sure_tag=sure)
    out, last_role, last_emo = [], None, None
    for row in tl.itertuples():
        if row.item == "pause":
            if row.channel == pause_channel:
                out.append(f"[{name('SILENCE')} {row.duration_s:.1f}s]")
            continue
        if channels > 1 and row.role != last_role:
            out.append(("\n" if out else "") + f"{name(row.role)}: ")
            last_emo = None
        last_role = row.role
        if row.emotion != last_emo and row.emotion != "UNKNOWN":
            out.append(f"[{name(row.emotion)}{'' if row.sure_tag else '?'}]")
        last_emo = row.emotion
        for e in row.events if row.events is not None else []:
            sure = confidence.counts(confidence.event_probability(row.event_probs, e), e, limits, row.events_by_person == True)  # noqa: E712
            out.append(f"[{name(e)}{'' if sure else '?'}]")
        out.append(row.text or "")
    return "".join(out).strip()


def raised_flags(segs: pd.DataFrame) -> pd.Series:
    """Whether each segment is a raised voice (ingest.prosody; unknown: not)."""
    if "raised_voice" not in segs:
        return pd.Series(False, index=segs.index)
    return segs["raised_voice"].map(lambda v: v is not None and v is not pd.NA and v == v and bool(v)).astype(bool)


def raised_voices(tl: pd.DataFrame) -> list[dict]:
    """Per role, the moment its voice rose most above its own start (ingest.prosody's raised voice):
    role, start_s, pitch rise in percent and semitones, loudness rise in dB; the strongest first."""
    segs = tl[(tl["item"] == "segment") & raised_flags(tl)]
    out = []
    for role, part in segs.groupby(segs["role"].fillna("-")):
        top = part.loc[part["pitch_change_st"].idxmax()]
        out.append({"role": role, "start_s": float(top["start_s"]), "st": float(top["pitch_change_st"]),
                    "pct": round((2 ** (float(top["pitch_change_st"]) / 12) - 1) * 100), "db": float(top["loudness_change_db"])})
    return sorted(out, key=lambda r: -r["st"])

"""Conversation metrics per recording and role: talk time and ratio, longest monologue, turns and
speaker switches per minute (interactivity), response latency (the gap before a role answers the
other), overtalk and interruptions (stereo), question rate, pauses, emotion shares, and the emotion trajectory (the
emotion mix of the first vs the last quarter of a role's speech: improving / worsening / steady)."""
from __future__ import annotations

import duckdb
import pandas as pd

from .filters import Filter, recording_where
from .metadata import with_metadata
from .stats import EMOTION_COLS, recordings_with_stats

QUESTION_SQL = "s.is_question"  # computed when a segment is loaded (analytics/stats.py)
TRAJECTORY_DELTA = 0.3  # valence change between the first and last quarter that counts
LEAD_ROLES = "('agent', 'seller', 'teacher')"  # the role whose talk share and response time the sessions table shows


def conversation_metrics(con: duckdb.DuckDBPyConnection, flt: Filter | None = None,
                         limit: int | None = None) -> pd.DataFrame:
    """One row per recording and role, newest recording first (of the newest ``limit`` recordings)."""
    where, params = recording_where(flt)
    shares = ", ".join(f'st."s_{e}" / st.talk_s AS {e.lower()}_share' for e in ("HAPPY", "SAD", "ANGRY", "NEUTRAL"))
    order = "ORDER BY r.recorded_at DESC NULLS LAST, r.recording_id"
    df = con.execute(f"""
        {recordings_with_stats(where, order + (" LIMIT ?" if limit is not None else ""))}
        SELECT r.recording_id, r.filename, r.kind, r.outcome, r.recorded_at, r.duration_s, st.role, st.channel,
               st.segments, st.talk_s, st.talk_s / sum(st.talk_s) OVER (PARTITION BY r.recording_id) AS talk_ratio,
               st.longest_monologue_s, st.turns, st.response_s,
               (al.turns - 1) / greatest(r.duration_s / 60, 1e-9) AS switches_per_min,
               st.overtalk_s, st.interruptions, st.questions,
               st.questions / greatest(r.duration_s / 60, 1e-9) AS questions_per_min, st.pause_s, st.longest_pause_s,
               {shares}, (st."s_FEARFUL" + st."s_DISGUSTED" + st."s_SURPRISED") / st.talk_s AS other_share,
               st.speaking_rate, st.loudness_dbfs, st.valence_first, st.valence_last
        FROM stats st JOIN r USING (recording_id)
        LEFT JOIN stats al ON al.recording_id = st.recording_id AND al.role = '*'
        WHERE st.role <> '*'
        {order}, st.role""", params + ([limit] if limit is not None else [])).df().assign(
        trajectory=lambda d: [_trajectory(a, b) for a, b in zip(d.valence_first, d.valence_last)])
    return with_metadata(con, df)


def _trajectory(first, last) -> str:
    if pd.isna(first) or pd.isna(last):
        return "unknown"
    if last - first >= TRAJECTORY_DELTA:
        return "improving"
    if first - last >= TRAJECTORY_DELTA:
        return "worsening"
    return "steady"


SESSIONS_SHOWN = 2000  # recordings a page's table shows; a year of calls is tens of thousands (its CSV has them all)
METRICS_SHOWN = 500  # recordings of the figures per speaker: two to four rows each, within a table's 2,000 rows


def recording_count(con: duckdb.DuckDBPyConnection, flt: Filter | None = None) -> int:
    """How many recordings the filter matches."""
    where, params = recording_where(flt)
    return con.execute(f"SELECT count(*) FROM recordings r WHERE {where}", params).fetchone()[0]


def recent_sessions(con: duckdb.DuckDBPyConnection, flt: Filter | None = None,
                    limit: int | None = None) -> tuple[pd.DataFrame, int]:
    """The sessions table as the dashboard shows it: the newest ``limit`` (default SESSIONS_SHOWN)
    recordings of the filter (``recording_summary``) and how many it has in all."""
    return recording_summary(con, flt, SESSIONS_SHOWN if limit is None else limit), recording_count(con, flt)


def recording_summary(con: duckdb.DuckDBPyConnection, flt: Filter | None = None,
                      limit: int | None = None) -> pd.DataFrame:
    """Key figures per recording, newest first (the sessions table; at most ``limit``): duration,
    dominant emotion, ANGRY minutes,
    longest pause (nobody speaking), talk ratio of channel 0's role on stereo calls, segments; who
    spoke: speakers, the agent's / seller's / teacher's talk share and response time, the longest
    monologue and speaker switches per minute."""
    where, params = recording_where(flt)
    emotions = [e for e in EMOTION_COLS if e != "UNKNOWN"]
    cols = ", ".join(f'st."s_{x}"' for x in emotions)
    dominant = "CASE " + " ".join(f"""WHEN st."s_{e}" > 0 AND st."s_{e}" = greatest({cols}) THEN '{e}'"""
                                  for e in emotions) + " END"
    order = "ORDER BY r.recorded_at DESC NULLS LAST, r.recording_id"
    df = con.execute(f"""
        {recordings_with_stats(where, order + (" LIMIT ?" if limit is not None else ""))}
        SELECT r.recording_id, r.filename, r.kind, r.outcome, r.recorded_at, r.duration_s, r.n_segments,
               {dominant} AS dominant_emotion, coalesce(st."s_ANGRY", 0) / 60 AS angry_min,
               coalesce(st.longest_pause_s, 0) AS longest_pause_s,
               CASE WHEN r.analysed_channels = 2 THEN ch0.talk_s / nullif(st.talk_s, 0) END AS talk_ratio_ch0,
               r.n_speakers, lead.talk_s / nullif(st.talk_s, 0) AS lead_talk_share,
               st.longest_monologue_s, (st.turns - 1) / greatest(r.duration_s / 60, 1e-9) AS switches_per_min,
               lead.response_s AS lead_response_s, r.batch_id
        FROM r LEFT JOIN stats st ON st.recording_id = r.recording_id AND st.role = '*'
        LEFT JOIN stats ch0 ON ch0.recording_id = r.recording_id AND ch0.channel = 0
        LEFT JOIN stats lead ON lead.recording_id = r.recording_id AND lead.role IN {LEAD_ROLES}
        {order}""", params + ([limit] if limit is not None else [])).df()
    return with_metadata(con, df)

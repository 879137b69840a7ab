"""Conversation metrics per recording and role: talk time and ratio, longest monologue, overtalk and
interruptions (stereo), question rate, pauses, emotion shares, and the emotion trajectory (the
emotion mix of the first vs the last quarter of a role's speech: improving / worsening / steady)."""
from __future__ import annotations

import duckdb
import pandas as pd

from .filters import Filter, recording_where
from .heatmaps import _valence_sql

QUESTION_SQL = r"regexp_matches(trim(s.text), '([?？]|吗|呢|吗？|呢？|か|까)$')"
TRAJECTORY_DELTA = 0.3  # valence change between the first and last quarter that counts


def conversation_metrics(con: duckdb.DuckDBPyConnection, flt: Filter | None = None) -> pd.DataFrame:
    """One row per recording and role."""
    where, params = recording_where(flt)
    return con.execute(f"""
        WITH r AS (SELECT * FROM recordings r WHERE {where}),
        s AS (SELECT s.*, r.duration_s AS rec_s FROM seg s JOIN r USING (recording_id)),
        -- turns: consecutive segments of one role, in time order across channels
        o AS (SELECT *, (role IS DISTINCT FROM lag(role) OVER w)::INT AS new_turn FROM s
              WINDOW w AS (PARTITION BY recording_id ORDER BY start_s, channel)),
        t AS (SELECT *, sum(new_turn) OVER (PARTITION BY recording_id ORDER BY start_s, channel) AS turn FROM o),
        turns AS (SELECT recording_id, role, turn, max(end_s) - min(start_s) AS turn_s FROM t GROUP BY ALL),
        -- overlap with another channel's speech (stereo)
        ov AS (SELECT a.recording_id, a.role, sum(least(a.end_s, b.end_s) - greatest(a.start_s, b.start_s)) AS overtalk_s,
                      count(*) FILTER (a.start_s > b.start_s AND a.start_s < b.end_s) AS interruptions
               FROM s a JOIN s b ON a.recording_id = b.recording_id AND a.channel <> b.channel
                    AND a.start_s < b.end_s AND b.start_s < a.end_s
               GROUP BY ALL),
        p AS (SELECT recording_id, role, sum(duration_s) AS pause_s, max(duration_s) AS longest_pause_s,
                     count(*) AS pauses FROM pauses WHERE recording_id IN (SELECT recording_id FROM r) GROUP BY ALL),
        -- quarters of each role's own speech, in time order
        q AS (SELECT recording_id, role, quarter, sum(({_valence_sql()}) * duration_s) / sum(duration_s) AS valence
              FROM (SELECT *, ntile(4) OVER (PARTITION BY recording_id, role ORDER BY start_s) AS quarter FROM s) s
              GROUP BY ALL),
        m AS (SELECT recording_id, role, sum(duration_s) AS talk_s, count(*) AS segments,
                     count(*) FILTER ({QUESTION_SQL}) AS questions,
                     sum(duration_s) FILTER (emotion = 'HAPPY') / sum(duration_s) AS happy_share,
                     sum(duration_s) FILTER (emotion = 'SAD') / sum(duration_s) AS sad_share,
                     sum(duration_s) FILTER (emotion = 'ANGRY') / sum(duration_s) AS angry_share,
                     sum(duration_s) FILTER (emotion = 'NEUTRAL') / sum(duration_s) AS neutral_share,
                     sum(duration_s) FILTER (emotion IN ('FEARFUL', 'DISGUSTED', 'SURPRISED')) / sum(duration_s) AS other_share,
                     avg(speaking_rate) AS speaking_rate, avg(loudness_dbfs) AS loudness_dbfs
              FROM s GROUP BY ALL)
        SELECT r.recording_id, r.filename, r.kind, r.outcome, r.recorded_at, r.duration_s, m.role, m.segments,
               m.talk_s, m.talk_s / sum(m.talk_s) OVER (PARTITION BY r.recording_id) AS talk_ratio,
               (SELECT max(turn_s) FROM turns x WHERE x.recording_id = m.recording_id AND x.role = m.role) AS longest_monologue_s,
               coalesce(ov.overtalk_s, 0) AS overtalk_s, coalesce(ov.interruptions, 0) AS interruptions,
               m.questions, m.questions / greatest(r.duration_s / 60, 1e-9) AS questions_per_min,
               coalesce(p.pause_s, 0) AS pause_s, coalesce(p.longest_pause_s, 0) AS longest_pause_s,
               m.happy_share, m.sad_share, m.angry_share, m.neutral_share, m.other_share,
               m.speaking_rate, m.loudness_dbfs,
               (SELECT valence FROM q WHERE q.recording_id = m.recording_id AND q.role = m.role AND quarter = 1) AS valence_first,
               (SELECT valence FROM q WHERE q.recording_id = m.recording_id AND q.role = m.role AND quarter = 4) AS valence_last
        FROM m JOIN r USING (recording_id)
        LEFT JOIN ov ON ov.recording_id = m.recording_id AND ov.role = m.role
        LEFT JOIN p ON p.recording_id = m.recording_id AND p.role = m.role
        ORDER BY r.recorded_at DESC NULLS LAST, r.recording_id, m.role""", params).df().assign(
        trajectory=lambda d: [_trajectory(a, b) for a, b in zip(d.valence_first, d.valence_last)])


def _trajectory(first, last) -> str:
    if pd.isna(first) or pd.isna(last):
        return "unknown"
    if last - first >= TRAJECTORY_DELTA:
        return "improving"
    if first - last >= TRAJECTORY_DELTA:
        return "worsening"
    return "steady"


def recording_summary(con: duckdb.DuckDBPyConnection, flt: Filter | None = None) -> pd.DataFrame:
    """Key figures per recording (the sessions table): duration, dominant emotion, ANGRY minutes,
    longest pause, talk ratio of the first channel's role on stereo calls, segments."""
    where, params = recording_where(flt)
    return con.execute(f"""
        WITH r AS (SELECT * FROM recordings r WHERE {where}),
        e AS (SELECT recording_id, emotion, sum(duration_s) AS s FROM seg WHERE recording_id IN (SELECT recording_id FROM r)
              AND emotion <> 'UNKNOWN' GROUP BY ALL),
        dom AS (SELECT recording_id, arg_max(emotion, s) AS dominant_emotion FROM e GROUP BY ALL),
        ang AS (SELECT recording_id, sum(duration_s) / 60 AS angry_min FROM seg WHERE emotion = 'ANGRY' GROUP BY ALL),
        lp AS (SELECT recording_id, max(duration_s) AS longest_pause_s FROM pauses
               WHERE channel = -1 OR recording_id IN (SELECT recording_id FROM r WHERE analysed_channels = 1) GROUP BY ALL),
        tr AS (SELECT recording_id, sum(duration_s) FILTER (channel = 0) / sum(duration_s) AS talk_ratio_ch0
               FROM seg GROUP BY ALL)
        SELECT r.recording_id, r.filename, r.kind, r.outcome, r.recorded_at, r.duration_s, r.n_segments,
               dom.dominant_emotion, coalesce(ang.angry_min, 0) AS angry_min, coalesce(lp.longest_pause_s, 0) AS longest_pause_s,
               CASE WHEN r.analysed_channels = 2 THEN tr.talk_ratio_ch0 END AS talk_ratio_ch0, r.batch_id
        FROM r LEFT JOIN dom USING (recording_id) LEFT JOIN ang USING (recording_id)
        LEFT JOIN lp USING (recording_id) LEFT JOIN tr USING (recording_id)
        ORDER BY r.recorded_at DESC NULLS LAST, r.recording_id""", params).df()

"""Per-recording and per-role figures, computed once when the snapshot loads a recording (not on
every query): the sessions table, conversation metrics, cohort comparison and the metadata and
hour heatmaps read these 10,000 rows instead of 2,000,000 segments.

``role_stats`` has one row per (recording, role) and one per recording with role '*' (all speech;
its pauses are the moments nobody speaks). ``talk_s`` is speech while nobody else speaks: the
seconds two parties talk at once (segments.overlap_s, ingest.signals) count for neither, as
``overtalk_s``. Everything is computed with window functions over the
segments in time order — overlap between channels included — so the cost grows with n log n."""
from __future__ import annotations

from ingest.models.tags import EMOTIONS, EVENTS

EMOTION_COLS = EMOTIONS + ("UNKNOWN",)
VALENCE = {"HAPPY": 1.0, "SURPRISED": 0.5, "NEUTRAL": 0.0, "SAD": -0.6, "FEARFUL": -0.7,
           "DISGUSTED": -0.8, "ANGRY": -1.0, "UNKNOWN": 0.0}
QUESTION_REGEX = r"([?？]|吗|呢|か|까)\s*$"


MASK_TAGS = EMOTION_COLS + EVENTS  # bit i of tag_mask: the segment has MASK_TAGS[i]


def tag_mask_sql(emotion: str = "emotion", events: str = "events") -> str:
    """An integer with one bit per emotion/event: joins and aggregations over tags without lists."""
    parts = [f"(({emotion} = '{t}')::UINTEGER << {i})" for i, t in enumerate(EMOTION_COLS)]
    parts += [f"(coalesce(list_contains({events}, '{t}'), FALSE)::UINTEGER << {i + len(EMOTION_COLS)})"
              for i, t in enumerate(EVENTS)]
    return "(" + " | ".join(parts) + ")"


def valence_sql(col: str = "emotion") -> str:
    return "CASE " + " ".join(f"WHEN {col} = '{k}' THEN {v}" for k, v in VALENCE.items()) + " ELSE 0 END"


def create_sql(name: str = "role_stats") -> str:
    cols = ["recording_id VARCHAR", "role VARCHAR", "channel INTEGER", "segments INTEGER", "talk_s DOUBLE", "questions INTEGER",
            "loudness_dbfs DOUBLE", "speaking_rate DOUBLE"]
    cols += [f'"s_{e}" DOUBLE' for e in EMOTION_COLS] + [f'"n_{t}" INTEGER' for t in EMOTION_COLS + EVENTS]
    cols += ["longest_monologue_s DOUBLE", "overtalk_s DOUBLE", "interruptions INTEGER", "pauses INTEGER",
             "pause_s DOUBLE", "longest_pause_s DOUBLE", "valence_first DOUBLE", "valence_last DOUBLE",
             "turns INTEGER", "response_s DOUBLE"]
    return f"CREATE TABLE {name} ({', '.join(cols)})"


def insert_sql(todo: str = "_todo") -> str:
    """INSERT the stats of the recordings listed in table ``todo`` (column recording_id)."""
    per_emotion = ", ".join(f"coalesce(sum(duration_s) FILTER (emotion = '{e}'), 0) AS \"s_{e}\"" for e in EMOTION_COLS)
    n_emotion = ", ".join(f"count(*) FILTER (emotion = '{e}') AS \"n_{e}\"" for e in EMOTION_COLS)
    n_event = ", ".join(f"count(*) FILTER (list_contains(events, '{e}')) AS \"n_{e}\"" for e in EVENTS)
    return f"""
    INSERT INTO role_stats BY NAME
    WITH s AS (SELECT s.*, r.analysed_channels FROM segments s JOIN recordings r USING (recording_id)
               WHERE s.recording_id IN (SELECT recording_id FROM {todo})),
    g AS (SELECT *, role AS grp FROM s UNION ALL SELECT *, '*' AS grp FROM s),
    base AS (SELECT recording_id, grp AS role, CASE WHEN grp <> '*' THEN min(channel) END AS channel, count(*) AS segments,
                    sum(duration_s - coalesce(overlap_s, 0)) AS talk_s,  -- alone: talking over each other is overtalk
                    count(*) FILTER (is_question) AS questions, avg(loudness_dbfs) AS loudness_dbfs,
                    avg(speaking_rate) AS speaking_rate, {per_emotion}, {n_emotion}, {n_event}
             FROM g GROUP BY recording_id, grp),
    -- turns: consecutive segments of one role in time order
    o AS (SELECT recording_id, role, channel, start_s, end_s,
                 (role IS DISTINCT FROM lag(role) OVER (PARTITION BY recording_id ORDER BY start_s, channel))::INT AS new_turn
          FROM s),
    t AS (SELECT *, sum(new_turn) OVER (PARTITION BY recording_id ORDER BY start_s, channel ROWS UNBOUNDED PRECEDING) AS turn
          FROM o),
    mono AS (SELECT recording_id, role, max(turn_s) AS longest_monologue_s
             FROM (SELECT recording_id, role, turn, max(end_s) - min(start_s) AS turn_s FROM t GROUP BY ALL) GROUP BY ALL),
    -- turns taken, and the response latency: the gap between the end of the other party's turn and
    -- the start of this one (0 when it starts while the other is still speaking)
    tt AS (SELECT recording_id, role, turn, min(start_s) AS b, max(end_s) AS e FROM t GROUP BY ALL),
    tr AS (SELECT *, lag(e) OVER (PARTITION BY recording_id ORDER BY turn) AS prev_e FROM tt),
    resp AS (SELECT recording_id, role, count(*) AS turns, avg(greatest(b - prev_e, 0)) AS response_s FROM tr GROUP BY ALL
             UNION ALL
             SELECT recording_id, '*', count(*), avg(greatest(b - prev_e, 0)) FROM tr GROUP BY ALL),
    -- overlap between channels = speech of each channel - the union of all speech (islands)
    isl AS (SELECT recording_id, start_s, end_s,
                   max(end_s) OVER (PARTITION BY recording_id ORDER BY start_s, end_s
                                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
            FROM s WHERE analysed_channels > 1),
    uni AS (SELECT recording_id, sum(island_end - island_start) AS union_s FROM (
              SELECT recording_id, island, min(start_s) AS island_start, max(end_s) AS island_end FROM (
                SELECT *, sum((prev_end IS NULL OR start_s > prev_end)::INT) OVER (PARTITION BY recording_id
                       ORDER BY start_s, end_s ROWS UNBOUNDED PRECEDING) AS island FROM isl) GROUP BY ALL) GROUP BY ALL),
    ovl AS (SELECT u.recording_id, greatest(sum(s.duration_s) - any_value(u.union_s), 0) AS overtalk_s
            FROM uni u JOIN s USING (recording_id) GROUP BY ALL),
    -- an interruption: a segment starting while the other channel is speaking
    intr AS (SELECT recording_id, role, count(*) FILTER (other_end > start_s) AS interruptions FROM (
               SELECT recording_id, role, start_s, CASE channel
                 WHEN 0 THEN max(end_s) FILTER (channel = 1) OVER w ELSE max(end_s) FILTER (channel = 0) OVER w END AS other_end
               FROM s WHERE analysed_channels > 1
               WINDOW w AS (PARTITION BY recording_id ORDER BY start_s ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING))
             GROUP BY ALL),
    p AS (SELECT p.recording_id, CASE WHEN p.channel = -1 OR r.analysed_channels = 1 THEN '*' END AS star, p.role,
                 p.duration_s FROM pauses p JOIN recordings r USING (recording_id)
          WHERE p.recording_id IN (SELECT recording_id FROM {todo})),
    pr AS (SELECT recording_id, role, count(*) AS pauses, sum(duration_s) AS pause_s, max(duration_s) AS longest_pause_s
           FROM (SELECT recording_id, role, duration_s FROM p WHERE role <> 'all'
                 UNION ALL SELECT recording_id, '*', duration_s FROM p WHERE star = '*') GROUP BY ALL),
    q AS (SELECT recording_id, grp AS role, quarter, sum(({valence_sql()}) * duration_s) / sum(duration_s) AS valence
          FROM (SELECT *, ntile(4) OVER (PARTITION BY recording_id, grp ORDER BY start_s) AS quarter FROM g)
          WHERE quarter IN (1, 4) GROUP BY ALL)
    SELECT b.*, m.longest_monologue_s, coalesce(ovl.overtalk_s, 0) AS overtalk_s,
           coalesce(CASE WHEN b.role = '*' THEN (SELECT sum(interruptions) FROM intr i2 WHERE i2.recording_id = b.recording_id)
                    ELSE i.interruptions END, 0) AS interruptions,
           coalesce(pr.pauses, 0) AS pauses, coalesce(pr.pause_s, 0) AS pause_s, coalesce(pr.longest_pause_s, 0) AS longest_pause_s,
           q1.valence AS valence_first, q4.valence AS valence_last, resp.turns, resp.response_s
    FROM base b
    LEFT JOIN resp ON resp.recording_id = b.recording_id AND resp.role = b.role
    LEFT JOIN mono m ON m.recording_id = b.recording_id AND m.role = b.role
    LEFT JOIN ovl ON ovl.recording_id = b.recording_id
    LEFT JOIN intr i ON i.recording_id = b.recording_id AND i.role = b.role
    LEFT JOIN pr ON pr.recording_id = b.recording_id AND pr.role = b.role
    LEFT JOIN q q1 ON q1.recording_id = b.recording_id AND q1.role = b.role AND q1.quarter = 1
    LEFT JOIN q q4 ON q4.recording_id = b.recording_id AND q4.role = b.role AND q4.quarter = 4"""


def recordings_with_stats(where: str, order_limit: str = "", source: str = "recordings r") -> str:
    """``WITH`` clauses: ``r``, the recordings meeting ``where`` (alias r; with ``order_limit``, e.g.
    the newest n), and ``stats``, the role_stats rows of those recordings only, read once — joining
    role_stats itself, once per role wanted, read the whole table each time. ``source``: the
    recordings, aliased r (e.g. with columns computed per recording)."""
    return f"""WITH r AS MATERIALIZED (SELECT * FROM {source} WHERE {where} {order_limit}),
         stats AS MATERIALIZED (SELECT * FROM role_stats WHERE recording_id IN (SELECT recording_id FROM r))"""

"""Data for heatmaps, all with the shared filter: recordings × normalised time, tag × hour × weekday,
metadata key × tag rate, and tag co-occurrence."""
from __future__ import annotations

import duckdb
import pandas as pd

from ingest.models.tags import EMOTIONS, EVENTS

from .filters import Filter, FilterError, recording_where, segment_conditions, validate
from .stats import valence_sql


def time_profile(con: duckdb.DuckDBPyConnection, flt: Filter | None = None, bins: int = 10,
                 value: str = "share", limit: int | None = None) -> pd.DataFrame:
    """Recordings × normalised time: each recording cut into ``bins`` equal parts; per part the share
    of speech time of each emotion (``value='share'``: one row per recording, bin and emotion), or
    the speech-time-weighted valence (``value='valence'``: one row per recording and bin). With
    ``limit``, only the most recent ``limit`` recordings (a chart of 10,000 rows helps nobody)."""
    if bins < 1 or bins > 200:
        raise FilterError("bins must be between 1 and 200")
    where, params = recording_where(flt)
    sc, sp = segment_conditions(flt)
    if limit is not None:
        where = f"""{where} AND r.recording_id IN (SELECT r.recording_id FROM recordings r WHERE {where}
                                                    ORDER BY r.recorded_at DESC NULLS LAST, r.recording_id LIMIT {int(limit)})"""
        params = params + params
    base = f"""
        WITH s AS (
          SELECT s.*, r.filename, r.duration_s AS rec_s,
                 least({bins} - 1, floor((s.start_s + s.end_s) / 2 / greatest(r.duration_s, 1e-9) * {bins}))::INT AS bin
          FROM seg s JOIN recordings r USING (recording_id) WHERE {where} AND {' AND '.join(sc)})"""
    if value == "valence":
        return con.execute(base + f"""
            SELECT recording_id, any_value(filename) AS filename, bin,
                   sum(({valence_sql('s.emotion')}) * duration_s) / sum(duration_s) AS valence, sum(duration_s) AS speech_s
            FROM s GROUP BY recording_id, bin ORDER BY recording_id, bin""", params + sp).df()
    if value != "share":
        raise FilterError("value must be 'share' or 'valence'")
    return con.execute(base + """
        SELECT recording_id, any_value(filename) AS filename, bin, emotion,
               sum(duration_s) / any_value(total) AS share, sum(duration_s) AS speech_s
        FROM (SELECT *, sum(duration_s) OVER (PARTITION BY recording_id, bin) AS total FROM s)
        GROUP BY recording_id, bin, emotion ORDER BY recording_id, bin, emotion""", params + sp).df()


def hour_weekday(con: duckdb.DuckDBPyConnection, tag: str, flt: Filter | None = None) -> pd.DataFrame:
    """For one emotion or event: per weekday (0 = Monday) and hour of ``recorded_at``, the number of
    recordings and the share of them with the tag."""
    tag = tag.upper()
    if tag not in EMOTIONS + EVENTS:
        raise FilterError(f"tag: unknown tag {tag!r}")
    where, params = recording_where(flt)
    if flt is None or not (flt.languages or flt.roles or flt.channels):
        # every segment counts: the per-recording tag counts (stats.py) answer it, not 20 M segments
        has, hp = f'SELECT recording_id, "n_{tag}" > 0 AS has FROM role_stats WHERE role = ?', ["*"]
    else:
        sc, sp = segment_conditions(flt)
        has, hp = (f"SELECT recording_id, bool_or(s.emotion = ? OR list_contains(s.events, ?)) AS has "
                   f"FROM seg s WHERE {' AND '.join(sc)} GROUP BY recording_id"), [tag, tag] + sp
    return con.execute(f"""
        SELECT isodow(r.recorded_at) - 1 AS weekday, hour(r.recorded_at) AS hour,
               count(*) AS recordings, avg(has::INT) AS share, sum(has::INT) AS with_tag
        FROM recordings r JOIN ({has}) t USING (recording_id)
        WHERE {where} AND r.recorded_at IS NOT NULL
        GROUP BY ALL ORDER BY weekday, hour""", hp + params).df()


def by_metadata(con: duckdb.DuckDBPyConnection, key: str, flt: Filter | None = None) -> pd.DataFrame:
    """Per value of a metadata key (agent, team, store, teacher, course …): recordings, speech
    minutes, and per tag the rate per speech minute. Long format: value, tag, count, rate_per_min."""
    validate(Filter(metadata={key: []}), con)
    where, params = recording_where(flt)
    roles = list((flt.roles if flt else None) or ["*"])
    tags = EMOTIONS + ("UNKNOWN",) + EVENTS
    sums = ", ".join(f'sum("n_{t}") AS "{t}"' for t in tags)
    # one pass: per value the recordings, speech minutes and every tag's count, then unpivoted
    return con.execute(f"""
        WITH per_value AS (
            SELECT m.value, count(DISTINCT st.recording_id) AS recordings, sum(st.talk_s) / 60 AS speech_min, {sums}
            FROM role_stats st JOIN recordings r USING (recording_id)
            JOIN metadata m ON m.recording_id = r.recording_id AND m.key = ?
            WHERE st.role IN (SELECT unnest(?::VARCHAR[])) AND {where} GROUP BY m.value)
        SELECT value, tag, count, count / speech_min AS rate_per_min, recordings, speech_min
        FROM (UNPIVOT per_value ON {", ".join(f'"{t}"' for t in tags)} INTO NAME tag VALUE count)
        WHERE count > 0 ORDER BY value, tag""",
        [key, roles] + params).df()


def cooccurrence(con: duckdb.DuckDBPyConnection, flt: Filter | None = None, scope: str = "segment") -> pd.DataFrame:
    """How often two tags occur together, in the same segment (``scope='segment'``) or the same
    recording (``'recording'``): tag_a, tag_b, together, the count of each, and the recordings in scope."""
    if scope not in ("segment", "recording"):
        raise FilterError("scope must be 'segment' or 'recording'")
    where, params = recording_where(flt)
    sc, sp = segment_conditions(flt)
    base = f"SELECT s.recording_id, s.seg_index, s.emotion, s.events FROM seg s JOIN recordings r USING (recording_id) " \
           f"WHERE {where} AND {' AND '.join(sc)}"
    if scope == "segment":  # a pair needs an event: only segments with events can form one
        tagged = f"""
        WITH s AS ({base}),
             n AS (SELECT tag, count(*) AS n FROM (SELECT emotion AS tag FROM s UNION ALL
                                                   SELECT unnest(list_distinct(events)) FROM s WHERE len(events) > 0) GROUP BY tag),
             t AS (SELECT DISTINCT recording_id, seg_index, unnest(list_prepend(emotion, events)) AS tag
                   FROM s WHERE len(events) > 0)"""
        key = "a.recording_id = b.recording_id AND a.seg_index = b.seg_index"
    else:
        tagged = f"""
        WITH s AS ({base}),
             t AS (SELECT DISTINCT recording_id, unnest(list_prepend(emotion, events)) AS tag FROM s),
             n AS (SELECT tag, count(*) AS n FROM t GROUP BY tag)"""
        key = "a.recording_id = b.recording_id"
    return con.execute(tagged + f"""
        SELECT a.tag AS tag_a, b.tag AS tag_b, count(*) AS together, any_value(na.n) AS n_a, any_value(nb.n) AS n_b,
               (SELECT count(DISTINCT recording_id) FROM s) AS recordings
        FROM t a JOIN t b ON {key} AND a.tag < b.tag
        JOIN n na ON na.tag = a.tag JOIN n nb ON nb.tag = b.tag
        GROUP BY ALL ORDER BY together DESC""", params + sp).df()


CELL_KINDS = ("profile", "hour", "metadata", "cooccurrence")


def cell_recordings(con: duckdb.DuckDBPyConnection, kind: str, row, col, flt: Filter | None = None, *,
                    tag: str | None = None, key: str | None = None, bins: int = 10) -> pd.DataFrame:
    """The recordings behind one heatmap cell, most affected first: recording_id, filename, recorded_at,
    duration_s and ``count``, the number of the recording's segments that make up the cell.

    - ``profile``: row = recording_id, col = bin (of ``bins``): that recording, count = segments in the bin;
    - ``hour``: row = weekday (0 = Monday), col = hour, with ``tag``: recordings made then, count = segments
      with the tag (0 for those without it: they are the denominator of the share);
    - ``metadata``: row = value of metadata ``key``, col = tag: recordings with that value and the tag;
    - ``cooccurrence``: row = tag_a, col = tag_b: recordings with a segment carrying both."""
    if kind not in CELL_KINDS:
        raise FilterError(f"kind must be one of {', '.join(CELL_KINDS)}")
    where, params = recording_where(flt)
    sc, sp = segment_conditions(flt)
    segs = f"seg s WHERE {' AND '.join(sc)}"

    def has(t: str) -> str:
        t = t.upper()
        if t not in EMOTIONS + ("UNKNOWN",) + EVENTS:
            raise FilterError(f"tag: unknown tag {t!r}")
        return f"(s.emotion = '{t}' OR list_contains(s.events, '{t}'))"  # t is one of the known names

    if kind == "profile":
        if not 1 <= bins <= 200:
            raise FilterError("bins must be between 1 and 200")
        per_rec = f"""SELECT s.recording_id, count(*) AS count FROM {segs} AND s.recording_id = ?
            AND least({bins} - 1, floor((s.start_s + s.end_s) / 2 / greatest((SELECT duration_s FROM recordings
                WHERE recording_id = s.recording_id), 1e-9) * {bins}))::INT = ? GROUP BY ALL"""
        cell, cell_params, extra = per_rec, [str(row), int(col)], "TRUE"
    elif kind == "hour":
        cell = f"SELECT s.recording_id, count(*) FILTER (WHERE {has(tag or '')}) AS count FROM {segs} GROUP BY ALL"
        cell_params, extra = [], "isodow(r.recorded_at) - 1 = ? AND hour(r.recorded_at) = ?"
        params = params + [int(row), int(col)]
    elif kind == "metadata":
        validate(Filter(metadata={key or "": []}), con)
        cell = f"""SELECT s.recording_id, count(*) AS count FROM {segs} AND {has(str(col))}
            AND s.recording_id IN (SELECT recording_id FROM metadata WHERE key = ? AND value = ?) GROUP BY ALL"""
        cell_params, extra = [key, str(row)], "TRUE"
    else:
        cell = f"SELECT s.recording_id, count(*) AS count FROM {segs} AND {has(str(row))} AND {has(str(col))} GROUP BY ALL"
        cell_params, extra = [], "TRUE"
    return con.execute(f"""
        SELECT r.recording_id, r.filename, r.recorded_at, r.duration_s, c.count
        FROM recordings r JOIN ({cell}) c USING (recording_id)
        WHERE {where} AND {extra}
        ORDER BY c.count DESC, r.recorded_at DESC NULLS LAST, r.recording_id""", sp + cell_params + params).df()

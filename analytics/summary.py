"""A one-screen summary of what the database holds."""
from __future__ import annotations

import duckdb


def database_summary(con: duckdb.DuckDBPyConnection) -> dict:
    one = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
    return {
        "recordings": one("SELECT count(*) FROM recordings"),
        "audio_min": (one("SELECT coalesce(sum(duration_s), 0) FROM recordings") or 0) / 60,
        "segments": one("SELECT count(*) FROM segments"),
        "pauses": one("SELECT count(*) FROM pauses"),
        "errors": one("SELECT count(*) FROM ingest_errors"),
        "by_kind": con.execute("SELECT kind, count(*) FROM recordings GROUP BY 1 ORDER BY 2 DESC").fetchall(),
        "emotions": con.execute(
            "SELECT emotion, count(*), sum(duration_s) / 60 FROM segments GROUP BY 1 ORDER BY 2 DESC").fetchall(),
        "events": con.execute(
            "SELECT e, count(*) FROM (SELECT unnest(events) AS e FROM segments) GROUP BY 1 ORDER BY 2 DESC").fetchall(),
        "models": con.execute(
            "SELECT model_id, count(*) FROM recordings GROUP BY 1 ORDER BY 2 DESC").fetchall(),
        "languages": con.execute(
            "SELECT language, count(*) FROM segments GROUP BY 1 ORDER BY 2 DESC").fetchall(),
    }

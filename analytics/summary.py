"""A one-screen summary of what the database holds."""
from __future__ import annotations

import duckdb


def recording_count(db_path) -> int:
    """How many recordings the store of ``db_path`` holds (0 for none yet)."""
    from .db import Data

    data = Data(db_path)
    try:
        return data.con.execute("SELECT count(*) FROM recordings").fetchone()[0]
    finally:
        data.con.close()


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


def describe(db, s: dict) -> list[str]:
    """``database_summary`` as the lines ``toneboard summary`` prints."""
    out = [f"{db}: {s['recordings']} recordings, {s['audio_min']:.1f} min of audio, {s['segments']} segments, "
           f"{s['pauses']} pauses, {s['errors']} ingest errors"]
    if s["by_kind"]:
        out.append("  by kind: " + ", ".join(f"{k} {n}" for k, n in s["by_kind"]))
    if s["emotions"]:
        out.append(f"  {'emotion':<10} {'segments':>9} {'speech min':>11}")
        out += [f"  {emo:<10} {n:>9} {mins:>11.1f}" for emo, n, mins in s["emotions"]]
    if s["events"]:
        out.append("  events: " + ", ".join(f"{e} {n}" for e, n in s["events"]))
    if s["models"]:
        out.append("  models: " + ", ".join(f"{m} ({n} recordings)" for m, n in s["models"]))
    if s["languages"]:
        out.append("  languages: " + ", ".join(f"{lang or '?'} {n}" for lang, n in s["languages"]))
    return out

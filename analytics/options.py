"""What the filters and pickers can choose from (kinds, outcomes, languages, roles, metadata keys
and values, recent recordings), and whether the store holds demo data: the choices the dashboard
offers."""
from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd

from ingest.batch.demo import DEMO_MODEL
from ingest.models.recognize import random_weights

from .filters import Filter, recording_where


@dataclass
class FilterOptions:
    recordings: int = 0
    demo_recordings: int = 0
    noise_recordings: int = 0  # analysed with a random-weight stand-in model: their tags are noise
    kinds: list[str] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    metadata: dict[str, list[str]] = field(default_factory=dict)


def filter_options(con: duckdb.DuckDBPyConnection) -> FilterOptions:
    col = lambda sql: [v for (v,) in con.execute(sql).fetchall() if v is not None]  # noqa: E731
    meta: dict[str, list[str]] = {}
    for key, value in con.execute("SELECT DISTINCT key, value FROM metadata ORDER BY key, value").fetchall():
        meta.setdefault(key, []).append(value)
    return FilterOptions(
        recordings=con.execute("SELECT count(*) FROM recordings").fetchone()[0],
        demo_recordings=con.execute("SELECT count(*) FROM recordings WHERE model_id = ?", [DEMO_MODEL]).fetchone()[0],
        noise_recordings=noise_recordings(con),
        kinds=col("SELECT DISTINCT kind FROM recordings ORDER BY 1"),
        outcomes=col("SELECT DISTINCT outcome FROM recordings ORDER BY 1"),
        languages=col("SELECT DISTINCT language FROM segments ORDER BY 1"),
        roles=col("SELECT DISTINCT role FROM role_stats WHERE role <> '*' ORDER BY 1"),
        metadata=meta)


def model_kind(model_id: str | None) -> str:
    """What a recording's model says about its tags: ``demo`` (synthetic demo data), ``stand_in``
    (a random-weight stand-in: noise) or ``real``."""
    if model_id == DEMO_MODEL:
        return "demo"
    return "stand_in" if model_id and random_weights(model_id) else "real"


def has_recording(con: duckdb.DuckDBPyConnection, recording_id: str) -> bool:
    """Whether the cursor ``con`` sees this recording (a viewer's cursor sees only their scope)."""
    return con.execute("SELECT count(*) FROM recordings WHERE recording_id = ?", [recording_id]).fetchone()[0] > 0


def recording_audio(con: duckdb.DuckDBPyConnection, recording_id: str) -> tuple[str | None, str | None]:
    """(path of the original file, model id) of a recording; (None, None) if unknown."""
    row = con.execute("SELECT path, model_id FROM recordings WHERE recording_id = ?", [recording_id]).fetchone()
    return (row[0], row[1]) if row else (None, None)


def recording_choices(con: duckdb.DuckDBPyConnection, flt: Filter | None = None, limit: int = 500,
                      keep: str | None = None) -> pd.DataFrame:
    """The newest ``limit`` recordings that match (recording_id, filename), newest first, plus
    ``keep`` (the recording open now) when it matches but is older."""
    where, params = recording_where(flt)
    order = "ORDER BY r.recorded_at DESC NULLS LAST, r.recording_id"
    df = con.execute(f"SELECT r.recording_id, r.filename FROM recordings r WHERE {where} {order} LIMIT ?",
                     [*params, limit]).df()
    if keep and keep not in set(df["recording_id"]):
        older = con.execute(f"SELECT r.recording_id, r.filename FROM recordings r WHERE ({where}) AND r.recording_id = ?",
                            [*params, keep]).df()
        df = pd.concat([df, older], ignore_index=True)
    return df


def noise_recordings(con: duckdb.DuckDBPyConnection, flt: Filter | None = None) -> int:
    """Recordings (among the filter's) analysed with a random-weight stand-in model."""
    where, params = recording_where(flt)
    models = con.execute(f"SELECT model_id, count(*) FROM recordings r WHERE {where} GROUP BY 1", params).fetchall()
    return sum(n for m, n in models if random_weights(m))


def synthetic(con: duckdb.DuckDBPyConnection, flt: Filter | None = None) -> dict:
    """Among the filter's recordings, those whose tags are not real measurements: ``demo`` (synthetic
    demo data) and ``stand_in`` (analysed with a random-weight stand-in model) counts, and
    ``models``: their model ids, for ``Filter.models_out`` to leave them out."""
    where, params = recording_where(flt)
    rows = con.execute(f"SELECT model_id, count(*) FROM recordings r WHERE {where} GROUP BY 1", params).fetchall()
    demo = sum(n for m, n in rows if m == DEMO_MODEL)
    stand_in = [(m, n) for m, n in rows if m != DEMO_MODEL and random_weights(m)]
    return {"demo": demo, "stand_in": sum(n for _, n in stand_in),
            "models": ([DEMO_MODEL] if demo else []) + [m for m, _ in stand_in]}

"""What the filters can choose from (kinds, outcomes, languages, roles, metadata keys and values),
and whether the store holds demo data: the choices the dashboard offers."""
from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from ingest.demo import DEMO_MODEL


@dataclass
class FilterOptions:
    recordings: int = 0
    demo_recordings: int = 0
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
        kinds=col("SELECT DISTINCT kind FROM recordings ORDER BY 1"),
        outcomes=col("SELECT DISTINCT outcome FROM recordings ORDER BY 1"),
        languages=col("SELECT DISTINCT language FROM segments ORDER BY 1"),
        roles=col("SELECT DISTINCT role FROM role_stats WHERE role <> '*' ORDER BY 1"),
        metadata=meta)


def recording_audio(con: duckdb.DuckDBPyConnection, recording_id: str) -> tuple[str | None, str | None]:
    """(path of the original file, model id) of a recording; (None, None) if unknown."""
    row = con.execute("SELECT path, model_id FROM recordings WHERE recording_id = ?", [recording_id]).fetchone()
    return (row[0], row[1]) if row else (None, None)

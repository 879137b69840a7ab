"""Open toneboard's data for reading. Readers use an in-memory DuckDB with the same views as the
database file, so they never lock the file and never block ingestion (see ingest/schema.py)."""
from __future__ import annotations

from pathlib import Path

import duckdb

from ingest.schema import store_dir, view_sql
from ingest.store import Store


def connect(db_path: str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory connection whose views read the store of ``db_path`` (created if missing)."""
    store = Store(db_path)
    if not (store.root / "SCHEMA_VERSION").exists():
        store.init()
        store.close()
    con = duckdb.connect()
    for stmt in view_sql(store_dir(Path(db_path).expanduser().resolve())):
        con.execute(stmt)
    return con

"""Writing Parquet files of the store's tables: rows by column name (never by position), in a
per-thread in-memory DuckDB connection."""
from __future__ import annotations

import threading
from dataclasses import asdict
from pathlib import Path

import duckdb
import numpy as np

from . import layout, schema

_local = threading.local()


def scratch_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory connection per thread for writing files (opening one costs ~10 ms)."""
    if getattr(_local, "con", None) is None:
        _local.con = duckdb.connect()
    return _local.con


def write_rows(table: str, rows: list[dict], dest: Path) -> None:
    """Write rows of ``table`` to ``dest`` (a new file), each a dict by column name: columns a row
    lacks are NULL; a key that is no column is an error. Never by position: a column added to the
    DDL cannot shift the others."""
    con = scratch_connection()
    con.execute("DROP TABLE IF EXISTS t")
    con.execute(schema.create_table_sql(table, "t"))
    try:
        if rows:  # as columns of Python objects (None is NULL): far faster than executemany, and
            # without pandas, which an ingest process would import for this alone (~60 MB)
            if not all(isinstance(r, dict) for r in rows):
                raise TypeError(f"rows of {table} are written by column name (dicts), not by position")
            names = list(dict.fromkeys(k for r in rows for k in r))
            columns = {}
            for name in names:
                col = columns[name] = np.empty(len(rows), dtype=object)  # filled one by one: a list stays one value
                for i, r in enumerate(rows):
                    col[i] = r.get(name)
            con.register("_rows", columns)
            con.execute("INSERT INTO t BY NAME SELECT * FROM _rows")
            con.unregister("_rows")
        con.execute(f"COPY t TO {layout.sql_path(dest)} (FORMAT parquet)")
    finally:
        con.execute("DROP TABLE IF EXISTS t")


def write_recording_files(stage: Path, rec, segments: list, pauses: list) -> None:
    """A recording's files in ``stage`` (its folder before the rename that stores it), one per table,
    rows by column name from the records (``ingest.records``): a new field is one line there and
    one column in ``ingest.store.schema``."""
    rec_row = asdict(rec)
    metadata = rec_row.pop("metadata")
    rec_row.pop("speakers")
    rec_row["schema_version"] = schema.SCHEMA_VERSION
    write_rows("recordings", [rec_row], stage / layout.FILE_NAMES["recordings"])
    common = {"model_id": rec.model_id, "model_revision": rec.model_revision,
              "pipeline_version": rec.pipeline_version}
    write_rows("segments", [asdict(s) | common | {"duration_s": round(s.duration_s, 3)} for s in segments],
               stage / layout.FILE_NAMES["segments"])
    write_rows("pauses", [asdict(p) | {"duration_s": round(p.duration_s, 3)} for p in pauses],
               stage / layout.FILE_NAMES["pauses"])
    write_rows("metadata", [{"recording_id": rec.recording_id, "key": k, "value": str(v)} for k, v in sorted(metadata.items())],
               stage / layout.FILE_NAMES["metadata"])
    write_rows("speakers", [asdict(s) for s in rec.speakers], stage / layout.FILE_NAMES["speakers"])

"""Where each table's files are in the data folder: only ``ingest.store`` names them (a test
checks); everyone else asks a ``Store`` for paths and rows.

Storage design (concurrent use). DuckDB lets one process write a database file, or several read it,
never both. So ingestion never holds the database file: each recording is written as Parquet files
in its own folder, built aside and renamed into place in one atomic step (the "transaction"); the
database file only holds views over those files (written once, and again when the schema or the
store's location changes). Any number of readers (the dashboard, the DuckDB CLI, a BI tool) can
query while ingestion runs, and a crash can never leave a half-written recording.

    data/toneboard.duckdb                    views: recordings, segments, pauses, metadata,
                                             batches, ingest_errors; table schema_info
    data/toneboard.store/
        recordings/<recording_id>/           one folder per recording, appears atomically
            recording.parquet  segments.parquet  pauses.parquet  metadata.parquet  speakers.parquet
        recordings/_schema/                  zero-row files that fix the column types
        compacted/current -> g000042         the compacted months readers use (ingest.store.compacted)
        compacted/g000042/<table>/<YYYY-MM>.parquet   recordings merged by month of recorded_at;
                                             a recording with a fresh folder is read from there
        batches/<batch_id>.parquet           one row per batch, replaced atomically
        ingest_errors/<batch_id>/<n>.parquet one row per failed file
        corrections/<time>-<id>.parquet      human corrections of a segment's tags (append-only;
                                             the latest per segment wins; the model's output stays)
        tickets/<ticket_id>.parquet          a risk ticket (written once: re-evaluation is idempotent)
        ticket_events/<time>-<id>.parquet    ticket status changes (append-only; latest wins)
        speaker_corrections/<time>-<id>.parquet  a person's role or name for a speaker (latest wins)
        notifications/<time>-<id>.parquet    each announcement of a ticket on a channel (analytics.alerts.notify)
        playlist_items/<time>-<id>.parquet   a moment added to (or taken off) a coaching playlist
        tag_thresholds/<time>-<id>.parquet   how sure a tag must be to count (analytics.confidence; latest wins)
        voiceprints/<name>--<kind>.parquet   enrolled voices (personal data: not a view, not exported
                                             unless asked; ingest.speakers.voices)
        accounts/<time>-<id>.parquet         who may sign in, with role and scope (latest per login
                                             wins; password hashes: not a view, never exported)
        accounts/attempts.json               failed sign-ins, counted by every dashboard process
        audit/<time>-<id>.parquet            who opened, played, exported or changed what (append-only)

Mutable state is kept as append-only event files for the same reason: no process ever holds the
database file, so readers and writers never block each other.
"""
from __future__ import annotations

from pathlib import Path

from .schema import PER_RECORDING, TABLES, column_names

FILE_NAMES = {"recordings": "recording.parquet", "segments": "segments.parquet",
              "pauses": "pauses.parquet", "metadata": "metadata.parquet", "speakers": "speakers.parquet"}


def store_dir(db_path: Path) -> Path:
    """The folder beside the database file that holds its Parquet files."""
    db_path = Path(db_path)
    return db_path.with_name(db_path.stem + ".store")


def sql_path(path: Path | str) -> str:
    """A path (or any text) as an SQL string literal: the one quoting helper, for SQL that cannot
    take parameters (views, macros, COPY ... TO)."""
    return "'" + str(path).replace("'", "''") + "'"


def sql_list(paths) -> str:
    """Paths as an SQL list literal (``read_parquet([...])`` in a view)."""
    return "[" + ", ".join(sql_path(p) for p in paths) + "]"


def table_glob(root: Path, table: str) -> Path:
    if table in PER_RECORDING:
        return root / "recordings" / "*" / FILE_NAMES[table]
    if table == "batches":
        return root / "batches" / "*.parquet"
    if table == "ingest_errors":
        return root / "ingest_errors" / "*" / "*.parquet"
    return root / table / "*.parquet"


COMPACTED = "compacted"  # the compacted months (ingest.store.compacted)
# Compacted months hold a segment's tags as readers count them (emotion, events: weak ones left out,
# analytics.confidence) and the model's own beside them (model_emotion, model_events); an outside
# client reads the model's, as in a fresh folder.
AS_PRINTED = {"segments": {"emotion": ("model_emotion", "VARCHAR"), "events": ("model_events", "VARCHAR[]")}}


def per_recording_view_sql(root: Path, table: str) -> str:
    """What an outside DuckDB client reads for a per-recording table: the compacted rows of
    recordings without a fresh folder, then the fresh folders (the fresh copy wins); only the
    table's own columns (the columns readers derive stay out)."""
    cols = ", ".join(column_names(table))
    fresh = root / "recordings" / "*" / FILE_NAMES[table]
    fresh_ids = root / "recordings" / "*" / FILE_NAMES["recordings"]
    comp = f"SELECT * FROM read_parquet({sql_path(root / COMPACTED / 'current' / table / '*.parquet')}, union_by_name = true)"
    if table in AS_PRINTED:  # the model's own columns, there even before a month holds them (an empty row adds them)
        printed = AS_PRINTED[table]
        typed = ", ".join(f"NULL::{kind} AS {col}" for col, kind in printed.values())
        comp = (f"SELECT * REPLACE ({', '.join(f'coalesce({col}, {name}) AS {name}' for name, (col, _) in printed.items())}) "
                f"FROM ({comp} UNION ALL BY NAME SELECT {typed} WHERE FALSE)")
    return (f"SELECT {cols} FROM (SELECT * FROM ({comp}) "
            f"WHERE recording_id NOT IN (SELECT recording_id FROM read_parquet({sql_path(fresh_ids)}, union_by_name = true)) "
            f"UNION ALL BY NAME SELECT * FROM read_parquet({sql_path(fresh)}, union_by_name = true))")


def view_sql(root: Path) -> list[str]:
    """``CREATE OR REPLACE VIEW`` statements for every table over the store at ``root``."""
    root = Path(root).resolve()
    out = []
    for table in TABLES:
        if table in PER_RECORDING:  # compacted months and fresh folders, each recording once
            out.append(f"CREATE OR REPLACE VIEW {table} AS {per_recording_view_sql(root, table)}")
        else:
            src = f"read_parquet({sql_path(table_glob(root, table))}, union_by_name = true)"
            out.append(f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM {src}")
    return out


"""Setting a store up: the folders, the zero-row schema files, the first (empty) compacted
generation, the database file's views, and what crashed runs left aside. ``Store.init`` runs
them; nothing else writes the database file."""
from __future__ import annotations

import json
import os
import shutil
import socket
import time
import uuid

import duckdb

from ..records import Batch
from . import compacted, layout, schema
from .parquet import write_rows


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(store) -> None:
    """Remove what crashed runs left aside (never anything of a live process)."""
    for parent in (store.root / ".tmp", store.root / ".trash"):
        if not parent.is_dir():
            continue
        for d in parent.iterdir():
            pid = d.name.split("-", 1)[0]
            if d != store.tmp and pid.isdigit() and not pid_alive(int(pid)):
                shutil.rmtree(d, ignore_errors=True)

def write_schema_files(store) -> None:
    marker = store.root / "SCHEMA_VERSION"
    if marker.exists() and marker.read_text().strip() == schema.fingerprint() and \
            (store.recordings / "_schema" / "recording.parquet").exists():
        return
    stage = store.tmp / "_schema"
    stage.mkdir(parents=True, exist_ok=True)
    for table in schema.PER_RECORDING:
        write_rows(table, [], stage / layout.FILE_NAMES[table])
    write_rows("batches", [], stage / "batches.parquet")
    for table in schema.APPEND_ONLY:
        (store.root / table).mkdir(exist_ok=True)
        write_rows(table, [], stage / f"{table}.parquet")
        os.replace(stage / f"{table}.parquet", store.root / table / "_schema.parquet")
    write_rows("ingest_errors", [], stage / "errors.parquet")
    dest = store.recordings / "_schema"
    for table in schema.PER_RECORDING:
        dest.mkdir(exist_ok=True)
        os.replace(stage / layout.FILE_NAMES[table], dest / layout.FILE_NAMES[table])
    os.replace(stage / "batches.parquet", store.root / "batches" / "_schema.parquet")
    (store.root / "ingest_errors" / "_schema").mkdir(exist_ok=True)
    os.replace(stage / "errors.parquet", store.root / "ingest_errors" / "_schema" / "_schema.parquet")
    marker.write_text(schema.fingerprint())

def first_generation(store) -> None:
    """An empty generation ``g000000`` (zero-row files) so the compacted globs of the views match
    before the first compaction; a store written before compaction existed gets it here."""
    folder = store.root / compacted.FOLDER
    lock = compacted.lock(store.root)
    try:
        if (folder / "current").exists():
            compacted.repair(store.root)
            return
        if not (folder / "g000000").is_dir():
            stage = folder / f".g000000-{os.getpid()}-{uuid.uuid4().hex[:6]}.tmp"
            for table in schema.PER_RECORDING:
                (stage / table).mkdir(parents=True)
                write_rows(table, [], stage / table / compacted.SCHEMA_FILE)
            os.rename(stage, folder / "g000000")
        link = folder / f".current-{uuid.uuid4().hex[:8]}"
        os.symlink(compacted.current(store.root).name, link)  # g000000, or the newest if a repair was cut short
        os.replace(link, folder / "current")
    finally:
        lock.close()


def ensure_views(store, wait_s: float = 10.0) -> bool:
    """Create or upgrade the views in the database file when needed. The file is opened for
    writing only then, briefly; if another process holds it, retry for ``wait_s`` and go on
    without (the data is in the store either way; the views are refreshed next time)."""
    state = json.dumps({"schema": schema.SCHEMA_VERSION, "columns": schema.fingerprint(), "root": str(store.root)})
    stamp = store.root / "VIEWS"
    if store.db_path.exists() and stamp.exists() and stamp.read_text() == state:
        return True
    deadline = time.monotonic() + wait_s
    while True:
        try:
            con = duckdb.connect(str(store.db_path))
            break
        except duckdb.IOException as e:
            if "lock" not in str(e).lower() or time.monotonic() > deadline:
                return False
            time.sleep(0.5)
    try:
        write_schema_files(store)  # a store of an older schema opened by a write before ``init``: its new tables' folders
        con.execute("BEGIN")
        for stmt in layout.view_sql(store.root):
            con.execute(stmt)
        con.execute("CREATE TABLE IF NOT EXISTS schema_info (key VARCHAR PRIMARY KEY, value VARCHAR)")
        for k, v in (("schema_version", str(schema.SCHEMA_VERSION)), ("store", str(store.root))):
            con.execute("INSERT OR REPLACE INTO schema_info VALUES (?, ?)", [k, v])
        con.execute("COMMIT")
    finally:
        con.close()
    stamp.write_text(state)
    return True


def mark_interrupted_batches(store) -> None:
    """Batches left 'running' by a process that no longer exists were interrupted."""
    con = duckdb.connect()
    try:
        rows = con.execute(
            "SELECT * FROM read_parquet(?, union_by_name = true) WHERE status = 'running'",
            [str(store.root / "batches" / "*.parquet")]).fetchall()
        cols = [d[0] for d in con.description]
    finally:
        con.close()
    for row in rows:
        b = Batch(**dict(zip(cols, row)))
        if b.host == socket.gethostname() and b.pid and not pid_alive(b.pid):
            b.status = "interrupted"
            b.n_ingested, b.audio_s, b.n_failed = _batch_counts(store, b)
            store.write_batch(b)

def _batch_counts(store, b: Batch) -> tuple[int, float, int]:
    """(recordings, seconds of audio, failures) a batch stored, counted from what is on disk."""
    con = duckdb.connect()
    try:
        n, audio = con.execute(f"SELECT count(*), coalesce(sum(duration_s), 0) FROM ({store.recordings_sql()}) "
                               "WHERE batch_id = ?", [b.batch_id]).fetchone()
    finally:
        con.close()
    failed = len(list((store.root / "ingest_errors" / b.batch_id).glob("*.parquet")))
    return max(int(n), b.n_ingested), round(max(float(audio), b.audio_s), 3), max(failed, b.n_failed)

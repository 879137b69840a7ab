"""Write recordings, batches and failures to the Parquet store, and keep the database file's views
current. See :mod:`ingest.schema` for the design."""
from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
import uuid
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import duckdb

from . import schema
from .records import Batch, IngestFailure, Pause, Recording, Segment


class StoreError(Exception):
    """The store cannot be used (the message says why)."""


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_local = threading.local()


def _scratch() -> duckdb.DuckDBPyConnection:
    """An in-memory connection per thread for writing files (opening one costs ~10 ms)."""
    if getattr(_local, "con", None) is None:
        _local.con = duckdb.connect()
    return _local.con


def _write_parquet(table: str, rows: list[dict], dest: Path) -> None:
    """Write rows of ``table`` to ``dest`` (a new file), each a dict by column name: columns a row
    lacks are NULL; a key that is no column is an error. Never by position: a column added to the
    DDL cannot shift the others."""
    con = _scratch()
    con.execute("DROP TABLE IF EXISTS t")
    con.execute(schema.create_table_sql(table, "t"))
    try:
        if rows:  # from a DataFrame: far faster than executemany; object dtype keeps None as NULL
            import pandas as pd

            if not all(isinstance(r, dict) for r in rows):
                raise TypeError(f"rows of {table} are written by column name (dicts), not by position")
            con.register("_rows", pd.DataFrame(rows, dtype=object))
            con.execute("INSERT INTO t BY NAME SELECT * FROM _rows")
            con.unregister("_rows")
        con.execute(f"COPY t TO '{str(dest).replace(chr(39), chr(39) * 2)}' (FORMAT parquet)")
    finally:
        con.execute("DROP TABLE IF EXISTS t")


class Store:
    """The Parquet store beside ``db_path``; one per database file."""

    def __init__(self, db_path: str | Path):
        self.db_path = Path(db_path).expanduser().resolve()
        self.root = schema.store_dir(self.db_path)
        self.recordings = self.root / "recordings"
        self.tmp = self.root / ".tmp" / f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._views_checked = False

    # -- setup -------------------------------------------------------------------------------
    def init(self) -> None:
        try:
            for d in (self.recordings, self.root / "batches", self.root / "ingest_errors", self.tmp):
                d.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create the data folder {self.root}: {e.strerror}") from e
        self._clean_stale()
        self._write_schema_files()
        self.ensure_views()
        self._views_checked = True

    def _clean_stale(self) -> None:
        """Remove what crashed runs left aside (never anything of a live process)."""
        for parent in (self.root / ".tmp", self.root / ".trash"):
            if not parent.is_dir():
                continue
            for d in parent.iterdir():
                pid = d.name.split("-", 1)[0]
                if d != self.tmp and pid.isdigit() and not pid_alive(int(pid)):
                    shutil.rmtree(d, ignore_errors=True)

    def _write_schema_files(self) -> None:
        marker = self.root / "SCHEMA_VERSION"
        if marker.exists() and marker.read_text().strip() == str(schema.SCHEMA_VERSION) and \
                (self.recordings / "_schema" / "recording.parquet").exists():
            return
        stage = self.tmp / "_schema"
        stage.mkdir(parents=True, exist_ok=True)
        for table in schema.PER_RECORDING:
            _write_parquet(table, [], stage / schema.FILE_NAMES[table])
        _write_parquet("batches", [], stage / "batches.parquet")
        for table in schema.APPEND_ONLY:
            (self.root / table).mkdir(exist_ok=True)
            _write_parquet(table, [], stage / f"{table}.parquet")
            os.replace(stage / f"{table}.parquet", self.root / table / "_schema.parquet")
        _write_parquet("ingest_errors", [], stage / "errors.parquet")
        dest = self.recordings / "_schema"
        for table in schema.PER_RECORDING:
            dest.mkdir(exist_ok=True)
            os.replace(stage / schema.FILE_NAMES[table], dest / schema.FILE_NAMES[table])
        os.replace(stage / "batches.parquet", self.root / "batches" / "_schema.parquet")
        (self.root / "ingest_errors" / "_schema").mkdir(exist_ok=True)
        os.replace(stage / "errors.parquet", self.root / "ingest_errors" / "_schema" / "_schema.parquet")
        marker.write_text(str(schema.SCHEMA_VERSION))

    def _views_current(self) -> None:
        """Once per Store: after a copy or move of the database and its store, the first write of
        any command points the database file's views at the store where it is now, so outside
        DuckDB clients read current data (best effort: skipped while a client holds the file)."""
        if not self._views_checked:
            self._views_checked = True
            if self.db_path.exists():
                self.ensure_views(wait_s=0)

    def ensure_views(self, wait_s: float = 10.0) -> bool:
        """Create or upgrade the views in the database file when needed. The file is opened for
        writing only then, briefly; if another process holds it, retry for ``wait_s`` and go on
        without (the data is in the store either way; the views are refreshed next time)."""
        state = json.dumps({"schema": schema.SCHEMA_VERSION, "root": str(self.root)})
        stamp = self.root / "VIEWS"
        if self.db_path.exists() and stamp.exists() and stamp.read_text() == state:
            return True
        deadline = time.monotonic() + wait_s
        while True:
            try:
                con = duckdb.connect(str(self.db_path))
                break
            except duckdb.IOException as e:
                if "lock" not in str(e).lower() or time.monotonic() > deadline:
                    return False
                time.sleep(0.5)
        try:
            con.execute("BEGIN")
            for stmt in schema.view_sql(self.root):
                con.execute(stmt)
            con.execute("CREATE TABLE IF NOT EXISTS schema_info (key VARCHAR PRIMARY KEY, value VARCHAR)")
            for k, v in (("schema_version", str(schema.SCHEMA_VERSION)), ("store", str(self.root))):
                con.execute("INSERT OR REPLACE INTO schema_info VALUES (?, ?)", [k, v])
            con.execute("COMMIT")
        finally:
            con.close()
        stamp.write_text(state)
        return True

    # -- recordings ----------------------------------------------------------------------------
    def has_recording(self, recording_id: str) -> bool:
        return (self.recordings / recording_id / schema.FILE_NAMES["recordings"]).exists()

    def stored_model(self, recording_id: str) -> str | None:
        """The model id a stored recording was analysed with (None if not stored)."""
        f = self.recordings / recording_id / schema.FILE_NAMES["recordings"]
        if not f.exists():
            return None
        con = duckdb.connect()
        try:
            return con.execute("SELECT model_id FROM read_parquet(?)", [str(f)]).fetchone()[0]
        finally:
            con.close()

    def write_recording(self, rec: Recording, segments: list[Segment], pauses: list[Pause],
                        replace: bool = False) -> bool:
        """Store one recording atomically. Returns False if it is already present (and not
        ``replace``): a concurrent ingest of the same file got there first. Rows are written by
        column name from the records (ingest.records), so a new field is one line there and one
        column in ingest.schema."""
        self._views_current()
        stage = self.tmp / rec.recording_id
        shutil.rmtree(stage, ignore_errors=True)
        stage.mkdir(parents=True)
        rec_row = asdict(rec)
        metadata = rec_row.pop("metadata")
        rec_row.pop("speakers")
        rec_row["schema_version"] = schema.SCHEMA_VERSION
        _write_parquet("recordings", [rec_row], stage / schema.FILE_NAMES["recordings"])
        common = {"model_id": rec.model_id, "model_revision": rec.model_revision,
                  "pipeline_version": rec.pipeline_version}
        _write_parquet("segments", [asdict(s) | common | {"duration_s": round(s.duration_s, 3)} for s in segments],
                       stage / schema.FILE_NAMES["segments"])
        _write_parquet("pauses", [asdict(p) | {"duration_s": round(p.duration_s, 3)} for p in pauses],
                       stage / schema.FILE_NAMES["pauses"])
        _write_parquet("metadata", [{"recording_id": rec.recording_id, "key": k, "value": str(v)}
                                    for k, v in sorted(metadata.items())],
                       stage / schema.FILE_NAMES["metadata"])
        _write_parquet("speakers", [asdict(s) for s in rec.speakers], stage / schema.FILE_NAMES["speakers"])
        dest = self.recordings / rec.recording_id
        trash = None
        if dest.exists():
            if not replace:
                shutil.rmtree(stage, ignore_errors=True)
                return False
            trash = self.root / ".trash" / f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
            trash.parent.mkdir(exist_ok=True)
            os.rename(dest, trash)
        try:
            os.rename(stage, dest)  # the commit: the folder appears whole or not at all
        except OSError:
            if not dest.exists():
                raise
            shutil.rmtree(stage, ignore_errors=True)
            return False
        if trash is not None:
            shutil.rmtree(trash, ignore_errors=True)
        return True

    # -- batches and failures ------------------------------------------------------------------
    def write_batch(self, batch: Batch) -> None:
        self._views_current()
        self.tmp.mkdir(parents=True, exist_ok=True)
        staged = self.tmp / f"batch-{batch.batch_id}.parquet"
        _write_parquet("batches", [asdict(batch)], staged)
        os.replace(staged, self.root / "batches" / f"{batch.batch_id}.parquet")

    def write_failure(self, failure: IngestFailure) -> None:
        self._views_current()
        folder = self.root / "ingest_errors" / failure.batch_id
        folder.mkdir(parents=True, exist_ok=True)
        staged = self.tmp / f"error-{uuid.uuid4().hex}.parquet"
        _write_parquet("ingest_errors", [asdict(failure)], staged)
        os.replace(staged, folder / f"{uuid.uuid4().hex[:12]}.parquet")

    def append_rows(self, table: str, rows: list[dict], name: str | None = None) -> Path:
        """Append rows (dicts by column name) to an append-only table as one new file (atomic). With ``name``, the file
        is written only if it does not exist yet (idempotent creation); returns its path."""
        self._views_current()
        folder = self.root / table
        folder.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        dest = folder / f"{name or now().strftime('%Y%m%dT%H%M%S-') + uuid.uuid4().hex[:10]}.parquet"
        if name and dest.exists():
            return dest
        staged = self.tmp / f"{table}-{uuid.uuid4().hex}.parquet"
        _write_parquet(table, rows, staged)
        if name:
            try:
                os.link(staged, dest)  # fails if another process created it first
            except FileExistsError:
                pass
            os.unlink(staged)
        else:
            os.replace(staged, dest)
        return dest

    def remove_recording(self, recording_id: str) -> bool:
        self._views_current()
        dest = self.recordings / recording_id
        if not dest.is_dir() or recording_id == "_schema":
            return False
        trash = self.root / ".trash" / f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        trash.parent.mkdir(exist_ok=True)
        os.rename(dest, trash)
        shutil.rmtree(trash, ignore_errors=True)
        return True

    def mark_interrupted_batches(self) -> None:
        """Batches left 'running' by a process that no longer exists were interrupted."""
        con = duckdb.connect()
        try:
            rows = con.execute(
                "SELECT * FROM read_parquet(?, union_by_name = true) WHERE status = 'running'",
                [str(self.root / "batches" / "*.parquet")]).fetchall()
            cols = [d[0] for d in con.description]
        finally:
            con.close()
        for row in rows:
            b = Batch(**dict(zip(cols, row)))
            if b.host == socket.gethostname() and b.pid and not pid_alive(b.pid):
                b.status = "interrupted"
                b.n_ingested, b.audio_s, b.n_failed = self._batch_counts(b)
                self.write_batch(b)

    def _batch_counts(self, b: Batch) -> tuple[int, float, int]:
        """(recordings, seconds of audio, failures) a batch stored, counted from what is on disk."""
        con = duckdb.connect()
        try:
            recs = list((self.root / "recordings").glob("*/recording.parquet"))
            n, audio = con.execute("SELECT count(*), coalesce(sum(duration_s), 0) FROM read_parquet(?) "
                                   "WHERE batch_id = ?", [[str(p) for p in recs], b.batch_id]).fetchone() \
                if recs else (0, 0.0)
        finally:
            con.close()
        failed = len(list((self.root / "ingest_errors" / b.batch_id).glob("*.parquet")))
        return max(int(n), b.n_ingested), round(max(float(audio), b.audio_s), 3), max(failed, b.n_failed)

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def now() -> datetime:
    return datetime.now().replace(microsecond=0)

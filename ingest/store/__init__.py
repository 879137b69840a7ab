"""The store: the only code that knows the data folder (layout: :mod:`ingest.store.layout`;
compaction: :mod:`ingest.store.compacted`). Writers store recordings, batches, failures and
append-only rows and keep the database file's views current; readers ask it which files hold
what (fresh folders, the current generation, the small tables) and never write it; everyone else
asks it for the paths it owns (uploads, live audio, caches, voiceprints).

Also here: ``schema`` (the tables and their columns), ``backup`` and ``backup_check``
(export-db / import-db / purge), ``voiceprints`` (their files), ``accounts`` (who may sign in).
May import: the ``ingest`` base
(ids, records) only.
"""
from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import asdict
from pathlib import Path

import duckdb

from .. import ids
from ..records import Batch, IngestFailure, Pause, Recording, Segment, Ticket, now
from . import compacted, layout, schema, setup
from .compacted import CompactReport, Loader, kept_columns as kept_columns  # kept_columns: readers select what memory keeps
from .layout import sql_list as sql_list, sql_path as sql_path  # sql_list: the one quoting of SQL literals, for every module
from .parquet import write_recording_files, write_rows
from .setup import pid_alive as pid_alive  # callers ask the store whether a writer is alive


class StoreError(Exception):
    """The store cannot be used (the message says why)."""


class Store:
    """The Parquet store beside ``db_path``; one per database file."""

    def __init__(self, db_path: str | Path):
        self.db_path = Path(db_path).expanduser().resolve()
        self.root = layout.store_dir(self.db_path)
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
        setup.clean_stale(self)
        setup.write_schema_files(self)
        setup.first_generation(self)
        self.ensure_views()
        self._views_checked = True

    def _views_current(self) -> None:
        """Once per Store: after a copy or move of the database and its store, the first write of
        any command points the database file's views at the store where it is now, so outside
        DuckDB clients read current data (best effort: skipped while a client holds the file)."""
        if not self._views_checked:
            self._views_checked = True
            if self.db_path.exists():
                self.ensure_views(wait_s=0)

    def ensure_views(self, wait_s: float = 10.0) -> bool:
        """Create or upgrade the views in the database file when needed (``setup.ensure_views``)."""
        return setup.ensure_views(self, wait_s)

    # -- safety: ids become paths, and nothing outside the store is ever removed -------------------
    def _folder_of(self, recording_id: str, stored: bool = False) -> Path:
        """``recordings/<recording_id>``, for a recording id only (never ``..``, ``/`` or ``_schema``).
        ``stored``: the folder of a recording already in the store, to remove it: stores written
        before ids were checked hold demo recordings named ``demo-sales-000``; such a plain name (no
        ``/``, no leading dot) is accepted too."""
        if stored and recording_id != "_schema" and ids.is_name(recording_id):
            return self.recordings / recording_id
        try:
            return self.recordings / ids.recording_id(recording_id)
        except ids.BadId as e:
            raise StoreError(str(e)) from None

    def inside(self, path: Path) -> bool:
        """Whether ``path`` (its links resolved) lies strictly inside the store's folder."""
        try:
            return Path(path).resolve().is_relative_to(self.root.resolve()) and \
                Path(path).resolve() != self.root.resolve()
        except (OSError, RuntimeError):
            return False

    def remove_tree(self, path: Path) -> None:
        """Remove a folder of the store (a link is removed, never followed); a path outside the store,
        or the store itself, is refused: no command removes anything else, whatever its input."""
        path = Path(path)
        if path.is_symlink():
            if not (self.inside(path.parent) or path.parent.resolve() == self.root.resolve()):
                raise StoreError(f"refusing to remove {path}: it is not inside the store {self.root}")
            path.unlink()
            return
        if not self.inside(path):
            raise StoreError(f"refusing to remove {path}: it is not inside the store {self.root}")
        shutil.rmtree(path, ignore_errors=True)

    # -- places the store owns (no other module names a folder of it) ---------------------------
    def exists(self) -> bool:
        return self.root.is_dir()

    def uploads(self) -> Path:
        """Audio the store keeps (dashboard uploads, imported exports): ``<key>/<file name>``."""
        return self.root / "uploads"

    def live_audio(self) -> Path:
        """Audio of live calls: ``<recording_id>/<call_id>.wav``."""
        return self.root / "live"

    def live_status(self) -> Path:
        """One small JSON file per live call in progress (written by the live server)."""
        return self.root / "live" / "_active"

    def cache(self, name: str) -> Path:
        """A folder for derived files that can be made again (muted playback copies ...)."""
        return self.root / ".cache" / name

    def forget_derived_text(self) -> None:  # after an erasure or blanking: the topics found quote the calls' words
        self.remove_tree(self.cache("topics"))

    def scratch(self) -> Path:
        """This process's own scratch folder (removed by close(), or by the next writer if killed)."""
        self.tmp.mkdir(parents=True, exist_ok=True)
        return self.tmp

    def voiceprints(self) -> Path:
        """Enrolled voices (personal data: not a view, not exported unless asked)."""
        return self.root / "voiceprints"

    def accounts(self) -> Path:
        """Who may sign in, and failed sign-ins (personal data: not a view, never exported)."""
        return self.root / "accounts"

    def has_named_rows(self, table: str, name: str) -> bool:
        """Whether ``append_rows(table, ..., name=name)`` has written its file."""
        return (self.root / table / f"{name}.parquet").exists()

    def open_ticket(self, ticket: Ticket) -> bool:
        """Write ``ticket`` unless a ticket with its id exists; whether it is new."""
        if self.has_named_rows("tickets", ticket.ticket_id):
            return False
        self.append_rows("tickets", [ticket.row(now())], name=ticket.ticket_id)
        return True

    def remove_batch(self, batch_id: str) -> None:
        if ids.is_name(batch_id):
            (self.root / "batches" / f"{batch_id}.parquet").unlink(missing_ok=True)

    def views(self, con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
        """Create every table's view over this store on ``con`` (an in-memory connection)."""
        for sql in layout.view_sql(self.root):
            con.execute(sql)
        return con

    def put_recording(self, recording_id: str, write) -> bool:
        """Store a recording whose files ``write(table, path)`` writes (each a Parquet file of that
        table's rows), whole or not at all; False if it is already stored."""
        dest = self._folder_of(recording_id)
        if self.has_recording(recording_id):
            return False
        stage = self.tmp / f"put-{recording_id}"
        self.remove_tree(stage)
        stage.mkdir(parents=True)
        try:
            for table in schema.PER_RECORDING:
                write(table, stage / layout.FILE_NAMES[table])
            os.rename(stage, dest)
        except BaseException as e:  # an ingest of the same file got there first, or a write failed
            self.remove_tree(stage)
            if isinstance(e, OSError) and dest.exists():
                return False
            raise
        return True

    # -- reading -------------------------------------------------------------------------------
    def fresh(self) -> dict[str, int]:
        """Recordings stored since the last compaction: id -> modification time (ns) of its
        recording file (a replaced recording gets a new one)."""
        out = {}
        for d in self.recordings.iterdir() if self.recordings.is_dir() else []:
            if d.name != "_schema":
                try:
                    out[d.name] = (d / layout.FILE_NAMES["recordings"]).stat().st_mtime_ns
                except FileNotFoundError:  # replaced or removed while we looked
                    continue
        return out

    def fresh_files(self, table: str, recording_ids: list[str]) -> list[str]:
        """The files of ``table`` of these fresh recordings (recordings stored before the table
        existed lack its file)."""
        files = [self.recordings / r / layout.FILE_NAMES[table] for r in recording_ids]
        return [str(f) for f in files if table not in schema.ADDED_IN or f.exists()]

    def generation(self) -> Path | None:
        """The compacted generation readers use now (None: none yet)."""
        return compacted.current(self.root)

    def compacted_files(self, generation: Path | None, table: str) -> list[str]:
        return [str(f) for f in compacted.files(generation, table)]

    def compacted_ids(self, generation: Path | None) -> dict[str, str]:
        """recording_id -> month of every compacted recording of ``generation`` (cached)."""
        key = str(generation)
        if getattr(self, "_ids_of", (None,))[0] != key:
            self._ids_of = (key, compacted.ids(generation))
        return self._ids_of[1]

    def table_files(self, table: str) -> list[str]:
        """The files of a table that is not per recording (batches, corrections ...)."""
        pattern = layout.table_glob(self.root, table).relative_to(self.root)
        return sorted(str(f) for f in self.root.glob(str(pattern))) if self.root.is_dir() else []

    def recordings_sql(self) -> str:
        """A query of every stored recording's row, compacted or fresh (for an in-memory connection)."""
        return layout.per_recording_view_sql(self.root, "recordings")

    def signature(self) -> tuple:
        """Modification times that change when anything is stored, replaced, removed, appended
        or compacted (readers compare it to skip a refresh; not the audit: no reader holds it)."""
        dirs = [self.recordings] + [self.root / t for t in ("batches", *schema.APPEND_ONLY) if t not in schema.ON_DEMAND]
        errors = self.root / "ingest_errors"
        dirs += [errors] + (sorted(errors.iterdir()) if errors.is_dir() else [])
        return tuple((str(d), d.stat().st_mtime_ns) for d in dirs if d.exists()) + (str(self.generation()),)

    # -- recordings ----------------------------------------------------------------------------
    def has_recording(self, recording_id: str) -> bool:
        return (self._folder_of(recording_id) / layout.FILE_NAMES["recordings"]).exists() or \
            recording_id in self.compacted_ids(self.generation())

    def stored_model(self, recording_id: str) -> str | None:
        """The model id a stored recording was analysed with (None if not stored)."""
        f = self.recordings / recording_id / layout.FILE_NAMES["recordings"]
        if f.exists():
            files = [str(f)]
        else:
            gen = self.generation()
            if recording_id not in self.compacted_ids(gen):
                return None
            files = [str(f) for f in compacted.files(gen, "recordings")]  # one file (WHOLE), or a year's months
        con = duckdb.connect()
        try:
            row = con.execute("SELECT model_id FROM read_parquet(?) WHERE recording_id = ?", [files, recording_id]).fetchone()
        except duckdb.IOException:  # compacted again meanwhile
            return self.stored_model(recording_id) if f.exists() else None
        finally:
            con.close()
        return row[0] if row else None

    def write_recording(self, rec: Recording, segments: list[Segment], pauses: list[Pause],
                        replace: bool = False) -> bool:
        """Store one recording atomically. Returns False if it is already present (and not
        ``replace``): a concurrent ingest of the same file got there first. Rows are written by
        column name from the records (ingest.records), so a new field is one line there and one
        column in ingest.store.schema."""
        self._views_current()
        dest = self._folder_of(rec.recording_id)
        stage = self.tmp / rec.recording_id
        self.remove_tree(stage)
        stage.mkdir(parents=True)
        write_recording_files(stage, rec, segments, pauses)
        dest = self.recordings / rec.recording_id
        trash = None
        if dest.exists():
            if not replace:
                self.remove_tree(stage)
                return False
            trash = self.root / ".trash" / f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
            trash.parent.mkdir(exist_ok=True)
            os.rename(dest, trash)
        try:
            os.rename(stage, dest)  # the commit: the folder appears whole or not at all
        except OSError:
            if not dest.exists():
                raise
            self.remove_tree(stage)
            return False
        if trash is not None:
            self.remove_tree(trash)
        return True

    # -- batches and failures ------------------------------------------------------------------
    def write_batch(self, batch: Batch) -> None:
        self._views_current()
        self.tmp.mkdir(parents=True, exist_ok=True)
        staged = self.tmp / f"batch-{batch.batch_id}.parquet"
        write_rows("batches", [asdict(batch)], staged)
        os.replace(staged, self.root / "batches" / f"{batch.batch_id}.parquet")

    def write_failure(self, failure: IngestFailure) -> None:
        self._views_current()
        folder = self.root / "ingest_errors" / failure.batch_id
        folder.mkdir(parents=True, exist_ok=True)
        staged = self.tmp / f"error-{uuid.uuid4().hex}.parquet"
        write_rows("ingest_errors", [asdict(failure)], staged)
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
        write_rows(table, rows, staged)
        if name:
            try:
                os.link(staged, dest)  # fails if another process created it first
            except FileExistsError:
                pass
            os.unlink(staged)
        else:
            os.replace(staged, dest)
        return dest

    def _remove_folder(self, recording_id: str, mtime_ns: int | None = None) -> bool:
        """Remove a fresh recording's folder (with ``mtime_ns``: only if its recording file still
        has that time, i.e. it was not replaced meanwhile)."""
        if recording_id == "_schema" or not ids.is_name(recording_id):
            return False
        dest = self._folder_of(recording_id, stored=True)
        if not dest.is_dir() or dest.is_symlink():
            return False
        if mtime_ns is not None:
            try:
                if (dest / layout.FILE_NAMES["recordings"]).stat().st_mtime_ns != mtime_ns:
                    return False
            except FileNotFoundError:
                return False
        trash = self.root / ".trash" / f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        trash.parent.mkdir(exist_ok=True)
        try:
            os.rename(dest, trash)
        except FileNotFoundError:
            return False
        self.remove_tree(trash)
        return True

    def remove_recordings(self, recording_ids: list[str]) -> int:
        """Remove recordings, fresh or compacted (the months holding them are rewritten without
        them: the data is gone from disk, not only hidden); returns how many were stored."""
        self._views_current()
        for r in recording_ids:
            self._folder_of(r, stored=True)  # a recording id, or StoreError before anything is removed
        known = self.compacted_ids(self.generation())
        n = sum(r in known or (self.recordings / r).is_dir() for r in set(recording_ids))
        if any(r in known for r in recording_ids):
            self.compact(None, remove=recording_ids)
        for r in recording_ids:
            self._remove_folder(r)
        return n

    def remove_recording(self, recording_id: str) -> bool:
        return self.remove_recordings([recording_id]) > 0

    def compact(self, loader: Loader | None, remove: list[str] = (), on_round=None) -> CompactReport:
        """Merge the fresh recordings into the compacted months through ``loader`` (None: only
        take ``remove`` out). Safe at any moment against kill -9, readers and ingest (see
        :mod:`ingest.store.compacted`)."""
        self._views_current()
        if compacted.current(self.root) is None:
            self.init()
        fresh = self.fresh() if loader is not None else {}
        return compacted.compact(self.root, fresh, loader, remove, pid_alive, self._remove_folder,
                                 months=self._months(fresh) if len(fresh) > compacted.ROUND else None, on_round=on_round)

    def _months(self, fresh: dict[str, int]) -> dict[str, str]:
        """Month of recorded_at of fresh recordings (for compaction rounds of one month or two)."""
        con = duckdb.connect()
        try:
            return dict(con.execute("SELECT recording_id, coalesce(strftime(recorded_at, '%Y-%m'), 'undated') "
                                    "FROM read_parquet(?, union_by_name = true)",
                                    [self.fresh_files("recordings", sorted(fresh))]).fetchall())
        except duckdb.IOException:  # a folder replaced meanwhile: rounds in id order
            return {}
        finally:
            con.close()

    def mark_interrupted_batches(self) -> None:
        """Batches left 'running' by a process that no longer exists were interrupted (what an ingest does first)."""
        setup.mark_interrupted_batches(self)

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

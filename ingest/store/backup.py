"""Backups and moving machines: ``toneboard export-db`` / ``import-db`` (deletion: ``erase``).

An export is a folder with one Parquet file per table, ``manifest.json`` (schema version, row
counts) and, with ``audio=True``, each recording's audio as ``audio/<recording_id>/<file name>``.
An import adds what the database does not have yet (recordings by id, other rows by content), each
recording written whole like an ingest; imported audio lands content-addressed under the store's
``uploads/`` and the recordings point at it."""
from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb

from .. import ids
from . import Store, StoreError, compacted, layout, schema, sql_path
from .backup_check import CheckedExport, check_export
from .compacted import Loader
from .setup import pid_alive

OTHER_TABLES = ("batches", "ingest_errors", *schema.APPEND_ONLY)
IMPORT_MEMORY = "700MB"


def _views(store: Store) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with the store's tables as views (never the .duckdb file's lock)."""
    return store.views(duckdb.connect())


def export_db(db: Path, out: Path, audio: bool = False, voiceprints: bool = False) -> dict[str, int]:
    """Write every table (and optionally the audio, and the voiceprints: personal data, so only
    when asked) to the new folder ``out``; returns row counts."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise StoreError(f"{out} exists and is not empty: export into a new folder")
    store = Store(db)
    if not store.exists():
        raise StoreError(f"no database at {db}")
    out.mkdir(parents=True, exist_ok=True)
    con = _views(store)
    counts = {}
    try:
        for table in schema.TABLES:
            con.execute(f"COPY (SELECT * FROM {table}) TO {sql_path(out / f'{table}.parquet')} (FORMAT parquet)")
            counts[table] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        copied = 0
        if audio:
            for rid, path, name in con.execute("SELECT recording_id, path, filename FROM recordings").fetchall():
                if path and Path(path).is_file():
                    dest = out / "audio" / rid / Path(name or Path(path).name).name
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, dest)
                    copied += 1
        from . import voiceprints as vp_store

        vdir = vp_store.folder(db)
        if voiceprints and vdir.is_dir() and any(vdir.glob("*.parquet")):
            shutil.copytree(vdir, out / vp_store.FOLDER)
            counts["voiceprints"] = len(list(vdir.glob("*.parquet")))
    finally:
        con.close()
    manifest = {"toneboard_export": 1, "schema_version": schema.SCHEMA_VERSION,
                "exported_at": datetime.now().isoformat(timespec="seconds"), "tables": counts, "audio_files": copied}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return counts | {"audio_files": copied}


def import_db(src: Path, db: Path, merge: Callable[[Store, Callable], Loader] | None = None) -> dict[str, int]:
    """Add the export at ``src`` to the database ``db`` (created if new); returns rows added per
    table. The whole export is checked first (``check_export``): a bad one adds nothing and the
    StoreError says what is wrong. A failure while writing takes back what was added.

    With ``merge`` (``analytics.db.backup_loader``: the reader's loader, which adds the columns
    readers derive), the new recordings go straight into compacted generations, ``ROUND`` at a
    time, as compaction would write them; without, each is stored as a fresh folder (as an ingest
    stores it) for the next compaction to merge."""
    src = Path(src)
    store = Store(db)
    created = not store.root.exists()
    # one connection checks and writes: the backup's rows are loaded once, as temporary tables,
    # and beyond this limit they go to this process's scratch folder of the store instead of
    # memory (a year is ~19 M segments: held in memory, ~5.5 GB)
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{IMPORT_MEMORY}'")
    con.execute("SET temp_directory = ?", [str(store.scratch())])
    con.execute("SET preserve_insertion_order = false")
    try:
        checked = check_export(src, con)
        store.init()
    except BaseException:
        con.close()
        store.close()
        if created:  # a refused backup leaves no data folder behind
            for d in (store.tmp.parent, store.root):
                try:
                    d.rmdir()
                except OSError:
                    pass
        raise
    added = dict.fromkeys(schema.TABLES, 0)
    done = _Undo(store)
    try:
        store.views(con)
        new = [r[0] for r in con.execute("SELECT DISTINCT recording_id FROM in_recordings WHERE recording_id NOT IN "
                                         "(SELECT recording_id FROM recordings) ORDER BY 1").fetchall()]
        added["audio_paths_dropped"] = 0
        if merge is not None:
            added_rows, added["audio_paths_dropped"] = _import_compacted(con, store, checked, new, done, merge)
            for t, n in added_rows.items():
                added[t] += n
        for rid in new if merge is None else ():
            added_rows, dropped = _import_recording(con, store, checked, rid, done)
            added["audio_paths_dropped"] += dropped
            for t, n in added_rows.items():
                added[t] += n
        for t in OTHER_TABLES:  # rows not there yet, compared by content
            new_only = " WHERE batch_id NOT IN (SELECT batch_id FROM batches)" if t == "batches" else ""  # never replaced
            con.execute(f"CREATE TEMP TABLE fresh AS SELECT * FROM in_{t}{new_only} EXCEPT SELECT * FROM {t}")
            n = con.execute("SELECT count(*) FROM fresh").fetchone()[0]
            if n:
                done.files += _write_rows(con, store, t, "fresh")
            added[t] = n
            con.execute("DROP TABLE fresh")
        from . import voiceprints as vp_store

        for f in checked.voiceprints:  # exported with --voiceprints
            dest = vp_store.folder(db) / f.name
            if not dest.exists():
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(f, dest)
                done.files.append(dest)
                added["voiceprints"] = added.get("voiceprints", 0) + 1
    except BaseException:
        done.undo()
        raise
    finally:
        con.close()
        store.close()
    store.ensure_views()
    if not added["audio_paths_dropped"]:
        del added["audio_paths_dropped"]
    return added


class _Undo:
    """What an import has added so far, to take back if it fails halfway (all or nothing)."""

    def __init__(self, store: Store):
        self.store, self.recordings, self.files, self.audio = store, [], [], []

    def undo(self) -> None:
        try:
            self.store.remove_recordings(self.recordings)
        except StoreError:
            pass
        for f in self.files:
            if self.store.inside(f):
                Path(f).unlink(missing_ok=True)
        for d in self.audio:
            self.store.remove_tree(d)


def _audio_path(store: Store, checked: CheckedExport, rid: str, done: _Undo) -> Path | None:
    """Where a recording's audio lives after the import: the backup's copy, kept content-addressed
    under the store; None when its audio did not come along (a path outside the store is dropped;
    the demo's ``demo://`` stays)."""
    audio = checked.audio.get(rid)
    if audio is None:
        return None
    dest = store.uploads() / rid / audio.name
    if not dest.parent.exists():
        done.audio.append(dest.parent)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if not dest.exists():
        shutil.copyfile(audio, dest.with_name(dest.name + ".part"), follow_symlinks=False)
        os.replace(dest.with_name(dest.name + ".part"), dest)
    return dest


def _import_compacted(con: duckdb.DuckDBPyConnection, store: Store, checked: CheckedExport, new: list[str],
                      done: _Undo, merge: Callable[[Store, Callable], Loader]) -> tuple[dict[str, int], int]:
    """The new recordings merged into compacted generations: one pass over each of the backup's
    tables writes its rows by round (``ROUND`` recordings, in order of month), then each round is
    one compaction through ``merge``'s loader. Rows added per table, and paths dropped."""
    audio = {rid: _audio_path(store, checked, rid, done) for rid in new}
    con.execute("CREATE OR REPLACE TEMP TABLE _new AS SELECT * FROM (SELECT unnest(?::VARCHAR[]) AS recording_id, "
                "unnest(?::VARCHAR[]) AS kept_path)", [new, [str(audio[r]) if audio[r] else None for r in new]])
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _rounds AS
        SELECT n.recording_id, (row_number() OVER (ORDER BY coalesce(strftime(r.recorded_at, '%Y-%m'), 'undated'),
               n.recording_id) - 1) // {compacted.ROUND} AS round_no,
               coalesce(n.kept_path, CASE WHEN r.path = 'demo://' || n.recording_id THEN r.path END) AS path,
               n.kept_path IS NULL AND r.path IS NOT NULL AND r.path <> 'demo://' || n.recording_id AS dropped
        FROM _new n JOIN in_recordings r USING (recording_id)""")
    part = store.scratch() / f"import-{uuid.uuid4().hex[:8]}"
    part.mkdir()
    counts = {}
    try:
        for t in schema.PER_RECORDING:
            cols = "t.* REPLACE (x.path AS path)" if t == "recordings" else "t.*"
            counts[t] = con.execute(f"COPY (SELECT {cols}, x.round_no FROM in_{t} t JOIN _rounds x USING (recording_id)) "
                                    f"TO {sql_path(part / t)} (FORMAT parquet, PARTITION_BY (round_no))").fetchone()[0]
            for d in (part / t).glob("round_no=*"):  # a folder named key=value would add the key as a column
                d.rename(d.with_name("round-" + d.name.split("=", 1)[1]))
        at = [0]  # the round being merged: the loader reads that round's files

        def files_of(table: str, recording_ids: list[str]) -> list[str]:
            return sorted(str(f) for f in (part / table / f"round-{at[0]}").glob("*.parquet"))
        loader = merge(store, files_of)
        try:
            rounds = con.execute("SELECT round_no, list(recording_id) FROM _rounds GROUP BY 1 ORDER BY 1").fetchall()
            for at[0], ids_ in rounds:
                compacted.compact(store.root, dict.fromkeys(ids_, 0), loader, (), pid_alive, lambda rid, mtime: None)
                done.recordings += ids_
        finally:
            loader.con.close()
    finally:
        shutil.rmtree(part, ignore_errors=True)
    return counts, con.execute("SELECT count(*) FILTER (WHERE dropped) FROM _rounds").fetchone()[0]


def _import_recording(con: duckdb.DuckDBPyConnection, store: Store, checked: CheckedExport, rid: str,
                      done: _Undo) -> tuple[dict[str, int], int]:
    """Rows added per table, and 1 if the recording's path was dropped (it pointed outside the store
    and its audio did not come along)."""
    path_sql = f"CASE WHEN path = {sql_path('demo://' + rid)} THEN path END"  # the demo's; any other path: none
    kept = _audio_path(store, checked, rid, done)
    if kept is not None:
        path_sql = sql_path(kept)
    audio = checked.audio.get(rid)
    counts = {}

    def write(t: str, dest: Path) -> None:
        select = f"SELECT * REPLACE ({path_sql} AS path)" if t == "recordings" else "SELECT *"
        con.execute(f"COPY ({select} FROM in_{t} WHERE recording_id = ?) TO {sql_path(dest)} (FORMAT parquet)", [rid])
        counts[t] = con.execute(f"SELECT count(*) FROM in_{t} WHERE recording_id = ?", [rid]).fetchone()[0]
    if not store.put_recording(rid, write):
        return {}, 0
    done.recordings.append(rid)
    dropped = audio is None and con.execute(
        "SELECT count(*) FROM in_recordings WHERE recording_id = ? AND path IS NOT NULL AND path <> ?",
        [rid, "demo://" + rid]).fetchone()[0] > 0
    return counts, int(dropped)


def _write_rows(con: duckdb.DuckDBPyConnection, store: Store, table: str, source: str) -> list[Path]:
    """Rows of ``source`` as new files of ``table`` (batches: one file per batch, as ingest writes
    them); returns the files written."""
    if table in ("batches", "ingest_errors"):
        return [write_select(store, con, table, f"SELECT * FROM {source} WHERE batch_id = {_lit(bid)}", batch_id=bid)
                for (bid,) in con.execute(f"SELECT DISTINCT batch_id FROM {source}").fetchall()]
    return [write_select(store, con, table, f"SELECT * FROM {source}")]


def _lit(value) -> str:
    return "NULL" if value is None else sql_path(value)


def add_export_arguments(p) -> None:
    """``toneboard export-db``'s options."""
    p.add_argument("out", type=Path, help="a new folder")
    p.add_argument("--audio", action="store_true", help="copy each recording's audio along")
    p.add_argument("--voiceprints", action="store_true",
                   help="copy the enrolled voiceprints along (personal data: left out unless asked for)")


# -- writing rows of a backup into the store (the store's own package: it may name its folders) --
def write_select(store, con: duckdb.DuckDBPyConnection, table: str, select: str, params: list | None = None,
                 batch_id: str | None = None) -> Path:
    """The result of ``select`` on ``con`` as a new file of ``table`` (atomic). Batches and
    ingest errors are kept per batch: give ``batch_id``. Returns the file written."""
    if table in ("batches", "ingest_errors"):
        try:
            ids.name(batch_id, "batch id")
        except ids.BadId as e:
            raise StoreError(str(e)) from None
    if table == "batches":
        dest = store.root / "batches" / f"{batch_id}.parquet"
    elif table == "ingest_errors":
        dest = store.root / "ingest_errors" / str(batch_id) / f"imported-{uuid.uuid4().hex[:10]}.parquet"
    else:
        dest = store.root / table / f"imported-{uuid.uuid4().hex[:10]}.parquet"
    copy_atomic(store, con, select, dest, params)
    return dest

def copy_atomic(store, con, select: str, dest: Path, params: list | None = None) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    store.tmp.mkdir(parents=True, exist_ok=True)
    staged = store.tmp / f"{uuid.uuid4().hex}.parquet"
    con.execute(f"COPY ({select}) TO {layout.sql_path(staged)} (FORMAT parquet)", params)
    os.replace(staged, dest)

def rewrite_without(store, con: duckdb.DuckDBPyConnection, table: str, keep: str, params: list) -> int:
    """Rewrite each file of ``table`` (not per recording) holding rows that fail ``keep`` (an SQL
    condition with ``params``) without those rows, atomically; returns the rows removed."""
    removed = 0
    for f in map(Path, store.table_files(table)):
        if f.name == "_schema.parquet":
            continue
        total, kept = con.execute(f"SELECT count(*), count(*) FILTER (WHERE {keep}) FROM read_parquet({layout.sql_path(f)})",
                                  params).fetchone()
        if kept == total:
            continue
        removed += total - kept
        if kept:
            copy_atomic(store, con, f"SELECT * FROM read_parquet({layout.sql_path(f)}) WHERE {keep}", f, params)
        else:
            f.unlink()
    return removed

"""The check of an ``export-db`` folder before ``import-db`` adds anything of it (a backup comes
from outside: it may be damaged, from another version, or crafted).

Checked, in this order, and refused with a StoreError that names the file, column or row:
- no link anywhere in the folder (links are not followed; copy the files themselves);
- ``manifest.json``: a toneboard export, a known schema version, a row count per table;
- every table's file: a Parquet file with no unknown column, each column of its type (or one that
  converts without loss), as many rows as the manifest says;
- ids: recording ids are 64 lowercase hex characters, unique in ``recordings``, and every
  per-recording row belongs to a recording of the backup; batch ids are safe file names;
- audio: ``audio/<recording id>/<one file>`` of a recording of the backup, used by its base name;
- voiceprints: Parquet files.
Columns a backup of an earlier version lacks are NULL (as an ingest of that version wrote them)."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from .. import ids
from . import StoreError, schema, sql_path

MANIFEST_MAX_BYTES = 1 << 20


@dataclass
class CheckedExport:
    """An export folder that passed the check: what ``import_db`` may read from it."""
    src: Path
    version: int
    tables: dict[str, Path | None]  # None: a table the export's version did not have
    audio: dict[str, Path] = field(default_factory=dict)  # recording id -> its one audio file
    voiceprints: list[Path] = field(default_factory=list)


def check_export(src: Path, con: duckdb.DuckDBPyConnection) -> CheckedExport:
    """Check the export at ``src``, loading each of its tables into ``con`` as ``in_<table>`` (a
    temporary table of the store's own columns and types), where they stay for the import."""
    src = Path(src)
    if not src.is_dir():
        raise StoreError(f"{src} is not a folder (give the folder export-db wrote)")
    manifest = _manifest(src)
    _no_links(src)
    version = manifest["schema_version"]
    counts = manifest["tables"]
    tables: dict[str, Path | None] = {}
    for t in schema.TABLES:
        f = src / f"{t}.parquet"
        if f.is_file():
            tables[t] = f
        elif schema.ADDED_IN.get(t, 0) <= version:
            raise StoreError(f"{src} lacks {t}.parquet")
        else:
            tables[t] = None
    for t, f in tables.items():
        if f is None:
            continue
        _load(con, t, f)
        n = con.execute(f"SELECT count(*) FROM in_{t}").fetchone()[0]
        if t not in counts:
            raise StoreError(f"{src}/manifest.json has no row count for {t}")
        if counts[t] != n:
            raise StoreError(f"{f.name} holds {n} rows, but manifest.json says {counts[t]}: the backup is incomplete "
                             "or was changed")
    for t in schema.TABLES:
        if tables[t] is None:
            _load(con, t, None)
    _check_ids(con)
    recordings = {r for (r,) in con.execute("SELECT recording_id FROM in_recordings").fetchall()}
    return CheckedExport(src, version, tables, _audio(src, recordings), _voiceprints(src, counts))


def _no_links(src: Path) -> None:
    for parent, dirs, files in os.walk(src, followlinks=False):
        for name in dirs + files:
            p = Path(parent) / name
            if p.is_symlink():
                raise StoreError(f"{p} is a link: a backup's links are not followed (copy the file itself)")


def _manifest(src: Path) -> dict:
    f = src / "manifest.json"
    if f.is_symlink():
        raise StoreError(f"{f} is a link: a backup's links are not followed (copy the file itself)")
    try:
        if f.stat().st_size > MANIFEST_MAX_BYTES:
            raise StoreError(f"{f} is too large for a manifest")
        m = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise StoreError(f"{src} is not a toneboard export (manifest.json: {e})") from None
    if not isinstance(m, dict) or m.get("toneboard_export") != 1:
        raise StoreError(f"{src} is not a toneboard export (manifest.json has no \"toneboard_export\": 1)")
    version = m.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise StoreError(f"{f}: schema_version must be a whole number, not {version!r}")
    if version > schema.SCHEMA_VERSION:
        raise StoreError(f"{src} was exported by a newer toneboard (schema {version}); upgrade first")
    tables = m.get("tables")
    if not isinstance(tables, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0 for k, v in tables.items()):
        raise StoreError(f"{f}: \"tables\" must give each table's row count")
    return m


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    return {name: typ for name, typ, *_ in con.execute(f"DESCRIBE {relation}").fetchall()}


def _load(con: duckdb.DuckDBPyConnection, table: str, f: Path | None) -> None:
    con.execute(f"DROP TABLE IF EXISTS in_{table}")
    con.execute(schema.create_table_sql(table, f"in_{table}").replace("CREATE TABLE", "CREATE TEMP TABLE"))
    if f is None:
        return
    source = f"read_parquet({sql_path(f)})"
    try:
        found = _columns(con, f"SELECT * FROM {source}")
    except duckdb.Error as e:
        raise StoreError(f"{f.name} is not a readable Parquet file ({_first_line(e)})") from None
    wanted = _columns(con, f"in_{table}")
    unknown = [c for c in found if c not in wanted]
    if unknown:
        raise StoreError(f"{f.name} has columns toneboard does not know: {', '.join(map(repr, unknown[:5]))} "
                         f"(nothing was imported; a backup of another program, or a newer toneboard?)")
    for c, typ in found.items():
        if typ != wanted[c]:
            bad = con.execute(f'SELECT count(*) FROM {source} WHERE "{c}" IS NOT NULL AND '
                              f'TRY_CAST("{c}" AS {wanted[c]}) IS NULL').fetchone()[0]
            if bad:
                raise StoreError(f"{f.name}: column {c!r} is {typ}, expected {wanted[c]}, and {bad} values do not convert")
    cols = ", ".join(f'"{c}"' for c in found)
    try:
        con.execute(f"INSERT INTO in_{table} ({cols}) SELECT {cols} FROM {source}")
    except duckdb.Error as e:
        raise StoreError(f"{f.name} cannot be read as {table}: {_first_line(e)}") from None


def _check_ids(con: duckdb.DuckDBPyConnection) -> None:
    rid_ok = f"regexp_full_match(recording_id, '{ids.RECORDING_ID.pattern}')"
    name_ok = f"regexp_full_match(batch_id, '{ids.NAME.pattern}')"
    for t in schema.TABLES:
        cols = schema.column_names(t)
        if "recording_id" in cols:
            required = t in schema.PER_RECORDING
            cond = f"recording_id IS NULL OR NOT {rid_ok}" if required else f"recording_id IS NOT NULL AND NOT {rid_ok}"
            row = con.execute(f"SELECT recording_id FROM in_{t} WHERE {cond} LIMIT 1").fetchone()
            if row:
                raise StoreError(f"{t}.parquet: " + ("a row has no recording id" if row[0] is None else _bad_rid(row[0])))
        if "batch_id" in cols:
            required = t in ("batches", "ingest_errors")
            cond = f"batch_id IS NULL OR NOT {name_ok}" if required else f"batch_id IS NOT NULL AND NOT {name_ok}"
            row = con.execute(f"SELECT batch_id FROM in_{t} WHERE {cond} LIMIT 1").fetchone()
            if row:
                try:
                    ids.name(row[0], "batch id")
                except ids.BadId as e:
                    raise StoreError(f"{t}.parquet: {e}") from None
                raise StoreError(f"{t}.parquet: a row has no batch id")
    twice = con.execute("SELECT recording_id FROM in_recordings GROUP BY 1 HAVING count(*) > 1 LIMIT 1").fetchone()
    if twice:
        raise StoreError(f"recordings.parquet: the recording {twice[0]} is there twice")
    for t in schema.PER_RECORDING[1:]:
        n = con.execute(f"SELECT count(*) FROM in_{t} WHERE recording_id NOT IN (SELECT recording_id FROM in_recordings)"
                        ).fetchone()[0]
        if n:
            raise StoreError(f"{t}.parquet: {n} rows belong to no recording of the backup")


def _bad_rid(value) -> str:
    try:
        ids.recording_id(value)
    except ids.BadId as e:
        return str(e)
    return repr(value)


def _audio(src: Path, recordings: set[str]) -> dict[str, Path]:
    folder = src / "audio"
    if not folder.exists():
        return {}
    if not folder.is_dir():
        raise StoreError(f"{folder} is not a folder")
    out = {}
    for d in sorted(folder.iterdir()):
        if not d.is_dir() or d.name not in recordings:
            raise StoreError(f"{d}: the audio folder holds one folder per recording of the backup, named by its id")
        files = sorted(d.iterdir())
        if len(files) != 1 or not files[0].is_file():
            raise StoreError(f"{d}: expected one audio file")
        out[d.name] = files[0]
    return out


def _voiceprints(src: Path, counts: dict) -> list[Path]:
    from . import voiceprints as vp_store

    folder = src / vp_store.FOLDER
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if files and counts.get("voiceprints", len(files)) != len(files):
        raise StoreError(f"{folder} holds {len(files)} voiceprints, but manifest.json says {counts['voiceprints']}")
    con = duckdb.connect()
    try:
        for f in files:
            try:
                con.execute(f"SELECT count(*) FROM read_parquet({sql_path(f)})").fetchone()
            except duckdb.Error as e:
                raise StoreError(f"{f.name} is not a readable voiceprint ({_first_line(e)})") from None
    finally:
        con.close()
    return files


def _first_line(e: Exception) -> str:
    return str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__

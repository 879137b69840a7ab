"""The compacted part of the store: a few large Parquet files per table, one per month.

Ingest writes each recording as its own small folder (``recordings/<id>/``: atomic, crash-safe,
readable at once). Compaction merges those folders into a few Parquet files per table and month of
``recorded_at``, in a *generation*: a folder ``compacted/g000042/<table>/<YYYY-MM>[.gN].parquet``
that is never changed once written. Tables of a few rows per recording (``WHOLE``) are one file,
``all.parquet``. A new generation adds the new recordings of a month as one
more file (merging the month's files into one when it has MAX_PARTS, or when recordings leave it)
and hard-links everything else from the previous one; the symlink ``compacted/current`` is then swapped to
it in one atomic step, and only after that are the merged recording folders removed.

Why nothing is lost or doubled, whenever a compaction is killed:
- before the swap, the new generation is an unused folder (removed by the next compaction);
- after the swap and before the folders are gone, a recording is both fresh and compacted: every
  reader takes a recording from its fresh folder when it has one (*the fresh copy wins*) and
  leaves its compacted rows out, and the next compaction merges it again, replacing it;
- corrections and ticket events are never compacted: they stay append-only.

Readers resolve ``current`` once per refresh and read that generation; a generation stays on disk
for ``GRACE_S`` after it is replaced, so a reader in the middle of a query is never cut short.
Compactions take turns through a lock file (``flock``: released by the kernel if one is killed).
"""
from __future__ import annotations

import fcntl
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import duckdb

from . import layout

FOLDER = layout.COMPACTED
GRACE_S = 600.0  # a replaced generation stays this long for readers still using it
SCHEMA_FILE = "empty.parquet"  # zero rows: keeps the glob of a table without months matching (DuckDB skips _files)
ORDER = {"recordings": "recorded_at, recording_id", "segments": "recorded_at, recording_id, seg_index",
         "pauses": "recording_id, start_s", "metadata": "recording_id, key", "speakers": "recording_id, speaker",
         "role_stats": "recording_id, role"}


# Tables of a few rows per recording: one file each, whatever the month (rewritten, by a streaming
# merge, when they change). A month's file per table made a reader open ~50 files for a question
# that joins recordings, their statistics and metadata over a year (measured: 57 -> 33 ms).
WHOLE = ("recordings", "metadata", "speakers", "role_stats")
ALL = "all"  # the file name of a whole table: all.parquet


class Loader(Protocol):
    """What compaction merges from: a DuckDB connection whose schema ``mem`` holds the rows of
    fresh recordings (with any columns the readers derive from them) in ``tables``."""
    con: duckdb.DuckDBPyConnection
    tables: tuple[str, ...]

    def load(self, recording_ids: list[str]) -> list[str]:
        """Load these fresh recordings into ``mem``; returns the ids loaded (a folder replaced or
        removed meanwhile is left for next time)."""

    def unload(self, recording_ids) -> None:
        """Drop these recordings from ``mem``."""


@dataclass
class CompactReport:
    generation: str | None = None      # the new generation's folder name (None: nothing to do)
    merged: int = 0                    # fresh recordings merged in
    removed: int = 0                   # recordings taken out (purge, demo removal)
    months: list[str] = field(default_factory=list)   # months rewritten
    linked: int = 0                    # month files carried over unchanged (hard links)
    seconds: float = 0.0

    def describe(self) -> str:
        if self.generation is None:
            return "nothing to compact"
        months = ", ".join(self.months[:6]) + (" …" if len(self.months) > 6 else "")
        return f"merged {self.merged:,} recordings into {len(self.months)} months ({months}) in {self.seconds:.1f} s; {self.generation}"



def _number(gen: Path | None) -> int:
    return int(gen.name[1:]) if gen is not None else 0


def current(root: Path) -> Path | None:
    """The generation readers use now (None: nothing compacted yet). ``current`` is a symlink; a
    copy of the store made without keeping links (``cp -r``) has a folder there instead, which is
    used as it is until the next writer puts a link back (``repair``)."""
    link = root / FOLDER / "current"
    try:
        return (root / FOLDER / os.readlink(link)).resolve()
    except FileNotFoundError:
        gens = sorted((root / FOLDER).glob("g[0-9]*"))  # only if a repair was cut short
        return gens[-1].resolve() if gens else None
    except OSError:
        return link.resolve() if link.is_dir() else None


def repair(root: Path) -> None:
    """Put the ``current`` link back when a copy made a folder of it (a writer's first step)."""
    link = root / FOLDER / "current"
    if link.is_dir() and not link.is_symlink():
        n = max([_number(g) for g in (root / FOLDER).glob("g[0-9]*")] + [0]) + 1
        os.rename(link, root / FOLDER / f"g{n:06d}")  # killed here: current() takes the newest
        tmp = root / FOLDER / f".current-{uuid.uuid4().hex[:8]}"
        os.symlink(f"g{n:06d}", tmp)
        os.replace(tmp, link)


def files(gen: Path | None, table: str) -> list[Path]:
    """The month files of ``table`` in generation ``gen`` (none for None)."""
    if gen is None or not (gen / table).is_dir():
        return []
    return sorted(p for p in (gen / table).glob("*.parquet") if p.name != SCHEMA_FILE)


def month_of(path: Path) -> str:
    """``2026-11`` of ``2026-11.parquet`` and of its parts ``2026-11.g000042.parquet``."""
    return path.name.split(".", 1)[0]


MONTH_SQL = "coalesce(strftime(recorded_at, '%Y-%m'), 'undated')"  # the month a recording's rows are filed under


def ids(gen: Path | None) -> dict[str, str]:
    """recording_id -> its month, for every recording in generation ``gen``."""
    fs = files(gen, "recordings")
    if not fs:
        return {}
    con = duckdb.connect()
    try:
        rows = con.execute(f"SELECT recording_id, {MONTH_SQL} FROM read_parquet(?, union_by_name = true)",
                           [[str(f) for f in fs]]).fetchall()
    finally:
        con.close()
    return dict(rows)


def lock(root: Path):
    """Hold the store's compaction lock (close the returned file to release it)."""
    folder = root / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    f = open(folder / ".lock", "a+")  # noqa: SIM115 (held for the whole compaction)
    fcntl.flock(f, fcntl.LOCK_EX)
    return f


def _collect_garbage(root: Path, cur: Path | None, pid_alive: Callable[[int], bool], grace_s: float = GRACE_S) -> None:
    """Remove what no reader can be using: stages of dead compactions, generations newer than
    ``current`` (a compaction killed between writing and swapping), and generations replaced more
    than ``grace_s`` ago (the one before ``current`` stays, unless ``grace_s`` is 0: after a purge)."""
    folder = root / FOLDER
    if not (folder / "current").is_symlink():
        return
    gens = sorted(p for p in folder.glob("g[0-9]*") if p.is_dir())
    n = _number(cur)
    for p in folder.glob(".g*.tmp"):
        pid = p.name.split("-")[1] if "-" in p.name else ""
        if pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(p, ignore_errors=True)
    for i, g in enumerate(gens):
        k = _number(g)
        if k > n:
            shutil.rmtree(g, ignore_errors=True)
        elif k < n and (grace_s == 0 or (k < n - 1 and i + 1 < len(gens))):
            replaced_at = gens[i + 1].stat().st_mtime
            if time.time() - replaced_at >= grace_s:
                shutil.rmtree(g, ignore_errors=True)


ROUND = 1000  # fresh recordings merged per generation: bounds a compaction's memory (~0.5 GB)
MAX_PARTS = 8  # a month's files before they are merged into one


def compact(root: Path, fresh: dict[str, int], loader: Loader | None, remove: Iterable[str],
            pid_alive: Callable[[int], bool], remove_folder: Callable[[str, int | None], None],
            months: dict[str, str] | None = None,
            on_round: Callable[[int, int], None] | None = None) -> CompactReport:
    """Merge the fresh recordings (id -> mtime of its recording file) through ``loader`` and take
    ``remove`` out, as new generations of at most ROUND recordings each (in order of ``months``:
    id -> its month, so a round rewrites few months); after each, remove the merged fresh folders
    (each only if it was not replaced meanwhile: ``remove_folder(id, mtime)``). See the module's
    docstring. ``on_round(merged, of)`` after each generation (progress on a large batch)."""
    t0 = time.monotonic()
    report = CompactReport()
    held = lock(root)
    try:
        repair(root)
        _collect_garbage(root, current(root), pid_alive)
        order = sorted(fresh, key=lambda r: ((months or {}).get(r, ""), r)) if loader is not None else []
        rounds = [order[k:k + ROUND] for k in range(0, len(order), ROUND)] or [[]]
        for k, ids_ in enumerate(rounds):
            _one_generation(root, {r: fresh[r] for r in ids_}, loader, set(remove) if k == 0 else set(),
                            pid_alive, remove_folder, report)
            if on_round is not None:
                on_round(report.merged, len(order))
        report.months = sorted(set(report.months))
        return report
    finally:
        report.seconds = round(time.monotonic() - t0, 3)
        fcntl.flock(held, fcntl.LOCK_UN)
        held.close()


ROW_GROUP = 122880  # rows per row group of a month's file
# A whole table (WHOLE) in row groups of this many rows: a period's recordings skip the others
# (sorted by recorded_at), and a scan of all of them runs on every thread (one row group is read
# by one). See BENCHMARKS.md.
WHOLE_ROW_GROUP = 16384


def _parquet(rows: int) -> str:
    return f"FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {rows}"


def kept_columns(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """A select list of the columns of ``table`` (as ``con`` has it) found in a scan: files of an
    earlier version may carry columns no longer kept (they are left out) and lack newer ones."""
    names = [d[0] for d in con.execute(f"SELECT * FROM {table} LIMIT 0").description]
    return "COLUMNS(lambda c: c IN (" + ", ".join(layout.sql_path(n) for n in names) + "))"


def _one_generation(root: Path, fresh: dict[str, int], loader: Loader | None, remove: set[str],
                    pid_alive: Callable[[int], bool], remove_folder: Callable[[str, int | None], None],
                    report: CompactReport) -> None:
    """One new generation: ``fresh`` merged in, ``remove`` taken out (the caller holds the lock)."""
    cur = current(root)
    loaded = loader.load(sorted(fresh)) if (loader is not None and fresh) else []
    if not loaded and not remove:
        return
    con = loader.con if loader is not None else duckdb.connect()
    if loader is None:
        con.execute("SET enable_progress_bar = false")  # DuckDB's own bar, drawn after 2 s: not in our output
    where = ids(cur)
    drop = set(loaded) | remove
    con.execute("CREATE OR REPLACE TEMP TABLE _drop (recording_id VARCHAR)")
    con.executemany("INSERT INTO _drop VALUES (?)", [(r,) for r in sorted(drop)])
    new_month: dict[str, str] = {}
    if loaded:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _new AS SELECT recording_id, {MONTH_SQL} AS month FROM mem.recordings "
                    "WHERE recording_id IN (SELECT unnest(?::VARCHAR[]))", [loaded])
        new_month = dict(con.execute("SELECT recording_id, month FROM _new").fetchall())
    dropped = {where[r] for r in drop if r in where}  # months that lose recordings
    affected = set(new_month.values()) | dropped
    tables = loader.tables if loader is not None else tuple(
        sorted(p.name for p in cur.iterdir() if p.is_dir())) if cur is not None else ()
    n = max([_number(cur)] + [_number(g) for g in (root / FOLDER).glob("g[0-9]*")]) + 1
    stage = root / FOLDER / f".g{n:06d}-{os.getpid()}-{uuid.uuid4().hex[:6]}.tmp"
    for table in tables:
        out = stage / table
        out.mkdir(parents=True)
        whole = table in WHOLE
        options = _parquet(WHOLE_ROW_GROUP if whole else ROW_GROUP)
        old: dict[str, list[Path]] = {}
        for p in files(cur, table):  # (a whole table written by an earlier version by month: merged now)
            old.setdefault(ALL if whole else month_of(p), []).append(p)
        t_affected = ({ALL} if affected else set()) if whole else affected
        t_dropped = ({ALL} if dropped else set()) if whole else dropped
        for month in sorted(set(old) | t_affected):
            kept = old.get(month, [])
            new_rows = (month == ALL and bool(new_month) if whole else month in new_month.values()) and loader is not None
            # a month that only gains recordings gets them as one more part (a round writes its
            # own rows only); one that loses any (replaced, removed), or has MAX_PARTS parts, is
            # merged into one file again. A whole table is one file: merged whenever it changes.
            append = month not in t_dropped and len(kept) < (1 if whole else MAX_PARTS)
            if month not in t_affected or append:
                for p in kept:
                    os.link(p, out / p.name)
                report.linked += len(kept)
                if month not in t_affected:
                    continue
            dest = out / (f"{month}.g{n:06d}.parquet" if append and kept else f"{month}.parquet")
            new = dest if append else out / f".new-{month}.parquet"
            rows = 0
            if new_rows:  # the round's rows of the month, sorted: a part, or the last input of the merge
                of_month = "" if whole else f" WHERE month = {layout.sql_path(month)}"
                rows = con.execute(f"COPY (SELECT * FROM mem.{table} WHERE recording_id IN (SELECT recording_id FROM _new"
                                   f"{of_month}) ORDER BY {ORDER.get(table, 'ALL')}) "
                                   f"TO {layout.sql_path(new)} ({options})").fetchone()[0]
            if not append:
                # The merge streams its inputs in order (the month's files, then the round's rows)
                # instead of sorting the month again: each input is sorted, so every row group of
                # the result still covers a narrow stretch of time, and memory stays that of a scan
                # (sorting a month of a year's store needed more than the 600 MB compaction has).
                base_first = sorted(kept, key=lambda f: (f.name != f"{month}.parquet", f.name))  # then parts, oldest first
                inputs = base_first + ([new] if new.exists() else [])
                # with a loader, the merged file has the columns of its table (one an earlier version
                # wrote and no reader derives any more is left out as the month is rewritten)
                columns = kept_columns(con, f"mem.{table}") if loader is not None else "* EXCLUDE (_tb_file)"
                rows = con.execute(f"COPY (SELECT {columns} FROM read_parquet({layout.sql_list(inputs)}, "
                                   "union_by_name = true, filename = '_tb_file') WHERE _tb_file = ? OR recording_id NOT IN "
                                   f"(SELECT recording_id FROM _drop)) TO {layout.sql_path(dest)} ({options})",
                                   [str(new)]).fetchone()[0] if inputs else 0
                new.unlink(missing_ok=True)
            if not rows and dest.exists():  # every recording of the month removed, or none of this table's rows new
                dest.unlink()
        if loader is not None:  # zero rows with every column: the table's glob always matches
            con.execute(f"COPY (SELECT * FROM mem.{table} LIMIT 0) TO {layout.sql_path(out / SCHEMA_FILE)} (FORMAT parquet)")
        elif cur is not None and (cur / table / SCHEMA_FILE).exists():
            os.link(cur / table / SCHEMA_FILE, out / SCHEMA_FILE)
    final = root / FOLDER / f"g{n:06d}"
    os.rename(stage, final)
    link = root / FOLDER / f".current-{uuid.uuid4().hex[:8]}"
    os.symlink(final.name, link)
    os.replace(link, root / FOLDER / "current")  # the commit
    report.generation = final.name
    report.months += sorted(affected)
    report.merged += len(loaded)
    report.removed += len(remove & set(where))
    for rid in loaded:
        remove_folder(rid, fresh[rid])
    for rid in remove:
        remove_folder(rid, None)
    if remove:  # removed recordings (a purge) must leave the disk now, not after the grace time
        _collect_garbage(root, final, pid_alive, grace_s=0)
    if loader is None:
        con.close()
    else:
        loader.unload(loaded)  # the next round starts empty

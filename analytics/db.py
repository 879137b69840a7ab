"""Read toneboard's data without loading all of it, and compact it.

Compacted recordings (a few large Parquet files per month, ingest.store.compacted) are queried in
place; recordings stored since the last compaction are few, and are loaded into memory from their
folders (only new or changed ones at each refresh), as are compacted recordings that have
corrections. The database file is never opened, so readers never block ingestion (see
ingest/store/schema.py). Analyses read ``seg`` (segments with human corrections applied; the model's own
labels stay in model_emotion / model_events) and ``role_stats`` (see analytics/stats.py): both are
computed once per recording, when it is loaded or compacted, never per query.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path

import duckdb

from ingest.store import CompactReport, Store, kept_columns, schema, sql_list

from . import classroom, confidence, reactions, speakers, stats
from .filters import NORM_TEXT_MACRO, SAYING, TEXT_SIG_MACRO, sig_test, text_test

SMALL_TABLES = ("batches", "ingest_errors",  # loaded whole; IN_PLACE ones are views over their files
                *(t for t in schema.APPEND_ONLY if t not in schema.ON_DEMAND + schema.IN_PLACE))


READER_MEMORY = "1GB"
COMPACT_MEMORY = "600MB"
PER_RECORDING = schema.PER_RECORDING + ("role_stats",)  # role_stats: computed per recording, compacted too


class _Memory:
    """Schema ``mem`` of a DuckDB connection: recordings loaded into memory with the columns readers
    derive from them. A reader keeps its fresh and corrected recordings there; compaction uses one
    to merge fresh recordings into the compacted months (an ``ingest.store.compacted.Loader``)."""

    tables = PER_RECORDING

    def __init__(self, store: Store, con: duckdb.DuckDBPyConnection | None = None, files_of=None):
        self.store = store
        # where a recording's rows are read from: its fresh folder; a backup's import names its own
        # files (ingest.store.backup: the backup's rows of one round)
        self.files_of = files_of or store.fresh_files
        self.con = con or duckdb.connect()
        self.con.execute("SET parquet_metadata_cache = true")
        self.con.execute("SET enable_progress_bar = false")  # DuckDB draws one on the terminal after 2 s: not in our output
        self.con.execute(NORM_TEXT_MACRO)
        self.con.execute(TEXT_SIG_MACRO)
        self.con.execute("CREATE SCHEMA mem")
        for table in schema.PER_RECORDING:
            self.con.execute(schema.create_table_sql(table, f"mem.{table}"))
        # derived once per loaded segment: the model's own labels (corrections replace emotion and
        # events), the signature of the normalised text for search (filters.NORM_TEXT_MACRO and
        # TEXT_SIG_MACRO; not the normalised text itself: queries test the text), whether it is a
        # question, an integer key of the recording for fast joins,
        # the tags as bits (stats.tag_mask_sql) and what the other party does in the 10 s after it
        # (reactions.update_sql: the phrase -> reaction analysis reads it instead of a join), and the
        # recording's recorded_at (compacted segments are sorted by it: a time filter on segments
        # skips whole row groups, filters.segment_conditions); for a teacher's question, what
        # follows it (classroom.follows_sql: stuck points read it instead of ordering every class)
        for col in ("model_role VARCHAR", "model_emotion VARCHAR", "model_events VARCHAR[]", "corrected BOOLEAN", "text_sig UBIGINT",
                    "is_question BOOLEAN", "rec_key UBIGINT", "tag_mask UINTEGER",
                    "react_gap_s DOUBLE", "react_mask UINTEGER", "recorded_at TIMESTAMP",
                    "follows_known BOOLEAN", "next_start_s DOUBLE", "next_teacher_s DOUBLE", "next_cough_s DOUBLE"):
            self.con.execute(f"ALTER TABLE mem.segments ADD COLUMN {col}")
        for col in ("model_role VARCHAR", "model_name VARCHAR"):  # ingest's own (speaker corrections apply)
            self.con.execute(f"ALTER TABLE mem.speakers ADD COLUMN {col}")
        self.con.execute(stats.create_sql("mem.role_stats"))
        # how sure a tag must be to count (analytics.confidence): the defaults here, so compacted
        # months are counted by them; a reader sets its team's (Data._refresh)
        self.limits = dict.fromkeys(confidence.TAGS, confidence.DEFAULT_THRESHOLD)

    def recount(self, recording_ids=None) -> set[str]:
        """Count the tags of uncorrected segments (of ``recording_ids``; None: all) under ``limits``:
        a weak emotion reads UNKNOWN, a weak event is left out (the model's own stay in model_*).
        Returns the recordings that changed (their statistics need ``update``)."""
        where = confidence.stale_sql(self.limits)
        if recording_ids is not None:
            if not recording_ids:
                return set()
            self.con.execute("CREATE OR REPLACE TEMP TABLE _recount AS SELECT unnest(?::VARCHAR[]) AS recording_id",
                             [sorted(recording_ids)])
            where += " AND recording_id IN (SELECT recording_id FROM _recount)"
        changed = {r for (r,) in self.con.execute(f"SELECT DISTINCT recording_id FROM mem.segments WHERE {where}").fetchall()}
        if changed:
            emo, evs = confidence.emotion_sql(self.limits), confidence.events_sql(self.limits)
            self.con.execute(f"UPDATE mem.segments SET emotion = {emo}, events = {evs}, "
                             f"tag_mask = {stats.tag_mask_sql(emo, evs)} WHERE {where}")
        return changed

    @contextmanager
    def in_memory(self):
        """Statements in this context name the tables of ``mem`` (then main's)."""
        self.con.execute("SET search_path = 'mem,main'")
        try:
            yield
        finally:
            self.con.execute("RESET search_path")

    def load(self, recording_ids: list[str]) -> list[str]:
        """Load fresh recordings from their folders, with derived columns, stats and reactions;
        returns those loaded (a folder that vanished mid-read is left for the next refresh)."""
        con, ok = self.con, []
        for i in range(0, len(recording_ids), 2000):
            chunk = recording_ids[i:i + 2000]
            try:
                con.execute("BEGIN")
                for table in schema.PER_RECORDING:
                    files = self.files_of(table, chunk)
                    if not files:
                        continue
                    source = "read_parquet(?, union_by_name = true)"
                    if table == "segments":  # the normalised text once per segment: the signature macro names its argument per pair
                        source = f"""(SELECT * EXCLUDE (_norm), text_sig(_norm) AS text_sig FROM (
                            SELECT *, role AS model_role, emotion AS model_emotion, events AS model_events, FALSE AS corrected,
                                   norm_text(text) AS _norm, hash(recording_id) AS rec_key,
                                   regexp_matches(coalesce(text, ''), '{stats.QUESTION_REGEX}') AS is_question,
                                   {stats.tag_mask_sql()} AS tag_mask,
                                   (SELECT r.recorded_at FROM mem.recordings r WHERE r.recording_id = x.recording_id) AS recorded_at
                            FROM {source} x))"""
                    if table == "speakers":
                        source = f"(SELECT *, role AS model_role, name AS model_name FROM {source})"
                    con.execute(f"INSERT INTO mem.{table} BY NAME SELECT * FROM {source}", [files])
                con.execute("COMMIT")
                ok += chunk
            except duckdb.IOException:  # a folder vanished mid-read (replaced, or compacted): next refresh
                con.execute("ROLLBACK")
        self.recount(ok)
        self.update(ok)
        return ok

    def load_compacted(self, generation: Path | None, recording_ids: list[str]) -> None:
        """Copy compacted recordings into memory (to apply corrections to them)."""
        for table in PER_RECORDING:
            files = self.store.compacted_files(generation, table)
            if files and recording_ids:
                # only the columns memory has: files of an earlier version carry some no longer kept
                self.con.execute(f"INSERT INTO mem.{table} BY NAME SELECT {kept_columns(self.con, f'mem.{table}')} "
                                 "FROM read_parquet(?, union_by_name = true) WHERE recording_id IN (SELECT unnest(?::VARCHAR[]))",
                                 [files, recording_ids])

    def delete(self, recording_ids) -> None:
        if recording_ids:
            self.con.execute("CREATE OR REPLACE TEMP TABLE _gone AS SELECT unnest(?::VARCHAR[]) AS recording_id",
                             [sorted(recording_ids)])
            for table in PER_RECORDING:
                self.con.execute(f"DELETE FROM mem.{table} WHERE recording_id IN (SELECT recording_id FROM _gone)")

    unload = delete  # what compaction calls between rounds

    def update(self, recording_ids) -> None:
        """Compute the stats and reactions of these recordings again (after loading or correcting)."""
        if not recording_ids:
            return
        con = self.con
        con.execute("CREATE OR REPLACE TEMP TABLE _todo AS SELECT unnest(?::VARCHAR[]) AS recording_id", [sorted(recording_ids)])
        with self.in_memory():
            con.execute("DELETE FROM role_stats WHERE recording_id IN (SELECT recording_id FROM _todo)")
            con.execute(stats.insert_sql("_todo"))
            con.execute(reactions.update_sql("_todo"), {"w": reactions.REACTION_WINDOW_S})
            con.execute(classroom.follows_sql("_todo"))


class Data:
    """A reader's view of one store. ``con`` is the connection analyses take: its tables are views
    over the compacted months (queried in place: only what a query needs is read) and the
    recordings held in memory (``mem``: those not compacted yet, and those with corrections, which
    are applied on read); the small tables (batches, corrections, tickets ...) are loaded whole.
    A reader never writes the store."""

    def __init__(self, db_path: str | Path):
        self.db_path = Path(db_path).expanduser().resolve()
        self.store = Store(self.db_path)
        self.memory = _Memory(self.store)
        self.con = self.memory.con
        # DuckDB keeps what it has read for later queries up to its limit (80 % of RAM by default):
        # a dashboard process holds at most this much, and queries that need more spill to disk
        self.con.execute(f"SET memory_limit = '{READER_MEMORY}'")
        for table in SMALL_TABLES:
            self.con.execute(schema.create_table_sql(table))
        for table in schema.IN_PLACE:
            self.con.execute(schema.create_table_sql(table, f"mem.empty_{table}"))
        self._in_place: dict[str, list[str]] = {}
        self._loaded: dict[str, int] = {}  # fresh recording_id -> mtime_ns of its recording.parquet
        self._overlay: set[str] = set()     # compacted recordings held in memory (they have corrections)
        self._generation: Path | None = None
        self._files: dict[str, list[str]] = {}
        self._otherwise_key, self._otherwise = None, set()  # compacted recordings the team's thresholds count otherwise
        self._union_views()
        self._create_views()
        self.refresh()

    def _union_views(self) -> None:
        """main.<table>: the compacted rows of recordings not in memory, then memory's."""
        for table in PER_RECORDING:
            self.con.execute(f"CREATE OR REPLACE VIEW main.{table} AS {self._union_sql(table)}")
        self._saying_macro()

    def _union_sql(self, table: str, where: str = "TRUE") -> str:
        """The rows of ``table`` (alias s) that meet ``where``: compacted, of recordings not held in
        memory, then memory's. ``where`` sits on each scan itself (see ``_saying_macro``)."""
        sql = f"SELECT * FROM mem.{table} s WHERE {where}"
        files = self._files.get(table) or []
        if files:
            # segments by their integer key: the 64-character id is then not read for every row
            held = ("rec_key NOT IN (SELECT hash(recording_id) FROM mem.recordings)" if table == "segments"
                    else "recording_id NOT IN (SELECT recording_id FROM mem.recordings)")
            sql = (f"SELECT * FROM read_parquet({sql_list(files)}, union_by_name = true) s WHERE {where} "
                   f"AND {held} UNION ALL BY NAME {sql}")
        return sql

    def _saying_macro(self) -> None:
        """Table macro filters.SAYING(needle): the segments whose normalised text contains
        ``needle``. Its signature test is written on the compacted files themselves: DuckDB 2.0
        pushes a bitwise test into a Parquet scan only when it sits right on it (not through a
        view), and pushed, the text is read for the candidates only — a year's phrase in half the
        time. The text test itself comes after (filters.text_test)."""
        sql = self._union_sql("segments", sig_test("s", "needle"))
        self.con.execute(f"CREATE OR REPLACE MACRO {SAYING}(needle) AS TABLE "
                         f"SELECT * FROM ({sql}) s WHERE {text_test('s', 'needle')}")

    def _create_views(self) -> None:
        self.con.execute("""
            CREATE VIEW corrections_latest AS
            SELECT * FROM corrections
            QUALIFY row_number() OVER (PARTITION BY recording_id, seg_index ORDER BY corrected_at DESC) = 1""")
        self.con.execute("CREATE VIEW seg AS SELECT * FROM main.segments")
        self.con.execute(speakers.LATEST_SQL)
        self.con.execute("""
            CREATE VIEW ticket_status AS
            SELECT t.* REPLACE (coalesce(t.rule_type, 'risk') AS rule_type), coalesce(e.status, 'open') AS status,
                   e.status_changed_at, e.status_changed_by,
                   e.assignee, coalesce(e.comments, 0) AS comments
            FROM tickets t LEFT JOIN (
                SELECT ticket_id, arg_max(status, changed_at) FILTER (WHERE status IS NOT NULL) AS status,
                       max(changed_at) FILTER (WHERE status IS NOT NULL) AS status_changed_at,
                       arg_max(changed_by, changed_at) FILTER (WHERE status IS NOT NULL) AS status_changed_by,
                       arg_max(assignee, changed_at) FILTER (WHERE assignee IS NOT NULL) AS assignee,
                       count(*) FILTER (WHERE note IS NOT NULL AND note <> '') AS comments
                FROM ticket_events GROUP BY ticket_id) e
            USING (ticket_id)""")

    def _views_in_place(self) -> None:
        """main.<table> of each ``schema.IN_PLACE`` table: a view over its files, renewed when they change."""
        for table in schema.IN_PLACE:
            files = [f for f in self.store.table_files(table) if not f.endswith("_schema.parquet")]
            if table in self._in_place and files == self._in_place[table]:
                continue
            src = (f"read_parquet({sql_list(files)}, union_by_name = true)" if files else f"mem.empty_{table}")
            self.con.execute(f"CREATE OR REPLACE VIEW main.{table} AS SELECT * FROM {src}")
            self._in_place[table] = files

    def _signature(self) -> tuple | None:
        """The store's signature (see Store.signature); None when too recent to trust (same clock tick)."""
        try:
            sig = self.store.signature()
        except FileNotFoundError:
            return None
        newest = max((m for _, m in sig[:-1]), default=0)
        return None if time.time_ns() - newest < 2_000_000_000 else sig

    def refresh(self) -> bool:
        """Bring the snapshot up to date; returns True if anything changed."""
        sig = self._signature()
        if sig is not None and sig == getattr(self, "_last_sig", None):
            return False
        changed = self._refresh()
        self._last_sig = sig
        return changed

    def _refresh(self) -> bool:
        mem, con = self.memory, self.con
        # fresh folders first, the generation after: a folder compacted meanwhile is in the
        # generation read next (a recording both fresh and compacted is taken from memory)
        current = self.store.fresh()
        gone = [r for r, m in self._loaded.items() if current.get(r) != m]
        new = [r for r, m in current.items() if self._loaded.get(r) != m]
        mem.delete(set(gone) | (self._overlay & set(new)))
        self._overlay -= set(new)
        for r in gone:
            self._loaded.pop(r, None)
        loaded = mem.load(new)
        for r in loaded:
            self._loaded[r] = current[r]
        gen = self.store.generation()
        regenerated = gen != self._generation
        if regenerated:
            mem.delete(self._overlay)
            self._overlay = set()
            self._generation = gen
            self._files = {t: self.store.compacted_files(gen, t) for t in PER_RECORDING}
            self._union_views()
        for table in SMALL_TABLES:
            con.execute(f"DELETE FROM {table}")
            files = self.store.table_files(table)
            if files:
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM read_parquet(?, union_by_name = true)", [files])
        self._views_in_place()
        # the team's thresholds: a change counts every recording in memory again, and decides
        # afresh which compacted ones need holding there
        limits, recounted = confidence.thresholds(con), set()
        if limits != mem.limits:
            mem.limits = limits
            mem.delete(self._overlay)
            self._overlay = set()
            recounted = mem.recount()
        # compacted recordings with corrections, or counted under other thresholds, are held in
        # memory, where corrections and the team's thresholds apply
        compacted = self.store.compacted_ids(gen)
        corrected_ids = {r for (r,) in con.execute(
            "SELECT DISTINCT recording_id FROM corrections UNION SELECT DISTINCT recording_id FROM speaker_corrections").fetchall()}
        wanted = {r for r in corrected_ids | self._counted_otherwise(gen, limits) if r in compacted and r not in self._loaded}
        added = sorted(wanted - self._overlay)
        mem.load_compacted(gen, added)
        self._overlay |= set(added)
        recounted |= mem.recount(added)
        with mem.in_memory():
            corrected = self._apply_corrections() | self._apply_speaker_corrections()
        mem.update(corrected | set(added) | recounted)
        return bool(gone or new or corrected or added or regenerated or recounted)

    def _counted_otherwise(self, gen, limits: dict[str, float]) -> set[str]:
        """Compacted recordings whose tags count otherwise under ``limits`` than under the defaults
        compaction counts by (none while the team keeps the defaults). Once per generation and
        setting: a generation's files never change."""
        key = (gen, tuple(sorted(limits.items())))
        if self._otherwise_key != key:
            files, found = self._files.get("segments") or [], set()
            for with_events in (True, False):  # files written before event probabilities existed lack them
                cond = confidence.affected_sql(limits, with_events)
                if not files or cond is None:
                    break
                try:
                    found = {r for (r,) in self.con.execute(
                        f"SELECT DISTINCT recording_id FROM read_parquet(?, union_by_name = true) WHERE {cond}", [files]).fetchall()}
                    break
                except duckdb.BinderException:
                    continue
            self._otherwise_key, self._otherwise = key, found
        return self._otherwise

    def _apply_speaker_corrections(self) -> set[str]:
        changed = {r for (r,) in self.con.execute(speakers.changed_sql()).fetchall()}
        for sql in speakers.apply_sql():
            self.con.execute(sql)
        return changed

    def _apply_corrections(self) -> set[str]:
        """Apply the latest correction of each segment (to segments not yet showing it); returns
        the recordings that changed."""
        # what a correction leaves alone (its emotion or its events) is the model's, as counted
        limits = self.memory.limits
        emo = f"coalesce(c.emotion, {confidence.emotion_sql(limits, 's.model_emotion', 's.emotion_confidence', 's.second_emotion')})"
        evs = f"coalesce(c.events, {confidence.events_sql(limits, 's.model_events', 's.event_probs')})"
        changed = self.con.execute(f"""
            SELECT DISTINCT s.recording_id FROM segments s JOIN corrections_latest c USING (recording_id, seg_index)
            WHERE NOT s.corrected OR s.emotion IS DISTINCT FROM {emo} OR s.events IS DISTINCT FROM {evs}""").fetchall()
        if changed:
            self.con.execute(f"""
                UPDATE segments s SET emotion = {emo}, events = {evs}, corrected = TRUE, tag_mask = {stats.tag_mask_sql(emo, evs)}
                FROM corrections_latest c WHERE s.recording_id = c.recording_id AND s.seg_index = c.seg_index""")
        return {r for (r,) in changed}


def compact(db_path: str | Path, on_round=None) -> CompactReport:
    """Merge the recordings stored since the last compaction into the compacted months (``toneboard
    compact``, and after each ingest batch); ``on_round(merged, of)`` after each round of
    ``compacted.ROUND`` recordings."""
    store = Store(db_path)
    try:
        memory = _Memory(store)
        # a round's sorts spill to the store's scratch folder beyond this, instead of growing the
        # ingest process (compaction runs in it after each batch)
        memory.con.execute(f"SET memory_limit = '{COMPACT_MEMORY}'")
        memory.con.execute("SET temp_directory = ?", [str(store.scratch())])
        return store.compact(memory, on_round=on_round)
    finally:
        store.close()


def backup_loader(store: Store, files_of) -> _Memory:
    """The loader ``toneboard import-db`` merges a backup's recordings with, straight into the
    compacted months (``ingest.store.backup.import_db(merge=...)``): rows read from the files
    ``files_of(table, recording_ids)`` names, under compaction's memory limit."""
    memory = _Memory(store, files_of=files_of)
    memory.con.execute(f"SET memory_limit = '{COMPACT_MEMORY}'")
    memory.con.execute("SET temp_directory = ?", [str(store.scratch())])
    return memory


def connect(db_path: str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory snapshot of the data of ``db_path`` (created empty if missing)."""
    return Data(db_path).con

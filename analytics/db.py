"""Read toneboard's data: an in-memory DuckDB snapshot of the store, refreshed incrementally.

Queries over thousands of small Parquet files cost ~1 s each; over in-memory tables ~20 ms. So
readers load the store once (only recordings that are new or changed since the last refresh are
read again) and query memory. The database file is never opened, so readers never block ingestion
(see ingest/schema.py). Analyses read ``seg`` (segments with human corrections applied; the model's
own labels stay in model_emotion / model_events) and ``role_stats`` (see analytics/stats.py).
"""
from __future__ import annotations

import time
from pathlib import Path

import duckdb

from ingest import schema
from ingest.store import Store

from . import reactions, speakers, stats
from .filters import NORM_TEXT_MACRO, TEXT_SIG_MACRO

SMALL_TABLES = ("batches", "ingest_errors", "corrections", "tickets", "ticket_events", "speaker_corrections",
                "notifications", "playlist_items")


class Data:
    """An in-memory snapshot of one store. ``con`` is the connection analyses take."""

    def __init__(self, db_path: str | Path):
        self.db_path = Path(db_path).expanduser().resolve()
        self.store = Store(self.db_path)
        if not (self.store.root / "SCHEMA_VERSION").exists() or \
                (self.store.root / "SCHEMA_VERSION").read_text().strip() != str(schema.SCHEMA_VERSION):
            self.store.init()
            self.store.close()
        self.con = duckdb.connect()
        self.con.execute(NORM_TEXT_MACRO)
        self.con.execute(TEXT_SIG_MACRO)
        for table in schema.TABLES:
            self.con.execute(schema.create_table_sql(table))
        # derived once per loaded segment: the model's own labels (corrections replace emotion and
        # events), normalised text and its signature for search (filters.NORM_TEXT_MACRO and
        # TEXT_SIG_MACRO), whether it is a question, an integer key of the recording for fast joins,
        # the tags as bits (stats.tag_mask_sql) and what the other party does in the 10 s after it
        # (reactions.update_sql: the phrase -> reaction analysis reads it instead of a join)
        for col in ("model_role VARCHAR", "model_emotion VARCHAR", "model_events VARCHAR[]", "corrected BOOLEAN", "text_norm VARCHAR",
                    "text_sig UBIGINT", "is_question BOOLEAN", "rec_key UBIGINT", "tag_mask UINTEGER",
                    "react_gap_s DOUBLE", "react_mask UINTEGER"):
            self.con.execute(f"ALTER TABLE segments ADD COLUMN {col}")
        for col in ("model_role VARCHAR", "model_name VARCHAR"):  # ingest's own (speaker corrections apply)
            self.con.execute(f"ALTER TABLE speakers ADD COLUMN {col}")
        self.con.execute(stats.create_sql())
        self._create_views()
        self._loaded: dict[str, int] = {}  # recording_id -> mtime_ns of its recording.parquet
        self.refresh()

    def _create_views(self) -> None:
        self.con.execute("""
            CREATE VIEW corrections_latest AS
            SELECT * FROM corrections
            QUALIFY row_number() OVER (PARTITION BY recording_id, seg_index ORDER BY corrected_at DESC) = 1""")
        self.con.execute("CREATE VIEW seg AS SELECT * FROM segments")
        self.con.execute(speakers.LATEST_SQL)
        self.con.execute("""
            CREATE VIEW ticket_status AS
            SELECT t.*, coalesce(e.status, 'open') AS status, e.status_changed_at, e.status_changed_by,
                   e.assignee, coalesce(e.comments, 0) AS comments
            FROM tickets t LEFT JOIN (
                SELECT ticket_id, arg_max(status, changed_at) FILTER (WHERE status IS NOT NULL) AS status,
                       max(changed_at) FILTER (WHERE status IS NOT NULL) AS status_changed_at,
                       arg_max(changed_by, changed_at) FILTER (WHERE status IS NOT NULL) AS status_changed_by,
                       arg_max(assignee, changed_at) FILTER (WHERE assignee IS NOT NULL) AS assignee,
                       count(*) FILTER (WHERE note IS NOT NULL AND note <> '') AS comments
                FROM ticket_events GROUP BY ticket_id) e
            USING (ticket_id)""")

    def _signature(self) -> tuple | None:
        """Modification times of the store's folders: adding, replacing or removing a recording
        or appending to a table changes one. None when too recent to trust (same clock tick)."""
        root = self.store.root
        dirs = [self.store.recordings] + [root / t for t in ("batches", *schema.APPEND_ONLY)]
        errors = root / "ingest_errors"
        dirs += [errors] + (sorted(errors.iterdir()) if errors.is_dir() else [])
        try:
            sig = tuple((str(d), d.stat().st_mtime_ns) for d in dirs if d.exists())
        except FileNotFoundError:
            return None
        newest = max((m for _, m in sig), default=0)
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
        rec_dir = self.store.recordings
        current: dict[str, int] = {}
        for d in rec_dir.iterdir() if rec_dir.is_dir() else []:
            f = d / schema.FILE_NAMES["recordings"]
            if d.name != "_schema":
                try:
                    current[d.name] = f.stat().st_mtime_ns
                except FileNotFoundError:  # replaced (or removed) while we looked
                    continue
        gone = [r for r, m in self._loaded.items() if current.get(r) != m]
        new = [r for r, m in current.items() if self._loaded.get(r) != m]
        con = self.con
        if gone:
            con.execute("CREATE OR REPLACE TEMP TABLE _gone (recording_id VARCHAR)")
            con.executemany("INSERT INTO _gone VALUES (?)", [(r,) for r in gone])
            for table in schema.PER_RECORDING:
                con.execute(f"DELETE FROM {table} WHERE recording_id IN (SELECT recording_id FROM _gone)")
        loaded_ok = []
        for i in range(0, len(new), 2000):
            chunk = new[i:i + 2000]
            try:
                con.execute("BEGIN")
                for table in schema.PER_RECORDING:
                    files = [str(rec_dir / r / schema.FILE_NAMES[table]) for r in chunk]
                    if table in schema.ADDED_IN:  # recordings stored before the table existed lack its file
                        files = [f for f in files if Path(f).exists()]
                        if not files:
                            continue
                    source = "read_parquet(?, union_by_name = true)"
                    if table == "segments":  # text_sig from the column: the macro would repeat norm_text per pair
                        source = f"""(SELECT *, text_sig(text_norm) AS text_sig FROM (
                            SELECT *, role AS model_role, emotion AS model_emotion, events AS model_events, FALSE AS corrected,
                                   norm_text(text) AS text_norm, hash(recording_id) AS rec_key,
                                   regexp_matches(coalesce(text, ''), '{stats.QUESTION_REGEX}') AS is_question,
                                   {stats.tag_mask_sql()} AS tag_mask
                            FROM {source}))"""
                    if table == "speakers":
                        source = f"(SELECT *, role AS model_role, name AS model_name FROM {source})"
                    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {source}", [files])
                con.execute("COMMIT")
                loaded_ok += chunk
            except duckdb.IOException:  # a folder vanished mid-read (replaced): next refresh
                con.execute("ROLLBACK")
        for r in gone:
            self._loaded.pop(r, None)
        for r in loaded_ok:
            self._loaded[r] = current[r]
        for table in SMALL_TABLES:
            con.execute(f"DELETE FROM {table}")
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM read_parquet(?, union_by_name = true)",
                        [str(schema.table_glob(self.store.root, table))])
        corrected = self._apply_corrections() | self._apply_speaker_corrections()
        todo = set(loaded_ok) | corrected
        if gone or todo:
            con.execute("CREATE OR REPLACE TEMP TABLE _todo (recording_id VARCHAR)")
            con.executemany("INSERT INTO _todo VALUES (?)", [(r,) for r in sorted(todo | set(gone))])
            con.execute("DELETE FROM role_stats WHERE recording_id IN (SELECT recording_id FROM _todo)")
            con.execute(stats.insert_sql("_todo"))
            con.execute(reactions.update_sql("_todo"), {"w": reactions.REACTION_WINDOW_S})
        return bool(gone or new or corrected)

    def _apply_speaker_corrections(self) -> set[str]:
        changed = {r for (r,) in self.con.execute(speakers.changed_sql()).fetchall()}
        for sql in speakers.apply_sql():
            self.con.execute(sql)
        return changed

    def _apply_corrections(self) -> set[str]:
        """Apply the latest correction of each segment (to segments not yet showing it); returns
        the recordings that changed."""
        changed = self.con.execute("""
            SELECT DISTINCT s.recording_id FROM segments s JOIN corrections_latest c USING (recording_id, seg_index)
            WHERE NOT s.corrected OR s.emotion IS DISTINCT FROM coalesce(c.emotion, s.model_emotion)
               OR s.events IS DISTINCT FROM coalesce(c.events, s.model_events)""").fetchall()
        if changed:
            self.con.execute(f"""
                UPDATE segments s SET emotion = coalesce(c.emotion, s.model_emotion),
                                      events = coalesce(c.events, s.model_events), corrected = TRUE,
                                      tag_mask = {stats.tag_mask_sql("coalesce(c.emotion, s.model_emotion)",
                                                                     "coalesce(c.events, s.model_events)")}
                FROM corrections_latest c WHERE s.recording_id = c.recording_id AND s.seg_index = c.seg_index""")
        return {r for (r,) in changed}


def connect(db_path: str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory snapshot of the data of ``db_path`` (created empty if missing)."""
    return Data(db_path).con

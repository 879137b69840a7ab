"""The store: views any DuckDB client can open, readers while ingestion writes, schema upgrades."""
import json
import os

import duckdb
import pytest
from synth import write_wav

from analytics.db import connect
from analytics.summary import database_summary
from ingest.batch.pipeline import IngestOptions, ingest_paths
from ingest.store import Store, layout, schema

TABLES = {"recordings", "segments", "pauses", "metadata", "batches", "ingest_errors"}


def test_empty_database_has_every_view(tmp_path):
    s = Store(tmp_path / "x.duckdb")
    s.init()
    con = duckdb.connect(str(tmp_path / "x.duckdb"), read_only=True)
    names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert TABLES <= names
    for t in TABLES:
        assert con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] == 0
    assert con.execute("SELECT value FROM schema_info WHERE key = 'schema_version'").fetchone()[0] == str(schema.SCHEMA_VERSION)
    con.close()


def test_ingest_while_the_database_file_is_open_for_reading(tmp_path, mono_layout, recognizer):
    db = tmp_path / "tb.duckdb"
    Store(db).init()
    reader = duckdb.connect(str(db), read_only=True)  # e.g. the DuckDB CLI or a BI tool, left open
    try:
        f = write_wav(tmp_path / "a.wav", mono_layout.audio)
        r = ingest_paths([f], IngestOptions(db=db, device="cpu", threads=1), recognizer=recognizer)
        assert r.batch.n_ingested == 1
        assert reader.execute("SELECT count(*) FROM recordings").fetchone()[0] == 1  # sees it at once
    finally:
        reader.close()
    summary = database_summary(connect(db))  # toneboard's own readers never lock the file
    assert summary["recordings"] == 1 and summary["segments"] >= 3


def test_schema_upgrades_in_place(tmp_path, monkeypatch):
    """Files written before a column existed read as NULL in it; the views are refreshed, also
    when a column came without a new schema version (the schema's fingerprint changed)."""
    db = tmp_path / "tb.duckdb"
    s = Store(db)
    s.init()
    old = s.recordings / "0ld"
    old.mkdir()
    con = duckdb.connect()
    for t in schema.PER_RECORDING:
        cols = ", ".join(f"NULL::{d.split(None, 1)[1]} AS {d.split()[0]}"
                         for d in (ln.split("--")[0].strip().rstrip(",") for ln in schema.TABLES[t].splitlines())
                         if d and d.split()[0] != "schema_version" and d.split()[0] != "emotion_confidence")
        con.execute(f"COPY (SELECT {cols.replace('NULL::VARCHAR AS recording_id', chr(39) + '0ld' + chr(39) + ' AS recording_id')}) "
                    f"TO '{old / layout.FILE_NAMES[t]}' (FORMAT parquet)")
    con.close()
    monkeypatch.setitem(schema.TABLES, "segments", schema.TABLES["segments"] + ",\n        new_signal DOUBLE")
    s2 = Store(db)
    s2.init()
    assert json.loads((s2.root / "VIEWS").read_text())["schema"] == schema.SCHEMA_VERSION
    ro = duckdb.connect(str(db), read_only=True)
    assert ro.execute("SELECT recording_id, schema_version FROM recordings").fetchall() == [("0ld", None)]
    assert ro.execute("SELECT new_signal, emotion_confidence FROM segments").fetchall() == [(None, None)]
    ro.close()


def test_views_follow_a_moved_data_folder(tmp_path, mono_layout, recognizer):
    a = tmp_path / "a"
    ingest_paths([write_wav(tmp_path / "x.wav", mono_layout.audio)],
                 IngestOptions(db=a / "tb.duckdb", device="cpu", threads=1), recognizer=recognizer)
    b = tmp_path / "b"
    os.rename(a, b)
    Store(b / "tb.duckdb").init()  # any toneboard run rewrites the views for the new place
    ro = duckdb.connect(str(b / "tb.duckdb"), read_only=True)
    assert ro.execute("SELECT count(*) FROM recordings").fetchone()[0] == 1
    ro.close()


def test_unwritable_data_folder_is_a_clear_error(tmp_path):
    from ingest.store import StoreError

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create the data folder"):
        Store(blocker / "tb.duckdb").init()


def test_rows_are_written_by_column_name_never_by_position(tmp_path):
    """A row is a dict by column name: a tuple (whose meaning would shift with a new column) is
    refused, and a key that is no column of the table is an error."""
    import pytest

    from ingest.store import Store

    store = Store(tmp_path / "tb.duckdb")
    with pytest.raises(TypeError, match="by column name"):
        store.append_rows("ticket_events", [("t1", "open", "lead", None, None, None)])
    with pytest.raises(Exception, match="no_such_column|does not have a column"):
        store.append_rows("ticket_events", [{"ticket_id": "t1", "no_such_column": 1}])
    path = store.append_rows("ticket_events", [{"ticket_id": "t1", "note": "called back"}])  # the rest NULL
    import duckdb

    assert duckdb.sql(f"SELECT ticket_id, status, note FROM '{path}'").fetchall() == [("t1", None, "called back")]

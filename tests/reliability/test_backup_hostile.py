"""import-db on backups made by an attacker or damaged on the way: ids that walk out of the store,
unknown columns, wrong types, links, counts that do not match. Nothing is written or removed
outside the store, a bad backup adds nothing, and the store stays readable after every attempt."""
import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from ingest.store import Store, StoreError
from ingest.store.backup import export_db, import_db
from ingest.store.layout import sql_path, store_dir


@pytest.fixture(scope="module")
def small_export(demo, tmp_path_factory):
    """An export of three demo recordings (and the rows that go with them) under new ids (the
    stores it is imported into hold the demo), with one audio file."""
    db, _, _ = demo
    out = tmp_path_factory.mktemp("export") / "full"
    export_db(db, out)
    con = duckdb.connect()
    keep = [r for (r,) in con.execute(f"SELECT recording_id FROM read_parquet({sql_path(out / 'recordings.parquet')}) "
                                      "ORDER BY 1 LIMIT 3").fetchall()]
    manifest = json.loads((out / "manifest.json").read_text())
    for f in out.glob("*.parquet"):
        cols = [c for (c, *_) in con.execute(f"DESCRIBE SELECT * FROM read_parquet({sql_path(f)})").fetchall()]
        where = "WHERE recording_id IN (SELECT unnest(?::VARCHAR[]))" if "recording_id" in cols else ""
        renamed = "* REPLACE (sha256(recording_id || '-copy') AS recording_id" + (
            ", 'demo://' || sha256(recording_id || '-copy') AS path)" if f.stem == "recordings" else ")")
        _rewrite(con, f, f"SELECT {renamed if where else '*'} FROM read_parquet({sql_path(f)}) {where}",
                 [keep] if where else None)
        manifest["tables"][f.stem] = con.execute(f"SELECT count(*) FROM read_parquet({sql_path(f)})").fetchone()[0]
    (out / "manifest.json").write_text(json.dumps(manifest))
    audio = out / "audio" / con.execute("SELECT sha256(? || '-copy')", [keep[0]]).fetchone()[0] / "call.wav"
    audio.parent.mkdir(parents=True)
    audio.write_bytes(b"RIFF....WAVEfmt ")
    con.close()
    return out


def _rewrite(con, f: Path, select: str, params=None) -> None:
    tmp = f.with_suffix(".new")
    con.execute(f"COPY ({select}) TO {sql_path(tmp)} (FORMAT parquet)", params)
    os.replace(tmp, f)


def _craft(src: Path, dest: Path, table: str, select: str) -> Path:
    """A copy of the export with ``table`` replaced by ``select`` (over ``t``, the original rows),
    its row count in the manifest kept right (so each case meets the check it is meant for)."""
    shutil.copytree(src, dest)
    f = dest / f"{table}.parquet"
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_parquet({sql_path(f)})")
    _rewrite(con, f, select)
    manifest = json.loads((dest / "manifest.json").read_text())
    manifest["tables"][table] = con.execute(f"SELECT count(*) FROM read_parquet({sql_path(f)})").fetchone()[0]
    (dest / "manifest.json").write_text(json.dumps(manifest))
    con.close()
    return dest


def _target(tmp_path: Path, demo) -> Path:
    """A store with data in it already (the demo's), next to a folder an attacker would like gone."""
    db = tmp_path / "site" / "tb.duckdb"
    shutil.copytree(store_dir(demo[0]), store_dir(db))
    Store(db).init()
    return db


def _snapshot(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


def _readable(db: Path) -> dict[str, int]:
    from analytics.db import Data

    d = Data(db)
    try:
        return {t: d.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("recordings", "segments", "metadata", "batches", "tickets")}
    finally:
        d.con.close()


def _walks_out(tmp_path: Path) -> str:
    """A select that gives the backup's first recording two ids: one makes ``.tmp/<x>/put-a``, the
    next walks up from it, through the store, to ``victim`` beside it (the tester's attack)."""
    up = "../" * 5  # put-a -> this process's scratch -> .tmp -> the store -> its folder -> the one above
    return (f"SELECT * REPLACE ('a/!' AS recording_id) FROM t WHERE recording_id = (SELECT min(recording_id) FROM t) "
            f"UNION ALL SELECT * REPLACE ('a/{up}victim' AS recording_id) FROM t "
            f"WHERE recording_id = (SELECT min(recording_id) FROM t)")


def test_ids_that_walk_out_of_the_store_are_refused_and_nothing_outside_is_removed(small_export, demo, tmp_path):
    db = _target(tmp_path, demo)
    victim = db.parent.parent / "victim"  # beside the store's parent: what the crafted ids point at
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me")
    before = _readable(db)
    bad = _craft(small_export, tmp_path / "bad", "recordings", _walks_out(tmp_path))
    with pytest.raises(StoreError, match="not a recording id"):
        import_db(bad, db)
    assert (victim / "precious.txt").read_text() == "keep me"
    assert _readable(db) == before


def test_the_store_refuses_ids_that_are_paths_and_never_removes_outside_it(tmp_path):
    store = Store(tmp_path / "tb.duckdb")
    store.init()
    outside = tmp_path / "outside"
    outside.mkdir()
    for rid in ("../outside", "a/../../x", "_schema", "A" * 64, "0" * 63):
        with pytest.raises(StoreError, match="not a recording id"):
            store.put_recording(rid, lambda t, p: None)
    for rid in ("../outside", "a/../../x", "_schema"):  # removal takes an earlier version's names too, no path
        with pytest.raises(StoreError):
            store.remove_recordings([rid])
    with pytest.raises(StoreError, match="not inside the store"):
        store.remove_tree(outside)
    with pytest.raises(StoreError, match="not inside the store"):
        store.remove_tree(store.root)
    link = store.root / "link"
    link.symlink_to(outside)
    store.remove_tree(link)  # the link goes, never what it points at
    assert outside.is_dir() and not link.exists()


def test_a_backup_with_an_unknown_column_adds_nothing_and_the_store_still_works(small_export, demo, tmp_path):
    db = _target(tmp_path, demo)
    before, files = _readable(db), _snapshot(store_dir(db) / "recordings")
    bad = _craft(small_export, tmp_path / "bad", "segments", "SELECT *, 1 AS surprise FROM t")
    with pytest.raises(StoreError, match="surprise"):
        import_db(bad, db)
    assert _readable(db) == before and _snapshot(store_dir(db) / "recordings") == files
    fresh = tmp_path / "fresh.duckdb"  # into a new database: refused before its data folder is made
    with pytest.raises(StoreError, match="surprise"):
        import_db(bad, fresh)
    assert not fresh.exists() and not store_dir(fresh).exists()


def test_a_good_backup_drops_paths_that_point_outside_the_store(small_export, demo, tmp_path):
    db = tmp_path / "new" / "tb.duckdb"
    crafted = _craft(small_export, tmp_path / "paths", "recordings",
                     "SELECT * REPLACE (CASE WHEN recording_id = (SELECT max(recording_id) FROM t) "
                     "THEN '/etc/passwd' ELSE path END AS path) FROM t")
    added = import_db(crafted, db)
    assert added["recordings"] == 3 and added["audio_paths_dropped"] == 1
    con = duckdb.connect(str(db), read_only=True)
    paths = dict(con.execute("SELECT recording_id, path FROM recordings").fetchall())
    con.close()
    kept = [p for p in paths.values() if p is not None and not p.startswith("demo://")]
    assert len(kept) == 1 and Path(kept[0]).is_relative_to(store_dir(db).resolve())  # the audio that came along
    assert "/etc/passwd" not in paths.values()


def _link_audio(dest: Path, src: Path) -> Path:
    shutil.copytree(src, dest)
    f = next((dest / "audio").rglob("*.wav"))
    f.unlink()
    f.symlink_to("/etc/passwd")
    return dest


def _link_table(dest: Path, src: Path) -> Path:
    shutil.copytree(src, dest)
    real = dest.parent / f"{dest.name}-elsewhere.parquet"
    shutil.move(dest / "pauses.parquet", real)
    (dest / "pauses.parquet").symlink_to(real)
    return dest


def _manifest(dest: Path, src: Path, change) -> Path:
    shutil.copytree(src, dest)
    m = json.loads((dest / "manifest.json").read_text())
    change(m)
    (dest / "manifest.json").write_text(json.dumps(m))
    return dest


def _stray_audio(dest: Path, src: Path) -> Path:
    shutil.copytree(src, dest)
    (dest / "audio" / ("f" * 64)).mkdir()
    (dest / "audio" / ("f" * 64) / "x.wav").write_bytes(b"x")
    return dest


ONE = "(SELECT min(recording_id) FROM t)"
# (name, how the backup is made from the good one, what the refusal says; None: imported)
CASES = [
    ("dot-dot id", lambda d, s: _craft(s, d, "recordings", "SELECT * REPLACE ('../../x' AS recording_id) FROM t"),
     "not a recording id"),
    ("absolute id", lambda d, s: _craft(s, d, "segments", "SELECT * REPLACE ('/tmp/x' AS recording_id) FROM t"),
     "not a recording id"),
    ("upper-case id", lambda d, s: _craft(s, d, "metadata", "SELECT * REPLACE (upper(recording_id) AS recording_id) FROM t"),
     "not a recording id"),
    ("short id", lambda d, s: _craft(s, d, "pauses", "SELECT * REPLACE (left(recording_id, 63) AS recording_id) FROM t"),
     "not a recording id"),
    ("id with a newline", lambda d, s: _craft(s, d, "recordings",
                                              "SELECT * REPLACE (recording_id || chr(10) AS recording_id) FROM t"),
     "not a recording id"),
    ("null id", lambda d, s: _craft(s, d, "segments", "SELECT * REPLACE (NULL::VARCHAR AS recording_id) FROM t"),
     "no recording id"),
    ("id in a ticket", lambda d, s: _craft(s, d, "tickets", "SELECT * FROM t UNION ALL BY NAME "
                                                                        "SELECT '../x' AS recording_id, 'tk' AS ticket_id"),
     "not a recording id"),
    ("batch id as a path", lambda d, s: _craft(s, d, "batches", "SELECT * REPLACE ('../../evil' AS batch_id) FROM t"),
     "batch id"),
    ("batch id of an error", lambda d, s: _craft(s, d, "ingest_errors",
                                                 "SELECT * FROM t UNION ALL BY NAME SELECT '../x' AS batch_id"),
     "batch id"),
    ("a recording twice", lambda d, s: _craft(s, d, "recordings", f"SELECT * FROM t UNION ALL SELECT * FROM t "
                                                                  f"WHERE recording_id = {ONE}"), "twice"),
    ("orphan segments", lambda d, s: _craft(s, d, "recordings", f"SELECT * FROM t WHERE recording_id <> {ONE}"),
     "no recording"),
    ("unknown column", lambda d, s: _craft(s, d, "recordings", "SELECT *, 'x' AS extra FROM t"), "extra"),
    ("wrong type", lambda d, s: _craft(s, d, "segments", "SELECT * REPLACE ('loud' AS start_s) FROM t"), "start_s"),
    ("convertible type", lambda d, s: _craft(s, d, "pauses", "SELECT * REPLACE (CAST(duration_s AS VARCHAR) AS duration_s) "
                                                             "FROM t"), None),
    ("missing column (an earlier version)", lambda d, s: _craft(s, d, "segments", "SELECT * EXCLUDE (emotion_confidence) FROM t"),
     None),
    ("path outside", lambda d, s: _craft(s, d, "recordings", "SELECT * REPLACE ('../../../etc/passwd' AS path) FROM t"),
     None),
    ("not parquet", lambda d, s: (shutil.copytree(s, d), (d / "pauses.parquet").write_text("hello"))[0], "Parquet"),
    ("linked audio", lambda d, s: _link_audio(d, s), "link"),
    ("linked table", lambda d, s: _link_table(d, s), "link"),
    ("audio of no recording", lambda d, s: _stray_audio(d, s), "audio"),
    ("count off", lambda d, s: _manifest(d, s, lambda m: m["tables"].update(segments=m["tables"]["segments"] + 1)),
     "manifest"),
    ("no counts", lambda d, s: _manifest(d, s, lambda m: m.pop("tables")), "row count"),
    ("version as text", lambda d, s: _manifest(d, s, lambda m: m.update(schema_version="6")), "schema_version"),
    ("newer version", lambda d, s: _manifest(d, s, lambda m: m.update(schema_version=999)), "newer"),
]


@pytest.mark.parametrize("name,make,refusal", CASES, ids=[c[0] for c in CASES])
def test_import_fuzz_nothing_outside_the_store_and_the_store_stays_readable(small_export, demo, tmp_path, name, make,
                                                                             refusal):
    db = _target(tmp_path, demo)
    around = tmp_path / "around"  # stands for everything outside the store
    (around / "sub").mkdir(parents=True)
    (around / "sub" / "f.txt").write_text("x")
    backup = make(tmp_path / "backup", small_export)
    outside, before = _snapshot(around), _readable(db)
    stored_before = _snapshot(store_dir(db))
    if refusal is None:
        added = import_db(backup, db)
        assert added["recordings"] == 3
        after = _readable(db)
        assert after["recordings"] == before["recordings"] + 3
        con = duckdb.connect(str(db), read_only=True)
        paths = [p for (p,) in con.execute("SELECT path FROM recordings").fetchall()]
        con.close()
        assert all(p is None or p.startswith("demo://") or Path(p).resolve().is_relative_to(store_dir(db).resolve())
                   for p in paths)
    else:
        with pytest.raises(StoreError, match=refusal):
            import_db(backup, db)
        assert _readable(db) == before
        now = _snapshot(store_dir(db))
        assert {k for k in now if not k.startswith(".tmp")} == {k for k in stored_before if not k.startswith(".tmp")}
    assert _snapshot(around) == outside and (around / "sub" / "f.txt").read_text() == "x"


def test_demo_recordings_of_an_earlier_version_can_still_be_removed(tmp_path):
    """Stores written before ids were checked named demo recordings demo-sales-000: removing them
    (toneboard demo --remove, purge) still works; a name with a path in it still does not."""
    store = Store(tmp_path / "tb.duckdb")
    store.init()
    old = store.recordings / "demo-sales-000"
    old.mkdir()
    (old / "recording.parquet").write_bytes(b"")
    assert store.remove_recordings(["demo-sales-000"]) == 1 and not old.exists()
    for bad in ("../x", "a/b", "_schema", ".hidden"):
        with pytest.raises(StoreError):
            store.remove_recordings([bad])

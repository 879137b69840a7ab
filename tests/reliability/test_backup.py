"""export-db / import-db round trip and purge, on real stores (demo data plus real ingests with audio)."""
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from synth import write_wav

from analytics.alerts.evaluation import evaluate
from analytics.alerts.rules import load_rules
from analytics.corrections import correct_segment
from analytics.db import Data
from analytics.tickets import open_tickets
from analytics.workflow.after_batch import build_demo, hook
from ingest.batch.pipeline import IngestOptions, ingest_paths
from ingest.store import StoreError
from ingest.store.backup import export_db, import_db
from ingest.store.erase import purge
from ingest.store.layout import store_dir
from ingest.store.schema import TABLES

ROOT = Path(__file__).resolve().parents[2]


def _row(r: tuple) -> tuple:
    return tuple(tuple(x) if isinstance(x, list) else tuple(sorted(x.items())) if isinstance(x, dict) else x for x in r)


def _tables(db: Path) -> dict[str, set]:
    """Every table's rows (the audio path aside: an import points it at the audio's new place)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: {_row(r) for r in con.execute(f"SELECT * EXCLUDE (path) FROM {t}" if t == "recordings"
                                                  else f"SELECT * FROM {t}").fetchall()} for t in TABLES}
    finally:
        con.close()


@pytest.fixture()
def filled(tmp_path, recognizer, mono_layout):
    """Demo data, two real recordings (one uploaded into the store, one in the user's folder), a
    correction and the rules' tickets."""
    db = tmp_path / "src" / "tb.duckdb"
    build_demo(db, seed=3, now_=datetime(2026, 11, 24, 12, 0))
    mine = write_wav(tmp_path / "mine.wav", mono_layout.audio)  # the user's own folder
    up = store_dir(db) / "uploads" / "x" / "upload.wav"
    up.parent.mkdir(parents=True)
    write_wav(up, mono_layout.audio * 0.5)
    opts = IngestOptions(db=db, batch_name="real", recorded_at="2026-01-05 10:00")
    rep = ingest_paths([mine, up], opts, recognizer=recognizer, after_batch=hook(opts))
    assert rep.batch.n_ingested == 2
    data = Data(db)
    rid = data.con.execute("SELECT recording_id FROM recordings WHERE batch_id = ? ORDER BY filename",
                           [rep.batch.batch_id]).fetchone()[0]
    correct_segment(data.store, data.con, rid, 0, "ANGRY", [], by="test")
    # the risk queue ran itself (demo build, ingest): tickets exist, and evaluating again opens none twice
    assert open_tickets(data.store, evaluate(data.con, load_rules(ROOT / "data" / "rules.yaml"))) == 0
    data.refresh()
    assert data.con.execute("SELECT count(*) FROM tickets").fetchone()[0] > 0
    return db, rep.batch.batch_id, mine, up


def test_export_then_import_restores_every_table(filled, tmp_path):
    db, _, _, _ = filled
    out = tmp_path / "backup"
    counts = export_db(db, out, audio=True)
    assert counts["audio_files"] == 2 and counts["recordings"] == len(_tables(db)["recordings"])
    with pytest.raises(StoreError, match="not empty"):
        export_db(db, out)
    target = tmp_path / "elsewhere" / "tb.duckdb"
    added = import_db(out, target)
    before, after = _tables(db), _tables(target)
    assert before == after and all(before[t] for t in ("recordings", "segments", "corrections", "tickets"))
    assert added["recordings"] == len(before["recordings"])
    con = duckdb.connect(str(target), read_only=True)
    paths = [Path(p) for (p,) in con.execute("SELECT path FROM recordings WHERE path NOT LIKE 'demo:%'").fetchall()]
    con.close()
    assert len(paths) == 2 and all(p.is_file() and p.is_relative_to(store_dir(target)) for p in paths)  # the audio came along
    again = import_db(out, target)  # nothing twice
    assert set(again.values()) == {0} and _tables(target) == after
    with pytest.raises(StoreError, match="not a toneboard export"):
        import_db(tmp_path, target)


def test_purge_by_batch_removes_everything_of_those_recordings(filled):
    db, batch, mine, up = filled
    before = _tables(db)
    dashboard = Data(db)  # a dashboard's snapshot, open across the purge
    dry = purge(db, batch_id=batch, dry_run=True)
    assert len(dry.recordings) == 2 and _tables(db) == before
    rep = purge(db, batch_id=batch)
    after = _tables(db)
    gone = set(rep.recordings)
    assert not any(r[0] in gone for r in after["recordings"]) and not any(s[0] in gone for s in after["segments"])
    assert not any(c[0] in gone for c in after["corrections"]) and rep.rows_removed["corrections"] == 1
    assert not any(t[1] in gone for t in after["tickets"])
    assert len(after["recordings"]) == len(before["recordings"]) - 2 and after["segments"]
    assert not up.exists() and rep.audio_files == 1  # the stored upload went with it
    assert mine.exists()  # the user's own file is never touched
    assert not (store_dir(db) / "recordings" / rep.recordings[0]).exists()
    dashboard.refresh()  # the purged recordings leave open dashboards too
    assert dashboard.con.execute("SELECT count(*) FROM recordings WHERE recording_id IN (SELECT unnest(?))",
                                 [rep.recordings]).fetchone()[0] == 0
    assert dashboard.con.execute("SELECT count(*) FROM corrections WHERE recording_id IN (SELECT unnest(?))",
                                 [rep.recordings]).fetchone()[0] == 0


def test_purge_before_a_date_from_the_cli(filled):
    db, _, _, _ = filled
    cli = [sys.executable, str(ROOT / "cli.py"), "purge", "--db", str(db)]
    r = subprocess.run(cli + ["--before", "2026-02-01"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "2 recordings would be deleted" in r.stdout  # dry run first
    r = subprocess.run(cli + ["--before", "2026-02-01", "--yes"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "deleted 2 recordings" in r.stdout
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM recordings WHERE recorded_at < '2026-02-01'").fetchone()[0] == 0
    con.close()
    r = subprocess.run(cli, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "needs --before" in r.stderr


def test_an_import_straight_into_the_compacted_months_has_the_rows_of_the_fresh_folder_path(filled, tmp_path, monkeypatch):
    """import-db writes a backup's recordings as compaction would (issue 27: a year restored in
    minutes), in several rounds here; the rows are those of storing each recording as an ingest
    does and compacting after, the columns readers derive included, audio paths included."""
    from analytics.db import backup_loader, compact
    from ingest.store import Store, compacted

    db, _, _, _ = filled
    out = tmp_path / "backup"
    export_db(db, out, audio=True)
    monkeypatch.setattr(compacted, "ROUND", 7)  # rounds of 7 recordings: several generations
    folders, merged = tmp_path / "a" / "tb.duckdb", tmp_path / "b" / "tb.duckdb"
    added_a = import_db(out, folders)
    assert Store(folders).fresh()  # the fresh-folder path: one folder per recording, until a compaction
    compact(folders)
    added_b = import_db(out, merged, merge=backup_loader)
    assert added_a == added_b and added_b["recordings"] > 14
    assert not Store(merged).fresh() and Store(merged).generation().name > "g000003"  # compacted, in rounds

    def rows(db: Path) -> dict[str, list]:
        con = Data(db).con
        out = {}
        for t, order in (("recordings", "recording_id"), ("seg", "recording_id, start_s, channel"),
                         ("pauses", "recording_id, start_s, channel"), ("metadata", "recording_id, key"),
                         ("speakers", "recording_id, speaker"), ("role_stats", "recording_id, role")):
            out[t] = [tuple(round(x, 6) if isinstance(x, float) else x for x in _row(r))  # sums in another order
                      for r in con.execute(f"SELECT * FROM {t} ORDER BY {order}").fetchall()]
        out["recordings"] = [tuple(str(x).replace(str(store_dir(db)), "<store>") for x in r) for r in out["recordings"]]
        return out
    a, b = rows(folders), rows(merged)
    assert a.keys() == b.keys() and all(a[t] for t in a)
    for t in a:
        assert a[t] == b[t], t
    assert _tables(merged) == _tables(db)  # and the backup's own rows, every table


def test_retention_deletes_kept_audio_past_its_age_and_keeps_the_rest(filled, tmp_path, monkeypatch):
    """A policy of 30 days for recordings of kind other: the audio the store kept of an older one goes (after
    the batch, or by `toneboard retention apply`), its segments and statistics stay, the user's own
    file is not touched, the audit says what went; a dry run deletes nothing; a bad policy is said."""
    from analytics.access import audit
    from ingest.store import Store, retention

    db, _, mine, up = filled
    policy = tmp_path / "retention.yaml"
    policy.write_text("other: {audio_days: 30}\nservice: {audio_days: 3650}\n")
    said = _tables(db)["segments"]
    cli = [sys.executable, str(ROOT / "cli.py"), "retention", "apply", "--policy", str(policy), "--db", str(db)]
    segments = _tables(db)["segments"]
    r = subprocess.run(cli + ["--dry-run"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "would delete the audio of 1 recordings (1 files)" in r.stdout, r.stdout + r.stderr
    assert "1 more are past their age but their audio is in your own folders" in r.stdout and up.exists()
    r = subprocess.run(cli, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "deleted the audio of 1 recordings" in r.stdout
    assert not up.exists() and mine.exists() and _tables(db)["segments"] == segments  # the analysis stays
    assert said == segments
    log = audit.entries(Store(db), actions=["retention"])
    assert len(log) == 1 and '"audio": 1' in log["detail"].iloc[0]
    assert retention.apply(db, retention.load_policy(policy)).deleted == []  # again: nothing left to delete
    monkeypatch.setenv(retention.ENV, str(policy))
    assert hook(IngestOptions(db=db, rules="off"))([]) == []  # after a batch: applied (nothing left here)
    for bad, said in (("calls: {audio_days: 30}", "not a kind"), ("service: {audio_days: 0}", "from 1 to"),
                      ("service: {audio_days: 30, text_days: 9}", "give audio_days and/or transcripts_days"), ("- x", "a kind per line")):
        policy.write_text(bad)
        r = subprocess.run(cli, capture_output=True, text=True, timeout=120)
        assert r.returncode == 2 and said in r.stderr and "Traceback" not in r.stderr, (bad, r.stderr)
    assert any("retention policy was not applied" in w for w in hook(IngestOptions(db=db, rules="off"))([]))


def test_retention_blanks_old_transcripts_and_keeps_every_figure(filled, tmp_path):
    """transcripts_days: what was said in recordings past that age is gone from the store (fresh
    and compacted: the months are rewritten), their segments' times, tags and statistics stay, the
    newer recordings keep their text; a second run changes nothing."""
    from analytics.db import Data
    from ingest.store import Store, compacted, retention

    db = filled[0]
    con = Data(db).con
    old = {r for (r,) in con.execute("SELECT recording_id FROM recordings WHERE kind = 'other'").fetchall()}
    assert len(old) == 2 and con.execute("SELECT count(*) FROM seg WHERE text <> '' AND list_contains(?, recording_id)",
                                         [sorted(old)]).fetchone()[0] > 0
    assert old <= set(Store(db).compacted_ids(Store(db).generation()))  # merged into the months already
    figures = "SELECT recording_id, seg_index, start_s, end_s, emotion, loudness_dbfs FROM seg ORDER BY 1, 2"
    before, texts = con.execute(figures).fetchall(), con.execute(
        "SELECT recording_id, seg_index, text FROM seg WHERE NOT list_contains(?, recording_id) ORDER BY 1, 2", [sorted(old)]).fetchall()
    policy = tmp_path / "retention.yaml"
    policy.write_text("other: {transcripts_days: 30}\n")
    r = subprocess.run([sys.executable, str(ROOT / "cli.py"), "retention", "apply", "--policy", str(policy), "--db", str(db)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "the transcripts of 2" in r.stdout, r.stdout + r.stderr
    after = Data(db).con
    assert after.execute(figures).fetchall() == before  # every figure as it was
    assert after.execute("SELECT count(*) FROM segments WHERE list_contains(?, recording_id) AND (text IS NOT NULL OR "
                         "raw_text IS NOT NULL)", [sorted(old)]).fetchone()[0] == 0
    assert after.execute("SELECT recording_id, seg_index, text FROM seg WHERE NOT list_contains(?, recording_id) ORDER BY 1, 2",
                         [sorted(old)]).fetchall() == texts  # the others keep theirs
    gen = compacted.current(store_dir(db))
    said = duckdb.execute(f"SELECT count(*) FROM read_parquet('{gen}/segments/*.parquet', union_by_name = true) WHERE "
                          "list_contains(?, recording_id) AND text IS NOT NULL", [sorted(old)]).fetchone()[0]
    assert said == 0  # the months themselves were rewritten
    assert retention.apply(db, retention.load_policy(policy)).blanked == []

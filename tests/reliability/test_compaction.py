"""Compaction under fire: ``kill -9`` of ``toneboard compact`` at random moments while a reader (the
dashboard's ``Data``) and an outside read-only DuckDB client query the store, and while ingest adds
recordings. Nothing is lost or counted twice at any moment, corrections stay applied, and a store
written before compaction existed upgrades in place. TONEBOARD_SOAK=1 runs more trials."""
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from analytics.corrections import correct_segment
from analytics.db import Data, compact
from ingest.store import Store, layout, schema

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
from query_speed import generate, rid  # noqa: E402  (the benchmark's store writer: fresh folders, as ingest writes)

TRIALS = 16 if os.environ.get("TONEBOARD_SOAK") == "1" else 5
PER = 20  # segments per recording


def _counts_outside(db: Path) -> tuple[int, int, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT (SELECT count(*) FROM recordings), (SELECT count(DISTINCT recording_id) FROM recordings), "
                           "(SELECT count(*) FROM segments)").fetchone()
    finally:
        con.close()


def _counts(con) -> tuple[int, int, int]:
    return con.execute("SELECT (SELECT count(*) FROM recordings), (SELECT count(DISTINCT recording_id) FROM recordings), "
                       "(SELECT count(*) FROM seg)").fetchone()


class Watch(threading.Thread):
    """Reads the store over and over (a reader refreshing, then an outside client) and keeps every
    figure that differs from what the store holds (``expected``, changed only under ``lock``)."""

    def __init__(self, db: Path, expected: list[int]):
        super().__init__(daemon=True)
        self.db, self.expected, self.lock = db, expected, threading.Lock()
        self.wrong: list[str] = []
        self.reads = 0  # reads made while a compaction was running
        self.total = 0
        self.times = []
        self.compacting = threading.Event()
        self.stop = threading.Event()

    def run(self):
        try:
            self._run()
        except Exception as e:  # noqa: BLE001 (the test reports it)
            self.wrong.append(f"reader failed: {type(e).__name__}: {e}")

    def _run(self):
        data = Data(self.db)
        while not self.stop.is_set():
            with self.lock:
                t0 = time.monotonic()
                during = self.compacting.is_set()
                n = self.expected[0]
                data.refresh()
                got = _counts(data.con)
                if got != (n, n, n * PER):
                    self.wrong.append(f"reader: {got} != {(n, n, n * PER)}")
                try:
                    got = _counts_outside(self.db)
                except duckdb.IOException as e:  # the database file is locked only while its views are written
                    if "lock" not in str(e).lower():
                        self.wrong.append(f"outside client: {e}")
                else:
                    if got != (n, n, n * PER):
                        self.wrong.append(f"outside client: {got} != {(n, n, n * PER)}")
                self.reads += during or self.compacting.is_set()
                self.total += 1
                self.times.append(round(time.monotonic() - t0, 2))
            time.sleep(0.05)
        data.con.close()


@pytest.mark.slow
def test_kill_9_during_compaction_loses_nothing_and_doubles_nothing(tmp_path):
    db = tmp_path / "tb.duckdb"
    batch = 600
    generate(db, batch, PER, first=0, total=batch * (TRIALS + 1))
    Store(db).init()
    expected = [batch]
    # a correction of a recording that is about to be compacted: it must stay applied throughout
    data = Data(db)
    correct_segment(data.store, data.con, rid(1), 3, "ANGRY", by="qa")
    watch = Watch(db, expected)
    watch.start()
    rng = random.Random(11)
    kills = 0
    cmd = [sys.executable, str(ROOT / "cli.py"), "compact", "--db", str(db)]
    try:
        for trial in range(TRIALS):
            with watch.lock:  # ingest goes on between compactions: a new batch of fresh folders
                generate(db, batch, PER, first=batch * (trial + 1), total=batch * (TRIALS + 1))
                expected[0] += batch
                proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
                watch.compacting.set()
            time.sleep(rng.uniform(0.5, 4.0))
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                kills += 1
            proc.wait()
            watch.compacting.clear()
        assert kills >= 2, "the compaction finished before every kill: give it more work"
        time.sleep(0.5)
    finally:
        watch.stop.set()
        watch.join(30)
    assert watch.reads >= 3 and watch.wrong == [], (watch.reads, watch.total, watch.times, watch.wrong[:5])
    done = subprocess.run(cmd, capture_output=True, text=True)  # the next compaction completes the work
    assert done.returncode == 0, done.stdout + done.stderr
    n = expected[0]
    assert _counts_outside(db) == (n, n, n * PER)
    store = Store(db)
    assert store.fresh() == {}  # every folder merged
    data = Data(db)
    assert _counts(data.con) == (n, n, n * PER)
    assert data.con.execute("SELECT emotion FROM seg WHERE recording_id = ? AND seg_index = 3", [rid(1)]).fetchone()[0] == "ANGRY"
    # killed compactions left nothing behind once the next one ran
    folder = store.generation().parent
    assert [p.name for p in folder.glob(".g*")] == []
    assert store.generation().name in {p.name for p in folder.glob("g*")}


def test_a_store_written_before_compaction_upgrades_in_place(tmp_path):
    """The previous version's layout (fresh folders only, schema 5, no compacted/): readers read it
    as it is, without writing; the first compaction merges it; nothing changes in what they see."""
    db = tmp_path / "tb.duckdb"
    generate(db, 50, PER)
    root = layout.store_dir(db)
    import shutil

    shutil.rmtree(root / "compacted")  # what the previous version wrote
    (root / "SCHEMA_VERSION").write_text("5")
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    data = Data(db)
    seen = data.con.execute("SELECT recording_id, emotion, text FROM seg ORDER BY ALL").fetchall()
    assert len(seen) == 50 * PER
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before  # the reader wrote nothing
    report = compact(db)
    assert report.merged == 50 and Store(db).fresh() == {}
    data.refresh()
    assert data.con.execute("SELECT recording_id, emotion, text FROM seg ORDER BY ALL").fetchall() == seen
    assert _counts_outside(db) == (50, 50, 50 * PER)
    assert (root / "SCHEMA_VERSION").read_text().strip() == schema.fingerprint()


def test_purge_and_export_work_on_compacted_recordings(tmp_path):
    from ingest.store.backup import export_db, import_db
    from ingest.store.erase import purge

    db = tmp_path / "tb.duckdb"
    generate(db, 40, PER)
    compact(db)
    month_files = Store(db).compacted_files(Store(db).generation(), "segments")
    out = tmp_path / "export"
    assert export_db(db, out)["segments"] == 40 * PER
    report = purge(db, batch_id="bench")
    assert len(report.recordings) == 40
    assert _counts_outside(db) == (0, 0, 0)
    assert month_files  # the purged rows were in compacted months: no file of any generation has them now
    everywhere = [str(f) for f in Store(db).generation().parent.rglob("*.parquet")]
    assert duckdb.connect().execute("SELECT count(*) FROM read_parquet(?, union_by_name = true) WHERE recording_id IN "
                                    "(SELECT unnest(?::VARCHAR[]))", [everywhere, [rid(n) for n in range(40)]]).fetchone()[0] == 0
    import_db(out, db)
    compact(db)
    assert _counts_outside(db) == (40, 40, 40 * PER)
    assert _counts(Data(db).con) == (40, 40, 40 * PER)


@pytest.mark.parametrize("cut", ["after the swap", "before the swap"])
def test_a_compaction_cut_short_at_its_narrowest_points(tmp_path, monkeypatch, cut):
    """The two moments a random kill rarely hits, made certain: killed after the new generation is
    current but before the merged folders are gone (every recording is then both fresh and
    compacted), and killed after writing the generation but before making it current."""
    from ingest.store import compacted

    db = tmp_path / "tb.duckdb"
    generate(db, 30, PER)
    Store(db).init()
    data = Data(db)
    assert _counts(data.con) == (30, 30, 30 * PER)

    class Killed(Exception):
        pass

    def die(*a, **k):
        raise Killed
    with monkeypatch.context() as m:
        if cut == "after the swap":
            m.setattr(Store, "_remove_folder", lambda self, rid, mtime=None: False)
        else:
            m.setattr(compacted.os, "replace", die)
        try:
            compact(db)
        except Killed:
            pass
    store = Store(db)
    assert len(store.fresh()) == 30
    if cut == "after the swap":
        assert len(store.compacted_ids(store.generation())) == 30  # both copies are on disk
    assert _counts_outside(db) == (30, 30, 30 * PER)
    data.refresh()
    assert _counts(data.con) == (30, 30, 30 * PER)
    assert _counts(Data(db).con) == (30, 30, 30 * PER)
    compact(db)  # the next one completes the work and clears what the cut one left
    assert Store(db).fresh() == {} and _counts_outside(db) == (30, 30, 30 * PER)
    assert [p.name for p in Store(db).generation().parent.glob(".*tmp")] == []
    data.refresh()
    assert _counts(data.con) == (30, 30, 30 * PER)


def test_a_large_batch_is_merged_in_rounds_of_bounded_size(tmp_path, monkeypatch):
    """Memory is bounded by the round, not the batch: 30 recordings in rounds of 7 make five
    generations, each in order of month, and every recording lands once."""
    from ingest.store import compacted

    monkeypatch.setattr(compacted, "ROUND", 7)
    db = tmp_path / "tb.duckdb"
    generate(db, 30, PER)
    report = compact(db)
    assert report.merged == 30 and report.generation == "g000005"
    assert _counts_outside(db) == (30, 30, 30 * PER) and _counts(Data(db).con) == (30, 30, 30 * PER)


def test_a_month_grows_by_parts_and_is_merged_when_it_has_too_many_or_loses_a_recording(tmp_path, monkeypatch):
    """Each compaction writes only its own recordings (one more file for the month), so compacting
    a day's batch does not rewrite the month; the files are merged at MAX_PARTS, and at once when
    a recording leaves the month (its rows must leave the disk)."""
    from ingest.store import compacted

    monkeypatch.setattr(compacted, "MAX_PARTS", 3)
    db = tmp_path / "tb.duckdb"

    def month_files() -> list[str]:
        store = Store(db)
        return sorted(Path(f).name for f in store.compacted_files(store.generation(), "segments"))
    counts = []
    for k in range(4):  # four small batches in the same month
        generate(db, 5, PER, first=5 * k, total=1000)
        compact(db)
        counts.append(len(month_files()))
        assert _counts_outside(db) == (5 * (k + 1),) * 2 + (5 * (k + 1) * PER,)
    assert counts == [1, 2, 3, 1]  # the fourth batch found three files: merged into one
    generate(db, 5, PER, first=20, total=1000)
    compact(db)
    assert len(month_files()) == 2
    Store(db).remove_recordings([rid(0)])
    assert len(month_files()) == 1  # the month lost a recording: merged without it
    assert _counts_outside(db) == (24, 24, 24 * PER) and _counts(Data(db).con) == (24, 24, 24 * PER)


def test_tables_of_a_few_rows_per_recording_are_one_file(tmp_path, monkeypatch):
    """Recordings, their metadata, speakers and statistics are one file each, whatever the months
    (a reader joins them over a year without opening a file per month); a store whose compaction
    wrote them by month has them merged into one by its next compaction."""
    from ingest.store import compacted

    db = tmp_path / "tb.duckdb"

    def names(table: str) -> list[str]:
        store = Store(db)
        return sorted(Path(f).name for f in store.compacted_files(store.generation(), table))
    monkeypatch.setattr(compacted, "WHOLE", ())  # as the previous version wrote them: by month
    generate(db, 6, PER, total=6)  # (spread over more than one month)
    compact(db)
    assert len(names("recordings")) > 1
    monkeypatch.setattr(compacted, "WHOLE", ("recordings", "metadata", "speakers", "role_stats"))
    for k in range(2):
        generate(db, 4, PER, first=100 + 4 * k, total=200)
        compact(db)
        for table in compacted.WHOLE:
            assert names(table) == ["all.parquet"], table
        assert len(names("segments")) > 1
        assert _counts_outside(db) == (10 + 4 * k,) * 2 + ((10 + 4 * k) * PER,)
        assert _counts(Data(db).con) == (10 + 4 * k,) * 2 + ((10 + 4 * k) * PER,)
        assert Store(db).stored_model(rid(0)) is not None


def test_the_compact_command_tells_how_far_a_large_batch_is(tmp_path, monkeypatch, capsys):
    import cli
    from ingest.store import compacted

    monkeypatch.setattr(compacted, "ROUND", 2)
    db = tmp_path / "tb.duckdb"
    generate(db, 5, PER)
    assert cli.main(["compact", "--db", str(db)]) == 0
    out, err = capsys.readouterr()
    assert "merged 2 of 5 recordings" in err and "merged 4 of 5 recordings" in err
    assert "merged 5 recordings into" in out
    assert cli.main(["compact", "--db", str(db)]) == 0 and "nothing to compact" in capsys.readouterr().out


def test_a_phrase_is_found_once_in_compacted_fresh_and_corrected_recordings(tmp_path):
    """``segments_saying`` (search, phrase -> reaction, the text filter) reads the compacted files
    with its signature test pushed into their scan, and finds what a plain substring test over
    every segment finds: compacted, fresh, and a compacted recording held in memory for a
    correction, each once."""
    from analytics.filters import SAYING
    from analytics.search import search

    db = tmp_path / "tb.duckdb"
    generate(db, 40, PER, total=60)
    compact(db)
    generate(db, 20, PER, first=40, total=60)  # fresh, not compacted
    data = Data(db)
    correct_segment(Store(db), data.con, rid(4), 0, emotion="HAPPY")  # a compacted recording, then held in memory
    data.refresh()
    con = data.con
    for needle in (" order number ", "order", "数据看板"):
        plain = con.execute("SELECT recording_id, seg_index FROM seg WHERE contains(norm_text(text), ?) ORDER BY ALL",
                            [needle]).fetchall()
        found = con.execute(f"SELECT recording_id, seg_index FROM {SAYING}(?) ORDER BY ALL", [needle]).fetchall()
        assert found == plain and plain, needle
    said = {r for r, _ in found}  # 数据看板: every 97th segment (recordings 0, 4, 9 ... 58)
    assert {rid(0), rid(4), rid(43)} <= said  # compacted, held in memory, fresh
    def scans(node):
        if node["name"] == "READ_PARQUET":
            yield node["extra_info"]
        for child in node["children"]:
            yield from scans(child)

    plan = json.loads(con.execute(f"EXPLAIN (FORMAT json) SELECT * FROM {SAYING}('数据看板')").fetchall()[0][1])
    parquet = [info for root in plan for info in scans(root)]
    assert parquet and all("text_sig &" in str(info.get("Filters")) for info in parquet), parquet  # inside the scan
    assert len(search(con, "数据看板", limit=10_000)) == len(con.execute(
        "SELECT 1 FROM seg WHERE contains(text, '数据看板')").fetchall())


def test_compacted_segments_keep_no_normalised_text_and_files_that_have_it_still_work(tmp_path, monkeypatch):
    """The normalised text is only needed to make the search signature (31 % of a compacted
    segment file when it was kept). Files of the earlier version that have it are read, a
    recording of theirs held in memory for a correction loads, and the column leaves a month when
    the month is merged again."""
    from ingest.store import compacted

    db = tmp_path / "tb.duckdb"
    generate(db, 6, PER, total=1000)  # one month
    compact(db)

    def columns() -> list[set[str]]:
        store = Store(db)
        return [{d[0] for d in duckdb.connect().execute("SELECT * FROM read_parquet(?) LIMIT 0", [f]).description}
                for f in store.compacted_files(store.generation(), "segments")]
    assert columns() and all("text_norm" not in c and "text_sig" in c for c in columns())
    store = Store(db)
    for f in store.compacted_files(store.generation(), "segments"):  # as the earlier version wrote it
        tmp = f + ".old"
        duckdb.connect().execute(f"COPY (SELECT *, ' ' || lower(text) || ' ' AS text_norm FROM read_parquet('{f}')) "
                                 f"TO '{tmp}' (FORMAT parquet)")
        os.replace(tmp, f)
    assert all("text_norm" in c for c in columns())
    data = Data(db)
    correct_segment(Store(db), data.con, rid(2), 1, emotion="ANGRY")  # held in memory: loaded from the old file
    data.refresh()
    assert data.con.execute("SELECT emotion FROM seg WHERE recording_id = ? AND seg_index = 1", [rid(2)]).fetchone() == ("ANGRY",)
    assert _counts(data.con) == (6, 6, 6 * PER)
    Store(db).remove_recordings([rid(5)])  # a purge merges the month as it is
    monkeypatch.setattr(compacted, "MAX_PARTS", 1)  # the next compaction merges the month with its new recording
    generate(db, 1, PER, first=6, total=1000)
    assert compact(db).merged == 1
    assert columns() and all("text_norm" not in c for c in columns())
    data.refresh()
    assert _counts(data.con) == (6, 6, 6 * PER) == _counts_outside(db)
    assert data.con.execute("SELECT emotion FROM seg WHERE recording_id = ? AND seg_index = 1", [rid(2)]).fetchone() == ("ANGRY",)


def test_a_whole_table_is_written_in_small_row_groups(tmp_path, monkeypatch):
    """Recordings and their statistics are one file each, in row groups of a few thousand rows
    (compacted.WHOLE_ROW_GROUP), sorted by time: a period's recordings skip the other row groups,
    and a scan of all runs on every thread."""
    from ingest.store import compacted

    monkeypatch.setattr(compacted, "WHOLE_ROW_GROUP", 2048)  # DuckDB's least
    db = tmp_path / "tb.duckdb"
    generate(db, 2500, 1, total=2500)  # two metadata rows each
    compact(db)
    store = Store(db)
    (f,) = store.compacted_files(store.generation(), "metadata")
    sizes = [n for _, n in duckdb.connect().execute(
        "SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata(?) ORDER BY row_group_id", [f]).fetchall()]
    # DuckDB's ROW_GROUP_SIZE is a target: a merge of several inputs may join a short batch to the
    # one before it
    assert len(sizes) > 1 and max(sizes) < 2 * 2048 and sum(sizes) == 5000, sizes  # (row groups of 122,880 before)

"""kill -9 during a batch, at several points: the database still opens, no recording is
half-written, and a rerun completes the batch with no duplicates."""
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from ingest.schema import FILE_NAMES, store_dir
from synth import write_wav

ROOT = Path(__file__).resolve().parent.parent


def _check_consistent(db: Path) -> int:
    store = store_dir(db)
    for d in (store / "recordings").iterdir():
        if d.name != "_schema":
            assert {p.name for p in d.iterdir()} == set(FILE_NAMES.values()), f"partial recording {d}"
    con = duckdb.connect(str(db), read_only=True)
    try:
        dup = con.execute("SELECT count(*) - count(DISTINCT recording_id) FROM recordings").fetchone()[0]
        assert dup == 0
        bad = con.execute("""SELECT count(*) FROM recordings r
                             WHERE n_segments <> (SELECT count(*) FROM segments s WHERE s.recording_id = r.recording_id)""").fetchone()[0]
        assert bad == 0
        return con.execute("SELECT count(*) FROM recordings").fetchone()[0]
    finally:
        con.close()


@pytest.mark.slow
def test_kill_9_then_rerun(tmp_path, tiny_model, mono_layout):
    src = tmp_path / "in"
    src.mkdir()
    n_files = 6
    for i in range(n_files):
        write_wav(src / f"call{i}.wav", mono_layout.audio * (0.3 + 0.1 * i))
    db = tmp_path / "tb.duckdb"
    cmd = [sys.executable, str(ROOT / "cli.py"), "ingest", str(src), "--model", str(tiny_model),
           "--db", str(db), "--threads", "1", "--quiet"]
    rng = random.Random(7)
    kills = 0
    for trial in range(4):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(3.0, 9.0))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
        if db.exists():
            _check_consistent(db)
    assert kills >= 1
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _check_consistent(db) == n_files
    con = duckdb.connect(str(db), read_only=True)
    statuses = {s for (s,) in con.execute("SELECT status FROM batches").fetchall()}
    con.close()
    assert "finished" in statuses and statuses <= {"finished", "interrupted", "running"}
    leftovers = [p for p in (store_dir(db) / ".tmp").iterdir()] if (store_dir(db) / ".tmp").exists() else []
    assert leftovers == []  # what killed runs left aside was cleaned up

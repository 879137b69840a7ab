"""kill -9 of `toneboard ingest` at random moments (decoding, inference or writing, whichever is under
way): the database still opens, no recording is half-written, and a rerun completes the batch with
no duplicates. TONEBOARD_SOAK=1 runs many more trials."""
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from consistency import check_consistent, kill_repeatedly
from synth import write_wav

from ingest.store.layout import store_dir

ROOT = Path(__file__).resolve().parents[2]
TRIALS = 20 if os.environ.get("TONEBOARD_SOAK") == "1" else 4


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
    assert kill_repeatedly(cmd, db, TRIALS, seed=7, after_s=(3.0, 9.0)) >= 1
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert check_consistent(db) == n_files
    con = duckdb.connect(str(db), read_only=True)
    statuses = {s for (s,) in con.execute("SELECT status FROM batches").fetchall()}
    con.close()
    assert "finished" in statuses and statuses <= {"finished", "interrupted", "running"}
    leftovers = [p for p in (store_dir(db) / ".tmp").iterdir()] if (store_dir(db) / ".tmp").exists() else []
    assert leftovers == []  # what killed runs left aside was cleaned up

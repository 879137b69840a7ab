"""kill -9 of a server whose background worker is ingesting an upload batch, at random moments:
the database stays consistent, the batch is listed as interrupted with its uploads kept, and resuming
it (from the upload page) completes it with no duplicates. TONEBOARD_SOAK=1 runs many more trials."""
import json
import os
import sys
import time
from pathlib import Path

import pytest
from consistency import check_consistent, kill_repeatedly
from streamlit.testing.v1 import AppTest
from synth import write_wav

from dashboard.worker import IngestWorker
from ingest.store.layout import store_dir

ROOT = Path(__file__).resolve().parents[2]
TRIALS = 12 if os.environ.get("TONEBOARD_SOAK") == "1" else 3
N_FILES = 5

SERVER = """
import sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from dashboard.worker import IngestWorker
from ingest.batch.pipeline import IngestOptions
w = IngestWorker({db!r})
files = [w.save_upload(Path(p).name, Path(p).read_bytes()) for p in {files!r}]
w.submit(files, IngestOptions(db=Path({db!r}), model={model!r}, threads=1), "upload batch")
while w.busy():
    time.sleep(0.1)
"""


def _wait(worker: IngestWorker, timeout_s: float = 180) -> None:
    end = time.time() + timeout_s
    while worker.busy():
        assert time.time() < end
        time.sleep(0.2)


@pytest.mark.slow
def test_kill_9_during_a_worker_batch_then_resume(tmp_path, tiny_model, mono_layout):
    files = [str(write_wav(tmp_path / f"call{i}.wav", mono_layout.audio * (0.3 + 0.1 * i))) for i in range(N_FILES)]
    db = tmp_path / "tb.duckdb"
    code = SERVER.format(root=str(ROOT), db=str(db), model=str(tiny_model), files=files)
    journals = store_dir(db) / "uploads" / "_batches"  # one per batch submitted (kept while it runs)

    def submitted() -> int:
        return len(list(journals.glob("*.json"))) if journals.is_dir() else 0
    assert kill_repeatedly([sys.executable, "-c", code], db, TRIALS, seed=11, after_s=(0.0, 3.0), started=submitted) >= 1

    worker = IngestWorker(db)  # the restarted server
    pending = worker.interrupted()
    assert pending and all(len(b["files"]) == N_FILES and all(Path(f).is_file() for f in b["files"]) for b in pending)
    for b in pending:
        worker.resume(b["key"])
    _wait(worker)
    assert worker.interrupted() == [] and not list((worker.uploads / "_batches").glob("*.json"))
    assert all(b.status == "finished" for b in worker.batches.values())
    assert check_consistent(db) == N_FILES  # every file once


def test_the_upload_page_offers_to_resume_an_interrupted_batch(tmp_path, tiny_model, mono_layout, monkeypatch):
    db = tmp_path / "tb.duckdb"
    monkeypatch.setenv("TONEBOARD_DB", str(db))
    monkeypatch.setenv("TONEBOARD_MODEL", str(tiny_model))
    earlier = IngestWorker(db)  # what the crashed process left: a journal and the upload
    kept = earlier.save_upload("call.wav", write_wav(tmp_path / "call.wav", mono_layout.audio).read_bytes())
    journal = earlier.uploads / "_batches" / "20261124-101500-99999-0.json"
    journal.parent.mkdir(parents=True, exist_ok=True)
    journal.write_text(json.dumps({"name": "upload 1 files", "files": [str(kept)], "options": {
        "db": str(db), "model": str(tiny_model), "threads": 1}}))

    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60)
    at.session_state["lang"] = "en"
    at.run()
    at.switch_page("views/upload.py").run()
    assert not at.exception and any("Interrupted: upload 1 files" in w.value for w in at.warning)
    at.button(key="up_resume_20261124-101500-99999-0").click().run()
    assert not at.exception and not journal.exists()
    from dashboard import ui
    worker = ui.worker()
    _wait(worker)
    assert [b.status for b in worker.batches.values()] == ["finished"] and check_consistent(db) == 1

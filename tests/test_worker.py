"""The dashboard's background ingestion worker, on the real pipeline and the tiny random model."""
import time

from synth import write_wav

from analytics.db import Data
from dashboard.worker import IngestWorker
from ingest.batch.pipeline import IngestOptions


def _wait(worker: IngestWorker, key: str, timeout_s: float = 180) -> None:
    end = time.time() + timeout_s
    while worker.batches[key].status in ("queued", "running"):
        assert time.time() < end, "the batch did not finish"
        time.sleep(0.2)


def test_worker_ingests_a_batch_with_one_outcome_per_file(tmp_path, tiny_model, mono_layout):
    db = tmp_path / "tb.duckdb"
    worker = IngestWorker(db)
    good = write_wav(tmp_path / "good.wav", mono_layout.audio[0]).read_bytes()
    paths = [worker.save_upload("../../etc/call one.wav", good), worker.save_upload("broken.wav", b"not audio")]
    assert worker.save_upload("again.wav", good).parent == paths[0].parent  # content-addressed: one folder
    assert all(p.resolve().is_relative_to(worker.uploads.resolve()) for p in paths)  # never outside the store
    assert paths[0].name == "call one.wav"

    key = worker.submit(paths, IngestOptions(db=db, model=str(tiny_model)), "two files")
    _wait(worker, key)
    state = worker.batches[key]
    assert state.status == "finished" and state.files_done == 2 and not worker.busy()
    assert [(o["file"], o["status"]) for o in state.outcomes] == [("call one.wav", "ingested"), ("broken.wav", "failed")]
    assert state.outcomes[1]["reason"]
    files = Data(db).con.execute("SELECT filename, path FROM recordings").fetchall()
    assert files == [("call one.wav", str(paths[0]))]  # the kept upload is the audio the timeline plays


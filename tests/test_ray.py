"""Ingest on a local Ray instance (CPU): a mixed batch gives the same rows as the single-process path.
The Ray run is `toneboard ingest --ray local` in its own process, as users run it (starting Ray from
inside a test process that already holds many threads is not what users do, and is fragile)."""
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ingest.batch.pipeline import IngestOptions, ingest_paths

pytest.importorskip("ray", reason="Ray is not installed (pip install -e '.[test]' installs it)")

ROOT = Path(__file__).resolve().parent.parent
SAME = {  # what may differ between two ingests of the same files: when, and in which batch
    "recordings": "* EXCLUDE (batch_id, ingested_at)",
    "segments": "*", "pauses": "*", "metadata": "*",
    "ingest_errors": "path, stage, reason, recording_id",
}


def _rows(db, tables=SAME) -> dict[str, list]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: sorted(map(repr, con.execute(f"SELECT {SAME[t]} FROM {t}").fetchall())) for t in tables}
    finally:
        con.close()


def _ray_ingest(batch_dir: Path, db: Path, model: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), "ingest", str(batch_dir), "--ray", "local",
                           "--ray-workers", "2", "--threads", "1", "--model", str(model), "--db", str(db),
                           "--recorded-at", "2026-11-20 09:00", "--quiet"], capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_ray_ingest_gives_the_same_rows_as_one_process(tmp_path, batch_dir, tiny_model):
    for name in ("call one.wav", "silence.wav"):  # the same bytes twice: a good file and a failing one
        (batch_dir / f"copy of {name}").write_bytes((batch_dir / name).read_bytes())
    one = ingest_paths([batch_dir], IngestOptions(db=tmp_path / "one.duckdb", model=str(tiny_model), threads=1,
                                                  recorded_at="2026-11-20 09:00"))
    assert one.batch.n_ingested == 2 and one.batch.n_failed == 4 and one.batch.n_skipped == 1
    r = _ray_ingest(batch_dir, tmp_path / "ray.duckdb", tiny_model)
    assert r.returncode == 1, r.stdout + r.stderr  # 1: some files failed (the broken ones), as planted
    assert _rows(tmp_path / "one.duckdb") == _rows(tmp_path / "ray.duckdb")
    con = duckdb.connect(str(tmp_path / "ray.duckdb"), read_only=True)
    batch = con.execute("SELECT n_ingested, n_failed, n_skipped, options FROM batches").fetchall()
    con.close()
    assert [b[:3] for b in batch] == [(2, 4, 1)] and '"ray": "local"' in batch[0][3]

    again = _ray_ingest(batch_dir, tmp_path / "ray.duckdb", tiny_model)  # resumable, idempotent
    assert again.returncode == 1
    stored = [t for t in SAME if t != "ingest_errors"]  # the broken files fail again, as they should
    assert _rows(tmp_path / "ray.duckdb", stored) == _rows(tmp_path / "one.duckdb", stored)


@pytest.mark.slow
def test_an_unavailable_speaker_model_stops_a_ray_batch_as_it_stops_one_process(tmp_path, mono_layout, tiny_model):
    """--speaker-model campplus without CAM++ is fatal (exit 3 and the reason) in one process; on Ray
    every file was recorded as an internal failure instead (issue 27, item 5): one list of fatal
    errors (ingest.errors.FATAL) now serves every runner."""
    from synth import write_wav

    calls = tmp_path / "calls"
    calls.mkdir()
    for i in range(2):
        write_wav(calls / f"call-{i}.wav", mono_layout.audio * (0.5 + i / 4))
    no_model = tmp_path / "not-campplus"
    no_model.mkdir()
    common = ["--threads", "1", "--model", str(tiny_model), "--speaker-model", "campplus", "--campplus", str(no_model),
              "--quiet"]
    one = subprocess.run([sys.executable, str(ROOT / "cli.py"), "ingest", str(calls), "--db", str(tmp_path / "one.duckdb"),
                          *common], capture_output=True, text=True, timeout=600)
    ray = subprocess.run([sys.executable, str(ROOT / "cli.py"), "ingest", str(calls), "--db", str(tmp_path / "ray.duckdb"),
                          "--ray", "local", "--ray-workers", "1", *common], capture_output=True, text=True, timeout=600)
    assert one.returncode == 3, one.stdout + one.stderr
    assert ray.returncode == 3, ray.stdout + ray.stderr
    reason = one.stderr.strip().splitlines()[-1]
    assert str(no_model) in reason and reason in ray.stderr, (one.stderr, ray.stderr)
    assert "internal" not in ray.stdout + ray.stderr

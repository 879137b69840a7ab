"""Ingest on a local Ray instance (CPU): a mixed batch gives the same rows as the single-process path.
The Ray run is `toneboard ingest --ray local` in its own process, as users run it (starting Ray from
inside a test process that already holds many threads is not what users do, and is fragile)."""
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ingest.pipeline import IngestOptions, ingest_paths

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

"""Ingest on a local Ray instance (CPU): a mixed batch gives the same rows as the single-process path."""
from dataclasses import replace

import duckdb
import pytest

from ingest.pipeline import IngestOptions, ingest_paths

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install -e '.[test]' installs it)")

SAME = {  # what may differ between two ingests of the same files: when, and in which batch
    "recordings": "* EXCLUDE (batch_id, ingested_at)",
    "segments": "*", "pauses": "*", "metadata": "*",
    "ingest_errors": "path, stage, reason, recording_id",
}


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def _rows(db) -> dict[str, list]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: sorted(map(repr, con.execute(f"SELECT {cols} FROM {t}").fetchall())) for t, cols in SAME.items()}
    finally:
        con.close()


@pytest.mark.slow
def test_ray_ingest_gives_the_same_rows_as_one_process(local_ray, tmp_path, batch_dir, tiny_model):
    for name in ("call one.wav", "silence.wav"):  # the same bytes twice: a good file and a failing one
        (batch_dir / f"copy of {name}").write_bytes((batch_dir / name).read_bytes())
    base = IngestOptions(db=tmp_path / "one.duckdb", model=str(tiny_model), threads=1, recorded_at="2026-11-20 09:00")
    one = ingest_paths([batch_dir], base)
    two = ingest_paths([batch_dir], replace(base, db=tmp_path / "ray.duckdb", ray="local", ray_workers=2))
    assert sorted((o.path, o.status) for o in one.outcomes) == sorted((o.path, o.status) for o in two.outcomes)
    assert two.batch.n_ingested == 2 and two.batch.n_failed == 4 and two.batch.n_skipped == 1
    assert _rows(tmp_path / "one.duckdb") == _rows(tmp_path / "ray.duckdb")
    again = ingest_paths([batch_dir], replace(base, db=tmp_path / "ray.duckdb", ray="local"))  # resumable, idempotent
    assert again.batch.n_ingested == 0 and again.batch.n_skipped == one.batch.n_ingested + 1
    stored = {t: rows for t, rows in _rows(tmp_path / "ray.duckdb").items() if t != "ingest_errors"}  # failures again
    assert stored == {t: rows for t, rows in _rows(tmp_path / "one.duckdb").items() if t != "ingest_errors"}

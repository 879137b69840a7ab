"""Checks of a store after a crash (used by the reliability tests)."""
from pathlib import Path

import duckdb

from ingest.schema import FILE_NAMES, store_dir


def check_consistent(db: Path) -> int:
    """Assert every recording folder is complete, no recording twice, and each recording's segments
    all there; returns the number of recordings."""
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

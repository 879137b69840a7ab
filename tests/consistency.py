"""Crashing a process that writes a store, and checking the store afterwards (reliability tests)."""
import os
import random
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from ingest.store.layout import FILE_NAMES, store_dir


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


def kill_repeatedly(cmd: list[str], db: Path, trials: int, seed: int, after_s: tuple[float, float],
                    started: Callable[[], int] | None = None, wait_s: float = 180) -> int:
    """Start ``cmd`` ``trials`` times, each time ``kill -9`` it (its whole process group) after a
    random wait in ``after_s`` if it is still running, and check the store; returns the kills.
    With ``started`` (a count of the work begun, such as the batches journalled), the wait starts
    when that count has grown: on a slow machine a process may still be importing its libraries
    when a fixed wait ends, and the kill would prove nothing about the work."""
    rng = random.Random(seed)
    kills = 0
    for _ in range(trials):
        before = started() if started else 0
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        if started:
            end = time.monotonic() + wait_s
            while started() == before and proc.poll() is None:
                assert time.monotonic() < end, f"the work did not start in {wait_s:.0f} s"
                time.sleep(0.05)
        time.sleep(rng.uniform(*after_s))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
        if db.exists():
            check_consistent(db)
    return kills

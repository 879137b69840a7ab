"""Restoring a backup: ``toneboard import-db`` of an ``export-db`` folder into a new database.

Generates a store of ``--recordings`` calls (``query_speed.generate``: ~190 segments each, spread
over the year), compacts it and exports it (``toneboard export-db``), then imports it into a new
database in a fresh process timed by ``/usr/bin/time`` (wall clock, peak resident memory):

  compacted   toneboard import-db (the new recordings written straight into compacted months)
  folders     (with --folders) each recording stored as a fresh folder, then ``toneboard compact``:
              the path before issue 27 (slow: at 10,000 it took ~20 minutes)

  python benchmarks/restore_speed.py [--recordings 10000] [--per 190] [--folders]
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

FOLDERS = """
import sys
from analytics.db import compact
from ingest.store.backup import import_db
print(import_db(sys.argv[1], sys.argv[2]))
compact(sys.argv[2])
"""


def timed(cmd: list[str]) -> tuple[float, float]:
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        r = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", t.name, *cmd], capture_output=True, text=True, cwd=ROOT)
        if r.returncode:
            sys.exit(f"{cmd[:4]} failed:\n{r.stderr[-3000:]}")
        wall, kb = t.read().split()[-2:]
    return float(wall), int(kb) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--recordings", type=int, default=10000)
    ap.add_argument("--per", type=int, default=190, help="segments per recording (default: 190, ~19 M at 100,000)")
    ap.add_argument("--folders", action="store_true", help="also time the fresh-folder path (slow)")
    ap.add_argument("--keep", type=Path, help="keep the source store and its export in this folder (reused when there)")
    a = ap.parse_args()
    from query_speed import generate

    cli = [sys.executable, str(ROOT / "cli.py")]
    with tempfile.TemporaryDirectory() as tmp:
        base = a.keep or Path(tmp)
        src, backup = base / "src" / "tb.duckdb", base / "backup"
        if not (backup / "manifest.json").exists():
            t = time.perf_counter()
            for first in range(0, a.recordings, 10000):  # in batches of 10,000, compacted after each (as ingest does)
                generate(src, min(10000, a.recordings - first), a.per, first, a.recordings)
                subprocess.run(cli + ["compact", "--db", str(src)], check=True, capture_output=True)
            subprocess.run(cli + ["export-db", str(backup), "--db", str(src)], check=True, capture_output=True)
            print(f"source: {a.recordings:,} recordings x {a.per} segments, generated, compacted and exported "
                  f"in {time.perf_counter() - t:.0f} s")
        size = sum(f.stat().st_size for f in backup.glob("*.parquet")) / 2**20
        print(f"backup: {size:,.0f} MB of Parquet; {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
              f"{time.strftime('%Y-%m-%d')}")
        print("| path | recordings | wall | peak RSS |\n|---|---|---|---|")
        runs = [("compacted", cli + ["import-db", str(backup), "--db", "{db}"])]
        if a.folders:
            runs.append(("folders", [sys.executable, "-c", FOLDERS, str(backup), "{db}"]))
        for name, cmd in runs:
            with tempfile.TemporaryDirectory(dir=base) as d:
                db = str(Path(d) / "tb.duckdb")
                wall, mb = timed([c.replace("{db}", db) for c in cmd])
                print(f"| {name} | {a.recordings:,} | {wall:.1f} s | {mb:,.0f} MB |", flush=True)


if __name__ == "__main__":
    main()

"""Writing and compacting one batch: ``--recordings`` calls stored as fresh folders, then ``toneboard
compact`` merging them into the compacted months, each in a fresh process timed by ``/usr/bin/time``
(wall clock, peak resident memory).

  write      query_speed.generate: the batch's rows made in DuckDB (held within 1 GB) and stored one
             folder per recording, as ingestion leaves them (the benchmark's writer, not the product's:
             ingestion writes one recording at a time)
  compact    toneboard compact --db DB: the product's merge of the fresh folders

With ``--before N``, a store of N recordings, already compacted, comes first (a year, then the day's
batch). Issue 27 asked for a 10,000-recording batch written and compacted under 1.5 GB.

  python benchmarks/batch_write.py [--recordings 10000] [--per 190] [--before 0]
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

from restore_speed import timed  # noqa: E402

WRITE = """
import sys
from pathlib import Path
sys.path[:0] = [sys.argv[1], sys.argv[1] + '/benchmarks']
from query_speed import generate
generate(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--recordings", type=int, default=10000)
    ap.add_argument("--per", type=int, default=190, help="segments per recording (default: 190)")
    ap.add_argument("--before", type=int, default=0, help="recordings stored and compacted before the batch")
    a = ap.parse_args()
    cli = [sys.executable, str(ROOT / "cli.py")]
    total = a.before + a.recordings
    print(f"{a.recordings:,} recordings x {a.per} segments after {a.before:,}; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}")
    print("| step | wall | peak RSS |\n|---|---|---|")
    with tempfile.TemporaryDirectory() as d:
        db = str(Path(d) / "tb.duckdb")
        for first in range(0, a.before, 10000):
            subprocess.run([sys.executable, "-c", WRITE, str(ROOT), db, str(min(10000, a.before - first)), str(a.per),
                            str(first), str(total)], check=True)
            subprocess.run(cli + ["compact", "--db", db], check=True, capture_output=True)
        steps = [("write", [sys.executable, "-c", WRITE, str(ROOT), db, str(a.recordings), str(a.per), str(a.before),
                            str(total)]),
                 ("compact", cli + ["compact", "--db", db])]
        for name, cmd in steps:
            wall, mb = timed(cmd)
            print(f"| {name} | {wall:.1f} s | {mb:,.0f} MB |", flush=True)


if __name__ == "__main__":
    main()

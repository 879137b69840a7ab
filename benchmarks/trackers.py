"""Trackers at scale (issue 31): counting and the weekly trend over a year of calls.

On the store of ``query_speed.py`` (N recordings of P segments; ``--keep DIR`` reuses one, e.g. the
store ``qa_scoring.py --keep`` wrote), in fresh processes as ``toneboard trackers`` runs them:

1. **Counting**: the shipped trackers (8, 6-35 phrases each, their spellings generated) counted on
   every call from nothing — seconds, calls per second, the peak resident memory; then again (nothing
   to do). Each run's trackers carry the run's stamp in their ids, so a store counted before is counted
   from nothing again (its earlier counts stay beside: the trend reads past them).
2. **The weekly trend** of one tracker over every call, and filtered to one team: p50 / p95 of
   ``--runs`` after a warm-up, in a reader that stays open (the dashboard's way). Target: p95 < 150 ms.
3. **The Trackers page** rendered (AppTest, the way the server runs it): p50 / p95.

    python benchmarks/trackers.py --recordings 100000 --keep /tmp/qa100k [--runs 20]
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")
os.environ.setdefault("TONEBOARD_TRACKERS", str(ROOT / "data" / "trackers.yaml"))


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, round(0.95 * len(xs)) - 1)]


def stamped() -> list:
    """The shipped trackers, their ids carrying this run's stamp (``TB_STAMP``)."""
    from dataclasses import replace

    from analytics.talk.trackers import load_trackers

    return [replace(t, id=f"{t.id}-{os.environ['TB_STAMP']}") for t in load_trackers()]


def count_child(db: Path) -> None:
    from analytics.talk.counts import count

    trackers = stamped()
    report = count(db, trackers)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    again = count(db, trackers)
    print(f"counted {len(trackers)} trackers on {report.calls // max(len(trackers), 1):,} calls in {report.seconds:.1f} s "
          f"({report.calls / max(report.seconds, 1e-9):,.0f} call-trackers per s); peak resident memory {peak:,.0f} MB; "
          f"again (nothing to do): {again.seconds:.2f} s", flush=True)
    print("  " + report.describe(), flush=True)


def trend_child(db: Path, runs: int) -> None:
    from analytics.db import Data
    from analytics.filters import Filter
    from analytics.talk import counts

    t = next(x for x in stamped() if x.id.startswith("delivery-"))
    data = Data(db)
    team = data.con.execute("SELECT value FROM metadata WHERE key = 'team' LIMIT 1").fetchone()
    for label, flt in (("every call", None), (f"team={team[0]}", Filter(metadata={"team": [team[0]]})) if team else (None, None)):
        if label is None:
            continue
        counts.trend(data.con, t, flt)  # warm-up
        ms = []
        for _ in range(runs):
            start = time.perf_counter()
            df = counts.trend(data.con, t, flt)
            ms.append(1000 * (time.perf_counter() - start))
        print(f"weekly trend of '{t.id}' ({label}; {int(df['n'].sum()):,} calls, {len(df)} weeks): "
              f"p50 {statistics.median(ms):.0f} ms, p95 {p95(ms):.0f} ms ({runs} runs)", flush=True)


def render_child(db: Path, runs: int) -> None:
    from page_render import server_times

    for page, times in server_times(db, runs, "en", pages=("trackers",), state={"tk_pick": "delivery"}).items():  # the shipped file's
        ms = [1000 * t for t in times]
        print(f"page {page}: p50 {statistics.median(ms):.0f} ms, p95 {p95(ms):.0f} ms ({runs} runs)", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--recordings", type=int, default=10000)
    ap.add_argument("--segments-per", type=int, default=60)
    ap.add_argument("--chunk", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--keep", type=Path, metavar="DIR", help="write the store in DIR and keep it (reused if there)")
    ap.add_argument("--count-child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--trend-child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--render-child", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.count_child:
        return count_child(a.count_child)
    if a.trend_child:
        return trend_child(a.trend_child, a.runs)
    if a.render_child:
        return render_child(a.render_child, a.runs)

    from query_speed import generate

    from analytics.db import compact
    from ingest.store import Store

    work = a.keep or Path(tempfile.mkdtemp())
    work.mkdir(parents=True, exist_ok=True)
    db = work / "bench.duckdb"
    if not Store(db).exists():
        t = time.perf_counter()
        for first in range(0, a.recordings, a.chunk):
            generate(db, min(a.chunk, a.recordings - first), a.segments_per, first=first, total=a.recordings)
            compact(db)
        print(f"store: {a.recordings:,} recordings of {a.segments_per} segments written in {time.perf_counter() - t:.0f} s", flush=True)
    os.environ["TB_STAMP"] = datetime.now().strftime("%Y%m%d%H%M%S")
    print(f"{os.cpu_count()} cores, {datetime.now():%Y-%m-%d}", flush=True)
    for child in ("--count-child", "--trend-child", "--render-child"):
        subprocess.run([sys.executable, __file__, child, str(db), "--runs", str(a.runs)], check=True)
    if a.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

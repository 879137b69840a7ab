"""Topics at scale and how stable they are (issue 31).

1. **Speed and memory** on the store of ``query_speed.py`` (``--keep DIR``: N calls of 60 lines, the
   customer's half of them read), in a fresh process as ``toneboard topics`` runs it: seconds to read
   the documents, to find the topics (k chosen 8-20), the process's peak resident memory. Target:
   10,000 calls in < 2 minutes and < 1 GB on 2 cores.
2. **Planted topics** (``--planted N``: calls of ``tests/topic_calls.py``, eight things customers talk
   about in Chinese and English, many phrasings each, refunds rising in the last week; written at the
   recogniser's boundary): the adjusted Rand index against the planted (topic, language), whether the
   rise is found, the seconds; **stability**: ARI of the calls' topics between seed 0 and 4 other seeds,
   and between the whole run and runs on 90 % of the calls (a different sample per seed: the harder test,
   since the seeded start alone moves little); false alarms: rising topics on stores where nothing rose.

    python benchmarks/topics.py --keep /tmp/qa10k            # speed and memory
    python benchmarks/topics.py --planted 10000 [--seed 31] [--filler 25 --no-stability] [--keep DIR]  # quality, stability
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def speed_child(db: Path) -> None:
    from analytics.db import Data
    from analytics.talk import topics

    t0 = time.perf_counter()
    data = Data(db)
    docs = topics.documents(data.con, topics.period(data.con, 520))
    t1 = time.perf_counter()
    run = topics.find(docs)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{len(docs):,} calls ({docs['text'].str.len().sum() / 1e6:.1f} M characters on the customer's side): read in "
          f"{t1 - t0:.1f} s, {len(run.topics)} topics found in {run.seconds:.1f} s; total {time.perf_counter() - t0:.1f} s; "
          f"peak resident memory {peak:,.0f} MB", flush=True)


def planted(n: int, seed: int, filler: int = 1, stability: bool = True, keep: Path | None = None) -> None:
    import numpy as np
    from qa_calls import write
    from sklearn.metrics import adjusted_rand_score
    from topic_calls import planted as make

    from analytics.db import Data
    from analytics.talk import topics
    from ingest.store import Store

    work = keep or Path(tempfile.mkdtemp())
    work.mkdir(parents=True, exist_ok=True)
    calls, truth = make(n, seed, rising="refund", filler=filler)
    if not Store(work / "t.duckdb").exists():
        t = time.perf_counter()
        write(work / "t.duckdb", calls).close()
        print(f"{n:,} planted calls ({filler} filler line(s) of the customer's each) written in {time.perf_counter() - t:.0f} s",
              flush=True)
    # time and memory of finding them, in a fresh process as `toneboard topics` runs it
    subprocess.run([sys.executable, __file__, "--speed-child", str(work / "t.duckdb")], check=True)
    lang = {c.recording_id: "zh" if re.search("[\u4e00-\u9fff]", c.lines[2].text) else "en" for c in calls}
    docs = topics.documents(Data(work / "t.duckdb").con)
    run = topics.find(docs, seed=0)
    ids = list(run.assignment)
    ari = adjusted_rand_score([truth[i] + lang[i] for i in ids], [run.assignment[i] for i in ids])
    risen = [" · ".join(run.topics[r["topic"]].phrases[:3]) for r in run.rising]
    print(f"found {len(run.topics)} topics in {run.seconds:.1f} s; ARI against the planted (topic, language): {ari:.3f}; "
          f"rising: {risen}", flush=True)
    if not stability:
        return
    seeds = []
    for s in (1, 2, 3, 4):
        other = topics.find(docs, len(run.topics), seed=s).assignment
        seeds.append(adjusted_rand_score([run.assignment[i] for i in ids], [other[i] for i in ids]))
    print("stability, seeds 1-4 against seed 0 (same calls): " + ", ".join(f"{x:.3f}" for x in seeds), flush=True)
    subs = []
    for s in (1, 2, 3, 4, 5):
        keep = np.random.default_rng(s).random(len(docs)) < 0.9
        part = topics.find(docs[keep].reset_index(drop=True), len(run.topics), seed=s)
        common = [i for i in part.assignment if i in run.assignment]
        subs.append(adjusted_rand_score([run.assignment[i] for i in common], [part.assignment[i] for i in common]))
    print("stability, 90 % of the calls (5 samples and seeds) against the whole: " + ", ".join(f"{x:.3f}" for x in subs), flush=True)
    alarms = 0
    for s in range(seed + 1, seed + 6):
        calm, _ = make(max(400, n // 10), s)
        db = work / f"calm{s}.duckdb"
        write(db, calm).close()
        alarms += len(topics.find(topics.documents(Data(db).con)).rising)
    print(f"false alarms: {alarms} rising topic(s) on 5 stores of {max(400, n // 10):,} calls where nothing rose", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", type=Path, help="a store of query_speed.py's (made there if missing: --recordings)")
    ap.add_argument("--recordings", type=int, default=10000)
    ap.add_argument("--planted", type=int, default=0)
    ap.add_argument("--seed", type=int, default=31)
    ap.add_argument("--filler", type=int, default=1, help="the customer's filler lines per call (a long call: 25)")
    ap.add_argument("--no-stability", action="store_true")
    ap.add_argument("--speed-child", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.speed_child:
        return speed_child(a.speed_child)
    print(f"{os.cpu_count()} cores, {datetime.now():%Y-%m-%d}", flush=True)
    if a.keep and not a.planted:
        from query_speed import generate

        from analytics.db import compact
        from ingest.store import Store
        db = a.keep / "bench.duckdb"
        if not Store(db).exists():
            a.keep.mkdir(parents=True, exist_ok=True)
            generate(db, a.recordings, 60, first=0, total=a.recordings)
            compact(db)
        subprocess.run([sys.executable, __file__, "--speed-child", str(db)], check=True)
    if a.planted:
        planted(a.planted, a.seed, a.filler, not a.no_stability, a.keep if a.planted and a.keep else None)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "benchmarks"))
    main()

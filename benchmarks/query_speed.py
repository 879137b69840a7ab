"""Dashboard query speed on a large store: 10,000 or 100,000 recordings of 200 segments (generated).

Writes a real store in batches (fresh folders per recording, as ingestion does; DuckDB's
partitioned writer makes it fast), compacting after each batch as ingest does, then measures in a
fresh process, as a dashboard starts: the reader's cold start, a no-change refresh, each dashboard
query's p50/p95 over repeated runs, and the reader's peak resident memory; then a CLI report.
Targets (issue 16): cold start < 3 s, every query p95 < 150 ms, reader peak < 1.5 GB, report < 15 s.

The baseline: some of the same questions in plain SQL over the store's views, as any DuckDB client
opens it (``duckdb.connect(DB, read_only=True)``).
    python benchmarks/query_speed.py [--recordings 10000] [--segments-per 200] [--chunk 10000] [--runs 15]
"""
from __future__ import annotations

import argparse
import hashlib
import os
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

import duckdb  # noqa: E402

from ingest.store import Store, schema  # noqa: E402


def rid_sql(n: str) -> str:
    """The id of generated recording ``n``: a SHA-256 in hex, as ingest's ids are (so ids say
    nothing about time: a store sorted by id is not sorted by date)."""
    return f"sha256('call-' || ({n})::VARCHAR)"


def rid(n: int) -> str:
    return hashlib.sha256(f"call-{n}".encode()).hexdigest()


def generate(db: Path, n_rec: int, per: int, first: int = 0, total: int | None = None) -> None:
    """Write recordings ``first`` .. ``first + n_rec - 1`` of a store of ``total`` (default n_rec) as
    fresh folders, as ingestion does. Their calls are spread evenly over max(90 days, total / 400
    days) up to 2026-11-24 18:00 in id order (400 calls a day: the chain of the founding story), so
    a chunk written later is a later stretch of time, like a day's batch."""
    total = total or n_rec
    span_h = max(2160.0, total / 400 * 24)
    store = Store(db)
    store.init()
    stage = Path(tempfile.mkdtemp(dir=db.parent))
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    # the batch's rows held within 1 GB, the rest spilled beside the store (unlimited, DuckDB took
    # 80 % of the machine: 3.2 GB for 10,000 recordings)
    con.execute("SET memory_limit = '1GB'")
    con.execute(f"SET temp_directory = '{stage / 'spill'}'")
    n_seg = n_rec * per
    con.execute(f"""
        CREATE TABLE recordings AS SELECT
          {rid_sql('i')} AS recording_id, '/calls/' || i || '.wav' AS path, i || '.wav' AS filename,
          1000000::BIGINT AS size_bytes, 'wav' AS format, 'pcm_s16le' AS codec, {per} * 3.2 AS duration_s,
          16000 AS sample_rate, 2 AS channels, 2 AS analysed_channels, FALSE AS mixed,
          ['sales', 'service', 'class'][1 + i % 3] AS kind,
          CASE WHEN i % 3 = 0 THEN ['won', 'lost'][1 + (i // 3) % 2] END AS outcome, 'bench' AS batch_id,
          TIMESTAMP '2026-11-24 18:00:00' - to_seconds((({total} - 1 - i) * {span_h} / {total} * 3600)::BIGINT) AS recorded_at,
          'manifest' AS recorded_at_source,
          'auto' AS language_requested, 'bench' AS model_id, NULL::VARCHAR AS model_revision, '1.0' AS pipeline_version,
          'silero' AS vad, now()::TIMESTAMP AS ingested_at, {per} AS n_segments, {per} * 2.5 AS speech_s, 2 AS schema_version
        FROM range({first}, {first + n_rec}) t(i)""")
    # a pool of everyday call sentences in the five languages (a word is in a few % of segments); a
    # number goes before each, so a question still ends with its question mark (classes have stuck points)
    con.execute("""CREATE TABLE sentences AS SELECT [
        '请问您的订单号是多少？', '我帮您查一下', '这个问题我们会尽快处理', '好的明白了', '还有其他问题吗', '价格方面可以再谈',
        '我们下周可以安排上线', '这个功能很多客户在用', '已经三天了还没收到', '您好，很高兴为您服务',
        'could you give me your order number', 'let me check that for you', 'we will fix this quickly',
        'okay I understand', 'anything else I can help with', 'we can talk about pricing', 'we could go live next week',
        'many customers use this feature', 'it has been three days and nothing arrived', 'hello, thank you for calling',
        '你張單號碼係幾多', '我幫你睇下', '我哋會盡快處理', 'ご注文番号を教えてください', '確認いたします', 'すぐに対応します',
        '주문 번호를 알려주세요', '확인해 드리겠습니다', '빨리 처리하겠습니다', '다른 질문 있으세요'] AS lines""")
    con.execute(f"""
        CREATE TABLE segments AS SELECT
          {rid_sql(f'i // {per}')} AS recording_id, (i % 2)::INT AS channel,
          CASE WHEN (i // {per}) % 3 = 2 THEN ['teacher', 'student'][1 + i % 2] ELSE ['agent', 'customer'][1 + i % 2] END AS role,
          (i % {per})::INT AS seg_index, (i % {per}) * 3.2 AS start_s, (i % {per}) * 3.2 + 2.5 AS end_s, 2.5 AS duration_s,
          ['zh', 'en', 'yue', 'ja', 'ko'][1 + (i // {per}) % 5] AS language,
          ['NEUTRAL', 'NEUTRAL', 'NEUTRAL', 'HAPPY', 'SAD', 'ANGRY', 'SURPRISED', 'NEUTRAL'][(1 + hash(i) % 8)::BIGINT] AS emotion,
          0.8 AS emotion_confidence,
          CASE WHEN hash(i * 7) % 23 = 0 THEN ['LAUGHTER'] WHEN hash(i * 7) % 29 = 0 THEN ['COUGH']
               WHEN hash(i * 7) % 31 = 0 THEN ['BGM'] ELSE [] END::VARCHAR[] AS events, TRUE AS itn,
          CASE WHEN i % 97 = 0 THEN '我们的数据看板支持自定义维度'
               ELSE (i % 1000)::VARCHAR || ' ' || (SELECT list_extract(lines, (1 + hash(i * 3) % len(lines))::BIGINT) FROM sentences)
          END AS text,
          '' AS raw_text, -25.0 + (hash(i) % 10)::DOUBLE AS loudness_dbfs, 3.5 AS speaking_rate, 'chars/s' AS rate_unit,
          'bench' AS model_id, NULL::VARCHAR AS model_revision, '1.0' AS pipeline_version
        FROM range({first * per}, {first * per + n_seg}) t(i)""")
    con.execute("""CREATE TABLE pauses AS SELECT recording_id, -1 AS channel, 'all' AS role, end_s AS start_s,
                   end_s + 0.7 + (hash(seg_index) % 5)::DOUBLE AS end_s, 0.7 + (hash(seg_index) % 5)::DOUBLE AS duration_s,
                   seg_index AS after_seg_index FROM segments WHERE seg_index % 4 = 0""")
    con.execute("""CREATE TABLE metadata AS SELECT recording_id, 'team' AS key,
                   ['Shenzhen', 'Beijing', 'Tokyo', 'Seoul'][(1 + hash(recording_id) % 4)::BIGINT] AS value FROM recordings
                   UNION ALL SELECT recording_id, 'agent', 'agent-' || (hash(recording_id) % 40) FROM recordings""")
    con.execute("""CREATE TABLE speakers AS SELECT recording_id, 'S' || (channel + 1) AS speaker, channel,
                   any_value(role) AS role, 'channel' AS role_source, NULL::VARCHAR AS name, NULL::DOUBLE AS similarity,
                   sum(duration_s) AS talk_s, count(*)::INT AS segments FROM segments GROUP BY recording_id, channel""")
    for table in schema.PER_RECORDING:
        con.execute(f"COPY (SELECT * FROM {table}) TO '{stage / f'part-{table}'}' (FORMAT parquet, PARTITION_BY (recording_id), "
                    "WRITE_PARTITION_COLUMNS true)")
    for part in (stage / "part-recordings").iterdir():  # each recording stored whole, as ingestion does
        rid = part.name.split("=", 1)[1]
        store.put_recording(rid, lambda t, dest, p=part.name: os.replace(next((stage / f"part-{t}" / p).glob("*.parquet")), dest))
    con.close()
    shutil.rmtree(stage)
    store.close()


RID42 = rid(42)

# plain SQL over the store's own views, answering the same questions as toneboard's queries
PLAIN = {
    "sessions table (7 days, service)": """
        SELECT r.recording_id, r.filename, r.recorded_at, r.duration_s, arg_max(e.emotion, e.d) AS dominant,
               coalesce(sum(e.d) FILTER (e.emotion = 'ANGRY'), 0) / 60 AS angry_min
        FROM recordings r JOIN (SELECT s.recording_id, s.emotion, sum(s.duration_s) AS d
                                FROM segments s JOIN recordings r USING (recording_id)
                                WHERE r.kind = 'service' AND r.recorded_at >= TIMESTAMP '2026-11-17 18:00'
                                GROUP BY ALL) e USING (recording_id)
        GROUP BY ALL ORDER BY r.recorded_at DESC""",
    "timeline (one recording)": f"""
        SELECT * FROM (SELECT 'segment' AS item, channel, role, seg_index, start_s, end_s, emotion, events, text
                       FROM segments WHERE recording_id = '{RID42}'
                       UNION ALL BY NAME
                       SELECT 'pause' AS item, channel, role, NULL AS seg_index, start_s, end_s
                       FROM pauses WHERE recording_id = '{RID42}') ORDER BY start_s, item DESC, channel""",
    "search words (all)": """
        SELECT recording_id, seg_index, start_s, text FROM segments
        WHERE regexp_matches(lower(text), '\\border number\\b') ORDER BY recording_id, seg_index""",
    "heatmap: hour x weekday (ANGRY)": """
        SELECT dayofweek(r.recorded_at) AS weekday, hour(r.recorded_at) AS hour,
               count(DISTINCT r.recording_id) FILTER (s.emotion = 'ANGRY') AS with_tag,
               count(DISTINCT r.recording_id) AS recordings
        FROM recordings r JOIN segments s USING (recording_id) GROUP BY ALL""",
}


def p95(xs: list[float]) -> float:
    """The 95th percentile, nearest rank (the benchmarks' p95)."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]


def _hwm_mb() -> float:
    """This process's peak resident memory (VmHWM, not ru_maxrss: a process started by fork + exec
    inherits its parent's ru_maxrss)."""
    status = Path("/proc/self/status").read_text().splitlines()
    return next(int(ln.split()[1]) for ln in status if ln.startswith("VmHWM")) / 1024


def timed(fn, runs: int) -> tuple[float, float]:
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t) * 1000)
    return statistics.median(ts), p95(ts)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--recordings", type=int, default=10000)
    ap.add_argument("--segments-per", type=int, default=200)
    ap.add_argument("--chunk", type=int, default=10000, help="recordings per ingest batch (compacted after each)")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--plain-runs", type=int, default=3, help="runs of each baseline query (slow)")
    ap.add_argument("--keep", type=Path, metavar="DIR",
                    help="write the store in DIR and keep it; if DIR has one already, measure it without writing")
    ap.add_argument("--reader", type=Path, help=argparse.SUPPRESS)  # the child process that measures a reader
    a = ap.parse_args()
    if a.reader:
        return read(a.reader, a.runs)
    from analytics.db import compact
    from ingest.store import Store

    work = a.keep or Path(tempfile.mkdtemp())
    work.mkdir(parents=True, exist_ok=True)
    db = work / "bench.duckdb"
    reuse = a.keep is not None and Store(db).exists()
    if reuse:
        print(f"measuring the store kept in {work} (not written again)", flush=True)
    t = time.perf_counter()
    gen_s, compactions = 0.0, []
    for first in range(0, 0 if reuse else a.recordings, a.chunk):
        n = min(a.chunk, a.recordings - first)
        t = time.perf_counter()
        generate(db, n, a.segments_per, first=first, total=a.recordings)
        gen_s += time.perf_counter() - t
        r = compact(db)
        compactions.append(r.seconds)
        print(f"  batch {first // a.chunk + 1}: {n:,} recordings written in {time.perf_counter() - t - r.seconds:.0f} s, "
              f"compacted in {r.seconds:.1f} s ({len(r.months)} months rewritten, {r.linked} files kept)", flush=True)
    size = sum({(st := f.stat()).st_ino: st.st_size for f in work.rglob("*") if f.is_file()}.values())  # hard links once
    compactions = compactions or [0.0]
    print(f"store: {a.recordings:,} recordings, {a.recordings * a.segments_per:,} segments, {size / 1e6:,.0f} MB on disk "
          f"(written in {gen_s:.0f} s); compaction per batch of {a.chunk:,}: first {compactions[0]:.1f} s, "
          f"last {compactions[-1]:.1f} s; writer's peak resident memory {_hwm_mb():.0f} MB; "
          f"{os.cpu_count()} cores; {datetime.now():%Y-%m-%d}", flush=True)
    subprocess.run([sys.executable, __file__, "--reader", str(db), "--runs", str(a.runs)], check=True)
    t = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "cli.py"), "report", "--db", str(db), "--out", str(work / "r.html")],
                   check=True, stdout=subprocess.DEVNULL)
    print(f"CLI report (all recordings): {time.perf_counter() - t:.1f} s (target < 15 s)")
    plain = duckdb.connect(str(db), read_only=True)
    print(f"\nbaseline: plain SQL over the store's views (as any DuckDB client opens it), p50 of {a.plain_runs}")
    print(f"{'query':<42} {'plain ms':>9}")
    for name, sql in PLAIN.items():
        plain.execute(sql).fetchall()  # warm-up (file metadata cached by the OS)
        p50, _ = timed(lambda sql=sql: plain.execute(sql).fetchall(), a.plain_runs)
        print(f"{name:<42} {p50:9.0f}")
    plain.close()
    if a.keep is None:
        shutil.rmtree(work, ignore_errors=True)


def read(db: Path, runs: int) -> None:
    """A reader in a fresh process, as the dashboard starts: cold start, every query, peak memory."""
    t = time.perf_counter()
    from analytics import classroom, compare, heatmaps, metrics, reactions, search, tickets, timeline
    from analytics.db import Data
    from analytics.filters import Filter

    print(f"imports: {time.perf_counter() - t:.2f} s")
    a = argparse.Namespace(runs=runs)
    t = time.perf_counter()
    data = Data(db)
    print(f"reader cold start (open the store): {time.perf_counter() - t:.2f} s")
    p50, p95 = timed(data.refresh, 5)
    print(f"refresh with nothing new: p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    con = data.con
    week = Filter(since=datetime(2026, 11, 17, 18, 0))
    month = datetime(2026, 10, 25, 18, 0)
    svc_week = Filter(since=datetime(2026, 11, 17, 18, 0), kinds=["service"])
    rid = RID42
    queries = {
        # as the sessions page asks: the newest 2,000 and the count (export has them all)
        "sessions table (7 days, service)": lambda: metrics.recent_sessions(con, svc_week),
        "sessions table (all, tag ANGRY)": lambda: metrics.recent_sessions(con, Filter(tags=["ANGRY"])),
        "timeline (one recording)": lambda: timeline.timeline(con, rid),
        "rich text (one recording)": lambda: timeline.rich_text(con, rid),
        "heatmap: recordings x time (7 days)": lambda: heatmaps.time_profile(con, week, value="valence"),
        "heatmap: hour x weekday (ANGRY)": lambda: heatmaps.hour_weekday(con, "ANGRY"),
        "heatmap: team x tag": lambda: heatmaps.by_metadata(con, "team"),
        "heatmap: co-occurrence (7 days)": lambda: heatmaps.cooccurrence(con, week),
        "compare won vs lost (all)": lambda: compare.compare_cohorts(con),
        "phrase -> reaction (all)": lambda: reactions.phrase_reactions(con, "数据看板", speaker_role="agent"),
        "phrase -> reaction (30 days)": lambda: reactions.phrase_reactions(con, "数据看板", Filter(since=month),
                                                                           speaker_role="agent"),
        "phrase -> reaction (all, 15 s window)": lambda: reactions.phrase_reactions(con, "数据看板", speaker_role="agent",
                                                                                    window_s=15),
        "phrase -> reaction (30 days, 15 s window)": lambda: reactions.phrase_reactions(con, "数据看板", Filter(since=month),
                                                                                    speaker_role="agent", window_s=15),
        "search CJK (7 days)": lambda: search.search(con, "订单号", week),
        "search words (all)": lambda: search.search(con, "order number"),
        "conversation metrics (7 days, service)": lambda: metrics.conversation_metrics(con, svc_week),
        "stuck points (7 days)": lambda: classroom.stuck_points(con, Filter(since=week.since, kinds=["class"])),
        "tickets (open)": lambda: tickets.tickets(con, statuses=["open"]),
    }
    print(f"{'query':<42} {'p50 ms':>8} {'p95 ms':>8}")
    worst = 0.0
    for name, fn in queries.items():
        fn()  # warm-up
        p50, p95 = timed(fn, a.runs)
        worst = max(worst, p95)
        print(f"{name:<42} {p50:8.1f} {p95:8.1f}{'  > 150 ms' if p95 > 150 else ''}")
    print(f"slowest p95: {worst:.0f} ms (target < 150 ms)")
    print(f"reader peak resident memory: {_hwm_mb():.0f} MB (target < 1536 MB)")
    data.con.close()


if __name__ == "__main__":
    main()

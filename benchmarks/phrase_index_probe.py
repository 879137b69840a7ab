"""Would an index of words make a year's phrase -> reaction fast? A probe, not a feature.

Builds, beside a store kept by ``query_speed.py --keep``, two positional indexes of its compacted
segment files (one file per segment file, sorted by token: CJK characters one token each, other
runs of letters and digits one token), and times the two steps a phrase question would take with
them, against today's scan of the same files:

- postings ``(token, row, pos)``: the phrase's segments are those where its tokens stand in order;
  their reaction columns are then fetched from the segment files by row number;
- postings with the reaction columns copied into every posting (role, gap, tags): no fetch.

Usage: ``.venv/bin/python benchmarks/phrase_index_probe.py --store /tmp/q100k/bench.duckdb``
(the index files go to a temporary folder, removed at the end). Results in BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from analytics.filters import NORM_TEXT_MACRO, TEXT_SIG_MACRO  # noqa: E402
from ingest.store import Store  # noqa: E402

TOKENS = r"[\p{Han}\p{Hiragana}\p{Katakana}]|[^\s\p{Han}\p{Hiragana}\p{Katakana}]+"
PHRASE = "数据看板"  # query_speed's phrase: in 1 % of all segments


def timed(con, sql: str, params: list, runs: int) -> tuple[float, tuple]:
    times, row = [], None
    for _ in range(runs):
        t = time.perf_counter()
        row = con.execute(sql, params).fetchone()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, required=True, help="a store's .duckdb file (query_speed.py --keep)")
    ap.add_argument("--runs", type=int, default=7)
    a = ap.parse_args()
    store = Store(a.store)
    files = store.compacted_files(store.generation(), "segments")
    if not files:
        sys.exit("no compacted segments in that store")
    out = Path(tempfile.mkdtemp(prefix="phrase-index-"))
    con = duckdb.connect()
    con.execute("SET parquet_metadata_cache = true")
    con.execute(NORM_TEXT_MACRO)
    con.execute(TEXT_SIG_MACRO)
    try:
        plain, rich = [], []
        t0 = time.perf_counter()
        for i, f in enumerate(files):
            tokens = f"""SELECT {i}::USMALLINT AS file, tok AS token, row::UINTEGER AS row, pos::USMALLINT AS pos,
                                role, react_gap_s::FLOAT AS gap, react_mask FROM (
                           SELECT file_row_number AS row, unnest(toks) AS tok, generate_subscripts(toks, 1) AS pos,
                                  role, react_gap_s, react_mask
                           FROM (SELECT file_row_number, regexp_extract_all(norm_text(text), '{TOKENS}') AS toks, role,
                                        react_gap_s, react_mask FROM read_parquet(?, file_row_number = true)))"""
            con.execute(f"CREATE OR REPLACE TEMP TABLE t AS {tokens}", [f])
            plain.append(str(out / f"plain{i:03d}.parquet"))
            rich.append(str(out / f"rich{i:03d}.parquet"))
            con.execute(f"COPY (SELECT file, token, row, pos FROM t ORDER BY token, row, pos) TO '{plain[-1]}' "
                        "(FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION V2)")
            con.execute(f"COPY (SELECT * FROM t ORDER BY token, row, pos) TO '{rich[-1]}' "
                        "(FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION V2)")
        build = time.perf_counter() - t0
        mb = lambda names: sum(Path(n).stat().st_size for n in names) / 1e6  # noqa: E731
        print(f"{len(files)} segment files, {mb(files):.0f} MB; indexes built in {build:.0f} s: "
              f"postings {mb(plain):.0f} MB, postings with reactions {mb(rich):.0f} MB")
        chars = list(PHRASE)
        listed = ", ".join(f"'{c}'" for c in chars)
        anchor = " ".join(f"WHEN '{c}' THEN {k}" for k, c in enumerate(chars))

        def match(payload: bool) -> str:
            """The rows where the phrase's tokens stand in order (with the first token's reaction columns)."""
            first = f"FILTER (token = '{chars[0]}')"
            cols = "".join(f", any_value({c}) {first} AS {c}" for c in ("role", "gap", "react_mask")) if payload else ""
            return f"""SELECT file, row{cols} FROM (SELECT *, pos - CASE token {anchor} END AS start FROM read_parquet(?)
                                                  WHERE token IN ({listed}))
                       GROUP BY file, row, start HAVING count(DISTINCT token) = {len(chars)}"""
        exists = " AND ".join(f"EXISTS (SELECT 1 FROM p q WHERE q.token = '{c}' AND q.file = p1.file AND q.row = p1.row "
                              f"AND q.pos = p1.pos + {k})" for k, c in enumerate(chars) if k)
        rows = [
            ("today: the scan (signature, role, text)",
             f"SELECT count(*), sum(react_gap_s), sum(react_mask) FROM read_parquet(?) WHERE "
             f"(text_sig & text_sig('{PHRASE}')) = text_sig('{PHRASE}') AND role = 'agent' AND contains(lower(text), '{PHRASE}')",
             [files]),
            ("postings: the phrase's rows (any speaker)", f"SELECT count(*) FROM ({match(False)})", [plain]),
            ("postings: rows, then reactions fetched by row",
             f"""WITH m AS ({match(False)}) SELECT count(*), sum(s.react_gap_s), sum(s.react_mask)
                 FROM read_parquet(?, file_row_number = true, filename = true) s
                 JOIN (SELECT (?::VARCHAR[])[file + 1] AS f, row FROM m) m ON s.filename = m.f AND s.file_row_number = m.row
                 WHERE s.role = 'agent'""", [plain, files, files]),
            ("postings with reactions (group by start)",
             f"SELECT count(*), sum(gap), sum(react_mask) FROM ({match(True)}) WHERE role = 'agent'", [rich]),
            ("postings with reactions (EXISTS per token)",
             f"""WITH p AS (SELECT * FROM read_parquet(?) WHERE token IN ({listed}))
                 SELECT count(*), sum(gap), sum(react_mask) FROM p p1 WHERE p1.token = '{chars[0]}' AND p1.role = 'agent' AND {exists}""",
             [rich]),
        ]
        for label, sql, params in rows:
            timed(con, sql, params, 1)
            ms, row = timed(con, sql, params, a.runs)
            print(f"{label:<48} {ms:7.1f} ms  {row}")
    finally:
        con.close()
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()

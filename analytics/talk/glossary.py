"""The glossary applied to stored calls (``toneboard glossary apply``): every segment corrected again
from what was recognised (``heard_text`` where an earlier glossary changed it, else the text), so a
term added is found in old calls and a term removed gives the heard words back; the recordings that
change are written again (``ingest.store.retention.rewrite_recording``) and compacted. Human
corrections and everything else about a call stay as they are."""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingest import glossary
from ingest.store import Store, StoreError
from ingest.store.retention import rewrite_recording

from ..db import compact
from .counts import count

CHUNK = 5000  # recordings read at once


@dataclass
class GlossaryReport:
    segments: int = 0                # segments whose text changed (or came back)
    recordings: list[str] = field(default_factory=list)
    fixes: dict[str, int] = field(default_factory=dict)  # "from -> to" -> times
    seconds: float = 0.0

    def describe(self) -> str:
        if not self.recordings:
            return "every stored call already reads as the glossary says: nothing to change"
        top = ", ".join(f"{k} ({n})" for k, n in sorted(self.fixes.items(), key=lambda kv: -kv[1])[:8])
        return (f"{self.segments} segment(s) in {len(self.recordings)} call(s) corrected in {self.seconds:.1f} s"
                + (f": {top}" if top else " (terms removed: the heard words are back)"))


def apply(db: str | Path, terms: list[glossary.Term] | None = None, dry_run: bool = False,
          on_progress: Callable[[int, int], None] | None = None) -> GlossaryReport:
    started, report = time.perf_counter(), GlossaryReport()
    terms = glossary.current() if terms is None else terms
    store = Store(db)
    if not store.exists():
        raise StoreError(f"no database at {db}")
    con = store.views(duckdb.connect())
    try:
        ids = [r for (r,) in con.execute("SELECT recording_id FROM recordings ORDER BY 1").fetchall()]
        for i in range(0, len(ids), CHUNK):
            chunk = ids[i:i + CHUNK]
            rows = con.execute("SELECT recording_id, seg_index, text, heard_text, glossary_fixes FROM segments "
                               "WHERE recording_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY 1, 2", [chunk]).fetchall()
            changed: dict[str, list[tuple]] = {}
            for rid, seg, text, heard, fixes in rows:
                base = heard if heard is not None else text
                new = glossary.fixed_fields(base, terms)
                if (new["text"], new["heard_text"], new["glossary_fixes"]) != (text, heard, fixes):
                    changed.setdefault(rid, []).append((rid, seg, new["text"], new["heard_text"], new["glossary_fixes"]))
                    for f in json.loads(new["glossary_fixes"] or "[]"):
                        key = f"{f['from']} -> {f['to']}"
                        report.fixes[key] = report.fixes.get(key, 0) + 1
            report.segments += sum(map(len, changed.values()))
            report.recordings += list(changed)
            if not dry_run and changed:
                con.execute("CREATE OR REPLACE TEMP TABLE _fix (recording_id VARCHAR, seg_index INTEGER, text VARCHAR, "
                            "heard_text VARCHAR, glossary_fixes VARCHAR)")
                con.executemany("INSERT INTO _fix VALUES (?, ?, ?, ?, ?)", [r for rs in changed.values() for r in rs])
                for rid in changed:
                    rewrite_recording(store, con, rid, """
                        SELECT s.* REPLACE (CASE WHEN f.seg_index IS NULL THEN s.text ELSE f.text END AS text,
                                            CASE WHEN f.seg_index IS NULL THEN s.heard_text ELSE f.heard_text END AS heard_text,
                                            CASE WHEN f.seg_index IS NULL THEN s.glossary_fixes ELSE f.glossary_fixes END
                                            AS glossary_fixes)
                        FROM segments s LEFT JOIN _fix f USING (recording_id, seg_index) WHERE s.recording_id = ?""")
            if on_progress:
                on_progress(min(i + CHUNK, len(ids)), len(ids))
    finally:
        con.close()
        store.close()
    if report.recordings and not dry_run:
        compact(db)
        count(db, recount=report.recordings)  # the trackers heard the old words in them
    report.seconds = time.perf_counter() - started
    return report

"""Keeping recordings no longer than needed: a policy per kind of recording (``data/retention.yaml``,
or ``TONEBOARD_RETENTION``), for example

    service: {audio_days: 90, transcripts_days: 365}
    sales: {audio_days: 365}

applied after every batch and by ``toneboard retention apply [--dry-run]``, fresh and compacted
recordings alike. Past ``audio_days`` the audio the store keeps (uploads, live calls) is deleted;
audio in the user's own folders (ingested by path) is never touched: it is counted and said. Past
``transcripts_days`` what was said (``segments.text`` and ``raw_text``) is blanked: the recording is
written again as a fresh folder without it (readers take it at once; the next compaction replaces the
month's rows, and the old generation leaves the disk after its grace time). The segments' times,
tags, loudness and every statistic stay. Each application that changes something is written to the
audit (``retention``). No policy file: nothing is deleted."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from ..records import KINDS
from . import Store, StoreError, layout, schema
from .backup import _views

ENV = "TONEBOARD_RETENTION"
DEFAULT = Path(__file__).resolve().parents[2] / "data" / "retention.yaml"
MAX_DAYS = 36500
KEEPS = ("audio_days", "transcripts_days")


@dataclass
class RetentionReport:
    deleted: list[str] = field(default_factory=list)  # recordings whose kept audio went (or would go)
    files: int = 0
    outside: int = 0  # past their age, but their audio is in the user's own folders: not touched
    blanked: list[str] = field(default_factory=list)  # recordings whose transcript went (or would go)

    def describe(self, dry_run: bool) -> list[str]:
        verb = "would delete" if dry_run else "deleted"
        out = [f"retention: {verb} the audio of {len(self.deleted)} recordings ({self.files} files) and the "
               f"transcripts of {len(self.blanked)}"]
        if self.outside:
            out.append(f"  {self.outside} more are past their age but their audio is in your own folders (not touched)")
        return out


def load_policy(path: Path | str | None = None) -> dict[str, dict[str, int]]:
    """Days to keep audio and transcripts, per kind ({kind: {"audio_days": n, ...}}); {} without a
    policy file. ValueError for a bad one."""
    import yaml

    path = Path(path or os.environ.get(ENV) or DEFAULT)
    if not path.is_file():
        return {}
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise ValueError(f"{path}: not YAML ({e})") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: a kind per line, such as 'service: {{audio_days: 90}}'")
    policy = {}
    for kind, rule in raw.items():
        if kind not in KINDS:
            raise ValueError(f"{path}: {kind!r} is not a kind ({', '.join(KINDS)})")
        if not isinstance(rule, dict) or not rule or set(rule) - set(KEEPS):
            raise ValueError(f"{path}: {kind}: give audio_days and/or transcripts_days")
        for key, days in rule.items():
            if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_DAYS:
                raise ValueError(f"{path}: {kind}: {key} is a whole number of days from 1 to {MAX_DAYS}")
        policy[kind] = dict(rule)
    return policy


def apply(db: Path, policy: dict[str, dict[str, int]], now: datetime | None = None, dry_run: bool = False,
          by: str = "retention") -> RetentionReport:
    """Delete the kept audio and blank the transcripts of recordings past their kind's ages (see
    the module)."""
    report = RetentionReport()
    if not policy:
        return report
    store = Store(db)
    if not store.exists():
        raise StoreError(f"no database at {db}")
    now = now or datetime.now()
    con = _views(store)
    try:
        kept = [store.uploads().resolve(), store.live_audio().resolve()]
        for kind, keep in sorted(policy.items()):
            if "transcripts_days" in keep:
                report.blanked += [r for (r,) in con.execute(
                    "SELECT recording_id FROM recordings r WHERE kind = ? AND recorded_at < ? AND EXISTS (SELECT 1 FROM "
                    "segments s WHERE s.recording_id = r.recording_id AND (s.text IS NOT NULL OR s.raw_text IS NOT NULL)) "
                    "ORDER BY 1", [kind, now - timedelta(days=keep["transcripts_days"])]).fetchall()]
            if "audio_days" not in keep:
                continue
            rows = con.execute("SELECT recording_id, path FROM recordings WHERE kind = ? AND recorded_at < ? AND path IS NOT NULL "
                               "ORDER BY 1", [kind, now - timedelta(days=keep["audio_days"])]).fetchall()
            for rid, path in rows:
                f = Path(path).resolve()
                if not f.is_file():
                    continue  # gone already (an earlier application, or moved)
                folder = f.parent
                if not any(folder.is_relative_to(k) and folder != k for k in kept):
                    report.outside += 1
                    continue
                report.deleted.append(rid)
                report.files += sum(1 for _ in folder.iterdir())
                if not dry_run:
                    store.remove_tree(folder)
        if not dry_run:
            for rid in report.blanked:
                _blank(store, con, rid)
            if report.blanked:
                store.forget_derived_text()  # the topics found quote the calls' words
        if (report.deleted or report.blanked) and not dry_run:
            store.append_rows("audit", [{"happened_at": now, "login": by, "action": "retention", "recording_id": None,
                                         "detail": json.dumps({"audio": len(report.deleted), "files": report.files,
                                                               "transcripts": len(report.blanked), "policy": policy}),
                                         "address": None}])
        return report
    finally:
        con.close()
        store.close()


def _blank(store: Store, con, rid: str) -> None:
    """Write recording ``rid`` again as a fresh folder whose segments say nothing (text and raw
    text NULL), everything else as stored; in one step, like an ingest (see the module)."""
    rewrite_recording(store, con, rid, "SELECT * REPLACE (NULL::VARCHAR AS text, NULL::VARCHAR AS raw_text) FROM segments "
                                       "WHERE recording_id = ?")


def rewrite_recording(store: Store, con, rid: str, segments_sql: str, params: list | None = None) -> None:
    """Write recording ``rid`` again as a fresh folder: its segments as ``segments_sql`` (on ``con``'s
    store views, with ``params`` after the recording id) selects them, every other table as stored;
    in one step, like an ingest (the next compaction merges it; readers take the fresh copy meanwhile)."""
    stage = store.scratch() / f"rewrite-{rid}"
    store.remove_tree(stage)
    stage.mkdir(parents=True)
    for table in schema.PER_RECORDING:
        sql, args = (segments_sql, [rid, *(params or [])]) if table == "segments" else \
            (f"SELECT * FROM {table} WHERE recording_id = ?", [rid])
        con.execute(f"COPY ({sql}) TO {layout.sql_path(stage / layout.FILE_NAMES[table])} (FORMAT parquet)", args)
    dest = store.recordings / rid
    store._folder_of(rid)  # a recording id, or StoreError before anything moves
    if dest.exists():  # a fresh folder: swapped out, then removed
        old = store.scratch() / f"old-{rid}"
        os.rename(dest, old)
        os.rename(stage, dest)
        store.remove_tree(old)
    else:
        os.rename(stage, dest)

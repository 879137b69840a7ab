"""Keeping audio no longer than needed: a policy per kind of recording (``data/retention.yaml``, or
``TONEBOARD_RETENTION``), for example

    service: {audio_days: 90}
    sales: {audio_days: 365}

applied after every batch and by ``toneboard retention apply [--dry-run]``: the audio the store keeps
(uploads, live calls) of recordings of that kind recorded longer ago than that is deleted, fresh or
compacted alike; the recording, its segments, tags and statistics stay, and pages say it has no
audio. Audio in the user's own folders (ingested by path) is never touched: it is counted and said.
Each application that deletes something is written to the audit (``retention``). No policy file:
nothing is deleted."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from ..records import KINDS
from . import Store, StoreError
from .backup import _views

ENV = "TONEBOARD_RETENTION"
DEFAULT = Path(__file__).resolve().parents[2] / "data" / "retention.yaml"
MAX_DAYS = 36500


@dataclass
class RetentionReport:
    deleted: list[str] = field(default_factory=list)  # recordings whose kept audio went (or would go)
    files: int = 0
    outside: int = 0  # past their age, but their audio is in the user's own folders: not touched

    def describe(self, dry_run: bool) -> list[str]:
        verb = "would delete" if dry_run else "deleted"
        out = [f"retention: {verb} the audio of {len(self.deleted)} recordings ({self.files} files)"]
        if self.outside:
            out.append(f"  {self.outside} more are past their age but their audio is in your own folders (not touched)")
        return out


def load_policy(path: Path | str | None = None) -> dict[str, int]:
    """Days to keep audio, per kind; {} without a policy file. ValueError for a bad one."""
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
        days = rule.get("audio_days") if isinstance(rule, dict) else None
        if set(rule or {}) - {"audio_days"} or not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_DAYS:
            raise ValueError(f"{path}: {kind}: give audio_days, a whole number of days from 1 to {MAX_DAYS}")
        policy[kind] = days
    return policy


def apply(db: Path, policy: dict[str, int], now: datetime | None = None, dry_run: bool = False,
          by: str = "retention") -> RetentionReport:
    """Delete the kept audio of recordings past their kind's age (see the module)."""
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
        for kind, days in sorted(policy.items()):
            rows = con.execute("SELECT recording_id, path FROM recordings WHERE kind = ? AND recorded_at < ? AND path IS NOT NULL "
                               "ORDER BY 1", [kind, now - timedelta(days=days)]).fetchall()
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
        if report.deleted and not dry_run:
            store.append_rows("audit", [{"happened_at": now, "login": by, "action": "retention", "recording_id": None,
                                         "detail": json.dumps({"recordings": len(report.deleted), "files": report.files,
                                                               "policy": policy}), "address": None}])
        return report
    finally:
        con.close()
        store.close()

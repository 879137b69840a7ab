"""Deletion: ``toneboard purge`` (recordings by age or batch) and ``toneboard erase`` (one customer's
recordings, wherever they are: a request under PIPL or the GDPR). Both remove the recordings
(fresh or compacted) with their segments, pauses, metadata, speakers, corrections, tickets with
their events and notifications, playlist items, quality answers, reviews and disputes, failed-file
rows, the audio kept under the store and the muted playback copies made of it; audio outside the
store (the user's own folders) is never touched. Both are dry runs unless asked to delete, and say what would go."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from . import Store, StoreError
from .backup import _views, rewrite_without

BY_RECORDING = ("ingest_errors", "corrections", "tickets", "speaker_corrections", "playlist_items",  # rows naming one
                "qa_answers", "qa_reviews", "qa_disputes", "qa_rounds", "tracker_hits")
BY_TICKET = ("ticket_events", "notifications")  # rows naming a ticket of one
MIN_PHONE_DIGITS = 5


@dataclass
class PurgeReport:
    recordings: list[str] = field(default_factory=list)
    filenames: list[str] = field(default_factory=list)
    audio_files: int = 0
    rows_removed: dict[str, int] = field(default_factory=dict)

    def describe(self, dry_run: bool, listed: int = 20) -> list[str]:
        n = len(self.recordings)
        if dry_run:
            return ([f"{n} recordings would be deleted" + (" (run again with --yes to delete them)" if n else "")]
                    + [f"  {rid}  {name or ''}".rstrip() for rid, name in zip(self.recordings[:listed], self.filenames)])
        return [f"deleted {n} recordings, {self.audio_files} stored audio files, "
                + ", ".join(f"{k} rows of {t}" for t, k in self.rows_removed.items())]


def purge(db: Path, before: datetime | None = None, batch_id: str | None = None, dry_run: bool = False) -> PurgeReport:
    """Remove the recordings made before ``before`` (by ``recorded_at``) and/or ingested in batch
    ``batch_id``, with everything that belongs to them. ``dry_run`` only reports what would go."""
    if before is None and batch_id is None:
        raise StoreError("purge needs --before DATE or --batch ID")
    conds, params = [], []
    if before is not None:
        conds.append("recorded_at < ?")
        params.append(before)
    if batch_id is not None:
        conds.append("batch_id = ?")
        params.append(batch_id)
    return _delete(db, " AND ".join(conds), params, dry_run)


def phone_pattern(phone: str) -> str:
    """A regular expression for ``phone`` as people write it: its digits, each maybe followed by a
    space, dot or dash, maybe after a country code (+86), not inside a longer number. ValueError when
    it has too few digits."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) < MIN_PHONE_DIGITS:
        raise ValueError(f"a phone number needs at least {MIN_PHONE_DIGITS} digits (got {phone!r})")
    return r"(^|[^0-9+]|\+[0-9]{1,3}[ .\-]?)" + r"[ .\-]?".join(digits) + r"([^0-9]|$)"


def erase(db: Path, meta: str | None = None, phone: str | None = None, dry_run: bool = False) -> PurgeReport:
    """Remove every recording of one customer: those whose metadata holds ``meta`` (``key=value``),
    and/or (``phone``) those with that number in a metadata value or anywhere in what was said
    (the text as stored and as recognised), with everything that belongs to them."""
    conds, params = [], []
    if meta:
        key, eq, value = meta.partition("=")
        if not eq or not key.strip() or not value.strip():
            raise ValueError(f"erase --meta needs key=value, such as customer=ACME-003 (got {meta!r})")
        conds.append("recording_id IN (SELECT recording_id FROM metadata WHERE key = ? AND value = ?)")
        params += [key.strip(), value.strip()]
    if phone:
        pattern = phone_pattern(phone)
        conds.append("(recording_id IN (SELECT recording_id FROM metadata WHERE regexp_matches(value, ?)) OR "
                     "recording_id IN (SELECT recording_id FROM segments WHERE regexp_matches(coalesce(text, '') || ' | ' || "
                     "coalesce(raw_text, ''), ?)))")
        params += [pattern, pattern]
    if not conds:
        raise ValueError("erase needs --meta KEY=VALUE or --phone NUMBER")
    return _delete(db, " OR ".join(conds), params, dry_run)


def _delete(db: Path, where: str, params: list, dry_run: bool) -> PurgeReport:
    store = Store(db)
    if not store.exists():
        raise StoreError(f"no database at {db}")
    con = _views(store)
    try:
        rows = con.execute(f"SELECT recording_id, path, filename FROM recordings WHERE {where} ORDER BY 1", params).fetchall()
        report = PurgeReport(recordings=[r[0] for r in rows], filenames=[r[2] for r in rows])
        if dry_run or not rows:
            return report
        uploads = store.uploads().resolve()
        tickets = [t for (t,) in con.execute("SELECT ticket_id FROM tickets WHERE recording_id IN "
                                             "(SELECT unnest(?::VARCHAR[]))", [report.recordings]).fetchall()]
        store.remove_recordings(report.recordings)
        for rid, path, _ in rows:
            kept = store.uploads() / rid
            if path and Path(path).resolve().is_relative_to(uploads):
                kept = Path(path).resolve().parent  # stored audio: content-addressed by the file's hash
            if kept.is_dir() and kept.resolve().is_relative_to(uploads):
                report.audio_files += sum(1 for _ in kept.iterdir())
                store.remove_tree(kept)
            (store.cache("muted") / f"{rid}.wav").unlink(missing_ok=True)  # a muted playback copy
        store.forget_derived_text()  # the topics found quote the calls' words
        gone = "recording_id IS NULL OR recording_id NOT IN (SELECT unnest(?::VARCHAR[]))"
        for table in BY_RECORDING:
            report.rows_removed[table] = rewrite_without(store, con, table, gone, [report.recordings])
        for table in BY_TICKET:
            report.rows_removed[table] = rewrite_without(
                store, con, table, "ticket_id NOT IN (SELECT unnest(?::VARCHAR[]))", [tickets])
        return report
    finally:
        con.close()
        store.close()


def add_purge_arguments(p) -> None:
    """``toneboard purge``'s options."""
    p.add_argument("--before", help="recorded before DATE (2026-01-01) or age (90d)")
    p.add_argument("--batch", help="ingested in this batch id")
    p.add_argument("--yes", action="store_true", help="really delete")


def add_erase_arguments(p) -> None:
    """``toneboard erase``'s options."""
    p.add_argument("--meta", metavar="KEY=VALUE", help="the customer's recordings by their metadata: customer=ACME-003")
    p.add_argument("--phone", help="the customer's recordings by a phone number, in metadata or in what was said")
    p.add_argument("--yes", action="store_true", help="really delete (without it: list what would go)")
    p.add_argument("--by", default="cli", help="who asks, for the audit (default: %(default)s)")

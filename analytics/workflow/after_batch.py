"""What follows a stored batch or live call: the new recordings are merged into the compacted
months, the rules open their risk tickets (never one twice), new tickets are announced on the
channels of ``data/notify.yaml`` (``analytics.alerts.notify``) and the calls are scored on the
team's quality forms (``analytics.qa``; a form changed since answers the calls again); the trackers are
counted on them (``analytics.talk``; a tracker changed since counts every call again), and the topics of the
last weeks are found again when the saved ones are over 12 hours old (the home page's rising topics).

``ingest`` knows nothing of this: ``ingest_paths(after_batch=...)`` and ``LiveServer(after_call=...)``
take the hook that :func:`hook` makes, so the command line, the upload worker and the live server
all run the same steps, and a problem in them is a warning (the recordings are stored already).
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from ..alerts.evaluation import evaluate
from ..alerts.notify import Delivery, deliver, load_settings
from ..alerts.rules import load_rules
from ..db import Data, compact
from ..qa.forms import load_forms
from ..qa.scoring import score_calls
from ..talk.counts import count
from ..talk.topics import refresh as refresh_topics
from ..talk.trackers import load_trackers
from ..tickets import open_tickets


def hook(options, compaction: bool = True) -> Callable[[list[str]], list[str]]:
    """The steps after a batch of ``options`` (an ``IngestOptions``), as a function of the ids of the
    recordings it stored, returning what to tell the user. Without ``compaction`` (a live call: one
    recording at a time), the next batch or ``toneboard compact`` merges them."""
    def after(recording_ids: list[str]) -> list[str]:
        kept = keep_no_longer(options.db)  # first: transcripts it blanks are merged by this compaction
        warnings = compact_store(options.db) if compaction else []
        return (kept + warnings + tracker_counts(options.db, recording_ids) + risk_queue(options, recording_ids)
                + quality_scores(options.db, recording_ids) + (topics_found(options.db) if compaction else []))
    return after


def keep_no_longer(db: Path) -> list[str]:
    """The retention policy (ingest.store.retention), applied; what it deleted, or why it could not."""
    from ingest.store import retention

    try:
        report = retention.apply(db, retention.load_policy())
    except Exception as e:  # noqa: BLE001 - a bad policy file, a full disk: said, the batch stands
        return [f"the retention policy was not applied: {e} (run 'toneboard retention apply')"]
    return report.describe(False) if report.deleted or report.blanked else []


def compact_store(db: Path) -> list[str]:
    """Merge what was stored into the compacted months; a failure is a warning (the batch is
    stored, and ``toneboard compact`` or the next batch merges it)."""
    try:
        compact(db)
    except Exception as e:  # noqa: BLE001 (the recordings are safe either way)
        return [f"compaction failed ({type(e).__name__}: {e}); run `toneboard compact` later"]
    return []


def risk_queue(options, recording_ids: list[str]) -> list[str]:
    """:func:`open_and_announce` for a batch with its ingest options; what to tell the user."""
    if options.rules == "off" or not recording_ids:
        return []
    rules = options.rules or os.environ.get("TONEBOARD_RULES") or None
    try:
        n, deliveries = open_and_announce(options.db, recording_ids, rules, options.notify)
    except Exception as e:  # noqa: BLE001 - a bad rules or notify file, a full disk: said, the batch stands
        return [f"rules were not evaluated after this batch: {e} (run 'toneboard tickets evaluate')"]
    out = [f"{n} new risk ticket(s) opened by the rules"] if n else []
    failed = [d for d in deliveries if d.status == "failed"]
    if failed:
        out.append(f"{len(failed)} notification(s) could not be delivered ({failed[0].channel}: {failed[0].error})")
    return out


def open_and_announce(db: Path, recording_ids: list[str], rules: str | Path | None = None,
                      notify: str | Path | None = None, sleep=time.sleep) -> tuple[int, list[Delivery]]:
    """Evaluate the rules on ``recording_ids``, open their tickets and announce the new ones.
    Returns (tickets opened, deliveries)."""
    if not recording_ids:
        return 0, []
    settings = load_settings(notify)  # a broken notify.yaml is said before anything is opened
    data = Data(db)
    try:
        matches = evaluate(data.con, load_rules(rules), recording_ids=set(recording_ids))
        opened: list = []
        n = open_tickets(data.store, matches, opened=opened)
        if not opened or not settings.channels:
            return n, []
        data.refresh()
        rows = data.con.execute("""
            SELECT t.ticket_id, t.recording_id, t.rule_id, t.rule_name, t.severity, t.first_evidence_s, r.filename,
                   r.kind, (SELECT value FROM metadata m WHERE m.recording_id = t.recording_id AND m.key = 'agent') AS agent,
                   (SELECT value FROM metadata m WHERE m.recording_id = t.recording_id AND m.key = 'team') AS team
            FROM tickets t JOIN recordings r USING (recording_id)
            WHERE t.ticket_id IN (SELECT unnest(?::VARCHAR[]))""", [[m.ticket_id for m in opened]]).df()
        tickets = rows.astype(object).where(rows.notna(), None).to_dict("records")
        return n, deliver(data.store, settings, tickets, sleep=sleep)
    finally:
        data.con.close()


def tracker_counts(db: Path, recording_ids: list[str]) -> list[str]:
    """Count the trackers on the batch's calls, and every call a changed tracker has not counted
    yet; what to tell the user (a bad trackers file is said, the batch stands)."""
    try:
        found = load_trackers()
        if not found:
            return []
        count(db, found, recording_ids)
        again = count(db, found)  # a tracker's new version: every call again
    except Exception as e:  # noqa: BLE001 - a bad trackers file, a full disk: said, the batch stands
        return [f"trackers were not counted: {e} (run 'toneboard trackers count')"]
    return [f"trackers changed: {again.describe()}"] if again.calls else []


def topics_found(db: Path) -> list[str]:
    """The topics of the last weeks found again when the saved ones are over 12 hours old (the home
    page's rising topics); a rising topic is said."""
    try:
        run = refresh_topics(db)
    except Exception as e:  # noqa: BLE001 - a bad stop-word file, a full disk: said, the batch stands
        return [f"topics were not found: {e} (run 'toneboard topics')"]
    if run is None or not run.rising:
        return []
    return [f"rising topic: {' · '.join(run.topics[r['topic']].phrases[:3])} ({r['share']:.0%} of the week's calls, "
            f"{r['baseline']:.0%} the 4 weeks before)" for r in run.rising]


def quality_scores(db: Path, recording_ids: list[str]) -> list[str]:
    """Score the batch's calls on the quality forms, and every call a changed form has not answered
    yet; what to tell the user (a bad form is said, the batch stands)."""
    try:
        forms = load_forms()
        if not forms:
            return []
        fresh = score_calls(db, forms, recording_ids)
        again = score_calls(db, forms)  # a form's new version: every call of its kinds again
    except Exception as e:  # noqa: BLE001 - a bad form, a full disk: said, the batch stands
        return [f"calls were not scored on the quality forms: {e} (run 'toneboard qa score')"]
    out = [f"quality forms: {fresh.describe()}"] if fresh.calls else []
    return out + ([f"quality forms changed: {again.describe()}"] if again.calls else [])


def build_demo(db: str | Path, **kw):
    """The demo data as the product shows it: written (``ingest.batch.demo.build``), compacted like a
    batch, and with the tickets the rules open (nobody is notified of a demo). Returns what was
    planted."""
    from ingest.batch import demo

    planted = demo.build(db, **kw)
    compact(db)
    data = Data(db)
    try:
        open_tickets(data.store, evaluate(data.con, load_rules()))
    finally:
        data.con.close()
    count(db)
    score_calls(db)
    return planted


def remove_demo(db: str | Path) -> int:
    """Take the demo data out of the store (its tickets go with its recordings); how many went."""
    from ingest.batch import demo

    return demo.remove(db)

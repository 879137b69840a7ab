"""The agent's side of a score: acknowledge it, or dispute an item with a reason; a lead accepts
the dispute (the item's answer changes, as a review by the lead) or rejects it, with a reason.
Each step is a row of ``qa_disputes`` (append-only; the latest per dispute decides its state) and
is announced on the channels of ``data/notify.yaml`` that want it (rule ids ``qa-dispute``,
``qa-decision``), in the notification settings' language.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

import duckdb
import pandas as pd

from ..alerts.notify import deliver, load_settings
from ..filters import MAX_NOTE, Filter, limit_text, recording_where
from . import review
from .forms import Form, FormError
from .scores import item_answers

ACTIONS = ("acknowledge", "dispute", "accept", "reject")
WORDS = {  # what a notification says (the notify settings' language)
    "qa-dispute": {"en": "Dispute: {item} — {reason}", "zh": "申诉：{item} —— {reason}"},
    "qa-decision-accept": {"en": "Dispute accepted: {item} — {reason}", "zh": "申诉通过：{item} —— {reason}"},
    "qa-decision-reject": {"en": "Dispute rejected: {item} — {reason}", "zh": "申诉驳回：{item} —— {reason}"},
}


def dispute_id(recording_id: str, form_id: str, item_id: str | None) -> str:
    return hashlib.sha1(f"{recording_id}|{form_id}|{item_id or ''}".encode()).hexdigest()[:16]


def states(con: duckdb.DuckDBPyConnection, flt: Filter | None = None, recording_id: str | None = None) -> pd.DataFrame:
    """Each acknowledgement and dispute as it stands (its latest action), with who raised it and why,
    who decided and why, and the call's file name; the newest first."""
    where, params = recording_where(flt)
    one, one_p = ("AND d.recording_id = ?", [recording_id]) if recording_id else ("", [])
    return con.execute(f"""
        WITH d AS (
            SELECT dispute_id, any_value(recording_id) AS recording_id, any_value(form_id) AS form_id,
                   any_value(item_id) AS item_id, arg_max(action, changed_at) AS state,
                   arg_max(reason, changed_at) FILTER (WHERE action IN ('dispute', 'acknowledge')) AS reason,
                   arg_max(changed_by, changed_at) FILTER (WHERE action IN ('dispute', 'acknowledge')) AS raised_by,
                   max(changed_at) FILTER (WHERE action IN ('dispute', 'acknowledge')) AS raised_at,
                   arg_max(reason, changed_at) FILTER (WHERE action IN ('accept', 'reject')) AS decision_reason,
                   arg_max(changed_by, changed_at) FILTER (WHERE action IN ('accept', 'reject')) AS decided_by,
                   max(changed_at) FILTER (WHERE action IN ('accept', 'reject')) AS decided_at
            FROM qa_disputes GROUP BY dispute_id)
        SELECT d.*, r.filename, r.recorded_at FROM d JOIN recordings r USING (recording_id)
        WHERE {where} {one} ORDER BY d.raised_at DESC""", params + one_p).df()


def _row(recording_id: str, form_id: str, item_id: str | None, action: str, reason: str, by: str) -> dict:
    return {"dispute_id": dispute_id(recording_id, form_id, item_id), "recording_id": recording_id, "form_id": form_id,
            "item_id": item_id, "action": action, "reason": reason or None, "changed_by": by, "changed_at": datetime.now()}


def _seen(con: duckdb.DuckDBPyConnection, recording_id: str) -> None:
    if not con.execute("SELECT count(*) FROM recordings WHERE recording_id = ?", [recording_id]).fetchone()[0]:
        raise FormError("recording not found")


def acknowledge(store, con: duckdb.DuckDBPyConnection, form: Form, recording_id: str, by: str) -> None:
    """The agent has seen the call's score (and disputes none of it, or not yet)."""
    _seen(con, recording_id)
    store.append_rows("qa_disputes", [_row(recording_id, form.id, None, "acknowledge", "", by)])


def dispute(store, con: duckdb.DuckDBPyConnection, form: Form, recording_id: str, item_id: str, reason: str, by: str,
            notify=None, sleep=None) -> str:
    """Dispute one item of a call's score (a reason is required; an item is disputed once while it
    is open); returns the dispute's id."""
    item = form.item(item_id)
    reason = (reason or "").strip()
    if not reason:
        raise FormError("say why you dispute this item")
    limit_text(reason, "reason", MAX_NOTE)
    _seen(con, recording_id)
    did = dispute_id(recording_id, form.id, item_id)
    now = states(con, recording_id=recording_id)
    if (now["dispute_id"].eq(did) & now["state"].eq("dispute")).any():
        raise FormError(f"'{item.label()}' is disputed already: the lead decides")
    store.append_rows("qa_disputes", [_row(recording_id, form.id, item_id, "dispute", reason, by)])
    _announce(store, con, form, recording_id, item_id, "qa-dispute", reason, notify, sleep)
    return did


def decide(store, con: duckdb.DuckDBPyConnection, form: Form, did: str, accept: bool, reason: str, by: str,
           answer: float | None = None, notify=None, sleep=None) -> None:
    """A lead accepts (the item's answer becomes ``answer``: by default the other of yes / no) or
    rejects an open dispute, with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise FormError("say why (the agent reads it)")
    limit_text(reason, "reason", MAX_NOTE)
    open_ = states(con)
    row = open_[open_["dispute_id"] == did]
    if row.empty or row["state"].iloc[0] != "dispute":
        raise FormError("no open dispute with that id")
    rid, item_id = row["recording_id"].iloc[0], row["item_id"].iloc[0]
    if accept:
        current = item_answers(con, rid, form.id).set_index("item_id")
        if answer is None:
            if form.item(item_id).answer != "yes_no":
                raise FormError("give the item's new answer")
            was = current.loc[item_id, "answer"] if item_id in current.index else None
            answer = 0.0 if was == 1 else 1.0
        review.answer(store, con, form, rid, item_id, answer, by, comment=reason)
    store.append_rows("qa_disputes", [_row(rid, form.id, item_id, "accept" if accept else "reject", reason, by)])
    _announce(store, con, form, rid, item_id, f"qa-decision-{'accept' if accept else 'reject'}", reason, notify, sleep)


def _announce(store, con, form: Form, recording_id: str, item_id: str, what: str, reason: str, notify, sleep) -> None:
    """Tell the channels that want it (a broken notify.yaml: said in the log, the dispute stands)."""
    try:
        settings = load_settings(notify)
    except Exception:  # noqa: BLE001 - the dispute is stored; notify.py logs its own failures
        return
    if not settings.channels:
        return
    lang = settings.lang if settings.lang in ("en", "zh") else "en"
    meta = dict(con.execute("SELECT key, value FROM metadata WHERE recording_id = ?", [recording_id]).fetchall())
    filename = con.execute("SELECT filename FROM recordings WHERE recording_id = ?", [recording_id]).fetchone()[0]
    text = WORDS[what][lang].format(item=form.item(item_id).label(lang), reason=reason[:200])
    ticket = {"ticket_id": f"{dispute_id(recording_id, form.id, item_id)}-{what}-{datetime.now():%Y%m%d%H%M%S}",
              "recording_id": recording_id, "rule_id": "qa-dispute" if what == "qa-dispute" else "qa-decision",
              "rule_name": text, "severity": "medium", "first_evidence_s": None, "filename": filename,
              "agent": meta.get("agent"), "team": meta.get("team"), "page": "review"}
    deliver(store, settings, [ticket], **({"sleep": sleep} if sleep else {}))

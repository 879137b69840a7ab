"""The audit trail: who signed in (and who failed to), which recording was opened and which audio
played, every export and report with its filter, corrections, ticket changes, rule, notification
and account changes. Append-only (``audit`` table: one event file per entry, never rewritten), kept
through compaction, backup and restore; not loaded with every page (``schema.ON_DEMAND``): read
here when an admin asks.
"""
from __future__ import annotations

import json
from datetime import datetime

import duckdb
import pandas as pd

from ingest.store import Store

ACTIONS = ("sign_in", "sign_in_failed", "sign_out", "open_recording", "play_audio", "export", "report",
           "correct", "ticket", "rule", "notification", "threshold", "erase", "retention",
           "user_add", "user_role", "user_disable", "user_enable", "user_password", "user_upgrade", "user_environment",
           "qa_review", "qa_dispute", "qa_decision", "qa_form", "qa_round", "tracker", "experiment")
COLUMNS = ["happened_at", "login", "action", "recording_id", "detail", "address"]


def record(store: Store, login: str | None, action: str, recording_id: str | None = None,
           detail: dict | None = None, address: str | None = None) -> None:
    """One entry (``action`` one of ACTIONS), written at once."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    row = {"happened_at": datetime.now(), "login": login, "action": action, "recording_id": recording_id,
           "detail": json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True) if detail else None,
           "address": address}
    store.append_rows("audit", [row])


def entries(store: Store, login: str | None = None, recording_id: str | None = None,
            since: datetime | None = None, until: datetime | None = None, actions=None,
            limit: int | None = None) -> pd.DataFrame:
    """The entries that match, newest first (COLUMNS)."""
    files = store.table_files("audit")
    if not files:
        return pd.DataFrame(columns=COLUMNS)
    where, params = [], [files]
    for cond, value in (("login = ?", login), ("recording_id = ?", recording_id), ("happened_at >= ?", since), ("happened_at < ?", until)):
        if value is not None:
            where.append(cond)
            params.append(value)
    if actions:
        where.append(f"action IN ({', '.join('?' * len(actions))})")
        params += list(actions)
    sql = (f"SELECT {', '.join(COLUMNS)} FROM read_parquet(?, union_by_name = true)"
           + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY happened_at DESC"
           + (f" LIMIT {int(limit)}" if limit else ""))
    con = duckdb.connect()
    try:
        return con.execute(sql, params).df()
    finally:
        con.close()


def with_filenames(con: duckdb.DuckDBPyConnection, df: pd.DataFrame) -> pd.DataFrame:
    """``df`` (entries) with each recording's file name beside its id (``filename``; empty where the
    entry is about no recording, or the recording has gone)."""
    ids = sorted({r for r in df.get("recording_id", []) if isinstance(r, str)})
    names = dict(con.execute("SELECT recording_id, filename FROM recordings WHERE list_contains(?, recording_id)",
                             [ids]).fetchall()) if ids else {}
    out = df.copy()
    out.insert(out.columns.get_loc("recording_id") + 1, "filename", out["recording_id"].map(names).fillna(""))
    return out

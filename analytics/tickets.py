"""Tickets: opened from rule matches (one per recording and rule, so re-evaluation never opens one
twice), then acknowledged, resolved, commented and assigned by people (append-only events; the
latest wins). Read by the home page, People and exports as any other data, so this module sits
in ``analytics`` and the rule engine (``analytics.alerts``) writes through it."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from .filters import MAX_NOTE, Filter, limit_text, recording_where
from .metadata import with_metadata

STATUSES = ("open", "acknowledged", "resolved")


def open_tickets(store, matches: list, opened: list | None = None) -> int:
    """A ticket for each match (``analytics.alerts.evaluation.Match``) that has none yet (the store
    keeps them idempotent by id); returns how
    many are new (and adds their matches to ``opened``)."""
    new = 0
    for m in matches:
        if store.open_ticket(m.ticket()):
            new += 1
            if opened is not None:
                opened.append(m)
    return new


def set_status(store, con: duckdb.DuckDBPyConnection, ticket_id: str, status: str, by: str = "", note: str = "") -> None:
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    limit_text(note, "comment", MAX_NOTE)
    limit_text(by, "by", 100)
    if con.execute("SELECT count(*) FROM tickets WHERE ticket_id = ?", [ticket_id]).fetchone()[0] == 0:
        raise ValueError(f"no ticket {ticket_id!r}")
    store.append_rows("ticket_events", [{"ticket_id": ticket_id, "status": status, "changed_by": by,
                                         "changed_at": datetime.now(), "note": note}])


def comment(store, con: duckdb.DuckDBPyConnection, ticket_id: str, by: str = "", note: str = "",
            assignee: str | None = None) -> None:
    """A comment on a ticket, and/or giving it to someone (its status stays)."""
    limit_text(note, "comment", MAX_NOTE)
    limit_text(assignee, "assignee", 100)
    note, assignee = (note or "").strip(), (assignee or "").strip() or None
    if not note and not assignee:
        raise ValueError("write a comment or name who the ticket is for")
    if con.execute("SELECT count(*) FROM tickets WHERE ticket_id = ?", [ticket_id]).fetchone()[0] == 0:
        raise ValueError(f"no ticket {ticket_id!r}")
    store.append_rows("ticket_events", [{"ticket_id": ticket_id, "changed_by": by, "changed_at": datetime.now(),
                                         "note": note or None, "assignee": assignee}])


def ticket_history(con: duckdb.DuckDBPyConnection, ticket_id: str) -> pd.DataFrame:
    """A ticket's events, oldest first: when, who, status, assignee, comment."""
    return con.execute("""SELECT changed_at, changed_by, status, assignee, note FROM ticket_events
                          WHERE ticket_id = ? ORDER BY changed_at""", [ticket_id]).df()


def tickets(con: duckdb.DuckDBPyConnection, flt: Filter | None = None, statuses: list[str] | None = None,
            types: list[str] | None = ("risk",)) -> pd.DataFrame:
    """Tickets of the recordings ``flt`` selects, the most severe and newest first; of these
    ``statuses`` (None: all) and rule ``types`` (default: risks only; None: every type)."""
    where, params = recording_where(flt)
    st_sql, st_p = ("AND t.status IN (SELECT unnest(?::VARCHAR[]))", [statuses]) if statuses else ("", [])
    if types:
        st_sql += " AND t.rule_type IN (SELECT unnest(?::VARCHAR[]))"
        st_p.append(list(types))
    df = con.execute(f"""
        SELECT t.ticket_id, t.status, t.severity, t.rule_type, t.rule_id, t.rule_name, t.recording_id, r.filename, r.kind,
               r.recorded_at, t.first_evidence_s, t.evidence, t.created_at, t.status_changed_at, t.status_changed_by,
               t.assignee, t.comments
        FROM ticket_status t JOIN recordings r USING (recording_id)
        WHERE {where} {st_sql}
        ORDER BY CASE t.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, r.recorded_at DESC""",
        params + st_p).df()
    return with_metadata(con, df)


def add_ticket_arguments(p) -> None:
    """``toneboard tickets``'s options (the filter's are ``filters.add_arguments``)."""
    p.add_argument("action", choices=("evaluate", "list", "set"))
    p.add_argument("--rules", type=Path, help="rules file (default: data/rules.yaml)")
    p.add_argument("--status", help="list: open, acknowledged or resolved; set: the new status")
    p.add_argument("--id", dest="ticket_id", help="set: the ticket id")
    p.add_argument("--by", default="", help="set: who changes it")

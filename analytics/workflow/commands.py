"""``toneboard rules`` (check a rules file) and ``toneboard tickets`` (evaluate, list, set)."""
from __future__ import annotations

import argparse
import sys

from .. import export, filters, tickets
from ..alerts import evaluation, rules
from ..db import Data


def run_rules(a: argparse.Namespace) -> None:
    print("\n".join(f"ok  {r.id:<24} {r.severity:<6} {r.name}" for r in rules.load_rules(a.file)))


def run_tickets(a: argparse.Namespace) -> None:
    data = Data(a.db)
    if a.action == "evaluate":
        matches = evaluation.evaluate(data.con, rules.load_rules(a.rules), filters.from_args(a, data.con))
        print(f"{len(matches)} matches, {tickets.open_tickets(data.store, matches)} new tickets")
    elif a.action == "set":
        if not a.ticket_id or not a.status:
            raise ValueError("tickets set needs --id and --status")
        tickets.set_status(data.store, data.con, a.ticket_id, a.status, a.by)
        print(f"ticket {a.ticket_id}: {a.status}")
    else:
        df = tickets.tickets(data.con, filters.from_args(a, data.con), [a.status] if a.status else None, types=None)
        sys.stdout.buffer.write(export.to_csv(df.drop(columns=["evidence"])))
    data.store.close()

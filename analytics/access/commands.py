"""``toneboard users`` (add, list, disable, enable, reset-password, set-role) and ``toneboard audit
export``: their options and what they run. Errors are ValueErrors (the CLI says them, exit 2)."""
from __future__ import annotations

import getpass
import sys
from pathlib import Path

from .. import export
from ..filters import parse_since
from . import accounts, audit
from .passwords import ask_password, hash_password

USER_ACTIONS = ("add", "list", "disable", "enable", "reset-password", "set-role")


def _me() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def add_user_arguments(p) -> None:
    p.add_argument("action", choices=USER_ACTIONS)
    p.add_argument("login", nargs="?", help="the account's login (all but list)")
    p.add_argument("--name", help="how pages name the person (add; default: the login)")
    p.add_argument("--role", choices=accounts.ROLES, help="admin, lead, reviewer, agent or teacher (add, set-role)")
    p.add_argument("--scope", action="append", metavar="KEY=VALUE",
                   help="a team or class a lead or reviewer sees, as metadata (repeat for several): team=Shenzhen")
    p.add_argument("--person", metavar="KEY=VALUE",
                   help="the metadata value that names an agent or teacher (their own recordings): agent=Li")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input (scripts)")
    p.add_argument("--sso", action="store_true",
                   help="no password: signs in through the company's login only (the login is their e-mail)")
    p.add_argument("--by", default=_me(), help="who makes the change, for the audit (default: %(default)s)")


def run_users(a) -> None:
    db: Path = a.db
    if a.action == "list":
        print("\n".join(accounts.listing(db)))
        return
    if not a.login:
        raise ValueError(f"users {a.action} needs a login")
    if a.action == "add":
        if not a.role:
            raise ValueError("users add needs --role (admin, lead, reviewer, agent or teacher)")
        hashed = None if a.sso else hash_password(ask_password(a.password_stdin))
        acc = accounts.add(db, a.login, a.name or a.login, a.role, hashed, a.scope or (), a.person, by=a.by)
        print(f"added {acc.login} ({acc.role})")
    elif a.action == "set-role":
        if not a.role:
            raise ValueError("users set-role needs --role")
        acc = accounts.set_role(db, a.login, a.role, a.scope, a.person, by=a.by)
        print(f"{acc.login} is now {acc.role}" + (f" of {', '.join(acc.scope)}" if acc.scope else ""))
    elif a.action in ("disable", "enable"):
        acc = accounts.set_disabled(db, a.login, a.action == "disable", by=a.by)
        print(f"{acc.login} {'disabled: cannot sign in' if acc.disabled else 'enabled'}")
    else:
        acc = accounts.reset_password(db, a.login, hash_password(ask_password(a.password_stdin)), by=a.by)
        print(f"new password set for {acc.login}")


def add_hash_arguments(p) -> None:
    p.description = ("Prints a salted scrypt hash: for TONEBOARD_ADMIN_PASSWORD_HASH (the first admin of an "
                     "unattended install) or, without accounts, TONEBOARD_PASSWORD_HASH or [toneboard] "
                     "password_hash in .streamlit/secrets.toml.")
    p.add_argument("--stdin", action="store_true", help="read the password from standard input (for scripts)")


def run_erase(a) -> None:
    """``toneboard erase``: list (or with --yes delete) one customer's recordings, and say so in the
    audit (how many, and by which kind of key: never the customer's value)."""
    from ingest.store import Store, erase

    report = erase.erase(a.db, meta=a.meta, phone=a.phone, dry_run=not a.yes)
    print("\n".join(report.describe(dry_run=not a.yes)))
    if a.yes:
        by = (["metadata " + a.meta.partition("=")[0].strip()] if a.meta else []) + (["phone"] if a.phone else [])
        audit.record(Store(a.db), a.by, "erase", detail={"recordings": len(report.recordings), "by": by})


def add_retention_arguments(p) -> None:
    p.add_argument("action", choices=("apply",))
    p.add_argument("--policy", type=Path, help="the policy file (default: $TONEBOARD_RETENTION or data/retention.yaml)")
    p.add_argument("--dry-run", action="store_true", help="say what would go, delete nothing")


def run_retention(a) -> None:
    """``toneboard retention apply``: delete the kept audio past each kind's age (ingest.store.retention)."""
    from ingest.store import retention

    policy = retention.load_policy(a.policy)
    if not policy:
        print(f"no retention policy ({a.policy or retention.DEFAULT}): nothing deleted. Write one such as "
              "'service: {audio_days: 90}'")
        return
    report = retention.apply(a.db, policy, dry_run=a.dry_run, by=_me())
    if report.blanked and not a.dry_run:  # the blanked recordings replace their rows in the months now
        from ..db import compact

        compact(a.db)
    print("\n".join(report.describe(a.dry_run)))


def add_audit_arguments(p) -> None:
    p.add_argument("action", choices=("export",))
    p.add_argument("--csv", type=Path, default=Path("-"), help="file to write (default: standard output)")
    p.add_argument("--login", help="only what this person did")
    p.add_argument("--recording", help="only what concerned this recording (its id)")
    p.add_argument("--since", help="from this date or time on (2026-12-01, or 7d)")
    p.add_argument("--until", help="before this date or time")


def run_audit(a) -> None:
    from ingest.store import Store

    df = audit.entries(Store(a.db), login=a.login, recording_id=a.recording,
                       since=parse_since(a.since) if a.since else None, until=parse_since(a.until) if a.until else None)
    data = export.to_csv(df, None if str(a.csv) == "-" else a.csv)
    if str(a.csv) == "-":
        sys.stdout.buffer.write(data)
    else:
        print(f"{len(df)} entries → {a.csv}", file=sys.stderr)

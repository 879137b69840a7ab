"""Accounts: the people who sign in to the dashboard, each with a role and what they may see.

Roles (``ROLES``): **admin** (everything: people, rules, notifications, thresholds); **lead** (the
teams or classes of their scope: everything there, tickets and corrections included); **reviewer**
(reads and scores the calls of their scope; no admin pages); **agent** and **teacher** (their own
recordings only: those whose metadata names them, ``person``, e.g. ``agent=Li``). A scope is a list
of metadata ``key=value`` (``team=Shenzhen``, ``class=3B``).

Stored by ``ingest.store.accounts`` (one event file per change; the latest row per login is the
account). Every change is also written to the audit (``analytics.access.audit``). The first admin
comes from the environment (``TONEBOARD_ADMIN_LOGIN`` and ``TONEBOARD_ADMIN_PASSWORD_HASH``, for
unattended installs), from ``toneboard users add``, or, on upgrade, from the single dashboard
password that came before accounts (it becomes the password of the account ``admin``, so nobody is
locked out).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ingest.store import Store, accounts as files

from ..scope import EVERYTHING, Scope
from . import audit
from .passwords import AuthError, hash_password, verify_password

ROLES = ("admin", "lead", "reviewer", "agent", "teacher")
SCOPED = ("lead", "reviewer")  # see the recordings of their scope
OWN = ("agent", "teacher")  # see the recordings that name them
MAY = {  # what each role may change (what it may read is its scope): the dashboard asks ``Account.may``
    "users": ("admin",), "rules": ("admin",), "thresholds": ("admin",), "demo": ("admin",),
    "upload": ("admin", "lead"), "correct": ("admin", "lead"), "tickets": ("admin", "lead"),
    "playlists": ("admin", "lead", "reviewer"),
    # quality forms (analytics.qa): edit the forms; answer and override items, and score calibration
    # rounds; acknowledge or dispute one's own scores; accept or reject a dispute
    "forms": ("admin", "lead"), "review": ("admin", "lead", "reviewer"), "dispute": ("agent", "teacher"),
    "decide": ("admin", "lead"),
    "trackers": ("admin", "lead"),  # make, change and delete trackers (analytics.talk)
    "experiments": ("admin", "lead"),  # save and delete experiments (analytics.experiments)
}
ADMIN_LOGIN_ENV, ADMIN_HASH_ENV = "TONEBOARD_ADMIN_LOGIN", "TONEBOARD_ADMIN_PASSWORD_HASH"
UPGRADED_LOGIN = "admin"  # the account the single dashboard password becomes
_LOGIN = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
_KEY = re.compile(r"[A-Za-z_][\w.-]{0,39}")


class AccountError(ValueError):
    """A change that cannot be made (the message says why)."""


@dataclass(frozen=True)
class Account:
    login: str
    name: str
    role: str
    scope: tuple[str, ...]
    person: str | None
    password_hash: str | None = field(repr=False)  # never in a log line or a traceback
    disabled: bool
    change: str
    changed_at: datetime
    changed_by: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may(self, action: str) -> bool:
        """Whether this person may ``action`` (a key of MAY)."""
        return self.role in MAY[action]

    def sees(self) -> Scope:
        """The recordings this person may see (analytics.scope): an admin every one; a lead or
        reviewer those whose metadata holds one of their scope's values; an agent or teacher those
        that name them, in the metadata or by their voice (a speaker matched to their voiceprint, or
        named so by a person: the value of ``person``, "Li" for agent=Li). Leads and admins also see
        the upload bookkeeping."""
        if self.is_admin:
            return EVERYTHING
        values = self.scope if self.role in SCOPED else ((self.person,) if self.person else ())
        pairs = tuple(tuple(v.split("=", 1)) for v in values)
        voices = tuple(v for _, v in pairs) if self.role in OWN else ()
        return Scope(pairs=pairs, uploads=self.role == "lead", voices=voices)


def check_login(login: str) -> str:
    value = (login or "").strip().lower()
    if not _LOGIN.fullmatch(value):
        raise AccountError("a login is 1-64 characters: lower-case letters, digits and . _ @ - "
                           f"(starting with a letter or digit); got {login!r}")
    return value


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)} (got {role!r})")
    return role


def check_pair(text: str, what: str) -> str:
    """A metadata ``key=value`` (a scope entry or the value that names a person)."""
    key, eq, value = (text or "").partition("=")
    key, value = key.strip(), value.strip()
    if not eq or not _KEY.fullmatch(key) or not value or len(value) > 100 or any(ord(c) < 32 for c in value):
        raise AccountError(f"{what} must be a metadata key=value such as team=Shenzhen or agent=Li (got {text!r})")
    return f"{key}={value}"


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 100 or any(ord(c) < 32 for c in name):
        raise AccountError("a person's name is 1-100 printable characters")
    return name


def _checked(role: str, scope, person) -> tuple[tuple[str, ...], str | None]:
    """The scope and person a role needs: a scope for a lead or reviewer, a person for an agent or
    teacher (anyone may be linked to the value that names them; only leads and reviewers keep a scope)."""
    scope = tuple(dict.fromkeys(check_pair(s, "a scope") for s in (scope or ()) if str(s).strip()))
    person = check_pair(person, "the person's metadata value") if person and str(person).strip() else None
    if role in SCOPED and not scope:
        raise AccountError(f"a {role} needs a scope: the teams or classes they see (e.g. --scope team=Shenzhen)")
    if role in OWN and not person:
        raise AccountError(f"a{'n' if role == 'agent' else ''} {role} needs the metadata value that names them "
                           "(e.g. --person agent=Li): it decides which recordings are theirs")
    return (scope if role in SCOPED else ()), person


def all_accounts(db: Path) -> dict[str, Account]:
    """Every account as it is now (the latest row per login), by login."""
    out: dict[str, Account] = {}
    for r in files.rows(db):
        out[r["login"]] = Account(r["login"], r["name"], r["role"], tuple(r["scope"] or ()), r["person"],
                                  r["password_hash"], bool(r["disabled"]), r["change"], r["changed_at"], r["changed_by"])
    return out


def get(db: Path, login: str) -> Account | None:
    try:
        return all_accounts(db).get(check_login(login))
    except AccountError:
        return None


def _write(db: Path, acc: Account, by: str, detail: dict, address: str | None = None) -> Account:
    files.append(db, {**acc.__dict__, "scope": list(acc.scope)})
    audit.record(Store(db), by, f"user_{acc.change}", detail={"login": acc.login, **detail}, address=address)
    return acc


def add(db: Path, login: str, name: str, role: str, password_hash: str | None, scope=(), person=None,
        by: str = "cli", change: str = "add") -> Account:
    """A new account (``password_hash`` from ``hash_password``; None: signs in only through the
    company's login, by the e-mail that is its login). AccountError if the login is taken."""
    login, role, name = check_login(login), check_role(role), check_name(name)
    if password_hash is not None and not str(password_hash).startswith("scrypt$"):
        raise AccountError("an account's password is stored as a hash made by hash_password")
    scope, person = _checked(role, scope, person)
    if login in all_accounts(db):
        raise AccountError(f"there is already an account {login!r} (toneboard users list)")
    acc = Account(login, name, role, scope, person, password_hash, False, change, datetime.now(), by)
    return _write(db, acc, by, {"role": role, "scope": list(scope), "person": person})


def _existing(db: Path, login: str) -> Account:
    acc = all_accounts(db).get(check_login(login))
    if acc is None:
        raise AccountError(f"no account {login!r} (toneboard users list)")
    return acc


def _admins_left(db: Path, without: str) -> int:
    return sum(a.is_admin and not a.disabled for a in all_accounts(db).values() if a.login != without)


def set_role(db: Path, login: str, role: str, scope=None, person=None, by: str = "cli") -> Account:
    """A new role (and scope or person: the old ones are kept where not given)."""
    acc, role = _existing(db, login), check_role(role)
    if acc.is_admin and role != "admin" and not acc.disabled and not _admins_left(db, acc.login):
        raise AccountError("this is the last admin: make another admin first")
    scope, person = _checked(role, acc.scope if scope is None else scope, acc.person if person is None else person)
    new = Account(acc.login, acc.name, role, scope, person, acc.password_hash, acc.disabled, "role", datetime.now(), by)
    return _write(db, new, by, {"from": acc.role, "to": role, "scope": list(scope), "person": person})


def set_disabled(db: Path, login: str, disabled: bool, by: str = "cli") -> Account:
    acc = _existing(db, login)
    if disabled and acc.is_admin and not _admins_left(db, acc.login):
        raise AccountError("this is the last admin who can sign in: make another admin first")
    new = Account(acc.login, acc.name, acc.role, acc.scope, acc.person, acc.password_hash, disabled,
                  "disable" if disabled else "enable", datetime.now(), by)
    return _write(db, new, by, {})


def reset_password(db: Path, login: str, password_hash: str, by: str = "cli") -> Account:
    acc = _existing(db, login)
    if not str(password_hash).startswith("scrypt$"):
        raise AccountError("an account's password is stored as a hash made by hash_password")
    new = Account(acc.login, acc.name, acc.role, acc.scope, acc.person, password_hash, acc.disabled, "password",
                  datetime.now(), by)
    return _write(db, new, by, {})


def check_password(db: Path, login: str, password: str) -> Account | None:
    """The account whose login and password these are, if it may sign in; None otherwise (an
    unknown login costs the same time as a wrong password)."""
    acc = get(db, login)
    if acc is None:
        verify_password(password, hash_password("x" * 16, b"0" * 16))  # as slow as a real check
        return None
    if acc.password_hash is None:  # signs in through the company's login only
        verify_password(password, hash_password("x" * 16, b"0" * 16))
        return None
    return acc if verify_password(password, acc.password_hash) and not acc.disabled else None


def check_sso(settings: dict) -> dict:
    """``[toneboard.sso]`` of secrets.toml, checked: ``claim`` (which claim of the company's login is
    an account's login; default ``email``) and ``groups``: rules that admit whoever has a claim
    value (``claim``, default ``groups``; ``value``) with a ``role`` and its ``scope`` or ``person``."""
    claim = str(settings.get("claim", "email"))
    rules = []
    for i, r in enumerate(settings.get("groups", []) or []):
        if not isinstance(r, dict) or not r.get("value") or not r.get("role"):
            raise AuthError(f"[toneboard.sso] groups #{i + 1}: give value and role (and scope or person)")
        role = check_role(str(r["role"]))
        scope, person = _checked(role, r.get("scope") or (), r.get("person"))
        rules.append({"claim": str(r.get("claim", "groups")), "value": str(r["value"]), "role": role,
                      "scope": scope, "person": person})
    return {"claim": claim, "groups": rules}


def sso_account(people: dict[str, Account], claims: dict, settings: dict) -> Account | None:
    """Who someone signed in through the company's login is: the enabled account whose login is
    their ``claim`` (e-mail), else the first group rule their claims meet; None: not admitted."""
    who = str(claims.get(settings["claim"]) or "").strip().lower()
    if not who:
        return None
    acc = people.get(who)
    if acc is not None:
        return None if acc.disabled else acc
    for r in settings["groups"]:
        have = claims.get(r["claim"])
        if r["value"] in (have if isinstance(have, list) else [have]):
            return Account(who, str(claims.get("name") or who)[:100], r["role"], r["scope"], r["person"], None, False,
                           "sso", datetime.now(), f"rule {r['claim']}={r['value']}")
    return None


def first_admin(db: Path, single_password_hash: str | None = None) -> str | None:
    """With no account yet: the admin from the environment, else the single dashboard password
    (``single_password_hash``) as the account ``admin``. Returns the login made, or None."""
    if all_accounts(db):
        return None
    login, hashed = os.environ.get(ADMIN_LOGIN_ENV, "").strip(), os.environ.get(ADMIN_HASH_ENV, "").strip()
    if login or hashed:
        if not (login and hashed.startswith("scrypt$")):
            raise AuthError(f"set both {ADMIN_LOGIN_ENV} and {ADMIN_HASH_ENV} (from 'toneboard hash-password')")
        return add(db, login, login, "admin", hashed, by="environment", change="environment").login
    if single_password_hash:
        return add(db, UPGRADED_LOGIN, "Admin", "admin", single_password_hash, by="upgrade", change="upgrade").login
    return None


def listing(db: Path) -> list[str]:
    """``toneboard users list``: one line per account (never its password hash)."""
    found = sorted(all_accounts(db).values(), key=lambda a: (ROLES.index(a.role), a.login))
    if not found:
        return [f"no accounts in {db}: add the first admin with 'toneboard users add LOGIN --role admin'"]
    return [f"{a.login}\t{a.name}\t{a.role}" + (f"\tscope {', '.join(a.scope)}" if a.scope else "")
            + (f"\tperson {a.person}" if a.person else "") + ("\tDISABLED" if a.disabled else "")
            + f"\tchanged {a.changed_at:%Y-%m-%d %H:%M} by {a.changed_by}" for a in found]


def frame(db: Path):
    """The accounts as a table for the team page (never a password hash): login, person (their name),
    account_role, scope, own_recordings, disabled, changed_at, changed_by."""
    import pandas as pd

    found = sorted(all_accounts(db).values(), key=lambda a: (ROLES.index(a.role), a.login))
    return pd.DataFrame([{"login": a.login, "person": a.name, "account_role": a.role, "scope": ", ".join(a.scope),
                          "own_recordings": a.person or "", "disabled": a.disabled, "changed_at": a.changed_at,
                          "changed_by": a.changed_by} for a in found],
                        columns=["login", "person", "account_role", "scope", "own_recordings", "disabled",
                                 "changed_at", "changed_by"])

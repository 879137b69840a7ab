"""Account files: who may sign in to the dashboard, with which role and scope. Personal data (and a
password hash each), so, like voiceprints, their own folder, no database view, never in an export
(``export-db`` leaves them out). Each change is one event file, written atomically
(``<store>/accounts/<time>-<id>.parquet``, a whole account per row: the latest row per login is the
account), so two dashboard processes and the CLI can change accounts at once without a lock.

Also here: the live server's client tokens (``<store>/accounts/live_tokens/<name>.json``: a name and
the SHA-256 of a random token; the token itself is shown once, when it is made), and the sign-in
attempts every dashboard process of a store counts together (``<store>/accounts/attempts.json``,
changed under an exclusive file lock), so two processes behind one address cannot double a
guesser's tries. What an account may do is ``analytics.access``.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import secrets
import uuid
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb

from . import layout

COLUMNS = """
    login VARCHAR,           -- what the person types to sign in (lower case)
    name VARCHAR,            -- how pages name them
    role VARCHAR,            -- admin | lead | reviewer | agent | teacher (analytics.access.accounts.ROLES)
    scope VARCHAR[],         -- the teams or classes they see, as metadata key=value (lead, reviewer)
    person VARCHAR,          -- the metadata value that names them (agent=Li): their own recordings
    password_hash VARCHAR,   -- scrypt$... (never a password)
    disabled BOOLEAN,
    change VARCHAR,          -- add | role | disable | enable | password | upgrade | environment
    changed_at TIMESTAMP,
    changed_by VARCHAR"""
NAMES = [line.split()[0] for line in COLUMNS.strip().splitlines()]


def folder(db: Path) -> Path:
    from . import Store

    return Store(db).accounts()


def append(db: Path, row: dict) -> Path:
    """One account's new state, as one new file (atomic)."""
    d = folder(db)
    d.mkdir(parents=True, exist_ok=True)
    dest = d / f"{datetime.now():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:10]}.parquet"
    tmp = d / f".{uuid.uuid4().hex}.tmp"
    con = duckdb.connect()
    try:
        con.execute(f"CREATE TABLE a ({COLUMNS})")
        con.execute(f"INSERT INTO a VALUES ({', '.join('?' * len(NAMES))})", [row.get(n) for n in NAMES])
        con.execute(f"COPY a TO {layout.sql_path(tmp)} (FORMAT parquet)")
    finally:
        con.close()
    os.replace(tmp, dest)
    return dest


_read: dict[Path, tuple[tuple, list[dict]]] = {}  # folder -> (its stamp, its rows): read again when it changes


def rows(db: Path) -> list[dict]:
    """Every account event, oldest first (by time, then file name). Read again only when the folder
    changes (a new file changes its modification time): the dashboard asks at every click."""
    d = folder(db)
    if not d.is_dir():
        return []
    files = sorted(str(f) for f in d.glob("*.parquet"))
    stamp = (d.stat().st_mtime_ns, len(files), files[-1] if files else None)
    cached = _read.get(d)
    if cached is not None and cached[0] == stamp:
        return [dict(r) for r in cached[1]]
    out = []
    if files:
        con = duckdb.connect()
        try:
            cur = con.execute(f"SELECT {', '.join(NAMES)}, filename FROM read_parquet(?, union_by_name = true, "
                              "filename = true) ORDER BY changed_at, filename", [files])
            out = [dict(zip(NAMES, r[:-1])) for r in cur.fetchall()]
        finally:
            con.close()
    _read[d] = (stamp, out)
    return [dict(r) for r in out]


@contextmanager
def attempts(db: Path):
    """The shared sign-in attempts (a dict, as JSON), held under an exclusive lock while the block
    runs and written back when it ends; an unreadable file starts afresh."""
    d = folder(db)
    d.mkdir(parents=True, exist_ok=True)
    path = d / "attempts.json"
    with open(d / ".attempts.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            try:
                state = json.loads(path.read_text())
                state = state if isinstance(state, dict) else {}
            except (OSError, ValueError):
                state = {}
            yield state
            tmp = d / f".attempts-{uuid.uuid4().hex}.tmp"
            tmp.write_text(json.dumps(state))
            os.replace(tmp, path)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


TOKEN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _tokens(db: Path) -> Path:
    return folder(db) / "live_tokens"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_live_token(db: Path, name: str, by: str) -> str:
    """A new token for the live client ``name`` (1-64 of A-Z a-z 0-9 . _ -): returned once, stored
    only as its SHA-256. ValueError for a bad or taken name."""
    if not TOKEN_NAME.fullmatch(name or ""):
        raise ValueError(f"a live client's name is 1-64 of A-Z a-z 0-9 . _ - (got {name!r})")
    d = _tokens(db)
    d.mkdir(parents=True, exist_ok=True)
    if (d / f"{name}.json").exists():
        raise ValueError(f"there is already a live token {name!r} (toneboard live-token list; remove it first)")
    token = "tbl_" + secrets.token_hex(24)
    tmp = d / f".{uuid.uuid4().hex}.tmp"
    tmp.write_text(json.dumps({"name": name, "sha256": token_digest(token), "created_at": datetime.now().isoformat(
        timespec="seconds"), "created_by": by}))
    os.replace(tmp, d / f"{name}.json")
    return token


def live_tokens(db: Path) -> dict[str, dict]:
    """The live clients' tokens by the SHA-256 of each ({name, sha256, created_at, created_by})."""
    d = _tokens(db)
    out = {}
    for f in sorted(d.glob("*.json")) if d.is_dir() else []:
        try:
            t = json.loads(f.read_text())
            out[t["sha256"]] = t
        except (OSError, ValueError, KeyError, TypeError):
            continue  # unreadable: no token
    return out


def remove_live_token(db: Path, name: str) -> bool:
    if not TOKEN_NAME.fullmatch(name or ""):
        return False
    f = _tokens(db) / f"{name}.json"
    if not f.exists():
        return False
    f.unlink()
    return True

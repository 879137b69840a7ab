"""Passwords: never stored, only a salted scrypt hash (``scrypt$N$r$p$salt$hash``). Used by the
accounts (analytics.access.accounts), the dashboard's login and ``toneboard hash-password``."""
from __future__ import annotations

import hashlib
import hmac
import secrets

N, R, P = 2 ** 14, 8, 1  # scrypt cost: ~50 ms and 16 MB per check
MIN_LENGTH = 10


class AuthError(ValueError):
    pass


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash`` (hex) for a password of at least MIN_LENGTH characters."""
    if len(password) < MIN_LENGTH:
        raise AuthError(f"the password needs at least {MIN_LENGTH} characters")
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=32)
    return f"scrypt${N}${R}${P}${salt.hex()}${digest.hex()}"


def ask_password(from_stdin: bool) -> str:
    """``toneboard hash-password``: the password from standard input (scripts), or typed twice."""
    import getpass
    import sys

    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass("password: ")
    if getpass.getpass("again: ") != password:
        raise AuthError("the two passwords differ")
    return password


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (constant-time compare); False for a malformed hash."""
    try:
        kind, n, r, p, salt, digest = stored.strip().split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(bytes.fromhex(digest)), maxmem=2 ** 26)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, bytes.fromhex(digest))

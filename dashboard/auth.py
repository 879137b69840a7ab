"""Password login for the dashboard. The password is never stored: only a salted scrypt hash, from
the environment (``TONEBOARD_PASSWORD_HASH``) or ``.streamlit/secrets.toml`` (``[toneboard]
password_hash = "…"``). ``toneboard hash-password`` makes one. Companies with an identity provider
use Streamlit's OIDC login instead (see SECURITY.md). No Streamlit import here: the CLI uses it too."""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
import tomllib
from pathlib import Path

ENV = "TONEBOARD_PASSWORD_HASH"
ROOT = Path(__file__).resolve().parent.parent
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


def _secrets() -> dict:
    """Streamlit's secrets as it reads them (the user's file, then the project's on top), or the file
    named by TONEBOARD_SECRETS alone."""
    files = ([Path(os.environ["TONEBOARD_SECRETS"])] if os.environ.get("TONEBOARD_SECRETS")
             else [Path.home() / ".streamlit" / "secrets.toml", ROOT / ".streamlit" / "secrets.toml"])
    merged: dict = {}
    for f in files:
        if f.is_file():
            try:
                merged.update(tomllib.loads(f.read_text()))
            except tomllib.TOMLDecodeError as e:
                raise AuthError(f"{f}: {e}") from None
    return merged


def configured_hash() -> str | None:
    """The password hash in force: the environment first, then secrets.toml; None if neither."""
    value = os.environ.get(ENV, "").strip() or str(_secrets().get("toneboard", {}).get("password_hash", "")).strip()
    if value and not value.startswith("scrypt$"):
        raise AuthError("the password hash must come from 'toneboard hash-password' (scrypt$...), not a password")
    return value or None


def oidc_configured() -> bool:
    """Whether Streamlit's OIDC login (an ``[auth]`` section with a client id) is set up."""
    return bool(_secrets().get("auth", {}).get("client_id"))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str) -> None:
    """Refuse to serve beyond this machine without a login configured."""
    if is_loopback(host) or configured_hash() or oidc_configured():
        return
    raise AuthError(f"refusing to listen on {host} without a login: set {ENV} (make one with "
                    "'toneboard hash-password') or Streamlit's [auth] OIDC settings in .streamlit/secrets.toml; "
                    "or keep 127.0.0.1 and use an SSH tunnel (see SECURITY.md)")

"""Password login for the dashboard. The password is never stored: only a salted scrypt hash, from
the environment (``TONEBOARD_PASSWORD_HASH``) or ``.streamlit/secrets.toml`` (``[toneboard]
password_hash = "…"``). ``toneboard hash-password`` makes one. Companies with an identity provider
use Streamlit's OIDC login instead (see SECURITY.md). No Streamlit import here: the CLI uses it too."""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import os
import secrets
import threading
import time
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


# -- guessing ------------------------------------------------------------------------------------
LOCK_AFTER = 5  # failures from one address within WINDOW_S lock it out
LOCK_S = 15 * 60.0
WINDOW_S = 15 * 60.0
MAX_DELAY_S = 8.0
log = logging.getLogger("toneboard.auth")


class LoginGuard:
    """Failed logins counted per client address and across all addresses (not per browser
    session, which an attacker makes fresh for every guess). Each failure from an address doubles
    the wait before its next answer; many failures from everywhere slow everyone down; after
    ``LOCK_AFTER`` failures an address is locked out for ``LOCK_S``. Every attempt is logged
    (address and outcome, never the password). One guard per dashboard process."""

    def __init__(self, clock=time.monotonic, sleep=time.sleep):
        self.clock, self.sleep = clock, sleep
        self.lock = threading.Lock()
        self.failures: dict[str, list[float]] = {}
        self.everyone: list[float] = []
        self.locked_until: dict[str, float] = {}

    def _recent(self, times: list[float], now: float) -> list[float]:
        return [t for t in times if now - t < WINDOW_S]

    def locked(self, address: str) -> float:
        """Seconds the address stays locked out (0: not locked)."""
        with self.lock:
            return max(0.0, self.locked_until.get(address, 0.0) - self.clock())

    def delay(self, address: str) -> float:
        """How long to wait before answering this address's next attempt."""
        with self.lock:
            now = self.clock()
            mine = len(self._recent(self.failures.get(address, []), now))
            all_ = len(self._recent(self.everyone, now))
        own = 0.25 * 2 ** mine if mine else 0.0
        shared = 0.25 * 2 ** (all_ / LOCK_AFTER) if all_ >= LOCK_AFTER else 0.0
        return min(MAX_DELAY_S, max(own, shared))

    def wait_turn(self, address: str) -> None:
        """Wait as long as ``delay`` says before an attempt is checked."""
        self.sleep(self.delay(address))

    def record(self, address: str, ok: bool) -> None:
        with self.lock:
            now = self.clock()
            if ok:
                self.failures.pop(address, None)
                log.info("login ok from %s", address)
                return
            mine = self.failures[address] = self._recent(self.failures.get(address, []), now) + [now]
            self.everyone = self._recent(self.everyone, now) + [now]
            if len(mine) >= LOCK_AFTER:
                self.locked_until[address] = now + LOCK_S
                self.failures[address] = []
                log.warning("login failed from %s: locked out for %.0f min after %d failures",
                            address, LOCK_S / 60, LOCK_AFTER)
            else:
                log.warning("login failed from %s (%d in %.0f min)", address, len(mine), WINDOW_S / 60)


GUARD = LoginGuard()


def exposed(bound_address: str | None, client_address: str | None) -> bool:
    """Whether the dashboard is reachable beyond this machine: bound to a non-loopback address, or
    asked by a client from elsewhere (whatever started it: toneboard dashboard or streamlit run)."""
    if bound_address and not is_loopback(bound_address):
        return True
    return bool(client_address) and not is_loopback(client_address)

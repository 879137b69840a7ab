"""Password login for the dashboard. The password is never stored: only a salted scrypt hash, from
the environment (``TONEBOARD_PASSWORD_HASH``) or ``.streamlit/secrets.toml`` (``[toneboard]
password_hash = "…"``). ``toneboard hash-password`` makes one. Companies with an identity provider
use Streamlit's OIDC login instead (see SECURITY.md). No Streamlit import here: the CLI uses it too."""
from __future__ import annotations

import ipaddress
import logging
import os
import threading
import time
import tomllib
from contextlib import contextmanager
from pathlib import Path

from analytics.access.passwords import (  # noqa: F401 - the CLI and the login page use them from here
    MIN_LENGTH,
    AuthError,
    ask_password,
    hash_password,
    verify_password,
)

ENV = "TONEBOARD_PASSWORD_HASH"
ROOT = Path(__file__).resolve().parent.parent
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


def sso_settings() -> dict:
    """``[toneboard.sso]`` of secrets.toml: which claim names an account, and group rules
    (analytics.access.accounts.check_sso); {} when absent."""
    value = _secrets().get("toneboard", {}).get("sso", {})
    return value if isinstance(value, dict) else {}


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


PROXIES_ENV = "TONEBOARD_TRUSTED_PROXIES"


def trusted_proxies() -> list:
    """The reverse proxies whose ``X-Forwarded-For`` is believed: addresses or networks from
    ``TONEBOARD_TRUSTED_PROXIES`` (comma-separated) or ``[toneboard] trusted_proxies`` in
    secrets.toml; none by default (the header is then ignored: anyone can send it)."""
    raw = os.environ.get(PROXIES_ENV)
    items = raw.split(",") if raw is not None else _secrets().get("toneboard", {}).get("trusted_proxies", [])
    if isinstance(items, str):
        items = items.split(",")
    out = []
    for item in items:
        item = str(item).strip()
        if item:
            try:
                out.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise AuthError(f"trusted proxies: {item!r} is not an IP address or network (e.g. 127.0.0.1 or "
                                "10.0.0.0/8)") from None
    return out


def _ip(text: str):
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def client_address(peer: str | None, forwarded_for: str | None, proxies: list) -> str:
    """The address a login attempt is counted against. ``peer`` is the connection's address (None:
    this machine). Only when the peer is a trusted proxy is ``X-Forwarded-For`` read, from the right:
    the first address that is not itself a trusted proxy is the client's (addresses further left
    were written by the client and may be made up)."""
    peer = peer or "127.0.0.1"
    ip = _ip(peer)
    if ip is None or not forwarded_for or not any(ip in net for net in proxies):
        return peer
    hops = [h for h in (x.strip() for x in forwarded_for.split(",")) if h]
    for hop in reversed(hops):
        addr = _ip(hop)
        if addr is None:
            return peer  # a malformed chain: count it against the proxy, never a made-up name
        if not any(addr in net for net in proxies):
            return str(addr)
    return str(_ip(hops[0])) if hops else peer


def check_bind(host: str, db: Path | None = None) -> None:
    """Refuse to serve beyond this machine without a login configured (accounts in the store of
    ``db``, the environment's first admin, a password hash, or OIDC)."""
    from analytics.access import accounts

    if (is_loopback(host) or configured_hash() or oidc_configured() or os.environ.get(accounts.ADMIN_HASH_ENV)
            or (db is not None and accounts.all_accounts(db))):
        return
    raise AuthError(f"refusing to listen on {host} without a login: add an admin ('toneboard users add LOGIN "
                    f"--role admin'), or set {ENV} (make one with 'toneboard hash-password') or Streamlit's [auth] "
                    "OIDC settings in .streamlit/secrets.toml; or keep 127.0.0.1 and use an SSH tunnel (see SECURITY.md)")


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
    (address and outcome, never the password). In memory, for one process: StoreGuard shares it."""

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
            return self._delay(len(self._recent(self.failures.get(address, []), now)),
                               len(self._recent(self.everyone, now)))

    @staticmethod
    def _delay(mine: int, all_: int) -> float:
        own = 0.25 * 2 ** mine if mine else 0.0
        shared = 0.25 * 2 ** (all_ / LOCK_AFTER) if all_ >= LOCK_AFTER else 0.0
        return min(MAX_DELAY_S, max(own, shared))

    def begin(self, address: str) -> float | None:
        """An attempt from ``address`` is about to be checked: in one step under the lock, refuse it
        if the address is locked out (None), else count it as a failure now (``finish`` takes that
        back if the password was right) and return how long to wait before checking it. Counting
        first means attempts sent at the same moment cannot all pass the lockout check: at most
        ``LOCK_AFTER`` passwords are checked per lockout window, however many arrive together."""
        with self.lock:
            now = self.clock()
            if self.locked_until.get(address, 0.0) > now:
                return None
            mine = self._recent(self.failures.get(address, []), now)
            everyone = self._recent(self.everyone, now)
            wait = self._delay(len(mine), len(everyone))
            self.failures[address] = mine + [now]
            self.everyone = everyone + [now]
            if len(mine) + 1 >= LOCK_AFTER:
                self.locked_until[address] = now + LOCK_S
                self.failures[address] = []
            return wait

    def finish(self, address: str, ok: bool) -> None:
        """The outcome of an attempt ``begin`` let through (logged; a right password clears the address)."""
        with self.lock:
            if ok:
                self.failures.pop(address, None)
                self.locked_until.pop(address, None)
                log.info("login ok from %s", address)
            elif self.locked_until.get(address, 0.0) > self.clock():
                log.warning("login failed from %s: locked out for %.0f min after %d failures",
                            address, LOCK_S / 60, LOCK_AFTER)
            else:
                log.warning("login failed from %s (%d in %.0f min)", address,
                            len(self.failures.get(address, [])), WINDOW_S / 60)

    def attempt(self, address: str, check, also: tuple[str, ...] = ()) -> bool | None:
        """``check()`` (the password test) run as one attempt from ``address`` (and counted against
        the keys ``also``: the account tried): None if any is locked out, else its outcome, after
        the longest wait ``begin`` says."""
        keys = (address, *also)
        if any(self.locked(k) for k in also):
            return None
        waits = [self.begin(k) for k in keys]
        if None in waits:
            return None
        self.sleep(max(waits))
        ok = bool(check())
        for k in keys:
            self.finish(k, ok)
        return ok

    def record(self, address: str, ok: bool) -> None:
        """An attempt checked elsewhere, counted and logged (no wait)."""
        if self.begin(address) is not None:
            self.finish(address, ok)


class StoreGuard(LoginGuard):
    """A LoginGuard whose counts live in the store (``ingest.store.accounts.attempts``, under a file
    lock): every dashboard process of one store counts the same failures, so two processes behind
    one address do not double a guesser's tries. Wall-clock time, the same in every process."""

    def __init__(self, db: Path, sleep=time.sleep):
        super().__init__(clock=time.time, sleep=sleep)
        self.db = db

    @contextmanager
    def _shared(self):
        from ingest.store import accounts

        with accounts.attempts(self.db) as state:
            self.failures = state.setdefault("failures", {})
            self.everyone = state.get("everyone", [])
            self.locked_until = state.setdefault("locked_until", {})
            yield
            state["everyone"] = self.everyone
            now = self.clock()  # what can no longer count is dropped
            state["failures"] = {k: v for k, v in self.failures.items() if self._recent(v, now)}
            state["locked_until"] = {k: t for k, t in self.locked_until.items() if t > now}

    def locked(self, address: str) -> float:
        with self._shared():
            return super().locked(address)

    def delay(self, address: str) -> float:
        with self._shared():
            return super().delay(address)

    def begin(self, address: str) -> float | None:
        with self._shared():
            return super().begin(address)

    def finish(self, address: str, ok: bool) -> None:
        with self._shared():
            super().finish(address, ok)


GUARD: LoginGuard | None = None  # None: each store's own StoreGuard (a test may put one of its own here)


def guard(db: Path) -> LoginGuard:
    """The guard that counts sign-ins to the store of ``db``."""
    return GUARD if GUARD is not None else StoreGuard(db)


def exposed(bound_address: str | None, client_address: str | None) -> bool:
    """Whether the dashboard is reachable beyond this machine: bound to a non-loopback address, or
    asked by a client from elsewhere (whatever started it: toneboard dashboard or streamlit run)."""
    if bound_address and not is_loopback(bound_address):
        return True
    return bool(client_address) and not is_loopback(client_address)

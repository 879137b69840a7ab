"""Who may use the live server: clients present a token an admin made (``toneboard live-token add
NAME``) in the WebSocket handshake (``Authorization: Bearer <token>``, or ``?token=`` where a client
cannot set headers). With any token made, a handshake without a known token is refused (401) before
a call can start or an event be read; with none, the server serves this machine only (the CLI refuses
another address). Tokens are stored as SHA-256 digests (``ingest.store.accounts``) and read again
when that folder changes, so a token removed stops working without a restart."""
from __future__ import annotations

import hmac
import sys
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from ..store import accounts


class Tokens:
    """The tokens of one store, read again whenever their folder changes."""

    def __init__(self, db: Path):
        self.db = Path(db)
        self._stamp: tuple | None = None
        self._known: dict[str, dict] = {}

    def known(self) -> dict[str, dict]:
        d = accounts.folder(self.db) / "live_tokens"
        stamp = (d.stat().st_mtime_ns, len(list(d.glob("*.json")))) if d.is_dir() else None
        if stamp != self._stamp:
            self._known, self._stamp = accounts.live_tokens(self.db), stamp
        return self._known

    def client(self, token: str | None) -> str | None:
        """The name of the client whose token this is (None: unknown; every digest compared)."""
        digest = accounts.token_digest(token or "")
        found = None
        for known, t in self.known().items():
            if hmac.compare_digest(known, digest):
                found = t["name"]
        return found if token else None

    def process_request(self, connection, request):
        """websockets' handshake hook: None lets the handshake go on; a 401 response refuses it."""
        if not self.known():
            return None
        auth = request.headers.get("Authorization", "")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else (parse_qs(urlsplit(request.path).query).get("token") or [None])[0]
        if self.client(token) is None:
            return connection.respond(HTTPStatus.UNAUTHORIZED, "a live token is needed (toneboard live-token add NAME)\n")
        return None


def add_arguments(p) -> None:
    p.add_argument("action", choices=("add", "list", "remove"))
    p.add_argument("name", nargs="?", help="the client's name (add, remove): a call platform, a site")
    p.add_argument("--by", default="cli", help="who makes it (default: %(default)s)")


def run(a) -> int | None:
    if a.action == "list":
        found = sorted(accounts.live_tokens(a.db).values(), key=lambda t: t["name"])
        print("\n".join(f"{t['name']}\tmade {t['created_at']} by {t['created_by']}" for t in found)
              or f"no live tokens in {a.db}: the live server serves this machine only")
        return None
    if not a.name:
        raise ValueError(f"live-token {a.action} needs a name")
    if a.action == "remove":
        if not accounts.remove_live_token(a.db, a.name):
            raise ValueError(f"no live token {a.name!r} (toneboard live-token list)")
        print(f"removed the live token of {a.name}: its client can no longer connect")
        return None
    token = accounts.add_live_token(a.db, a.name, a.by)
    print(token)
    print(f"the live token of {a.name} (shown once; give it to the client: live-send --token, or the header "
          "'Authorization: Bearer <token>')", file=sys.stderr)
    return None

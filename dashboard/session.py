"""Who is at the other end of this browser session, for the audit: their address, and a record of
an export made later (a download's file is made when its button is pressed, outside the script run).
Streamlit here; the login's own checks are in ``auth`` (no Streamlit) and ``login`` (the door)."""
from __future__ import annotations

from dataclasses import asdict, is_dataclass

import streamlit as st

from analytics.access import audit
from ingest.store import Store

from . import auth

LOCAL = "127.0.0.1"  # a request from this machine (Streamlit gives no address for it)


def client_address() -> str | None:
    """The connecting client's IP address (None where unknown: a bare script run). Behind a reverse
    proxy the operator trusts (TONEBOARD_TRUSTED_PROXIES), the address it forwards."""
    try:
        ip = st.context.ip_address  # None for this machine
        forwarded = st.context.headers.get("X-Forwarded-For")
    except Exception:  # noqa: BLE001 - outside a browser session (bare script runs)
        return None
    ip = ip if isinstance(ip, str) and ip else None
    proxies = auth.trusted_proxies()
    if not proxies:
        return ip
    return auth.client_address(ip, forwarded, proxies)


@st.cache_resource(show_spinner=False)
def audit_store(db: str) -> Store:
    """One Store per database for the audit's writes (it checks the database file's views once;
    no reader snapshot is needed to write an entry)."""
    return Store(db)


def exported(db: str, what: str):
    """A function that writes "<who> exported <what> with this page's filter" to the audit, for a
    download made later (outside this script run: who, where from and the filter are read now)."""
    store = audit_store(db)
    viewer, flt = st.session_state.get("viewer"), st.session_state.get("filter")
    address = client_address() or LOCAL
    detail = {"what": what, "filter": {k: x for k, x in asdict(flt).items() if x} if is_dataclass(flt) else None}
    action = "report" if what == "report" else "export"
    return lambda: audit.record(store, viewer.login if viewer else None, action, None, detail, address)

"""The dashboard's door: with a login configured (a password hash, or OIDC in secrets.toml) nothing
but the login shows until it succeeds; the password check and its lock-out live in ``auth`` (no
Streamlit there: the CLI uses it too)."""
import streamlit as st

from . import auth
from .ui import as_text, tr


def gate() -> None:
    """With a login configured (a password hash, or OIDC in secrets.toml), show nothing but the login
    until it succeeds; stops the script run meanwhile. Without one, the app is open (it then listens
    on 127.0.0.1 only: the CLI refuses other addresses)."""
    try:
        stored = auth.configured_hash()
        oidc = auth.oidc_configured()
        auth.trusted_proxies()  # a malformed setting is said here, not on every attempt
    except auth.AuthError as e:
        st.error(as_text(e))
        st.stop()
    if not stored and not oidc and auth.exposed(st.get_option("server.address"), _client_address()):
        st.title(tr("app_title"))  # beyond this machine only with a login, whatever started the app
        st.error(tr("exposed_no_login"))
        st.stop()
    if stored:
        if st.session_state.get("_authed") != stored:
            _password_form(stored)
            st.stop()
        if st.sidebar.button(tr("logout"), key="logout"):
            st.session_state.pop("_authed", None)
            st.rerun()
    elif oidc:
        if not st.user.get("is_logged_in"):  # absent until Streamlit itself has [auth] settings
            st.title(tr("app_title"))
            st.button(tr("login_sso"), on_click=st.login, type="primary")
            st.stop()
        st.sidebar.button(tr("logout"), key="logout", on_click=st.logout)


def _password_form(stored: str) -> None:
    st.title(tr("app_title"))
    with st.form("login_form"):
        password = st.text_input(tr("password"), type="password", key="login_password", max_chars=1024)
        submitted = st.form_submit_button(tr("login"), type="primary")
    if submitted:
        address = _client_address() or "local"
        # counted before it is checked, per address and across all of them, not per session
        ok = auth.GUARD.attempt(address, lambda: len(password) <= 1024 and auth.verify_password(password, stored))
        if ok is None:
            st.error(tr("locked_out", m=max(1, round(auth.GUARD.locked(address) / 60))))
            return
        if ok:
            st.session_state["_authed"] = stored
            st.rerun()
        st.error(tr("bad_password"))


def _client_address() -> str | None:
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

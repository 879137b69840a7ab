"""The dashboard's door. With accounts (``toneboard users``; the single password of earlier versions
becomes the account ``admin`` on first start) nothing but the sign-in shows until a person signs in
with their login and password; with OIDC in secrets.toml, the company's login. Who is signed in is
``viewer()`` (None: no login configured, this machine only, everything open as before accounts).
The password check, the shared lock-out and the accounts live in ``auth`` and ``analytics.access``
(no Streamlit there: the CLI uses them too)."""
import os
import time

import streamlit as st

from analytics.access import accounts, audit
from analytics.access.accounts import Account
from analytics.scope import EVERYTHING

from . import auth
from .session import LOCAL, audit_store, client_address
from .ui import as_text, db_path, tr

MAX_LOGIN = 64
IDLE_ENV = "TONEBOARD_IDLE_MINUTES"


def signed_in() -> bool:
    """Whether this session may see the app: someone signed in (``viewer()``), or no login
    configured on this machine (open, as before accounts: the CLI refuses other addresses without
    one). False: ``door()`` must be shown. A setting that cannot be read stops the run with its error."""
    try:
        stored = auth.configured_hash()
        oidc = auth.oidc_configured()
        auth.trusted_proxies()  # a malformed setting is said here, not on every attempt
        accounts.first_admin(db_path(), stored)  # the environment's admin, or the single password's
        people = accounts.all_accounts(db_path())
    except (auth.AuthError, accounts.AccountError) as e:
        st.error(as_text(e))
        st.stop()
    st.session_state["_door"] = "oidc" if oidc else "accounts" if people else "exposed"
    if oidc:
        return _company_login(people)
    if people:
        return _account_of_session(people)
    if auth.exposed(st.get_option("server.address"), client_address()):
        return False  # beyond this machine only with a login, whatever started the app
    st.session_state["viewer"] = None  # open, on this machine: everything, as before accounts
    st.session_state["scope"] = EVERYTHING
    return True


def door() -> None:
    """The sign-in (accounts), the company's login (OIDC), or why the app is closed; stops the run."""
    st.title(tr("app_title"))
    kind = st.session_state.get("_door")
    if kind == "accounts":
        _sign_in_form(accounts.all_accounts(db_path()))
    elif kind == "oidc" and st.user.get("is_logged_in"):  # signed in at the company, admitted by nobody here
        who = str(st.session_state.get("_sso_who") or "?").replace("`", "'")
        st.warning(tr("sso_not_admitted", who=f"`{who}`"))  # as code: an address, not a link
        st.button(tr("logout"), key="logout", on_click=st.logout)
    elif kind == "oidc":
        st.button(tr("login_sso"), on_click=st.login, type="primary")
    else:
        st.error(tr("exposed_no_login"))
    st.stop()


def sign_out_button() -> None:
    """Who is signed in, and the button to sign out (in the sidebar)."""
    acc = viewer()
    if acc is not None:
        st.sidebar.caption(tr("signed_in_as", name=as_text(acc.name), role=tr(f"role_{acc.role}")))
    if st.session_state.get("_door") == "oidc":
        st.sidebar.button(tr("logout"), key="logout", on_click=st.logout)
        return
    if acc is None:
        return
    if st.sidebar.button(tr("logout"), key="logout"):
        _record(acc.login, "sign_out")
        for k in ("_login", "_login_hash", "viewer", "scope"):
            st.session_state.pop(k, None)
        st.rerun()


def _company_login(people: dict[str, Account]) -> bool:
    """Signed in at the company's identity provider (Streamlit's OIDC login): the account its claim
    names, or a group rule of ``[toneboard.sso]``; nobody admitted them: no access (the door says so)."""
    if not st.user.get("is_logged_in"):  # absent until Streamlit itself has [auth] settings
        return False
    claims = st.user.to_dict()
    try:
        acc = accounts.sso_account(people, claims, accounts.check_sso(auth.sso_settings()))
    except (auth.AuthError, accounts.AccountError) as e:
        st.error(as_text(e))
        st.stop()
    who = str(claims.get("email") or claims.get("sub") or "")[:100]
    seen = st.session_state.setdefault("_sso_seen", set())
    if (who, acc is not None) not in seen:  # once per session, in the audit
        seen.add((who, acc is not None))
        _record(acc.login if acc else who or None, "sign_in" if acc else "sign_in_failed",
                detail={"company_login": True} if acc else {"company_login": True, "admitted": False})
    st.session_state["_sso_who"] = who
    if acc is None:
        st.session_state.pop("viewer", None)
        st.session_state.pop("scope", None)
        return False
    st.session_state["viewer"] = acc
    st.session_state["scope"] = acc.sees()
    return True


def _account_of_session(people: dict[str, Account]) -> bool:
    """The account this session signed in with, still as it was (a disabled account, or a new
    password, signs it out)."""
    login = st.session_state.get("_login")
    acc = people.get(login) if login else None
    now, last = time.time(), st.session_state.get("_last_seen", 0.0)
    idle = acc is not None and now - last > idle_s()
    if acc is None or acc.disabled or st.session_state.get("_login_hash") != acc.password_hash or idle:
        if idle and not acc.disabled:
            st.session_state["_idle_out"] = True  # said on the sign-in form
            _record(acc.login, "sign_out", detail={"idle_minutes": round(idle_s() / 60)})
        for k in ("_login", "_login_hash", "viewer", "scope"):
            st.session_state.pop(k, None)
        return False
    st.session_state["_last_seen"] = now
    st.session_state["viewer"] = acc
    st.session_state["scope"] = acc.sees()  # every cursor of this session sees only this (ui.con)
    return True


def viewer() -> Account | None:
    """Who is signed in (None: no login configured; the app is open on this machine)."""
    return st.session_state.get("viewer")


def audited(action: str, recording_id: str | None = None, detail: dict | None = None, once: bool = False) -> None:
    """Write what the person signed in did to the audit (``once``: not again in this session for the
    same action and recording, as a page runs again at every click)."""
    if once:
        seen = st.session_state.setdefault("_audited", set())
        if (action, recording_id) in seen:
            return
        seen.add((action, recording_id))
    v = viewer()
    _record(v.login if v else None, action, recording_id, detail)


def _record(login: str | None, action: str, recording_id: str | None = None, detail: dict | None = None,
            address: str | None = None) -> None:
    """One audit entry, from this session's client address unless ``address`` is given."""
    audit.record(audit_store(str(db_path())), login, action, recording_id, detail, address or client_address() or LOCAL)


def may(action: str) -> bool:
    """Whether the person signed in may ``action`` (accounts.MAY; no login configured: everything)."""
    v = viewer()
    return v is None or v.may(action)


def read_only(action: str) -> str | None:
    """Why a control is greyed out for the person signed in (None: they may use it)."""
    return None if may(action) else tr("read_only", role=tr(f"role_{viewer().role}"))


def who() -> str:
    """Who makes a change, for what is stored beside it: the login, or "dashboard" without one."""
    v = viewer()
    return v.login if v else "dashboard"


def idle_s() -> float:
    """How long a signed-in session may sit unused: ``TONEBOARD_IDLE_MINUTES`` (default 30)."""
    try:
        return max(1.0, float(os.environ.get(IDLE_ENV, "30"))) * 60
    except ValueError:
        return 30 * 60.0


def _sign_in_form(people: dict[str, Account]) -> None:
    if st.session_state.pop("_idle_out", False):
        st.info(tr("idle_out", m=round(idle_s() / 60)))
    with st.form("login_form"):
        login = st.text_input(tr("login_name"), key="login_name", max_chars=MAX_LOGIN)
        password = st.text_input(tr("password"), type="password", key="login_password", max_chars=1024)
        submitted = st.form_submit_button(tr("login"), type="primary")
    if len(people) == 1 and next(iter(people.values())).change == "upgrade":
        st.caption(tr("login_after_upgrade", login=accounts.UPGRADED_LOGIN))
    if not submitted:
        return
    address = client_address() or LOCAL
    typed = (login or "").strip().lower()[:MAX_LOGIN]
    guard = auth.guard(db_path())
    found: list[Account] = []

    def check() -> bool:
        if len(password) > 1024:
            return False
        acc = accounts.check_password(db_path(), typed, password)
        found.extend([acc] if acc else [])
        return acc is not None
    # counted before it is checked: per address, per account and across all of them, in every
    # dashboard process of this store
    ok = guard.attempt(address, check, also=(f"account:{typed}",))
    if ok:
        acc = found[0]
        _record(acc.login, "sign_in", address=address)
        st.session_state.update(_login=acc.login, _login_hash=acc.password_hash, _last_seen=time.time())
        st.rerun()
    _record(typed or None, "sign_in_failed", detail={"locked_out": True} if ok is None else None, address=address)
    if ok is None:
        locked = max(guard.locked(address), guard.locked(f"account:{typed}"))
        st.error(tr("locked_out", m=max(1, round(locked / 60))))
        return
    st.error(tr("bad_password"))

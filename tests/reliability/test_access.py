"""Access control: the dashboard listens on 127.0.0.1 unless a login is configured, and with one
configured nothing but the login form is shown until it succeeds."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.auth import (
    AuthError,
    check_bind,
    configured_hash,
    hash_password,
    verify_password,
)
from dashboard.worker import IngestWorker, UploadRefused

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard" / "app.py")
PASSWORD = "correct horse battery"


@pytest.fixture()
def no_login(tmp_path, monkeypatch):
    """No password in the environment, and a secrets file of the test's own (empty at first)."""
    monkeypatch.delenv("TONEBOARD_PASSWORD_HASH", raising=False)
    secrets = tmp_path / "secrets.toml"
    monkeypatch.setenv("TONEBOARD_SECRETS", str(secrets))
    monkeypatch.setenv("TONEBOARD_DB", str(tmp_path / "tb.duckdb"))
    import dashboard.auth

    monkeypatch.setattr(dashboard.auth, "GUARD", dashboard.auth.LoginGuard())  # no failures from other tests
    return secrets


def test_password_hash_round_trip():
    stored = hash_password(PASSWORD)
    assert stored.startswith("scrypt$") and PASSWORD not in stored
    assert verify_password(PASSWORD, stored) and not verify_password(PASSWORD + "!", stored)
    assert hash_password(PASSWORD) != stored  # salted
    assert not verify_password(PASSWORD, "scrypt$bad") and not verify_password(PASSWORD, "md5$x$y$z$a$b")
    with pytest.raises(AuthError, match="at least"):
        hash_password("short")


def test_binding_beyond_loopback_needs_a_login(no_login, monkeypatch):
    for host in ("127.0.0.1", "localhost", "::1"):
        check_bind(host)
    with pytest.raises(AuthError, match="refusing to listen on 0.0.0.0"):
        check_bind("0.0.0.0")
    no_login.write_text('[auth]\nclient_id = "toneboard"\nclient_secret = "x"\n'
                        'server_metadata_url = "https://id.example.com/.well-known/openid-configuration"\n')
    check_bind("0.0.0.0")  # OIDC configured
    no_login.write_text("")
    monkeypatch.setenv("TONEBOARD_PASSWORD_HASH", hash_password(PASSWORD))
    check_bind("192.168.1.20")
    monkeypatch.setenv("TONEBOARD_PASSWORD_HASH", PASSWORD)  # a password pasted where its hash belongs
    with pytest.raises(AuthError, match="hash-password"):
        configured_hash()


def test_cli_refuses_an_open_dashboard_and_makes_hashes(no_login):
    env = {k: v for k, v in os.environ.items() if k != "TONEBOARD_PASSWORD_HASH"}
    r = subprocess.run([sys.executable, str(ROOT / "cli.py"), "dashboard", "--host", "0.0.0.0", "--port", "1"],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 2 and "refusing to listen on 0.0.0.0" in r.stderr
    r = subprocess.run([sys.executable, str(ROOT / "cli.py"), "hash-password", "--stdin"], input=PASSWORD + "\n",
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and verify_password(PASSWORD, r.stdout.strip())


def _texts(at: AppTest) -> str:
    return " ".join(str(e.value) for e in list(at.title) + list(at.markdown) + list(at.info) + list(at.subheader))


def test_with_a_password_only_the_login_shows_until_it_is_given(no_login, monkeypatch):
    """The single password of earlier versions becomes the account 'admin' (nobody is locked out)."""
    monkeypatch.setenv("TONEBOARD_PASSWORD_HASH", hash_password(PASSWORD))
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception and len(at.text_input) == 2 and "No recordings yet" not in _texts(at)
    assert any("login “admin” with the team's password" in c.value for c in at.caption)
    at.switch_page("views/sessions.py").run()  # another page's address: still the login
    assert len(at.text_input) == 2 and not at.dataframe and "Sessions" not in _texts(at)
    at.text_input(key="login_name").input("admin")
    at.text_input(key="login_password").input("guess")
    at.button[0].click().run()  # typed, then submitted: one script run, as in a browser
    assert "Wrong password." in [e.value for e in at.error] and len(at.text_input) == 2
    at.text_input(key="login_name").input("admin")
    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception and "login_password" not in [w.key for w in at.text_input]
    assert "No recordings yet" in _texts(at)  # the app itself, behind the login
    assert at.sidebar.button(key="logout")


def test_with_oidc_only_the_company_login_shows(no_login):
    no_login.write_text('[auth]\nclient_id = "toneboard"\nclient_secret = "x"\ncookie_secret = "y"\n'
                        'redirect_uri = "http://127.0.0.1:8501/oauth2callback"\n'
                        'server_metadata_url = "https://id.example.com/.well-known/openid-configuration"\n')
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception and [b.label for b in at.button] == ["Log in with your company account"]
    assert "No recordings yet" not in _texts(at)


def test_uploads_of_other_types_or_over_the_limit_are_refused_on_the_server(tmp_path):
    worker = IngestWorker(tmp_path / "tb.duckdb")
    for name in ("payload.exe", "notes.txt", "no-extension", "call.wav.sh"):
        with pytest.raises(UploadRefused, match="not accepted"):
            worker.save_upload(name, b"MZ...")
    with pytest.raises(UploadRefused, match="over the 1 MB limit"):
        worker.save_upload("big.wav", b"0" * (2 * 1024 * 1024), max_mb=1)
    assert not any(p.is_file() for p in worker.uploads.rglob("*"))  # nothing refused was kept


def test_streamlit_settings_keep_the_safe_defaults():
    """What .streamlit/config.toml promises (the dashboard command runs Streamlit from the project
    folder and overrides only the address and port)."""
    import tomllib

    conf = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert conf["server"]["address"] == "127.0.0.1" and conf["server"]["enableXsrfProtection"] is True
    assert conf["server"]["maxUploadSize"] == 1024 and conf["browser"]["gatherUsageStats"] is False


def test_guessing_from_fresh_sessions_is_slowed_and_locked_out_per_address(no_login, monkeypatch):
    """An attacker opens a fresh browser session for every guess: the back-off and the lockout
    follow the client address, not the session."""
    import dashboard.auth as auth

    monkeypatch.setenv("TONEBOARD_PASSWORD_HASH", hash_password(PASSWORD))
    waits = []
    monkeypatch.setattr(auth, "GUARD", auth.LoginGuard(sleep=waits.append))  # the waits, without waiting
    errors = []
    for i in range(auth.LOCK_AFTER + 1):
        at = AppTest.from_file(APP, default_timeout=60)  # a new session each time
        at.session_state["lang"] = "en"
        at.run()
        at.text_input(key="login_password").input(f"guess {i}")
        at.button[0].click().run()
        errors.append([e.value for e in at.error])
    assert waits == sorted(waits) and waits[-1] >= 2.0, waits  # each guess waits longer, across sessions
    assert all("Wrong password." in e for e in errors[:-1])
    assert any("Too many wrong passwords" in x for x in errors[-1]), errors[-1]
    at = AppTest.from_file(APP, default_timeout=60)  # locked: even the right password is not tried
    at.session_state["lang"] = "en"
    at.run()
    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click().run()
    assert "login_password" in [w.key for w in at.text_input]


def test_guard_counts_addresses_and_everyone():
    from dashboard.auth import LOCK_AFTER, LoginGuard

    now = [0.0]
    g = LoginGuard(clock=lambda: now[0])
    for i in range(40):  # one wrong guess from each of 40 addresses
        g.record(f"10.0.0.{i}", ok=False)
    assert g.delay("10.0.9.9") >= 4.0  # a fresh address is slowed by everyone's failures
    for _ in range(LOCK_AFTER):
        g.record("10.1.1.1", ok=False)
    assert g.locked("10.1.1.1") > 0 and not g.locked("10.0.0.1")
    now[0] += 16 * 60
    assert g.locked("10.1.1.1") == 0 and g.delay("10.0.9.9") == 0.0  # the window has passed


def test_the_app_itself_shows_nothing_beyond_localhost_without_a_login(no_login):
    """streamlit run dashboard/app.py --server.address 0.0.0.0 (not through toneboard dashboard)."""
    from streamlit import config

    before = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    try:
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state["lang"] = "en"
        at.run()
        assert not at.exception
        assert any("has no login, so it shows nothing" in e.value for e in at.error)
        assert "No recordings yet" not in _texts(at) and not at.dataframe
        at.switch_page("views/sessions.py").run()
        assert not at.dataframe and "Sessions" not in _texts(at)
    finally:
        config.set_option("server.address", before)


def test_logins_released_at_the_same_moment_check_no_more_passwords_than_the_lockout_allows():
    """Twelve attempts from one address, released together: each is counted before its password is
    checked, so only LOCK_AFTER passwords are tried and the rest are refused as locked out."""
    import threading
    import time

    from dashboard.auth import LOCK_AFTER, LoginGuard

    g = LoginGuard(sleep=lambda s: None)
    checked, outcomes, start = [], [], threading.Barrier(12)

    def check() -> bool:
        checked.append(1)
        time.sleep(0.05)  # a password check takes a while (scrypt): the others arrive meanwhile
        return False

    def login() -> None:
        start.wait()
        outcomes.append(g.attempt("203.0.113.9", check))
    threads = [threading.Thread(target=login) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 12 and len(checked) == LOCK_AFTER, (len(checked), outcomes)
    assert outcomes.count(None) == 12 - LOCK_AFTER and g.locked("203.0.113.9") > 0
    assert g.attempt("203.0.113.10", lambda: True) is True  # another address is not locked out


def test_behind_a_trusted_proxy_each_visitor_is_counted_by_the_forwarded_address(monkeypatch):
    from dashboard import auth

    monkeypatch.setenv(auth.PROXIES_ENV, "127.0.0.1, 10.0.0.0/8")
    proxies = auth.trusted_proxies()
    # the proxy on this machine forwards two visitors: two addresses, not one "local"
    assert auth.client_address(None, "203.0.113.5", proxies) == "203.0.113.5"
    assert auth.client_address(None, "198.51.100.7", proxies) == "198.51.100.7"
    # a visitor who writes the header himself: the proxy appends the real address, which is what counts
    assert auth.client_address(None, "1.2.3.4, 203.0.113.5", proxies) == "203.0.113.5"
    assert auth.client_address("10.1.2.3", "203.0.113.5, 10.9.9.9", proxies) == "203.0.113.5"  # two proxies
    # not through a trusted proxy: the header is ignored, whatever it says
    assert auth.client_address("203.0.113.5", "127.0.0.1", proxies) == "203.0.113.5"
    assert auth.client_address(None, "not-an-ip", proxies) == "127.0.0.1"
    monkeypatch.delenv(auth.PROXIES_ENV)
    assert auth.client_address(None, "203.0.113.5", auth.trusted_proxies()) == "127.0.0.1"  # none trusted by default
    g = auth.LoginGuard(sleep=lambda s: None)
    for _ in range(auth.LOCK_AFTER):
        g.attempt(auth.client_address(None, "203.0.113.5", proxies), lambda: False)
    assert g.locked("203.0.113.5") > 0
    assert g.attempt(auth.client_address(None, "198.51.100.7", proxies), lambda: True) is True
    monkeypatch.setenv(auth.PROXIES_ENV, "proxy.example.com")
    with pytest.raises(auth.AuthError, match="not an IP address"):
        auth.trusted_proxies()

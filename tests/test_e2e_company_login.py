"""The company's login, end to end against a real OpenID Connect provider that the test starts on
this machine (oidc-provider-mock: authorisation form, tokens, userinfo), Streamlit's own st.login
and Debian's Chromium: an account whose login is the person's e-mail decides their role; a group
rule of [toneboard.sso] admits a whole group with a role and scope; anyone else signed in at the
company gets no access and is told to ask an admin; the audit says who came in and who did not."""
from __future__ import annotations

import json
import os
import urllib.request

import pytest
from servers import dashboard, free_port
from test_e2e_browser import _settled, pytestmark  # noqa: F401 - same skips
from test_e2e_manager import _shot

from analytics.access import accounts, audit
from dashboard.i18n import t
from ingest.store import Store

provider = pytest.importorskip("oidc_provider_mock")


@pytest.fixture()
def company(demo_db, tmp_path, monkeypatch):
    """The provider, its people (with their claims) and the dashboard's secrets pointing at it."""
    with provider.run_server_in_thread() as srv:
        issuer = f"http://localhost:{srv.server_port}"
        for sub, claims in (("boss@example.com", {"email": "boss@example.com", "groups": ["it"]}),
                            ("li@example.com", {"email": "li@example.com", "name": "Li Na", "groups": ["qa-sz"]}),
                            ("guest@example.com", {"email": "guest@example.com", "groups": ["sales"]})):
            urllib.request.urlopen(urllib.request.Request(f"{issuer}/users/{sub}", data=json.dumps(claims).encode(),
                                                          method="PUT", headers={"Content-Type": "application/json"}))
        port = free_port()
        secrets = tmp_path / "secrets.toml"
        secrets.write_text(f'''[auth]
redirect_uri = "http://localhost:{port}/oauth2callback"
cookie_secret = "a long random string for the test"
client_id = "toneboard"
client_secret = "toneboard-secret"
server_metadata_url = "{issuer}/.well-known/openid-configuration"

[toneboard.sso]
claim = "email"
[[toneboard.sso.groups]]
value = "qa-sz"
role = "lead"
scope = ["team=Shenzhen"]
''')
        monkeypatch.setenv("TONEBOARD_SECRETS", str(secrets))
        monkeypatch.delenv("TONEBOARD_PASSWORD_HASH", raising=False)
        accounts.add(demo_db[0], "boss@example.com", "Wang Fang", "admin", None)  # company login only
        yield demo_db[0], port, issuer


def _company_sign_in(page, url: str, issuer: str, who: str, lang: str = "en") -> None:
    page.goto(url)
    page.get_by_role("button", name=t("login_sso", lang)).click()
    page.wait_for_url(f"{issuer}/**", timeout=30000)  # the provider's own page
    page.locator("input[name=sub]").first.fill(who)
    page.locator("button[type=submit]").first.click()
    page.wait_for_url(f"{url}**", timeout=30000)
    _settled(page)


def test_the_company_login_maps_people_to_their_roles_and_keeps_out_who_nobody_admitted(company, page):
    db, port, issuer = company
    with dashboard(db, "--lang", "en", port=port) as url:
        url = url.replace("127.0.0.1", "localhost")  # the address the provider sends people back to
        page.goto(url)
        _settled(page)
        assert page.get_by_role("button", name=t("login_sso", "en")).count() == 1 and t("overview", "en") not in \
            page.inner_text("[data-testid=stSidebar]")
        _company_sign_in(page, url, issuer, "li@example.com")
        side = page.inner_text("[data-testid=stSidebar]")
        assert "Signed in as Li Na (team lead)" in side and t("team", "en") not in side  # by the group rule
        assert "Demo data: 29 synthetic recordings" in page.inner_text("[data-testid=stMain]")  # Shenzhen's only
        _shot(page, "en-company-login-lead")
        page.context.clear_cookies()  # another person at this browser

        _company_sign_in(page, url, issuer, "guest@example.com")
        main = page.inner_text("[data-testid=stMain]")
        assert "nobody has admitted you" in main and "guest@example.com" in main
        assert t("overview", "en") not in page.inner_text("[data-testid=stSidebar]")
        _shot(page, "en-company-login-not-admitted")
        page.context.clear_cookies()

        _company_sign_in(page, url, issuer, "boss@example.com")  # an account by e-mail: admin
        assert "Signed in as Wang Fang (admin)" in page.inner_text("[data-testid=stSidebar]")
        assert "Demo data: 112 synthetic recordings" in page.inner_text("[data-testid=stMain]")
    log = audit.entries(Store(db))
    came = {(r.login, r.action) for r in log.itertuples()}
    assert {("li@example.com", "sign_in"), ("guest@example.com", "sign_in_failed"), ("boss@example.com", "sign_in")} <= came
    assert os.environ["TONEBOARD_SECRETS"].endswith("secrets.toml")

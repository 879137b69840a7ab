"""A team in a real browser (Debian's Chromium driven by Playwright): the admin signs in, adds a
person on the Team page and changes their role; that person signs in in their own browser, opens a
call and sees no Team page; the admin then reads in the audit what they opened."""
from __future__ import annotations

import pytest
from servers import dashboard
from test_e2e_browser import _settled, pytestmark  # noqa: F401 - same skips
from test_e2e_manager import _shot

from analytics.access import accounts, audit
from analytics.access.passwords import hash_password
from dashboard.i18n import t
from ingest.store import Store

PASSWORD = "correct horse battery"


def _sign_in(page, url: str, login: str, lang: str) -> None:
    page.goto(url)
    _field(page, t("login_name", lang)).wait_for(state="visible", timeout=60000)
    _field(page, t("login_name", lang)).fill(login)
    _field(page, t("password", lang)).fill(PASSWORD)
    page.get_by_role("button", name=t("login", lang)).click()
    page.get_by_role("button", name=t("logout", lang)).wait_for(timeout=60000)
    _settled(page)


def _field(where, label: str):
    """A text input or area by its label (Playwright's get_by_label also finds "Show password")."""
    return where.locator(f"input[aria-label='{label}'], textarea[aria-label='{label}']")


def _choose(page, where, label: str, option: str) -> None:
    """Pick ``option`` in the select box ``label`` inside ``where``: typed into its search, then Enter."""
    box = where.get_by_role("combobox", name=label)
    box.click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).wait_for(timeout=30000)
    page.keyboard.press("Enter")
    _settled(page)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_admin_adds_a_person_changes_their_role_and_reads_what_they_opened(demo_db, page, lang):
    db = demo_db[0]
    from analytics.db import Data

    rid = Data(db).con.execute("SELECT recording_id FROM metadata WHERE key = 'team' AND value = 'Shenzhen' "
                               "ORDER BY recording_id LIMIT 1").fetchone()[0]  # in the scope she is given
    accounts.add(db, "root", "Wang Fang", "admin", hash_password(PASSWORD))
    with dashboard(db, "--lang", lang) as url:
        page.goto(url)
        _field(page, t("password", lang)).wait_for(state="visible", timeout=60000)
        _settled(page)
        assert _field(page, t("password", lang)).count() == 1  # nothing but the sign-in
        assert t("overview", lang) not in page.inner_text("[data-testid=stSidebar]")
        _shot(page, f"{lang}-team-sign-in")
        _sign_in(page, f"{url}/team", "root", lang)  # a new page load is a new session: sign in where you go
        add, change = (page.locator("[data-testid=stForm]").nth(i) for i in (0, 1))
        _field(add, t("login_name", lang)).fill("li")
        _field(add, t("team_name", lang)).fill("Li Na")
        _choose(page, add, t("team_role", lang), t("role_agent", lang))
        _field(add, t("team_person", lang)).fill("agent=Li")
        _field(add, t("team_password", lang)).fill(PASSWORD)
        add.get_by_role("button", name=t("team_add", lang)).click()
        page.get_by_text(t("team_added", lang, login="li")).wait_for(timeout=60000)
        _settled(page)
        assert accounts.all_accounts(db)["li"].role == "agent"
        _choose(page, change, t("team_who", lang), "Li Na (li)")
        _choose(page, change, t("team_role", lang), t("role_lead", lang))
        _field(change, t("team_scope", lang)).fill("team=Shenzhen")
        change.get_by_role("button", name=t("team_save", lang)).click()
        page.get_by_text(t("team_changed", lang, login="li")).wait_for(timeout=60000)
        _settled(page)
        li = accounts.all_accounts(db)["li"]
        assert (li.role, li.scope, li.changed_by) == ("lead", ("team=Shenzhen",), "root")

        other = page.context.browser.new_page(viewport={"width": 1400, "height": 1000})
        try:  # Li, in a browser of her own
            _sign_in(other, f"{url}/timeline?recording={rid}", "li", lang)
            assert t("team", lang) not in other.inner_text("[data-testid=stSidebarNav]")
            _shot(other, f"{lang}-team-signed-in-lead")
        finally:
            other.close()

        _choose(page, page.locator("[data-testid=stMain]"), t("audit_person", lang), "Li Na (li)")  # the admin's page, still open
        _settled(page)
        done = list(audit.entries(Store(db), login="li")["action"])
        assert done == ["open_recording", "sign_in"], done  # signed in, opened a call
        page.get_by_text(t("audit_n", lang, n=2, max=500)).wait_for(timeout=60000)
        _shot(page, f"{lang}-team")
    log = audit.entries(Store(db), login="li")
    assert list(log["action"]) == ["open_recording", "sign_in"] and log["recording_id"].iloc[0] == rid
    by_root = set(audit.entries(Store(db), login="root")["action"])
    assert {"sign_in", "user_add", "user_role"} <= by_root


def test_an_agent_and_a_reviewer_in_their_own_browsers(demo_db, page):
    """An agent's link to a colleague's call says "not found" as a link to no call does; a reviewer
    who types the Team page's address gets no Team page (en; the words are the i18n's)."""
    from analytics.db import Data

    db = demo_db[0]
    con = Data(db).con
    other = con.execute("SELECT recording_id FROM metadata WHERE key = 'agent' AND value = 'Wang' "
                        "ORDER BY recording_id LIMIT 1").fetchone()[0]
    accounts.add(db, "li", "Li Na", "agent", hash_password(PASSWORD), person="agent=Li")
    accounts.add(db, "wu", "Wu Lei", "reviewer", hash_password(PASSWORD), scope=["team=Beijing"])
    with dashboard(db, "--lang", "en") as url:
        said = {}
        for rid in (other, "e" * 64):
            _sign_in(page, f"{url}/timeline?recording={rid}", "li", "en")
            said[rid] = page.inner_text("[data-testid=stMain]")
            assert t("link_not_found", "en") in said[rid]
            assert other[:8] not in said[rid]
        assert "Demo data: 15 synthetic recordings" in said[other]  # hers only (15 of 112)
        _shot(page, "en-team-agent-not-found")
        assert t("upload", "en") not in page.inner_text("[data-testid=stSidebarNav]")  # an agent uploads nothing
        _sign_in(page, f"{url}/team", "wu", "en")
        assert t("team_people", "en") not in page.inner_text("[data-testid=stMain]")
        assert t("team", "en") not in page.inner_text("[data-testid=stSidebarNav]")
        _shot(page, "en-team-reviewer")

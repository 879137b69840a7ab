"""Markdown planted in data and in a link, in a real browser (Debian's Chromium): the page shows it
as text (the characters themselves, no backslashes), draws no image or link of it, and the browser
asks nothing of the attacker's host. Screenshots in English and Chinese."""
from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest
from hostile import LINK, PAYLOAD, plant
from servers import dashboard
from test_e2e_browser import CHROMIUM, _settled, pytestmark  # noqa: F401 - same skips
from test_e2e_manager import _open, _shot

import cli


@pytest.fixture(scope="module")
def hostile_dashboard(tmp_path_factory):
    db = tmp_path_factory.mktemp("hostile") / "tb.duckdb"
    assert cli.main(["demo", "--db", str(db)]) == cli.EXIT_OK
    plant(db)
    with dashboard(db, "--lang", "zh") as url:
        yield url


def _no_trace_of_the_attack(page, asked: list[str]) -> str:
    assert page.locator("[data-testid=stApp] img[src*=elsewhere]").count() == 0
    assert page.locator("[data-testid=stApp] a[href*=elsewhere]").count() == 0
    assert asked == [], asked
    text = page.locator("[data-testid=stApp]").inner_text()
    assert "Traceback" not in text
    return text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_markdown_from_data_and_links_is_shown_as_text(hostile_dashboard, page, lang):
    asked = []  # every request the browser makes of the attacker's host
    page.on("request", lambda r: asked.append(r.url) if urlsplit(r.url).hostname == "elsewhere" else None)
    _open(page, hostile_dashboard, lang, "Open tickets")
    text = _no_trace_of_the_attack(page, asked)
    assert PAYLOAD in text and LINK in text, "the file name, agent and rule name appear as typed"
    assert "\\(" not in text and "\\[" not in text, "no escape character is visible"
    _shot(page, f"hostile-overview-{lang}")
    page.goto(f"{hostile_dashboard}/sessions?meta.team={quote(PAYLOAD)}&since={quote(LINK)}")
    _settled(page)
    text = _no_trace_of_the_attack(page, asked)
    assert LINK in text and "\\" not in text, "the link's filter value in the error box, as text"
    _shot(page, f"hostile-link-{lang}")

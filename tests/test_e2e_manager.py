"""What a team lead meets in a real browser (Debian's Chromium driven by Playwright) on the demo
data: each test is a flow a new user reported as broken (issue 15, "fix what a new user met")."""
from __future__ import annotations

import pytest
from servers import start_dashboard
from test_e2e_browser import CHROMIUM, ROOT, _settled, pytestmark  # noqa: F401 - same skips

import cli


@pytest.fixture(scope="module")
def demo_dashboard(tmp_path_factory):
    d = tmp_path_factory.mktemp("manager")
    db = d / "tb.duckdb"
    assert cli.main(["demo", "--db", str(db)]) == cli.EXIT_OK
    proc, url = start_dashboard(db, "--lang", "zh")
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.fixture()
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        yield browser.new_page(viewport={"width": 1400, "height": 1000})
        browser.close()


def _open(page, url: str, lang: str, english_marker: str) -> None:
    """Open a page in the language of the test: the app starts in Chinese; English is one click."""
    page.goto(url)
    _settled(page)
    if lang == "en":
        page.locator("[data-testid=stSidebar] label").filter(has_text="English").first.click()
        page.wait_for_function(f"() => document.body.innerText.includes({english_marker!r})")
        _settled(page)


def _open_first_moment(page, lang: str) -> None:
    """Click the first 'Open' of the page and wait for the timeline."""
    page.locator("[data-testid=stMain] button").filter(has_text="Open" if lang == "en" else "打开").first.click()
    page.wait_for_function("() => location.pathname.endsWith('/timeline')")
    _settled(page)


def _chosen_language(page) -> str:
    return page.locator("[data-testid=stSidebar] input[type=radio]:checked").first.get_attribute("value")


def test_opening_a_timeline_keeps_the_language_chosen(demo_dashboard, page):
    page.goto(f"{demo_dashboard}/sessions")
    _settled(page)
    page.locator("[data-testid=stSidebar] label").filter(has_text="English").first.click()
    page.wait_for_function("() => document.querySelector('[data-testid=stMain] h1')?.innerText === 'Sessions'")
    _settled(page)
    page.locator("[data-testid=stMain] button").filter(has_text="Timeline").first.click()
    page.wait_for_function("() => location.pathname.endsWith('/timeline')")
    _settled(page)
    assert page.locator("[data-testid=stMain] h1").first.inner_text() == "Timeline"
    assert _chosen_language(page) == "1"  # the second option: English


def _shot(page, name: str) -> None:
    import os
    from pathlib import Path

    out = Path(os.environ.get("TONEBOARD_ARTIFACTS", ROOT / "artifacts" / "e2e"))
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_home_to_a_ticket_to_the_timeline_at_its_moment(demo_dashboard, page, lang):
    _open(page, demo_dashboard, lang, "This week against last week")
    if lang == "zh":
        assert "本周与上周对比" in page.locator("[data-testid=stMain]").inner_text()
    page.locator("[data-testid=stMetric]").first.wait_for(state="visible")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stMetricValue]').length === 5")
    _settled(page)
    _shot(page, f"home-{lang}")
    _open_first_moment(page, lang)
    _shot(page, f"ticket-timeline-{lang}")
    assert page.locator("[data-testid=stMain] audio").count() == 1 or "No audio" in page.inner_text("body") \
        or "没有音频" in page.inner_text("body")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_compare_shows_pictures_and_sentences(demo_dashboard, page, lang):
    _open(page, f"{demo_dashboard}/compare", lang, "What differs")
    page.locator("[data-testid=stMain] .stPlotlyChart .main-svg").first.wait_for(state="visible")
    text = page.locator("[data-testid=stMain]").inner_text()
    assert ("a clear difference" if lang == "en" else "差异明显") in text
    _shot(page, f"compare-{lang}")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_agents_to_a_scorecard_to_a_moment(demo_dashboard, page, lang):
    _open(page, f"{demo_dashboard}/people", lang, "week by week against the team")
    page.locator("[data-testid=stMain] .stPlotlyChart .main-svg").first.wait_for(state="visible")
    _shot(page, f"people-{lang}")
    _open_first_moment(page, lang)

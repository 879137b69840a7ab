"""A new team lead's first hour, walked in Debian's Chromium in English and in Chinese (issue 26's
"Done when"): the dashboard `make run` starts (demo data, the offline stand-in model, no --lang) →
Overview → a risk ticket assigned and commented → its moment marked on the timeline (and kept through
a reload) → People → an agent's scorecard → Compare → Moments → an upload of a real .gsm call →
Export (one button per action) → the HTML report, which opens with its summary and says which rows
are demo data. The language the browser asked for is kept in the address through every reload and
link. Screenshots of each step go to artifacts/e2e (walk-<lang>-<step>.png)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from servers import dashboard
from test_e2e_browser import CHROMIUM, _drop, _settled, pytestmark  # noqa: F401 - same skips
from test_e2e_manager import ASTERISK, _chosen_language, _shot

import cli
from dashboard.i18n import t

LOCALES = {"en": "en-US", "zh": "zh-CN"}
RADIO = {"zh": "0", "en": "1"}  # the language radio's options, in order


@pytest.fixture()
def first_start(tmp_path, tiny_model):
    """What `make run` gives offline: the demo data, and the random-weight stand-in for the model (a
    dashboard of its own for each walk: uploads and progress are the dashboard's, not the session's)."""
    db = tmp_path / "tb.duckdb"
    assert cli.main(["demo", "--if-empty", "--db", str(db)]) == cli.EXIT_OK
    with dashboard(db, "--model", str(tiny_model)) as url:
        yield url


def _go(page, lang: str, name: str) -> None:
    """Click a page in the menu, as a user does; the language stays in the address and the menu."""
    page.locator("[data-testid=stSidebarNav] a").filter(has_text=t(name, lang)).first.click()
    page.wait_for_function(f"() => location.pathname.endsWith('/{name}') && location.search.includes('lang={lang}')")
    _settled(page)
    assert page.locator("[data-testid=stMain] h1").first.inner_text() == t(name, lang)
    assert _chosen_language(page) == RADIO[lang]


def _main_text(page) -> str:
    return page.locator("[data-testid=stMain]").inner_text()


def _no_horizontal_scroll(page, which: int = 0) -> bool:
    """Whether a dataframe's grid fits its box (a table cut off on the right scrolls sideways)."""
    grid = page.locator("[data-testid=stDataFrame]").nth(which)
    grid.wait_for(state="visible")
    return grid.evaluate("g => { const s = g.querySelector('.dvn-scroller'); return !s || s.scrollWidth <= s.clientWidth + 1; }")


@pytest.mark.skipif(not ASTERISK.is_dir(), reason="no real IVR speech (apt-get install asterisk-core-sounds-en-gsm)")
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_first_hour_of_a_new_team_lead(first_start, lang, tmp_path):
    from playwright.sync_api import sync_playwright

    url = first_start
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page(locale=LOCALES[lang], viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            # 1. the address make run prints: the browser's language, put in the address
            page.goto(url)
            _settled(page)
            assert f"lang={lang}" in page.url and _chosen_language(page) == RADIO[lang]
            assert t("this_week", lang) in _main_text(page)
            assert t("demo_banner", lang, n=112) in page.locator("[data-testid=stAlert]").first.inner_text()
            _shot(page, f"walk-{lang}-1-overview")

            # 2. the risk queue: a ticket assigned and commented, no error, the history says it
            _go(page, lang, "risk")
            note = "called back" if lang == "en" else "已回电"
            page.get_by_label(t("assign_to", lang)).fill("Li")
            page.get_by_label(t("comment", lang)).fill(note)
            page.locator("[data-testid=stForm] button").filter(has_text=t("save", lang)).click()
            page.get_by_text(note).first.wait_for(state="visible", timeout=30_000)
            _settled(page)
            assert t("rules_editor", lang) in _main_text(page)  # the page drew to its end
            _shot(page, f"walk-{lang}-2-ticket")

            # 3. its moment on the timeline: marked on the chart, in the address, through a reload
            page.locator("[data-testid=stMain] button").filter(has_text=t("open_moment", lang)).first.click()
            page.wait_for_function("() => location.pathname.endsWith('/timeline') && /[?&]t=/.test(location.search)")
            _settled(page)
            mark = page.locator(".stPlotlyChart .annotation-text").filter(has_text="▼")
            assert mark.count() == 1
            at = mark.first.text_content()
            page.reload()
            _settled(page)
            assert page.locator("[data-testid=stMain] h1").first.inner_text() == t("timeline", lang)
            assert _chosen_language(page) == RADIO[lang] and f"lang={lang}" in page.url
            assert page.locator(".stPlotlyChart .annotation-text").filter(has_text="▼").first.text_content() == at
            _shot(page, f"walk-{lang}-3-timeline")

            # 4. People: the table fits, an agent's scorecard
            _go(page, lang, "people")
            assert _no_horizontal_scroll(page), "the People table is cut off on the right"
            assert t("scorecard", lang, who="Li") in _main_text(page) or t("scorecard_of", lang) in _main_text(page)
            _shot(page, f"walk-{lang}-4-people")

            # 5. Compare: what differs, and the demo data said
            _go(page, lang, "compare")
            text = _main_text(page)
            assert t("findings", lang) in text and t("leave_out_synthetic", lang) in text
            assert t("n_demo", lang, n=20) in text
            _shot(page, f"walk-{lang}-5-compare")

            # 6. Moments: the box's own example finds moments, the words found in bold
            _go(page, lang, "moments")
            words = "pricing" if lang == "en" else "价格"
            box = page.get_by_label(t("moments_query", lang))
            box.fill(words)
            box.press("Enter")
            page.wait_for_function("w => [...document.querySelectorAll('[data-testid=stMain] strong')]"
                                   ".some(s => s.innerText.toLowerCase() === w)", arg=words)
            _settled(page)
            _shot(page, f"walk-{lang}-6-moments")

            # 7. Upload a real phone recording (8 kHz GSM): done, and the stand-in banner counts it at once
            _go(page, lang, "upload")
            gsm = max(ASTERISK.glob("*.gsm"), key=lambda p: p.stat().st_size)
            _drop(page, {gsm.name: gsm.read_bytes()})
            page.get_by_text(gsm.name, exact=True).first.wait_for(state="visible", timeout=20_000)
            page.get_by_role("button", name=t("analyse", lang), exact=True).click()
            page.get_by_text(t("batch_done", lang, ok=1, skip=0, fail=0)).wait_for(state="visible", timeout=180_000)
            assert page.get_by_text(t("batch_done", lang, ok=1, skip=0, fail=0)).count() == 1
            banner = t("noise_banner", lang, n=1)[:40]
            page.get_by_text(banner).first.wait_for(state="visible", timeout=30_000)  # no page change needed
            _shot(page, f"walk-{lang}-7-upload")

            # 8. Export: one button per action; the report opens with its summary and says which rows are demo
            _go(page, lang, "export")
            labels = [b.inner_text().strip() for b in page.locator("[data-testid=stDownloadButton] button").all()]
            assert len(labels) == len(set(labels)) and t("report", lang) in " ".join(labels), labels
            with page.expect_download() as dl:
                page.locator("[data-testid=stDownloadButton] button").filter(has_text=t("report", lang)).click()
            html = Path(dl.value.path()).read_text(encoding="utf-8")
            heads = re.findall(r"<h2>(.*?)</h2>", html)
            assert heads[:2] == (["Summary", "Details"] if lang == "en" else ["摘要", "详细内容"]), heads
            demo_said = re.search(r"<p class='noise'>(.*?)</p>", html).group(1)
            assert ("synthetic demo data" if lang == "en" else "合成的演示数据") in demo_said, demo_said
            report = tmp_path / f"report-{lang}.html"
            report.write_text(html, encoding="utf-8")
            page.goto(report.as_uri())
            _shot(page, f"walk-{lang}-8-report")
        finally:
            browser.close()

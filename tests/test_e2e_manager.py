"""What a team lead meets in a real browser (Debian's Chromium driven by Playwright) on the demo
data: each test is a flow a new user reported as broken (issue 15, "fix what a new user met")."""
from __future__ import annotations

from pathlib import Path

import pytest
from servers import dashboard
from test_e2e_browser import CHROMIUM, ROOT, _drop, _settled, pytestmark  # noqa: F401 - same skips

import cli


@pytest.fixture(scope="module")
def demo_db_path(tmp_path_factory):
    db = tmp_path_factory.mktemp("manager") / "tb.duckdb"
    assert cli.main(["demo", "--db", str(db)]) == cli.EXIT_OK
    return db


@pytest.fixture(scope="module")
def demo_dashboard(demo_db_path):
    with dashboard(demo_db_path, "--lang", "zh") as url:
        yield url


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


# What may stay in Latin letters on the Chinese UI: the product's name, the language switch (it is
# bilingual by design), units and file formats, and "n" (a sample size, as in every figure).
ALLOWED_LATIN = {"toneboard", "English", "Language", "CSV", "HTML", "YAML", "dBFS", "n", "s", "min", "SenseVoiceSmall",
                 "iic", "p", "OIDC",
                 "h", "d"}  # the since filter's own syntax, shown as its example: 24h, 7d
# Dropped before reading: Material icon names (their text is the icon's name; hidden from screen
# readers, never translated), command lines and
# paths in code spans, Streamlit's hidden "skip to main content" link, and the upload widget's own
# instructions and button (Streamlit offers no translation of them).
NOT_PAGE_TEXT = ("[data-testid=stIconMaterial]", "[aria-hidden=true][translate=no]", "code", "a[href='#main']", "[data-testid=stSkipLink]",
                 "[data-testid=stFileUploaderDropzone]")
_PAGE_TEXT = """(drop) => {
  const root = document.querySelector('[data-testid=stAppViewContainer]').cloneNode(true);
  const svg = [...document.querySelectorAll('[data-testid=stMain] svg text')].map(t => t.textContent);
  for (const sel of drop) root.querySelectorAll(sel).forEach(e => e.remove());
  root.querySelectorAll('a').forEach(a => { if (a.textContent.trim() === 'Skip to main content') a.remove(); });
  document.body.appendChild(root); const text = root.innerText; root.remove();
  return text + '\\n' + svg.join('\\n');
}"""


def _names_in(db) -> set[str]:
    """People, teams, courses, file names and ids of the demo: names stay as they were given; and what
    people said (the transcripts, the trackers' phrases, the topics' key phrases made of them) stays as
    it was said: data, not the UI's words."""
    import duckdb

    from analytics.talk.trackers import load_trackers

    con = duckdb.connect(str(db), read_only=True)
    try:
        values = [v for (v,) in con.execute("SELECT DISTINCT value FROM metadata").fetchall()]
        values += [v for (v,) in con.execute("SELECT filename FROM recordings UNION SELECT recording_id FROM recordings").fetchall()]
        values += [v for (v,) in con.execute("SELECT DISTINCT text FROM segments WHERE text IS NOT NULL").fetchall()]
    finally:
        con.close()
    values += [p for t in load_trackers() for p in t.phrases]
    import re

    return {w for v in values for w in re.findall(r"[A-Za-z][A-Za-z_']*", str(v))}


def test_the_chinese_ui_has_no_english_words_beyond_the_allow_list(demo_dashboard, page, demo_db_path):
    import re

    from dashboard import PAGES

    names = _names_in(demo_db_path)
    found = {}
    for name in PAGES:
        page.goto(f"{demo_dashboard}/{name}")
        _settled(page)
        page.wait_for_timeout(800)  # charts draw their axes after the script run ends
        text = page.evaluate(_PAGE_TEXT, list(NOT_PAGE_TEXT))
        text = re.sub(r"\S+\.(wav|mp3|m4a|gsm|csv|html|yaml|md|duckdb)\b", " ", text)  # file names
        english = {w for w in re.findall(r"[A-Za-z][A-Za-z_']*", text)} - ALLOWED_LATIN - names
        if english:
            found[name] = sorted(english)
        _shot(page, f"zh-{name}")
    page.goto(f"{demo_dashboard}/heatmaps")  # and the heatmaps' other tabs, each drawn when opened
    _settled(page)
    for tab, own in (("小时 × 星期", "含该标签的录音占比"), ("按元数据", "每个标签单独着色"), ("标签共现", "语音片段")):
        page.get_by_role("tab", name=tab).click()
        page.wait_for_function("t => document.body.innerText.includes(t)", arg=own)  # that tab is drawn
        _settled(page)
        page.wait_for_timeout(800)
        text = re.sub(r"\S+\.(wav|mp3|m4a|gsm|csv|html|yaml|md|duckdb)\b", " ", page.evaluate(_PAGE_TEXT, list(NOT_PAGE_TEXT)))
        english = {w for w in re.findall(r"[A-Za-z][A-Za-z_']*", text)} - ALLOWED_LATIN - names
        if english:
            found[f"heatmaps: {tab}"] = sorted(english)
    assert not found, f"English words on the Chinese pages: {found}"


def test_the_report_speaks_the_chosen_language_fits_the_window_and_colours_emotions(demo_db_path, page, tmp_path):
    from analytics.db import Data
    from analytics.report import html_report
    from analytics.words import EMOTION_COLORS

    con = Data(demo_db_path).con
    zh = html_report(con, lang="zh", rule_names={"unresolved-anger": "客户愤怒且之后没有缓和"})
    assert "toneboard 报告" in zh and "待处理风险工单" in zh and "客户愤怒且之后没有缓和" in zh
    assert "Open risk tickets" not in zh and "Angry customer, no relief afterwards" not in zh
    assert ">None<" not in zh and ">NaN<" not in zh and ">NaT<" not in zh
    out = tmp_path / "report.html"
    out.write_text(zh, encoding="utf-8")
    page.set_viewport_size({"width": 1000, "height": 900})
    page.goto(out.as_uri())
    page.locator(".plotly .bars path").first.wait_for(state="attached")
    width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], f"the report is wider than the window: {width}"
    fills = set(page.evaluate("[...document.querySelectorAll('.plotly .bars path')].map(p => p.style.fill)"))
    def rgb(h):
        return f"rgb({int(h[1:3], 16)}, {int(h[3:5], 16)}, {int(h[5:7], 16)})"
    assert fills and fills <= {rgb(c) for c in EMOTION_COLORS.values()}, fills  # no black bars: the dashboard's colours
    _shot(page, "report-zh")


@pytest.fixture(scope="module")
def call_dashboard(tmp_path_factory, tiny_model):
    """A stereo service call with audio (agent Wang on the left, the customer on the right),
    ingested with the tiny model; a manager corrected one customer segment to ANGRY, which makes it
    a "worst moment" of Wang's (every analysis uses corrections)."""
    import duckdb
    from synth import compose, speak, stereo, write_wav

    d = tmp_path_factory.mktemp("call")
    agent = compose([(0.2, speak("hello, thank you for calling, how can I help")), (4.0, speak("let me check that order"))])
    customer = compose([(3.0, speak("my parcel has not arrived after three days")), (3.5, speak("this is not acceptable"))])
    wav = write_wav(d / "wang-call.wav", stereo(agent, customer).audio)
    db = d / "tb.duckdb"
    assert cli.main(["ingest", str(wav), "--db", str(db), "--model", str(tiny_model), "--kind", "service",
                     "--meta", "agent=Wang", "--meta", "team=North"]) == cli.EXIT_OK
    con = duckdb.connect(str(db), read_only=True)
    try:
        rid, seg = con.execute("SELECT recording_id, seg_index FROM segments WHERE role = 'customer' "
                               "ORDER BY start_s LIMIT 1").fetchone()
    finally:
        con.close()
    assert cli.main(["correct", "--db", str(db), rid, str(seg), "--emotion", "ANGRY"]) == cli.EXIT_OK
    with dashboard(db, "--lang", "en", "--model", str(tiny_model)) as url:
        yield url


def _plays(page, audio) -> float:
    """Press play on an audio element; the seconds it advanced by in about 1.5 s."""
    audio.wait_for(state="attached")
    audio.evaluate("a => { a.muted = true; return a.play(); }")
    start = audio.evaluate("a => a.currentTime")
    page.wait_for_timeout(1500)
    return audio.evaluate("a => a.currentTime") - start


def test_agent_scorecard_search_and_a_shared_playlist_play_a_moment(call_dashboard, page):
    _open(page, f"{call_dashboard}/people", "en", "week by week against the team")
    worst = page.locator("[data-testid=stMain] [data-testid=stColumn]").filter(has_text="Worst moments").first
    assert "wang-call.wav" in worst.inner_text()
    assert _plays(page, worst.locator("audio").first) > 0.5  # the moment's audio plays from its second
    _shot(page, "people-moment-plays")
    page.goto(f"{call_dashboard}/moments?tag=ANGRY")  # the filters in the address: the link opens the search
    _settled(page)
    text = page.locator("[data-testid=stMain]").inner_text()
    assert "wang-call.wav" in text and "1 moment in 1 recording" in text
    assert _plays(page, page.locator("[data-testid=stMain] audio").first) > 0.5
    _shot(page, "moments-play")
    # save the moment to a playlist, open the playlist, share it as one HTML file whose clip plays
    page.get_by_role("textbox", name="Playlist").fill("angry customer recovered")
    page.get_by_role("textbox", name="Playlist").press("Enter")
    _settled(page)
    page.get_by_role("button", name="Save").first.click()
    page.get_by_text("Saved to “angry customer recovered”").wait_for(state="visible")
    page.goto(f"{call_dashboard}/playlists?name=angry customer recovered")
    _settled(page)
    assert "1 moment from 1 recording" in page.locator("[data-testid=stMain]").inner_text()
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download as HTML (with the audio)").click()
    shared = Path(dl.value.path()).with_suffix(".html")
    Path(dl.value.path()).rename(shared)
    page.goto(shared.as_uri())
    assert "wang-call.wav" in page.inner_text("body") and "random-weight stand-in model" in page.inner_text("body")
    assert _plays(page, page.locator("audio").first) > 0.5  # the clip is inside the file: it plays offline
    _shot(page, "playlist-shared-html")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_export_downloads_the_report_and_the_sessions_with_one_click_each(demo_dashboard, page, lang):
    from dashboard.i18n import t

    _open(page, f"{demo_dashboard}/export", lang, "Export")
    got = {}
    for key in ("report", "all_sessions"):
        button = page.locator("[data-testid=stDownloadButton] button").filter(has_text=t(key, lang))
        button.first.wait_for(timeout=30_000)
        assert button.count() == 1  # one button per action
        with page.expect_download() as dl:
            button.click()
        got[key] = Path(dl.value.path()).read_bytes()
    assert got["report"].decode("utf-8").startswith("<!doctype html>")
    assert got["all_sessions"].decode("utf-8-sig").count("\n") > 100
    _shot(page, f"export-{lang}")


def test_the_language_follows_the_browser_then_the_address_through_reloads_and_links(demo_db_path):
    """No --lang: a Chinese browser gets Chinese, an English one English; the language chosen is in
    the address, so a reload, another page, a new tab and a shared link keep it."""
    from playwright.sync_api import sync_playwright

    ZH, EN = "0", "1"  # the radio's options, in order  # noqa: N806

    with dashboard(demo_db_path) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        try:
            zh = browser.new_page(locale="zh-CN", viewport={"width": 1400, "height": 1000})
            zh.goto(url)
            _settled(zh)
            assert _chosen_language(zh) == ZH and "lang=zh" in zh.url
            zh.locator("[data-testid=stSidebar] label").filter(has_text="English").first.click()
            zh.wait_for_function("() => location.search.includes('lang=en')")
            _settled(zh)
            zh.reload()
            _settled(zh)
            assert _chosen_language(zh) == EN, "a reload keeps the language chosen"
            zh.locator("[data-testid=stSidebarNav] a").filter(has_text="People").first.click()
            zh.wait_for_function("() => location.pathname.endsWith('/people') && location.search.includes('lang=en')")
            _settled(zh)
            assert _chosen_language(zh) == EN
            shared = zh.url
            other = browser.new_page(locale="zh-CN", viewport={"width": 1400, "height": 1000})
            other.goto(shared)  # a new tab (a link sent to a Chinese colleague): the link's language
            _settled(other)
            assert _chosen_language(other) == EN
            en = browser.new_page(locale="en-US", viewport={"width": 1400, "height": 1000})
            en.goto(f"{url}/timeline?recording={'0' * 64}&lang=zh")  # a notification's link in Chinese
            _settled(en)
            assert _chosen_language(en) == ZH
            en.goto(url)
            _settled(en)
            assert _chosen_language(en) == EN, "no ?lang=: the browser's language"
            _shot(en, "language-from-browser-en")
        finally:
            browser.close()


ASTERISK = Path("/usr/share/asterisk/sounds/en")

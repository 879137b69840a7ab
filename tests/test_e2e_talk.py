"""What they talk about, in Chromium on the demo data: a lead searches the transcripts, makes a
tracker from the search ("Track this"), and sees how many calls say it by week and in won and lost
calls — the charts' data checked against the store's own counts; in English and Chinese."""
from __future__ import annotations

import pytest
from servers import dashboard
from test_e2e_browser import _settled, pytestmark  # noqa: F401 - the same skips
from test_e2e_manager import _shot
from test_e2e_team import _field

from analytics.db import Data
from analytics.talk import counts
from analytics.talk.trackers import load_trackers, slug
from analytics.words import value_name
from dashboard.i18n import t

WORDS = {"en": "order number", "zh": "订单号"}


def _chart_data(page, key: str) -> list[dict]:
    """The traces of the Plotly chart drawn with ``key`` (Streamlit marks its container st-key-<key>): x, y
    and the hover's data, once it is drawn (by key, not by place: the charts of a page appear in any order)."""
    sel = f".st-key-{key} .js-plotly-plot"
    page.wait_for_function("(s) => document.querySelector(s)?._fullData", arg=sel, timeout=60_000)
    return page.evaluate("(s) => document.querySelector(s)._fullData.map("
                         "tr => ({x: Array.from(tr.x || []), y: Array.from(tr.y || []), c: Array.from(tr.customdata || [])}))", sel)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_tracker_from_a_search_shows_its_trend_and_won_vs_lost(demo_db, page, lang, tmp_path, monkeypatch):
    db, _ = demo_db
    monkeypatch.setenv("TONEBOARD_TRACKERS", str(tmp_path / "trackers.yaml"))  # the dashboard saves here
    words = WORDS[lang]
    with dashboard(db, "--lang", lang) as url:
        page.goto(f"{url}/moments?q={words}")
        _settled(page)
        page.get_by_role("button", name=t("tk_track_this", lang)).click()
        page.wait_for_function("() => location.pathname.endsWith('/trackers')")
        _settled(page)
        box = _field(page, t("tk_phrases_in", lang))
        try:  # the search's words, ready to save (the page may still be drawing the form when it says it is done)
            page.wait_for_function("([label, want]) => document.querySelector(`textarea[aria-label='${label}']`)?.value === want",
                                   arg=[t("tk_phrases_in", lang), words], timeout=30_000)
        except Exception:
            _shot(page, f"DEBUG-trackers-{lang}")
            raise
        assert box.input_value() == words
        page.get_by_role("button", name=t("tk_save", lang)).click()
        page.locator("[data-testid=stAlertContentSuccess]").first.wait_for(timeout=60_000)
        _settled(page)

        tracker = next(x for x in load_trackers() if x.id == slug(words))
        assert tracker.phrases == (words,)
        con = Data(db).con
        week = counts.trend(con, tracker)
        cmp = counts.compare(con, tracker).set_index("group")
        said, n = int(week["said"].sum()), int(week["n"].sum())
        assert 0 < said < n  # the demo's calls: some ask for the order number
        page.get_by_text(t("tk_saved", lang, name=words, said=said, n=n)).wait_for(timeout=10_000)
        # the trend chart (the first): its points are the weekly shares, its hover the counts behind them
        band, line = _chart_data(page, "tk_trend_chart")
        assert [round(y, 6) for y in line["y"]] == [round(100 * s, 6) for s in week["share"]]
        assert [list(c) for c in line["c"]] == week[["said", "n"]].values.tolist()
        # won vs lost (the second): each bar is the share of that cohort's calls that say it
        bars = _chart_data(page, "tk_won_lost")[0]
        shown = dict(zip(bars["y"], bars["c"]))
        won, lost = (value_name("outcome", g, lang) for g in ("won", "lost"))
        assert list(shown[won]) == cmp.loc["won", ["said", "n"]].tolist()
        assert list(shown[lost]) == cmp.loc["lost", ["said", "n"]].tolist()
        con.close()
        page.set_viewport_size({"width": 1400, "height": 2600})  # the whole page in the picture
        _settled(page)
        _shot(page, f"trackers-{lang}")

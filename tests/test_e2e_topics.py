"""Topics in Chromium: a team's calls about eight planted things, refunds rising in the last week —
the Topics page says which topic rose, lists the topics (the data behind the table checked against a
run of the finder), draws their weekly shares, plays an example moment from its second, and makes a
tracker of a topic's phrases; in English and Chinese."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from qa_calls import write
from servers import dashboard
from synth import write_wav
from test_e2e_browser import _settled, pytestmark  # noqa: F401 - the same skips
from test_e2e_manager import _plays, _shot
from test_e2e_talk import _chart_data
from test_e2e_team import _field
from topic_calls import planted

from analytics.db import Data
from analytics.talk import topics
from dashboard.i18n import t


@pytest.fixture(scope="module")
def team_calls(tmp_path_factory):
    folder = tmp_path_factory.mktemp("topics")
    audio = write_wav(folder / "call.wav", 0.1 * np.sin(np.arange(16000 * 40) * 2 * np.pi * 220 / 16000).astype(np.float32))
    calls, truth = planted(320, 11, zh_share=1.0, rising="refund")
    return [replace(c, audio=str(audio)) for c in calls], truth


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_topics_page_finds_the_rise_plays_a_moment_and_tracks_a_topic(team_calls, tmp_path, page, lang, monkeypatch):
    calls, _ = team_calls
    db = tmp_path / "tb.duckdb"
    write(db, calls).close()
    monkeypatch.setenv("TONEBOARD_TRACKERS", str(tmp_path / "trackers.yaml"))
    expected = topics.find(topics.documents(Data(db).con, topics.period(Data(db).con, topics.DEFAULT_WEEKS)))
    risen = expected.topics[expected.rising[0]["topic"]]
    with dashboard(db, "--lang", lang) as url:
        page.goto(f"{url}/topics")
        _settled(page, 120)
        main = page.locator("[data-testid=stMain]")
        text = main.inner_text()
        assert t("tp_found", lang, k=len(expected.topics), n=320, s=0).split("(")[0].split("（")[0] in text
        assert "退款" in page.locator("[data-testid=stAlertContentWarning]").first.inner_text()  # the rise, said first
        # the weekly chart: one line per topic (the eight largest), its points the weekly shares of the finder's run
        lines = _chart_data(page, "tp_weekly_chart")
        assert len(lines) == min(8, len(expected.topics))
        first = expected.weekly[expected.weekly["topic"] == 0]
        assert [round(y, 6) for y in lines[0]["y"]] == [round(100 * s, 6) for s in first["share"]]
        # the topic picked first is the one that rose; its example moment plays from its second
        assert page.get_by_role("combobox", name=t("tp_pick", lang), exact=True).input_value().endswith(" · ".join(risen.phrases[:3]))
        assert _plays(page, main.locator("audio").first) > 0.5
        page.set_viewport_size({"width": 1400, "height": 2200})
        _settled(page)
        _shot(page, f"topics-{lang}")
        page.set_viewport_size({"width": 1400, "height": 1000})
        page.get_by_role("button", name=t("tp_track", lang)).click()
        page.wait_for_function("() => location.pathname.endsWith('/trackers')")
        _settled(page)
        page.wait_for_function("([label, want]) => document.querySelector(`textarea[aria-label='${label}']`)?.value === want",
                               arg=[t("tk_phrases_in", lang), "\n".join(risen.phrases[:4])], timeout=30_000)
        page.get_by_role("button", name=t("tk_save", lang)).click()
        page.locator("[data-testid=stAlertContentSuccess]").first.wait_for(timeout=60_000)
        assert _field(page, t("tk_name", lang)).count() == 1

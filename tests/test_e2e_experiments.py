"""Did our change work? — in Chromium: a lead describes a change (the day it began, the pilot team,
the outcome) on the Experiments page and gets the sentence and the weekly chart with the change
marked; the chart's data and the sentence checked against the estimate; English and Chinese."""
from __future__ import annotations

import pytest
from experiment_calls import CHANGE, cohort_calls
from qa_calls import write
from servers import dashboard
from test_e2e_browser import _settled, pytestmark  # noqa: F401 - the same skips
from test_e2e_manager import _shot
from test_e2e_talk import _chart_data
from test_e2e_team import _choose, _field

from analytics.db import Data
from analytics.experiments import design, estimate
from dashboard.i18n import t


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_experiment_made_on_the_page_shows_its_sentence_and_chart(tmp_path, page, lang, monkeypatch):
    db = tmp_path / "tb.duckdb"
    write(db, cohort_calls(40, 4)).close()
    monkeypatch.setenv("TONEBOARD_EXPERIMENTS", str(tmp_path / "experiments.yaml"))
    with dashboard(db, "--lang", lang) as url:
        page.goto(f"{url}/experiments")
        _settled(page)
        _field(page, t("ex_name", lang)).fill("New demo script")
        page.locator("[data-testid=stDateInput] [role=spinbutton][data-type=year]").click()  # year, month, day: typed in turn
        page.keyboard.type(CHANGE.strftime("%Y%m%d"))
        page.keyboard.press("Tab")
        form = page.locator("[data-testid=stForm]")
        _choose(page, form, t("ex_pilot_key", lang), "team" if lang == "en" else "团队")
        box = form.get_by_role("combobox", name=t("ex_pilot_values", lang))
        box.click()
        page.keyboard.type("Shenzhen")
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")
        page.get_by_role("button", name=t("ex_save", lang)).click()
        page.locator("[data-testid=stAlertContentSuccess]").first.wait_for(timeout=60_000)
        _settled(page)
        saved = design.load()
        assert [(e.change, dict(e.pilot), e.outcome) for e in saved] == [(CHANGE, {"team": ("Shenzhen",)}, "won")]
        answer = estimate.estimate(Data(db).con, saved[0])
        text = page.locator("[data-testid=stMain]").inner_text()
        assert estimate.sentence(answer, lang) in text  # the sentence a manager repeats, as computed
        lines = _chart_data(page, "ex_chart")
        assert len(lines) == 2  # the pilot and everyone else
        want = sorted(answer.weekly.groupby("group")["value"].apply(lambda v: [round(100 * x, 6) for x in v]).tolist())
        assert sorted([round(y, 6) for y in tr["y"]] for tr in lines) == want
        assert page.evaluate("() => document.querySelector('.st-key-ex_chart .js-plotly-plot').layout.shapes.length") == 1  # the change
        page.set_viewport_size({"width": 1400, "height": 1800})
        _settled(page)
        _shot(page, f"experiments-{lang}")

"""A manager accepts a threshold learnt from the team's corrections, in a real browser (Debian's
Chromium driven by Playwright): the Accuracy page proposes it with a sentence and a curve, one click
applies it, and the timeline then fades what falls under it on a call nobody checked."""
from __future__ import annotations

import pytest
from servers import dashboard
from test_e2e_browser import _settled, pytestmark  # noqa: F401 - same skips
from test_e2e_manager import _shot

from analytics import confidence
from analytics.corrections import correct_segment
from analytics.db import Data

PLANTED = 0.75  # the team kept NEUTRAL where the model gave it at least this, and called the rest SAD


@pytest.fixture()
def corrected(demo_db):
    db, planted = demo_db
    data = Data(db)
    rows = data.con.execute("SELECT recording_id, seg_index, emotion_confidence FROM seg WHERE emotion = 'NEUTRAL' "
                            "ORDER BY recording_id, seg_index LIMIT 60").fetchall()
    assert len(rows) == 60 and min(p for *_, p in rows) < PLANTED < max(p for *_, p in rows)
    for rid, i, p in rows:
        correct_segment(data.store, data.con, rid, i, "NEUTRAL" if p >= PLANTED else "SAD", by="lead")
    return db, rows


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_manager_accepts_a_learnt_threshold(corrected, page, lang):
    db, rows = corrected
    with dashboard(db, "--lang", lang) as url:
        page.goto(f"{url}/accuracy")
        _settled(page)
        sentence = "At p ≥ 0.75, 10 of 10 NEUTRAL tags you checked were right" if lang == "en" else \
            "当 p ≥ 0.75 时，您检查过的中性标签中 10 个有 10 个正确"
        assert sentence in page.inner_text("[data-testid=stMain]")
        page.locator(".stPlotlyChart .main-svg").nth(1).wait_for(state="visible")  # charts mount after the run
        assert page.locator(".stPlotlyChart").count() == 2  # the reliability chart and NEUTRAL's curve
        _shot(page, f"{lang}-accuracy-proposal")
        page.get_by_role("button", name="Use p ≥ 0.75 for NEUTRAL" if lang == "en" else "对中性使用 p ≥ 0.75").click()
        done = "NEUTRAL now counts from p ≥ 0.75" if lang == "en" else "中性现在在规则、实时提醒和时间线中从 p ≥ 0.75 起计入"
        page.wait_for_function("t => document.body.innerText.includes(t)", arg=done)
        _settled(page)
        # the proposal is now the team's: said, and no button offers it again
        assert ("your threshold is already p ≥ 0.75" if lang == "en" else "当前阈值已是 p ≥ 0.75") in page.inner_text("body")
        assert page.get_by_role("button", name="Use p ≥ 0.75 for NEUTRAL" if lang == "en" else "对中性使用 p ≥ 0.75").count() == 0
        _shot(page, f"{lang}-accuracy-accepted")
        rid = Data(db).con.execute("SELECT recording_id FROM seg WHERE model_emotion = 'NEUTRAL' AND NOT corrected "
                                   "AND emotion_confidence < ? LIMIT 1", [PLANTED]).fetchone()[0]  # one nobody checked
        page.goto(f"{url}/timeline?recording={rid}")
        _settled(page)
        assert ("NEUTRAL ≥ 0.75" if lang == "en" else "中性 ≥ 0.75") in page.inner_text("[data-testid=stMain]")
    assert confidence.thresholds(Data(db).con)["NEUTRAL"] == PLANTED

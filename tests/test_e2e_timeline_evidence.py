"""What the timeline says beyond the tags, in a real browser (Debian's Chromium driven by Playwright),
in English and Chinese: where a second model disputes SenseVoice's emotion (how many segments it
heard and disputes; the disputed ANGRY marked uncertain in the transcript), and where both parties
talked at once (outlined, and counted for neither party's talk)."""
from __future__ import annotations

import pytest
from doubles import LoudnessTaggingRecognizerDouble, SecondOpinionDouble
from servers import dashboard
from synth import compose, write_wav
from test_e2e_browser import _settled, pytestmark  # noqa: F401 - same skips
from test_e2e_manager import _shot
from test_overlap import available, backchannel_call

from ingest import analyse
from ingest.batch.pipeline import IngestOptions, ingest_paths


@pytest.fixture()
def disputed_call(tmp_path, clips, monkeypatch):
    """Loud turns SenseVoice (a double) calls ANGRY at p = 0.9; the second model hears them as NEUTRAL."""
    monkeypatch.setattr(analyse, "Emotion2vec", lambda *a, **k: SecondOpinionDouble(emotion="NEUTRAL", p=0.8))
    lay = compose([(0.0, clips[0] * 0.2), (1.5, clips[1] * 1.6), (1.0, clips[2] * 1.6)])
    opts = IngestOptions(db=tmp_path / "tb.duckdb", device="cpu", threads=1, kind="service", rules="off",
                         emotion_second_opinion="emotional")
    report = ingest_paths([write_wav(tmp_path / "c.wav", lay.audio)], opts, recognizer=LoudnessTaggingRecognizerDouble())
    return opts.db, report.outcomes[0].recording_id


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_timeline_says_where_the_second_model_disagrees(disputed_call, page, lang):
    db, rid = disputed_call
    with dashboard(db, "--lang", lang) as url:
        page.goto(f"{url}/timeline?recording={rid}")
        _settled(page)
        main = page.inner_text("[data-testid=stMain]")
        said = ("A second model (emotion2vec+) heard 2 of these segments again and named another emotion for 2"
                if lang == "en" else "第二个情绪模型复核了其中 2 个片段，2 个判断不同")
        assert said in main
        assert ("[ANGRY?]" if lang == "en" else "[生气?]") in main  # uncertain in the transcript
        _shot(page, f"{lang}-timeline-second-opinion")
        # the tags are sure (p = 0.9): the page does not blame the threshold for fading them
        assert ("less sure of that emotion than your team's threshold" if lang == "en" else "低于团队设定的阈值") not in main


@pytest.mark.skipif(not available("allison") or not available("librivox"), reason="needs the real speech packages")
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_timeline_says_where_both_talked_at_once(tmp_path, recognizer, page, lang):
    f, _ = backchannel_call(tmp_path)
    db = tmp_path / "tb.duckdb"
    report = ingest_paths([f], IngestOptions(db=db, device="cpu", threads=1, kind="service", rules="off"), recognizer=recognizer)
    rid = report.outcomes[0].recording_id
    from analytics.db import Data

    over = Data(db).con.execute("SELECT overtalk_s FROM role_stats WHERE role = '*'").fetchone()[0]
    assert 0.8 < over < 1.5  # the customer's 1.2 s under the agent's prompt, as the VAD found it
    with dashboard(db, "--lang", lang) as url:
        page.goto(f"{url}/timeline?recording={rid}")
        _settled(page)
        main = page.inner_text("[data-testid=stMain]")
        said = (f"Outlined bars: both parties talked at once for most of that segment (1). Talking at the same time "
                f"({over:.1f} s in all)" if lang == "en" else
                f"加框的条：该片段大部分时间双方同时说话（1 个）。同时说话的时间（共 {over:.1f} 秒）")
        assert said in main
        _shot(page, f"{lang}-timeline-overlap")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_accuracy_page_shows_the_second_opinion(disputed_call, page, lang):
    db, rid = disputed_call
    with dashboard(db, "--lang", lang) as url:
        page.goto(f"{url}/accuracy")
        _settled(page)
        said = ("The segments a second model (emotion2vec+) heard again: 2, of which it agreed with 0%" if lang == "en"
                else "第二个情绪模型复核过的片段：2 个，其中 0% 判断一致")
        assert said in page.inner_text("[data-testid=stMain]")
        page.locator("[data-testid=stDataFrame] canvas").first.wait_for(state="visible")  # the table, drawn
        page.locator("[data-testid=stSidebar] input").first.wait_for(state="visible")
        _shot(page, f"{lang}-accuracy-second-opinion")

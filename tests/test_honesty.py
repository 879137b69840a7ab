"""Honest about the model (issue 15): results of a random-weight stand-in model are called noise on
every dashboard page, on the timeline of such a recording and in the HTML report; real (here: the
demo's) results are not."""
import os
import shutil

import pytest
from apptest import APP, PAGES
from streamlit.testing.v1 import AppTest
from synth import write_wav

from analytics.db import Data
from analytics.report import html_report
from ingest.batch.pipeline import IngestOptions, ingest_paths


@pytest.fixture(scope="module")
def noisy_db(tmp_path_factory, tiny_model, mono_layout):
    d = tmp_path_factory.mktemp("noisy")
    ingest_paths([write_wav(d / "call.wav", mono_layout.audio)],
                 IngestOptions(db=d / "tb.duckdb", model=str(tiny_model), threads=1, rules="off"))
    return d / "tb.duckdb"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_says_results_of_a_random_model_are_noise(noisy_db, page):
    os.environ["TONEBOARD_DB"] = str(noisy_db)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = "en"
    at.run()
    if page != "overview":
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, at.exception
    assert any("RANDOM-WEIGHT stand-in model" in e.value and "noise" in e.value for e in at.error), page
    if page == "timeline":
        assert any("random-weight stand-in model" in e.value for e in at.error)
        assert any("Analysed with" in c.value and "tiny" in c.value for c in at.caption)


def test_the_report_says_so_and_the_demo_is_not_called_noise(noisy_db, demo, tmp_path):
    assert "random-weight stand-in model" in html_report(Data(noisy_db).con)
    demo_db = tmp_path / "demo.duckdb"
    from ingest.store.layout import store_dir

    shutil.copytree(store_dir(demo[0]), store_dir(demo_db))
    assert "random-weight stand-in model" not in html_report(Data(demo_db).con)


def test_the_correction_form_starts_at_unknown_and_a_saved_correction_shows_at_once(noisy_db, tmp_path):
    """Fixes of what a new user met: an UNKNOWN segment's form pre-selected HAPPY; a saved
    correction showed on the chart and transcript only after another click."""
    from analytics.db import Data
    from ingest.store.layout import store_dir

    db = tmp_path / "copy.duckdb"
    shutil.copytree(store_dir(noisy_db), store_dir(db))
    rid, idx = Data(db).con.execute("SELECT recording_id, seg_index FROM seg WHERE emotion = 'UNKNOWN' LIMIT 1").fetchone()
    os.environ["TONEBOARD_DB"] = str(db)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = "en"
    at.session_state["recording_id"] = rid
    at.session_state["tl_seg"] = idx
    at.run()
    at.switch_page("views/timeline.py").run()
    assert not at.exception, at.exception
    form = at.selectbox(key=f"tl_emo_{rid}_{idx}")
    assert form.value == "UNKNOWN"
    form.set_value("HAPPY")
    at.button(key="tl_save").click().run()
    assert not at.exception, at.exception
    assert "Saved." in [s.value for s in at.success]
    assert "[HAPPY]" in at.text[0].value  # the transcript, in the same click

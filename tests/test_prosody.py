"""Prosody: pitch measured on real speech whose pitch is known (shifted by sox), and a raised voice
found against the speaker's own start, through a full ingest, the rules and the timeline."""
import numpy as np
import pytest
import samechain
from doubles import LoudnessTaggingRecognizerDouble
from shifted import shift
from synth import compose, write_wav

from analytics.alerts.evaluation import evaluate
from analytics.alerts.rules import RuleError, load_rules
from analytics.db import Data
from analytics.timeline import raised_voices, timeline
from ingest import prosody
from ingest.batch.pipeline import IngestOptions, ingest_paths

needs_voices = pytest.mark.skipif(not samechain.available("allison", "carlo"),
                                  reason="real speech not installed (make test installs the Asterisk voices)")


@needs_voices
@pytest.mark.parametrize("voice", ["allison", "carlo"])
def test_pitch_follows_a_known_shift_of_real_speech(voice):
    """A woman's and a man's real prompts, moved by -4, -2, +2 and +4 semitones: the measured median
    pitch moves by the same within a fraction of a semitone."""
    errors = []
    for x in samechain.utterances(voice)[:8]:
        base = prosody.pitch(x)
        assert base is not None and 70 < base.median_hz < 350 and base.range_st > 0
        for st in (-4, -2, 2, 4):
            moved = prosody.pitch(shift(x, st))
            errors.append(abs(prosody.semitones(moved.median_hz, base.median_hz) - st))
    assert np.median(errors) < 0.3 and max(errors) < 2.0, errors


def test_no_pitch_where_nothing_is_voiced():
    rng = np.random.default_rng(2101)
    assert prosody.pitch(np.zeros(16000, np.float32)) is None
    assert prosody.pitch(rng.normal(0, 0.05, 16000).astype(np.float32)) is None  # noise: no steady pitch
    assert prosody.pitch(np.zeros(500, np.float32)) is None


def test_a_raised_voice_is_a_speakers_own_change():
    p = lambda hz: prosody.Pitch(hz, 2.0, 1.0)  # noqa: E731
    who = ["a", "b"] * prosody.BASELINE_SEGMENTS + ["a", "a", "b"]
    pitches = [p(120), p(220), p(125), p(215), p(118), p(225), p(121), p(218), p(150), p(122), None]
    loud = [-30, -25, -31, -24, -29, -25, -30, -25, -22, -20, -18]
    got = prosody.changes(who, [2.0] * len(who), pitches, loud)
    n = 2 * prosody.BASELINE_SEGMENTS
    assert [c.raised_voice for c in got[:n]] == [None] * n  # their first segments are the baseline
    assert got[n].raised_voice is True and got[n].pitch_change_st == pytest.approx(3.79, abs=0.02)  # 150 vs 120.5 Hz
    assert got[n + 1].raised_voice is False  # louder, not higher
    assert got[n + 2].raised_voice is False and got[n + 2].pitch_change_st is None  # no pitch: not raised
    # b's voice is higher than a's throughout: never "raised" for that


@needs_voices
def test_a_planted_rise_is_found_through_ingest_rules_and_timeline(tmp_path):
    """A man's prompts at his own level, then two of them 4 semitones higher and 8 dB louder."""
    xs = samechain.utterances("carlo")[:8]
    parts = [(0.6, x) for x in xs[:6]] + [(0.6, shift(xs[6], 4) * 2.5), (0.6, shift(xs[7], 4) * 2.5)]
    lay = compose(parts)
    db = tmp_path / "tb.duckdb"
    opts = IngestOptions(db=db, device="cpu", threads=1, speakers="1", kind="service")
    assert ingest_paths([write_wav(tmp_path / "rise.wav", lay.audio)], opts,
                        recognizer=LoudnessTaggingRecognizerDouble(loud_rms=10.0)).batch.n_ingested == 1
    data = Data(db)
    rows = data.con.execute("SELECT start_s, pitch_hz, pitch_change_st, loudness_change_db, raised_voice FROM seg "
                            "ORDER BY start_s").fetchall()
    planted_from = lay.spans[0][6][0] - 0.3  # spans per channel
    raised = [r for r in rows if r[4]]
    assert raised and all(r[0] >= planted_from for r in raised), rows  # no false alarm before the rise
    assert all(r[1] for r in rows)
    rid = data.con.execute("SELECT recording_id FROM recordings").fetchone()[0]
    rules = load_rules("rules:\n  - id: raised\n    all: [{segments: {raised_voice: true}}]\n"
                       "  - id: calm\n    all: [{segments: {raised_voice: true}, none: true}]\n")
    assert {m.rule.id for m in evaluate(data.con, rules)} == {"raised"}
    top = raised_voices(timeline(data.con, rid))
    assert len(top) == 1 and top[0]["st"] > 3.0 and top[0]["pct"] > 19 and top[0]["db"] > 5


def test_raised_voice_in_a_rule_must_be_true_or_false():
    with pytest.raises(RuleError, match="raised_voice must be true or false"):
        load_rules("rules:\n  - id: a\n    all: [{segments: {raised_voice: loud}}]\n")


@needs_voices
def test_the_timeline_says_when_a_voice_rose(tmp_path):
    import os

    from apptest import APP, _texts
    from streamlit.testing.v1 import AppTest

    xs = samechain.utterances("carlo")[:7]
    lay = compose([(0.6, x) for x in xs[:6]] + [(0.6, shift(xs[6], 5) * 3.0)])
    db = tmp_path / "tb.duckdb"
    ingest_paths([write_wav(tmp_path / "rise.wav", lay.audio)], IngestOptions(db=db, device="cpu", threads=1, speakers="1"),
                 recognizer=LoudnessTaggingRecognizerDouble(loud_rms=10.0))
    rid = Data(db).con.execute("SELECT recording_id FROM recordings").fetchone()[0]
    os.environ["TONEBOARD_DB"] = str(db)
    for lang, said in (("en", "voice rose"), ("zh", "的声音在")):
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state["recording_id"], at.session_state["lang"] = rid, lang
        at.run()
        at.switch_page("views/timeline.py").run()
        assert not at.exception, at.exception
        assert said in _texts(at) and "▲" in _texts(at)

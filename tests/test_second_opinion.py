"""The second opinion on emotion (issue 28, item 5): emotion2vec+ loaded through its real FunASR path
on a model directory of the hub's layout with random weights (tests/emotion2vec_random.py), its
verdict stored beside SenseVoice's, and a disagreement making the tag uncertain."""
from __future__ import annotations

import duckdb
import numpy as np
import pytest
from conftest import ROOT
from doubles import LoudnessTaggingRecognizerDouble
from emotion2vec_random import LABELS, build_emotion2vec_dir
from synth import compose, write_wav

from ingest import second_opinion
from ingest.batch.pipeline import IngestOptions, ingest_paths
from ingest.errors import ModelUnavailable
from ingest.models import emotion2vec
from ingest.store import schema


@pytest.fixture(scope="module")
def e2v_dir():
    return build_emotion2vec_dir(ROOT / ".cache" / "test-models" / "emotion2vec")


@pytest.fixture(scope="module")
def judge(e2v_dir):
    return emotion2vec.Emotion2vec(str(e2v_dir), threads=1)


def test_the_stored_classes_are_the_models():
    assert schema.PROB_CLASSES["SECOND_EMOTION_PROBS"] == emotion2vec.CLASSES
    assert [emotion2vec.class_name(lb) for lb in LABELS] == list(emotion2vec.CLASSES)
    assert emotion2vec.class_name("unuse_3") is None


def test_opinions_are_funasrs_own_scores(judge, clips):
    """What toneboard stores is what FunASR's AutoModel.generate gives on the same clip: the class
    with the highest score, its score, and every class's score (named in SenseVoice's words)."""
    short = np.zeros(int(0.1 * 16000), np.float32)
    got = judge.judge([clips[0], short, clips[1]])
    assert got[1] is None  # too short to judge
    for clip, op in ((clips[0], got[0]), (clips[1], got[2])):
        ref = judge.am.generate([clip], granularity="utterance", extract_embedding=False, disable_pbar=True)[0]
        scores = dict(zip([emotion2vec.class_name(lb) for lb in ref["labels"]], ref["scores"]))
        assert set(op.probs) == set(emotion2vec.CLASSES)
        for k, v in scores.items():
            assert op.probs[k] == pytest.approx(v, abs=1e-5)
        best = max(scores, key=scores.get)
        assert op.emotion == best and op.confidence == pytest.approx(scores[best], abs=1e-5)
        assert sum(op.probs.values()) == pytest.approx(1.0, abs=1e-4)


def test_a_directory_that_is_not_the_model_is_refused(tmp_path, tiny_model):
    with pytest.raises(ModelUnavailable, match="is not a model directory"):
        emotion2vec.Emotion2vec(str(tmp_path))
    with pytest.raises(ModelUnavailable, match="not emotion2vec"):
        emotion2vec.Emotion2vec(str(tiny_model))


def test_agreement():
    assert second_opinion.agree("ANGRY", None) and second_opinion.agree("ANGRY", "ANGRY")
    assert second_opinion.agree("ANGRY", "UNKNOWN")  # it could not tell: SenseVoice's tag stands
    assert not second_opinion.agree("ANGRY", "NEUTRAL") and not second_opinion.agree("ANGRY", "OTHER")
    assert not second_opinion.agree("NEUTRAL", "ANGRY")
    assert second_opinion.wanted("ANGRY", "emotional") and not second_opinion.wanted("NEUTRAL", "emotional")
    assert second_opinion.wanted("NEUTRAL", "all") and not second_opinion.wanted("ANGRY", "off")


def _segments(db):
    con = duckdb.connect(str(db), read_only=True)
    try:
        segs = con.execute("SELECT emotion, second_emotion, second_emotion_confidence, second_emotion_probs "
                           "FROM segments ORDER BY start_s").fetchall()
        model = con.execute("SELECT second_opinion_model FROM recordings").fetchall()
        return segs, model
    finally:
        con.close()


@pytest.mark.parametrize("mode", ["emotional", "all"])
def test_ingest_stores_the_second_opinion_of_the_segments_asked(tmp_path, clips, e2v_dir, mode):
    lay = compose([(0.0, clips[0] * 0.2), (1.5, clips[1] * 1.6), (1.5, clips[2] * 0.2)])
    f = write_wav(tmp_path / "t.wav", lay.audio)
    opts = IngestOptions(db=tmp_path / "tb.duckdb", device="cpu", threads=1, rules="off",
                         emotion_second_opinion=mode, emotion2vec=str(e2v_dir))
    report = ingest_paths([f], opts, recognizer=LoudnessTaggingRecognizerDouble())
    assert report.batch.n_ingested == 1 and report.times.second_opinion_s > 0
    segs, model = _segments(opts.db)
    assert model == [(f"emotion2vec:{e2v_dir.resolve()}",)]
    assert {e for e, *_ in segs} == {"ANGRY", "NEUTRAL"}
    for emotion, second, p, probs in segs:
        if mode == "emotional" and emotion == "NEUTRAL":
            assert second is None and p is None and probs is None  # not asked: calm segments cost nothing
        else:
            assert second in emotion2vec.CLASSES and probs[second] == pytest.approx(p)
            assert sum(probs.values()) == pytest.approx(1.0, abs=1e-4)


def test_off_by_default_and_a_missing_model_stops_the_batch_with_advice(tmp_path, clips):
    f = write_wav(tmp_path / "t.wav", compose([(0.0, clips[1] * 1.6)]).audio)
    opts = IngestOptions(db=tmp_path / "tb.duckdb", device="cpu", threads=1, rules="off")
    assert ingest_paths([f], opts, recognizer=LoudnessTaggingRecognizerDouble()).batch.n_ingested == 1
    segs, model = _segments(opts.db)
    assert model == [(None,)] and all(s[1] is None for s in segs)
    missing = IngestOptions(db=tmp_path / "tb2.duckdb", device="cpu", threads=1, rules="off",
                            emotion_second_opinion="emotional", emotion2vec=str(tmp_path / "nowhere" / "e2v"))
    missing.emotion2vec = str(tmp_path)  # a directory that exists but is not the model
    with pytest.raises(ModelUnavailable, match="is not a model directory"):
        ingest_paths([f], missing, recognizer=LoudnessTaggingRecognizerDouble())


@pytest.mark.parametrize("heard, counted", [("NEUTRAL", False), ("ANGRY", True), ("UNKNOWN", True)])
def test_a_disputed_tag_is_uncertain_on_every_page_rule_timeline_and_export(tmp_path, clips, monkeypatch, heard, counted):
    """Loud turns SenseVoice (a double) calls ANGRY at p = 0.9. A second opinion that hears them as
    NEUTRAL makes them uncertain: not counted in the statistics, no ticket from a rule on ANGRY (its
    own minimum neither), '[ANGRY?]' in the transcript and a faded bar; one that agrees, or cannot
    tell (UNKNOWN), leaves them counted. The export carries both opinions."""
    import io

    import pandas as pd
    from doubles import SecondOpinionDouble

    from analytics import confidence
    from analytics.alerts.evaluation import evaluate
    from analytics.alerts.rules import load_rules
    from analytics.db import Data
    from analytics.export import export_frame, to_csv
    from analytics.filters import Filter
    from analytics.timeline import rich_text, timeline
    from ingest import analyse

    monkeypatch.setattr(analyse, "Emotion2vec", lambda *a, **k: SecondOpinionDouble(emotion=heard, p=0.8))
    lay = compose([(0.0, clips[0] * 0.2), (1.5, clips[1] * 1.6), (1.0, clips[2] * 1.6)])
    opts = IngestOptions(db=tmp_path / "tb.duckdb", device="cpu", threads=1, kind="service", rules="off",
                         emotion_second_opinion="emotional")
    assert ingest_paths([write_wav(tmp_path / "c.wav", lay.audio)], opts,
                        recognizer=LoudnessTaggingRecognizerDouble()).batch.n_ingested == 1
    data = Data(opts.db)
    con = data.con
    rid = con.execute("SELECT recording_id FROM recordings").fetchone()[0]
    printed = con.execute("SELECT count(*) FROM seg WHERE model_emotion = 'ANGRY'").fetchone()[0]
    assert printed >= 2
    angry = con.execute("SELECT count(*) FROM seg WHERE emotion = 'ANGRY'").fetchone()[0]
    n_angry = con.execute("""SELECT sum("n_ANGRY") FROM role_stats WHERE role = '*'""").fetchone()[0]
    assert (angry, n_angry) == ((printed, printed) if counted else (0, 0))
    rules = load_rules("rules:\n  - id: angry\n    all: [{segments: {emotion: ANGRY}}]\n"
                       "  - id: own-minimum\n    all: [{segments: {emotion: ANGRY, min_confidence: 0.6}}]\n"
                       "  - id: both\n    all: [{segments: {emotion: ANGRY, both_models: true}}]\n")
    fired = {m.rule.id for m in evaluate(con, rules)}
    assert fired == ({"angry", "own-minimum"} | ({"both"} if heard == "ANGRY" else set()) if counted else set())
    tl = timeline(con, rid)
    assert ("[ANGRY?]" in rich_text(con, rid, tl=tl)) != counted
    segs = tl[tl["item"] == "segment"]
    sure = confidence.sure_tags(segs, confidence.thresholds(con))
    assert all(s == counted for s, e in zip(sure, segs["emotion"]) if e == "ANGRY")
    csv = pd.read_csv(io.BytesIO(to_csv(export_frame("segments", con, Filter()))), encoding="utf-8-sig")
    assert set(csv.loc[csv["model_emotion"] == "ANGRY", "second_emotion"]) == {heard}
    assert csv.loc[csv["model_emotion"] == "NEUTRAL", "second_emotion"].isna().all()  # calm: not asked


def test_a_rule_asking_for_both_models_is_checked():
    from analytics.alerts.rules import RuleError, load_rules

    with pytest.raises(RuleError, match="both_models needs an emotion"):
        load_rules("rules:\n  - id: x\n    all: [{segments: {event: LAUGHTER, both_models: true}}]\n")
    with pytest.raises(RuleError, match="both_models must be true or false"):
        load_rules("rules:\n  - id: x\n    all: [{segments: {emotion: ANGRY, both_models: 1}}]\n")


def test_the_command_line_asks_for_it_and_says_what_is_wrong(tmp_path, tiny_model, e2v_dir, mono_layout, capsys):
    import cli

    f = write_wav(tmp_path / "a.wav", mono_layout.audio)
    base = ["ingest", str(f), "--model", str(tiny_model), "--quiet", "--rules", "off"]
    with pytest.raises(SystemExit) as e:
        cli.main([*base, "--db", str(tmp_path / "x.duckdb"), "--emotion-second-opinion", "maybe"])
    assert e.value.code == cli.EXIT_USAGE and "--emotion-second-opinion: invalid choice: 'maybe'" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    rc = cli.main([*base, "--db", str(tmp_path / "y.duckdb"), "--emotion-second-opinion", "all",
                   "--emotion2vec", str(tmp_path / "empty")])
    assert rc == cli.EXIT_MODEL and "is not a model directory (emotion2vec+" in capsys.readouterr().err
    rc = cli.main([*base, "--db", str(tmp_path / "z.duckdb"), "--emotion-second-opinion", "all", "--emotion2vec", str(e2v_dir)])
    assert rc == cli.EXIT_OK
    con = duckdb.connect(str(tmp_path / "z.duckdb"), read_only=True)
    try:  # every segment heard again (all)
        assert con.execute("SELECT count(*) = count(second_emotion) AND count(*) > 0 FROM segments").fetchone()[0]
    finally:
        con.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_accuracy_page_says_how_often_the_two_models_agree_and_who_was_right(tmp_path, clips, monkeypatch, lang):
    """The second model hears the two ANGRY turns as NEUTRAL; a person checks one and calls it ANGRY:
    0 of 2 agreed, SenseVoice right on the one checked, the second model not."""
    from apptest import _app, _texts
    from doubles import SecondOpinionDouble

    from analytics import calibration
    from analytics.corrections import correct_segment
    from analytics.db import Data
    from ingest import analyse

    monkeypatch.setattr(analyse, "Emotion2vec", lambda *a, **k: SecondOpinionDouble(emotion="NEUTRAL", p=0.8))
    lay = compose([(0.0, clips[0] * 0.2), (1.5, clips[1] * 1.6), (1.0, clips[2] * 1.6)])
    opts = IngestOptions(db=tmp_path / "tb.duckdb", device="cpu", threads=1, kind="service", rules="off",
                         emotion_second_opinion="emotional")
    ingest_paths([write_wav(tmp_path / "c.wav", lay.audio)], opts, recognizer=LoudnessTaggingRecognizerDouble())
    data = Data(opts.db)
    rid, seg = data.con.execute("SELECT recording_id, seg_index FROM seg WHERE model_emotion = 'ANGRY' LIMIT 1").fetchone()
    correct_segment(data.store, data.con, rid, seg, emotion="ANGRY", by="lead")
    data.refresh()
    got = calibration.second_opinions(data.con).to_dict("records")
    assert got == [{"tag": "ANGRY", "heard": 2, "agreed": 0, "checked": 1, "first_right": 1, "second_right": 0}]
    at = _app(opts.db, "accuracy", lang)
    assert not at.exception
    said = ("The segments a second model (emotion2vec+) heard again: 2, of which it agreed with 0%" if lang == "en"
            else "第二个情绪模型复核过的片段：2 个，其中 0% 判断一致")
    assert said in _texts(at)
    from dashboard.i18n import t

    table = next(d.value for d in at.dataframe if t("acc_second_heard", lang) in d.value.columns)
    assert list(table.iloc[0, 1:]) == [2, "0%", 1, "100%", "0%"]

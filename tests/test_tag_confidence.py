"""How sure a tag must be to count: one threshold per tag for the team (analytics.confidence), and a
rule condition's own min_confidence; a corrected tag always counts, one without a probability
counts as given unless a condition asks for a minimum."""
import pandas as pd
import pytest
from doubles import LoudnessTaggingRecognizerDouble
from synth import compose, write_wav

from analytics import confidence
from analytics.alerts.evaluation import evaluate, with_confidence
from analytics.alerts.rules import RuleError, load_rules
from analytics.alerts.selectors import select_segments
from analytics.db import Data
from analytics.filters import FilterError
from ingest.batch.pipeline import IngestOptions, ingest_paths


def _segs(rows):
    """Segments as the rules see them: (emotion, emotion_confidence, events, event_probs, corrected)."""
    df = pd.DataFrame([{"recording_id": "r", "channel": 0, "role": "customer", "start_s": float(i), "end_s": i + 1.0,
                        "duration_s": 1.0, "text": "", "loudness_dbfs": -20.0, "speaking_rate": None,
                        "emotion": e, "emotion_confidence": p, "events": ev, "event_probs": ep, "corrected": c}
                       for i, (e, p, ev, ep, c) in enumerate(rows)])
    return df


ROWS = [("ANGRY", 0.9, [], None, False),                         # sure
        ("ANGRY", 0.3, [], None, False),                         # weak
        ("ANGRY", None, [], None, False),                        # no probability stored
        ("ANGRY", 0.3, [], None, True),                          # weak, but a person confirmed it
        ("NEUTRAL", 0.8, ["LAUGHTER"], {"LAUGHTER": 0.7}, False),
        ("NEUTRAL", 0.8, ["LAUGHTER"], {"LAUGHTER": 0.2}, False),
        ("NEUTRAL", 0.8, ["LAUGHTER"], None, False)]


def _picked(limits, sel):
    segs = _segs(ROWS)
    with_confidence(segs, limits)
    return list(select_segments(segs, sel)["start_s"].astype(int))


def test_a_tag_counts_from_the_teams_threshold():
    default = dict.fromkeys(confidence.TAGS, confidence.DEFAULT_THRESHOLD)
    assert _picked(default, {"emotion": "ANGRY"}) == [0, 2, 3]
    assert _picked(default | {"ANGRY": 0.2}, {"emotion": "ANGRY"}) == [0, 1, 2, 3]
    assert _picked(default | {"ANGRY": 0.95}, {"emotion": "ANGRY"}) == [2, 3]
    assert _picked(default, {"event": "LAUGHTER"}) == [4, 6]
    assert _picked(default, {"tags": ["ANGRY", "LAUGHTER"]}) == [0, 2, 3, 4, 6]


def test_a_condition_can_ask_for_more():
    default = dict.fromkeys(confidence.TAGS, confidence.DEFAULT_THRESHOLD)
    # a minimum of its own: a tag without a probability does not meet it; a corrected one does
    assert _picked(default, {"emotion": "ANGRY", "min_confidence": 0.8}) == [0, 3]
    assert _picked(default, {"event": "LAUGHTER", "min_confidence": 0.1}) == [4, 5]
    assert _picked(default, {"tags": ["ANGRY"], "min_confidence": 0.25}) == [0, 1, 3]


@pytest.mark.parametrize("sel,message", [
    ("{emotion: ANGRY, min_confidence: 1.5}", "min_confidence must be a probability from 0 to 1"),
    ("{emotion: ANGRY, min_confidence: high}", "min_confidence must be a probability"),
    ("{role: customer, min_confidence: 0.7}", "min_confidence needs a tag"),
])
def test_a_wrong_minimum_is_named(sel, message):
    with pytest.raises(RuleError, match=message):
        load_rules(f"rules:\n  - id: a\n    all: [{{segments: {sel}}}]\n")


def test_a_threshold_must_be_a_probability_of_a_known_tag(tmp_path):
    from ingest.store import Store

    store = Store(tmp_path / "tb.duckdb")
    store.init()
    with pytest.raises(FilterError, match="not one of"):
        confidence.set_threshold(store, "GRUMPY", 0.5)
    with pytest.raises(FilterError, match="from 0 to 1"):
        confidence.set_threshold(store, "ANGRY", "nan")


def test_the_teams_threshold_decides_a_stored_calls_tickets(tmp_path, clips):
    """A call whose loud turns the model calls ANGRY at p = 0.9: a rule on ANGRY opens a ticket;
    after the team sets ANGRY's threshold to 0.95 it no longer does, and the setting is read back."""
    lay = compose([(0.0, clips[0] * 0.2), (1.5, clips[1] * 1.6), (1.0, clips[2] * 1.6)])
    db = tmp_path / "tb.duckdb"
    opts = IngestOptions(db=db, device="cpu", threads=1, kind="service")
    assert ingest_paths([write_wav(tmp_path / "c.wav", lay.audio)], opts,
                        recognizer=LoudnessTaggingRecognizerDouble()).batch.n_ingested == 1
    rules = load_rules("rules:\n  - id: angry\n    all: [{segments: {emotion: ANGRY}}]\n"
                       "  - id: very-sure\n    all: [{segments: {emotion: ANGRY, min_confidence: 0.85}}]\n")
    data = Data(db)
    assert {m.rule.id for m in evaluate(data.con, rules)} == {"angry", "very-sure"}
    confidence.set_threshold(data.store, "ANGRY", 0.95, by="lead", note="checked by hand")
    data.refresh()
    assert confidence.thresholds(data.con)["ANGRY"] == 0.95 and confidence.thresholds(data.con)["SAD"] == 0.5
    assert {m.rule.id for m in evaluate(data.con, rules)} == {"very-sure"}  # its own minimum, not the team's


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_timeline_fades_weak_tags_and_says_how_sure(demo_db, lang):
    """With NEUTRAL's threshold raised, the timeline draws the NEUTRAL segments under it hatched and
    faded, says why in the page's language, gives each segment's probability on hover and the
    model's probabilities beside the correction."""
    import json

    import duckdb
    from apptest import APP, _texts
    from streamlit.testing.v1 import AppTest

    from ingest.store import Store

    db, planted = demo_db
    rid = planted.lost[0]
    con = duckdb.connect(str(db), read_only=True)
    confs = dict(con.execute("SELECT seg_index, emotion_confidence FROM segments WHERE recording_id = ? AND emotion = 'NEUTRAL'",
                             [rid]).fetchall())
    con.close()
    limit = sorted(confs.values())[len(confs) // 2]  # about half the NEUTRAL segments fall under it
    confidence.set_threshold(Store(db), "NEUTRAL", limit, by="test")
    import os
    os.environ["TONEBOARD_DB"] = str(db)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["recording_id"], at.session_state["lang"] = rid, lang
    at.run()
    at.switch_page("views/timeline.py").run()
    assert not at.exception, at.exception
    bars = [t for t in json.loads(at.get("plotly_chart")[0].proto.spec)["data"] if t["type"] == "bar"]
    neutral = next(t for t in bars if t["name"] in ("NEUTRAL", "中性"))
    weak = {int(c[0]) for c, shape in zip(neutral["customdata"], neutral["marker"]["pattern"]["shape"]) if shape == "/"}
    assert weak == {i for i, p in confs.items() if p < limit} and 0 < len(weak) < len(confs)
    hover = {int(c[0]): c[2] for c in neutral["customdata"]}
    i = min(weak)
    assert f"{confs[i]:.2f}" in hover[i] and f"{limit:.2f}" in hover[i]
    texts = _texts(at)
    assert (f"NEUTRAL ≥ {limit:.2f}" in texts) if lang == "en" else (f"中性 ≥ {limit:.2f}" in texts and "淡色斜纹条" in texts)
    assert ("The model said: " if lang == "en" else "模型判断：") in texts


def test_thresholds_from_the_command_line(tmp_path, capsys):
    import cli

    db = str(tmp_path / "tb.duckdb")
    assert cli.main(["thresholds", "--db", db]) == 0
    assert "ANGRY         p >= 0.50\n" in capsys.readouterr().out
    assert cli.main(["thresholds", "LAUGHTER", "0.65", "--by", "lead", "--note", "too many coughs", "--db", db]) == 0
    assert "LAUGHTER      p >= 0.65  (set by the team)" in capsys.readouterr().out
    assert cli.main(["thresholds", "LAUGHTER", "--db", db]) == 2  # a tag without its threshold
    assert "a probability from 0 to 1" in capsys.readouterr().err


def test_every_page_counts_by_the_teams_threshold_on_compacted_months_too(demo_db):
    """The demo's months are compacted (counted by the default). Raising ANGRY's threshold above every
    ANGRY the model gave takes ANGRY out of the statistics every page reads (and out of the segments'
    counted tags), a corrected ANGRY stays, and going back restores the counts."""
    from analytics.corrections import correct_segment
    from analytics.timeline import rich_text, timeline

    db, planted = demo_db
    data = Data(db)
    angry = 'SELECT sum("n_ANGRY") FROM role_stats WHERE role = \'*\''
    before = data.con.execute(angry).fetchone()[0]
    top = data.con.execute("SELECT max(emotion_confidence) FROM seg WHERE model_emotion = 'ANGRY'").fetchone()[0]
    assert before > 10 and top < 0.99
    rid, seg = data.con.execute("SELECT recording_id, seg_index FROM seg WHERE emotion = 'ANGRY' LIMIT 1").fetchone()
    correct_segment(data.store, data.con, rid, seg, emotion="ANGRY", by="lead")  # a person confirms one
    confidence.set_threshold(data.store, "ANGRY", 0.99, by="lead")
    data.refresh()
    assert data.con.execute(angry).fetchone()[0] == 1  # the confirmed one
    assert data.con.execute("SELECT count(*) FROM seg WHERE emotion = 'ANGRY'").fetchone()[0] == 1
    assert data.con.execute("SELECT count(*) FROM seg WHERE model_emotion = 'ANGRY'").fetchone()[0] == before  # printed: kept
    other = data.con.execute("SELECT recording_id FROM seg WHERE model_emotion = 'ANGRY' AND recording_id <> ? LIMIT 1",
                             [rid]).fetchone()[0]
    tl = timeline(data.con, other)
    assert "ANGRY" in set(tl["emotion"])  # the timeline shows what the model said (faded by the page) ...
    assert "[ANGRY?]" in rich_text(data.con, other, tl=tl)  # ... and the transcript marks it
    confidence.set_threshold(data.store, "ANGRY", 0.5, by="lead")
    data.refresh()
    assert data.con.execute(angry).fetchone()[0] == before
    assert "[ANGRY?]" not in rich_text(data.con, other)


def test_a_weak_event_is_not_counted(tmp_path):
    """Counting in SQL: a weak emotion reads UNKNOWN, a weak event is left out, a tag without a
    probability counts."""
    import duckdb

    from ingest.models.header import EVENT_CLASSES, struct_sql

    limits = dict.fromkeys(confidence.TAGS, 0.5) | {"LAUGHTER": 0.6}
    con = duckdb.connect()
    con.execute(f"""CREATE TABLE t AS SELECT * FROM (VALUES
        (['LAUGHTER', 'COUGH'], {{'LAUGHTER': 0.55, 'COUGH': 0.9}}::{struct_sql(EVENT_CLASSES)}, 'ANGRY', 0.4, NULL),
        (['BGM'], NULL, 'SAD', NULL, NULL), (['BGM'], {{'BGM': 0.7}}::{struct_sql(EVENT_CLASSES)}, 'HAPPY', 0.5, NULL),
        ([], NULL, 'ANGRY', 0.9, 'ANGRY'), ([], NULL, 'ANGRY', 0.9, 'UNKNOWN'),
        ([], NULL, 'ANGRY', 0.9, 'NEUTRAL'), ([], NULL, 'NEUTRAL', 0.9, 'OTHER'))
        v(model_events, event_probs, model_emotion, emotion_confidence, second_emotion)""")
    got = con.execute(f"SELECT {confidence.events_sql(limits)}, {confidence.emotion_sql(limits)} FROM t").fetchall()
    # a second opinion that agrees, or could not tell, leaves the tag; one naming another emotion makes it uncertain
    assert got == [(["COUGH"], "UNKNOWN"), (["BGM"], "SAD"), (["BGM"], "HAPPY"),
                   ([], "ANGRY"), ([], "ANGRY"), ([], "UNKNOWN"), ([], "UNKNOWN")]


@pytest.mark.parametrize("page", ["overview", "people", "trends", "compare", "heatmaps"])
def test_the_pages_that_count_tags_say_which_thresholds(demo_db, page):
    from apptest import _app, _texts

    from ingest.store import Store

    confidence.set_threshold(Store(demo_db[0]), "ANGRY", 0.8, by="lead")
    for lang, said in (("en", "p ≥ 0.50 (ANGRY ≥ 0.80)"), ("zh", "p ≥ 0.50（生气 ≥ 0.80）")):
        at = _app(demo_db[0], page, lang)
        assert not at.exception, at.exception
        assert said in _texts(at), page


def test_outside_clients_read_the_tags_the_model_printed(tmp_path, clips):
    """A weak tag (p = 0.3) counts as UNKNOWN for toneboard's pages, in memory and once compacted;
    the database file's own views keep what the model printed, fresh or compacted alike."""
    import duckdb

    from analytics.db import compact
    from ingest.models.recognize import Recognized
    from ingest.models.tags import parse

    class Unsure(LoudnessTaggingRecognizerDouble):
        def transcribe(self, slices):
            return [Recognized(parse(r.parsed.raw), 0.3) for r in super().transcribe(slices)]

    db = tmp_path / "tb.duckdb"
    f = write_wav(tmp_path / "w.wav", compose([(0.0, clips[0] * 0.2), (1.5, clips[1] * 0.2)]).audio)
    assert ingest_paths([f], IngestOptions(db=db, device="cpu", threads=1),
                        recognizer=Unsure()).batch.n_ingested == 1

    def outside() -> set:
        con = duckdb.connect(str(db), read_only=True)
        try:
            return {e for (e,) in con.execute("SELECT emotion FROM segments").fetchall()}
        finally:
            con.close()
    assert outside() == {"NEUTRAL"} and {e for (e,) in Data(db).con.execute("SELECT emotion FROM seg").fetchall()} == {"UNKNOWN"}
    compact(db)
    assert not Data(db).store.fresh()  # now only in the compacted months
    assert outside() == {"NEUTRAL"} and {e for (e,) in Data(db).con.execute("SELECT emotion FROM seg").fetchall()} == {"UNKNOWN"}

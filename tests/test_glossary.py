"""Brand names heard right: Chinese homophones of a term corrected (not a common word that sounds the
same), English aliases and a name split into words, the recognised text kept beside with each change;
applied at ingest, and to stored calls (a term added, then removed), trackers counted on the result."""
from __future__ import annotations

import json

import duckdb
import pytest
from doubles import FixedTextRecognizerDouble
from qa_calls import Call, L, write
from synth import write_wav

import cli
from analytics.db import Data
from analytics.talk import counts
from analytics.talk.glossary import apply
from analytics.talk.trackers import parse_tracker, upsert
from ingest import glossary
from ingest.batch.pipeline import IngestOptions, ingest_paths

TERMS = glossary.parse({"terms": [{"term": "钉钉"}, {"term": "飞书"}, {"term": "小鹏汽车"}, {"term": "实时"}, {"term": "得物"},
                                  {"term": "toneboard", "aliases": ["tone bored"]}]})


@pytest.mark.parametrize("heard, meant", [("我们用丁丁开会", "我们用钉钉开会"), ("请打开非书看一下", "请打开飞书看一下"),
                                          ("我想买小朋汽车", "我想买小鹏汽车"), ("we use tone board daily", "we use toneboard daily"),
                                          ("Tone Bored is great", "toneboard is great"), ("toneboard.", "toneboard."),
                                          ("我在德物买的鞋", "我在得物买的鞋")])
def test_terms_heard_wrong_are_corrected(heard, meant):
    text, fixes = glossary.correct(heard, TERMS)
    assert text == meant
    assert [(f["from"], heard[f["at"]:f["at"] + len(f["from"])]) for f in fixes] == [(f["from"], f["from"]) for f in fixes]


@pytest.mark.parametrize("said", ["事实上我们已经发货了", "钉钉", "我们的时间不够", "the tone is fine", "a board meeting", "这是我的武器"])
def test_what_was_said_right_is_left_alone(said):
    # 事实 sounds like 实时 (shi shi) but is a common word; 的武 sounds like 得物 (de wu) but 武 begins the word 武器
    assert glossary.correct(said, TERMS) == (said, [])


def test_fields_keep_what_was_heard():
    f = glossary.fixed_fields("我们用丁丁开会", TERMS)
    assert f["text"] == "我们用钉钉开会" and f["heard_text"] == "我们用丁丁开会"
    assert json.loads(f["glossary_fixes"]) == [{"from": "丁丁", "to": "钉钉", "at": 3}]
    assert glossary.fixed_fields("你好", TERMS) == {"text": "你好", "heard_text": None, "glossary_fixes": None}


@pytest.mark.parametrize("text, message", [("terms: [{term: 钉钉, pinyin: ding}]", "one syllable per Chinese character"),
                                           ("terms: [{term: ''}]", "'term' must be"), ("terms: [钉钉, 钉钉]", "there twice"),
                                           ("terms: [{term: x, colour: red}]", "a mapping of term, aliases and pinyin"),
                                           ("terms: [", "not valid YAML")])
def test_bad_glossaries_are_named(text, message):
    with pytest.raises(glossary.GlossaryError, match=message):
        glossary.load(text)


def test_ingest_corrects_and_keeps_the_heard_text(tmp_path, mono_layout, monkeypatch):
    g = tmp_path / "glossary.yaml"
    g.write_text("terms: [钉钉]\n", encoding="utf-8")
    monkeypatch.setenv("TONEBOARD_GLOSSARY", str(g))
    opts = IngestOptions(db=tmp_path / "db" / "tb.duckdb", device="cpu", threads=1)
    ingest_paths([write_wav(tmp_path / "a.wav", mono_layout.audio)], opts,
                 recognizer=FixedTextRecognizerDouble("<|zh|><|NEUTRAL|><|Speech|><|withitn|>我们用丁丁开会"))
    con = duckdb.connect(str(opts.db), read_only=True)
    rows = con.execute("SELECT DISTINCT text, heard_text, raw_text FROM segments").fetchall()
    assert rows == [("我们用钉钉开会", "我们用丁丁开会", "<|zh|><|NEUTRAL|><|Speech|><|withitn|>我们用丁丁开会")]


def test_applied_to_stored_calls_then_undone(tmp_path, monkeypatch, capsys):
    db = tmp_path / "t.duckdb"
    write(db, [Call("c1", "service", (L(1, 3, "customer", "我们用丁丁开会"), L(4, 6, "agent", "好的")), duration_s=8),
               Call("c2", "service", (L(1, 3, "customer", "今天天气不错"),), duration_s=5)]).close()
    monkeypatch.setenv("TONEBOARD_TRACKERS", str(tmp_path / "trackers.yaml"))
    tracker = parse_tracker({"id": "dingtalk", "name": "DingTalk", "phrases": ["钉钉"]})
    upsert(tracker)
    assert counts.count(db).said == {"dingtalk": 0}
    g = tmp_path / "glossary.yaml"
    g.write_text("terms: [钉钉]\n", encoding="utf-8")
    monkeypatch.setenv("TONEBOARD_GLOSSARY", str(g))
    assert cli.main(["glossary", "apply", "--db", str(db), "--dry-run"]) == 0
    assert "would change: 1 segment(s) in 1 call(s)" in capsys.readouterr().out
    assert Data(db).con.execute("SELECT count(*) FROM seg WHERE text LIKE '%钉钉%'").fetchone()[0] == 0  # a dry run changes nothing
    report = apply(db)
    assert report.segments == 1 and report.fixes == {"丁丁 -> 钉钉": 1}
    con = Data(db).con
    assert con.execute("SELECT text, heard_text FROM seg WHERE heard_text IS NOT NULL").fetchall() == [("我们用钉钉开会", "我们用丁丁开会")]
    assert counts.summary(con, [tracker])["said"].tolist() == [1]  # the tracker counted again on the corrected call
    assert apply(db).segments == 0  # applied: nothing more to do
    g.write_text("terms: []\n", encoding="utf-8")  # the term removed: the heard words come back
    assert apply(db).segments == 1
    assert Data(db).con.execute("SELECT count(*) FROM seg WHERE text = '我们用丁丁开会' AND heard_text IS NULL").fetchone()[0] == 1


def test_a_broken_glossary_stops_the_batch_before_any_file(tmp_path, mono_layout, monkeypatch, capsys):
    g = tmp_path / "glossary.yaml"
    g.write_text("terms: [{term: 钉钉, pinyin: ding}]\n", encoding="utf-8")
    monkeypatch.setenv("TONEBOARD_GLOSSARY", str(g))
    wav = write_wav(tmp_path / "a.wav", mono_layout.audio)
    assert cli.main(["ingest", str(wav), "--db", str(tmp_path / "db" / "tb.duckdb")]) == 2
    assert "glossary.yaml, term 1 (钉钉): 'pinyin' must give one syllable per Chinese character" in capsys.readouterr().err

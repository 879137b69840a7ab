"""Topics found without being asked: Chinese and English words, stop words (shipped and the team's),
topics that match what was planted (in Chinese, and in Chinese and English together), the same topics
from other seeds, a planted rise found (and none where nothing rose), the command and the home page."""
from __future__ import annotations

import re

import pytest
from apptest import _app
from qa_calls import Call, L, write
from sklearn.metrics import adjusted_rand_score
from topic_calls import TOPICS, planted

import cli
from analytics.db import Data
from analytics.talk import topics
from analytics.talk.words import TopicsError, segmented, stop_words, team_stop_words, words
from ingest.store import Store


def test_chinese_is_segmented_and_english_split():
    assert {"申请", "退款", "refund", "please"} <= set(segmented("我想申请退款，Refund please!"))
    assert words("我们的快递还没到, the parcel has not arrived 3 days", stop_words()) == ["快递", "parcel", "arrived", "days"]


def test_the_teams_stop_words(tmp_path, monkeypatch):
    f = tmp_path / "topics.yaml"
    f.write_text("stop_words: [快递, parcel]\n", encoding="utf-8")
    monkeypatch.setenv("TONEBOARD_TOPICS", str(f))
    assert words("快递 parcel 物流", stop_words(team_stop_words())) == ["物流"]
    f.write_text("stop_words: 快递\n", encoding="utf-8")
    with pytest.raises(TopicsError, match="'stop_words' must be a list"):
        team_stop_words()


def _store(tmp_path_factory, name: str, n: int, seed: int, **kw):
    db = tmp_path_factory.mktemp(name) / "t.duckdb"
    calls, truth = planted(n, seed, **kw)
    write(db, calls).close()
    lang = {c.recording_id: "zh" if re.search("[\u4e00-\u9fff]", c.lines[2].text) else "en" for c in calls}
    return db, truth, lang


@pytest.fixture(scope="module")
def chinese(tmp_path_factory):
    return _store(tmp_path_factory, "zh", 320, 11, zh_share=1.0, rising="refund")


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    return _store(tmp_path_factory, "both", 480, 12, zh_share=0.6)


def _ari(run, truth) -> float:
    ids = list(run.assignment)
    return adjusted_rand_score([truth[i] for i in ids], [run.assignment[i] for i in ids])


def test_the_planted_chinese_topics_are_found_with_their_words(chinese):
    db, truth, _ = chinese
    docs = topics.documents(Data(db).con)
    assert "您好" not in " ".join(docs["text"])  # the customer's side only: the agent's greeting is not in it
    run = topics.find(docs, seed=0)
    assert len(run.topics) == len(TOPICS) and _ari(run, truth) >= 0.9
    for t in run.topics:  # each topic's key phrases are words its calls' customers said about it
        members = [truth[r] for r, k in run.assignment.items() if k == t.index]
        planted_topic = max(set(members), key=members.count)
        said = "".join(TOPICS[planted_topic][0])
        assert sum(p.replace(" ", "") in said for p in t.phrases[:3]) >= 2, (planted_topic, t.phrases)
    assert run.topics[0].example_ids and not topics.examples(Data(db).con, run.topics[0]).empty


def test_chinese_and_english_together_and_the_same_from_other_seeds(both):
    db, truth, lang = both
    docs = topics.documents(Data(db).con)
    run = topics.find(docs, seed=0)
    # words do not cross languages: a planted topic is two topics, one per language, and the number is chosen so
    assert len(run.topics) == 2 * len(TOPICS)
    assert _ari(run, {r: truth[r] + lang[r] for r in truth}) >= 0.9
    assert min(topics.stability(docs, seeds=(0, 1, 2))) >= 0.7


def test_a_planted_rise_is_found_and_nothing_else(chinese, tmp_path_factory):
    db, truth, _ = chinese
    run = topics.find(topics.documents(Data(db).con))
    assert len(run.rising) == 1
    risen = run.topics[run.rising[0]["topic"]]
    assert "退款" in "".join(risen.phrases) and run.rising[0]["share"] > 2 * run.rising[0]["baseline"]
    calm, _, _ = _store(tmp_path_factory, "calm", 320, 13, zh_share=1.0)  # the same, with no topic rising
    assert topics.find(topics.documents(Data(calm).con)).rising == []


def test_too_few_calls_find_no_topics(tmp_path):
    db = tmp_path / "t.duckdb"
    write(db, [Call(f"c{i}", "service", (L(1, 3, "customer", "快递还没到"),), duration_s=5) for i in range(5)]).close()
    run = topics.find(topics.documents(Data(db).con))
    assert run.topics == [] and run.calls == 5


def test_the_command_saves_what_the_home_page_shows(chinese, capsys):
    db, _, _ = chinese
    assert cli.main(["topics", "--db", str(db), "--weeks", "8"]) == 0
    out = capsys.readouterr().out
    assert "8 topics in 320 calls" in out and "rising: topic" in out and "退款" in out
    saved = topics.latest(Store(db))
    assert saved["rising"] and len(saved["topics"]) == 8
    for lang, heading in (("en", "Rising topics"), ("zh", "上升中的话题")):
        at = _app(db, "overview", lang)
        assert not at.exception
        shown = " ".join(m.value for m in at.markdown)
        assert heading in shown and "退款" in shown
    Store(db).forget_derived_text()  # an erasure or a blanking: the saved topics quote the calls
    assert topics.latest(Store(db)) is None
    assert cli.main(["topics", "--db", str(db), "--topics", "99"]) == 2

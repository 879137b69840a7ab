"""Trackers: the spellings a phrase is heard in (Chinese and English), what a tracker matches, how
it is counted on every call (by role, time and question; once per version) and read back."""
from __future__ import annotations

import os

import duckdb
import pytest
from qa_calls import Call, L, write

import cli
from analytics.alerts.evaluation import evaluate
from analytics.alerts.rules import RuleError, load_rules
from analytics.db import Data
from analytics.filters import NORM_TEXT_MACRO
from analytics.talk import counts
from analytics.talk.trackers import TrackerError, load_trackers, norm, parse_tracker, upsert
from analytics.talk.variants import (
    en_number,
    full_width,
    half_width,
    numbers,
    parse_en_number,
    parse_zh_number,
    sound_pattern,
    variants,
    zh_number,
)


@pytest.mark.parametrize("n, zh, en", [(3, "三", "three"), (10, "十", "ten"), (12, "十二", "twelve"), (105, "一百零五", "one hundred five"),
                                       (1010, "一千零一十", "one thousand ten"), (30000, "三万", "thirty thousand"),
                                       (123456, "十二万三千四百五十六", "one hundred twenty-three thousand four hundred fifty-six")])
def test_numbers_both_ways(n, zh, en):
    assert zh_number(n) == zh and parse_zh_number(zh) == n
    assert en_number(n) == en and parse_en_number(en) == n


def test_spoken_forms_parse():
    assert parse_zh_number("两万") == 20000 and parse_zh_number("一九九八") == 1998 and parse_zh_number("打折") is None
    assert parse_en_number("twenty-one") == 21 and parse_en_number("a lot") is None


def test_variants_cover_scripts_widths_and_numbers():
    assert {"太贵了", "太貴了"} <= set(variants("太贵了"))
    assert {"打3折", "打三折", "打３折"} <= set(variants("打3折"))
    assert {"20 percent off", "twenty percent off"} <= set(variants("20 percent off"))
    assert "20 percent" in variants("twenty percent")
    assert {"VIP会员", "VIP會員", "ＶＩＰ会员"} <= set(variants("ＶＩＰ会员"))
    assert half_width("ＡＢＣ１２") == "ABC12" and full_width("ABC12") == "ＡＢＣ１２"
    assert numbers("no digits here") == []
    assert variants("price") == ["price", "ｐｒｉｃｅ"]  # nothing invented for a plain word


def test_python_norm_is_the_sql_one():
    con = duckdb.connect()
    con.execute(NORM_TEXT_MACRO)
    for text in ["Hello, World!", "太贵了，能不能打折？", "ＶＩＰ会员 ２０ percent", "it's—over  our budget...", "", "Ünïcode ok"]:
        assert norm(text) == con.execute("SELECT norm_text(?)", [text]).fetchone()[0], text


def _t(**kw):
    return parse_tracker({"id": "t", "name": "T", **kw})


def test_a_tracker_matches_every_spelling_and_whole_english_words():
    price = _t(phrases=["太贵了", "打三折", "too expensive", "over our budget"])
    for said in ["这个太貴了吧", "能不能打3折？", "能不能打３折", "That's TOO EXPENSIVE!", "it is over our budget."]:
        assert price.matches(said), said
    for said in ["不贵", "too expensively", "we are over budget", "打折"]:
        assert not price.matches(said), said
    assert not _t(phrases=["price"]).matches("a priceless moment") and _t(phrases=["price"]).matches("the Price, please")
    assert not _t(phrases=["太贵了"], variants=False).matches("太貴了")  # variants off: only what was typed


def test_sounds_like_hears_homophones_only_when_asked():
    plain, heard = _t(phrases=["钉钉"]), _t(phrases=["钉钉"], sounds_like=True)
    assert not plain.matches("我们用丁丁开会") and heard.matches("我们用丁丁开会") and heard.matches("钉钉")
    assert not heard.matches("我们用微信开会")
    assert sound_pattern("hello") is None


def test_the_shipped_trackers_load_and_bad_ones_are_named():
    shipped = load_trackers(cli.Path("data/trackers.yaml"))
    assert {"price", "delivery", "cancel", "custom-dimensions"} <= {t.id for t in shipped}
    for raw, message in [({"id": "Bad Id", "phrases": ["x"]}, "'id' must be"), ({"id": "a", "phrases": []}, "at least one phrase"),
                         ({"id": "a", "phrases": ["x"], "role": "boss"}, "'role' must be"),
                         ({"id": "a", "phrases": ["x"], "first_s": 10, "last_s": 5}, "not both"),
                         ({"id": "a", "phrases": ["x"], "colour": "red"}, "unknown field 'colour'"),
                         ({"id": "a", "phrases": ["!!"]}, "no letters or digits"),
                         ({"id": "a", "phrases": ["x" * 101]}, "longer than 100"),
                         ({"id": "a", "phrases": ["x"], "sounds_like": "yes"}, "true or false")]:
        with pytest.raises(TrackerError, match=message):
            parse_tracker(raw)
    with pytest.raises(TrackerError, match="two trackers have the id 'a'"):
        load_trackers("trackers:\n  - {id: a, phrases: [x]}\n  - {id: a, phrases: [y]}\n")
    with pytest.raises(TrackerError, match="not valid YAML"):
        load_trackers("trackers: [")


def test_the_version_follows_what_it_matches_not_its_name():
    a = _t(phrases=["太贵了"])
    assert parse_tracker({"id": "t", "name": "Another name", "phrases": ["太贵了"]}).version == a.version
    assert _t(phrases=["太贵了", "便宜点"]).version != a.version and _t(phrases=["太贵了"], role="customer").version != a.version


CALLS = [Call(f"c{i}", "sales", (L(1, 3, "agent", "您好，欢迎"), L(4, 6, role, text), L(50, 55, "agent", "再见")),
              duration_s=60, outcome=outcome)
         for i, (role, text, outcome) in enumerate([("customer", "这个太貴了吧", "lost"), ("customer", "能不能打3折？", "lost"),
                                                    ("customer", "It is over our budget.", "lost"), ("agent", "太贵了是吗", "won"),
                                                    ("customer", "好的没问题", "won"), ("customer", "就这样吧", "won")])]


@pytest.fixture
def store(tmp_path):
    db = tmp_path / "t.duckdb"
    write(db, CALLS).close()
    return db


def test_counted_once_per_call_by_role_and_read_back(store):
    price = _t(phrases=["太贵了", "打三折", "over our budget"], role="customer")
    report = counts.count(store, [price])
    assert report.by_tracker == {"t": 6} and report.said == {"t": 3}
    assert counts.count(store, [price]).calls == 0  # counted: nothing to do
    data = Data(store)
    week = counts.trend(data.con, price)
    assert week[["n", "said"]].sum().tolist() == [6, 3]
    cmp = counts.compare(data.con, price).set_index("group")
    assert cmp.loc["lost", ["n", "said"]].tolist() == [3, 3] and cmp.loc["won", ["n", "said"]].tolist() == [3, 0]
    assert cmp.loc["won", "lo"] == 0 < cmp.loc["won", "hi"] < 0.6 and cmp.loc["lost", "hi"] == pytest.approx(1)  # Wilson, n = 3
    assert set(counts.moments(data.con, price)["text"]) == {"这个太貴了吧", "能不能打3折？", "It is over our budget."}
    data.con.close()
    anyone = _t(phrases=["太贵了", "打三折", "over our budget"])  # another version: counted again, the agent's line too
    assert counts.count(store, [anyone]).said == {"t": 4}


@pytest.mark.parametrize("kw, said", [({"first_s": 3.5}, 0), ({"first_s": 5}, 2), ({"last_s": 12}, 0), ({"question": True}, 1),
                                      ({"question": False}, 1)])
def test_time_and_question_conditions(store, kw, said):
    t = _t(phrases=["太贵了", "打三折"], role="customer", **kw)  # 太貴了 at 4 s (a statement), 打3折 at 4 s (a question)
    assert counts.count(store, [t]).said.get("t", 0) == said


def test_rules_and_forms_select_by_tracker(store, tmp_path, monkeypatch):
    path = tmp_path / "trackers.yaml"
    monkeypatch.setenv("TONEBOARD_TRACKERS", str(path))
    upsert(_t(phrases=["太贵了", "over our budget"], role="customer"))
    rules = load_rules("rules:\n  - id: price\n    name: price\n    all:\n      - segments: {tracker: t}\n")
    data = Data(store)
    hit = {m.recording_id for m in evaluate(data.con, rules)}
    assert hit == {CALLS[0].recording_id, CALLS[2].recording_id}
    with pytest.raises(RuleError, match="no tracker has the id 'nope'"):
        load_rules("rules:\n  - id: x\n    name: x\n    all:\n      - segments: {tracker: nope}\n")
    data.con.close()


def test_the_command_adds_lists_and_trends(store, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TONEBOARD_TRACKERS", str(tmp_path / "trackers.yaml"))
    assert cli.main(["trackers", "add", "--phrase", "太贵了", "--phrase", "over our budget", "--name", "Price", "--said-by", "customer",
                     "--db", str(store)]) == 0
    assert "price: 2 of 6" in capsys.readouterr().out
    assert cli.main(["trackers", "list", "--db", str(store)]) == 0
    assert "2 of 6" in capsys.readouterr().out
    assert cli.main(["trackers", "trend", "price", "--db", str(store)]) == 0
    assert "period,n,said" in capsys.readouterr().out
    assert cli.main(["trackers", "trend", "nope", "--db", str(store)]) == 2
    assert "no tracker has the id 'nope'" in capsys.readouterr().err


def test_the_version_is_the_same_in_every_process():
    """The dashboard counts, the command reads: a version that changed with the hash seed counted every call again."""
    import subprocess
    import sys
    code = ("from pathlib import Path; from analytics.talk.trackers import load_trackers; "
            "print([t.version for t in load_trackers(Path('data/trackers.yaml'))])")
    root = cli.Path(cli.__file__).parent
    seen = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root,
                           env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout for seed in (1, 2, 3)}
    assert len(seen) == 1 and "[" in seen.pop()


def test_the_timeline_marks_when_a_call_says_it():
    import pandas as pd

    from analytics.talk.trackers import said_in
    segs = pd.DataFrame({"text": ["您好", "太貴了吧？", "too expensive", "太贵了"], "role": ["agent", "customer", "customer", "agent"],
                         "start_s": [0.0, 5.0, 40.0, 50.0], "is_question": [False, True, False, False]})
    price = _t(phrases=["太贵了", "too expensive"], role="customer")
    assert [(t.id, at) for t, at in said_in(segs, [price], 60)] == [("t", [5.0, 40.0])]
    assert said_in(segs, [_t(phrases=["太贵了"], role="customer", question=False)], 60) == []
    assert said_in(segs, [_t(phrases=["太贵了", "too expensive"], last_s=25)], 60)[0][1] == [40.0, 50.0]


def test_cohorts_by_quality_score_and_within_the_filter(store):
    from analytics.filters import Filter
    from analytics.qa import scores
    from analytics.qa.forms import load_forms
    from analytics.qa.scoring import score_calls

    price = _t(phrases=["太贵了", "打三折", "over our budget"], role="customer")
    counts.count(store, [price])
    score_calls(store)
    data = Data(store)
    form = next(f for f in load_forms() if f.id == "sales_demo")
    split = scores.passed_and_below(data.con, form)
    scored = {r for (r,) in data.con.execute("SELECT DISTINCT recording_id FROM qa_answers WHERE form_id = 'sales_demo'").fetchall()}
    assert (set(split["passed"]) | set(split["below"])) - {scores.NO_CALL} == scored and len(scored) == 6
    ids = [c.recording_id for c in CALLS]
    cmp = counts.compare(data.con, price, flt=Filter(recording_ids=[ids[0], ids[4]]),
                         groups={"a": Filter(recording_ids=ids[:2]), "b": Filter(recording_ids=ids[2:])}).set_index("group")
    assert cmp["n"].tolist() == [1, 1] and cmp["said"].tolist() == [1, 0]  # each group within the page's filter
    data.con.close()

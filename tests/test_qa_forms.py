"""The shipped quality forms on calls whose words and tags are known (test doubles at the
recogniser's boundary, tests/qa_calls.py): every automatic item of every shipped form has a call
it passes and one it fails; a call's score, fatal items, items left to a person, a new version of a
form, and forms that are wrong said clearly."""
from __future__ import annotations

import json
import shutil
from dataclasses import replace

import pytest

from analytics.alerts.conditions import COND_FIELDS, FIELDS, PAUSE_FIELDS, SEG_FIELDS
from analytics.db import Data
from analytics.qa import scores
from analytics.qa.forms import FORMS_DIR, FormError, load_form, load_forms
from analytics.qa.scoring import score_calls
from tests.qa_calls import CLASS, SALES, SERVICE, Call, L, write


def _shifted(call: Call, after: float, by: float, name: str) -> Call:
    """The call with everything said after ``after`` seconds ``by`` seconds later (a silence)."""
    lines = tuple(replace(ln, at=ln.at + by, end=ln.end + by) if ln.at > after else ln for ln in call.lines)
    return replace(call, lines=lines, duration_s=call.duration_s + by, name=name)


def _renamed(call: Call, name: str, **kw) -> Call:
    return replace(call, name=name, **kw)


# item -> a call like the good one that fails it (and nothing in the good call fails it)
FAILS = {
    "service": {
        "greeting": _renamed(SERVICE.changed("您好，我是", text="我是客服小王，工号一零二四。"), "no-greeting"),
        "gives_name": _renamed(SERVICE.changed("您好，我是", text="您好，很高兴为您服务。"), "no-name"),
        "verifies_caller": _renamed(SERVICE.changed("手机号", text="非常抱歉，我来看一下。"), "no-verify"),
        "no_long_silence": _shifted(SERVICE, 19.0, 12.0, "silence"),
        "calm_with_angry": _renamed(SERVICE.changed("我查到了", emotion="ANGRY"), "agent-angry"),
        "no_abuse": _renamed(SERVICE.changed("我查到了", text="你有病吧，我查到了您的订单。"), "abuse"),
        "no_interrupting": SERVICE.plus(L(20.0, 20.8, "agent", "嗯"), L(22.0, 22.8, "agent", "对"),
                                        L(24.0, 24.8, "agent", "是的"), name="interrupts"),
        "listens": _renamed(SERVICE.changed("我的订单三天", end=5.5).changed("我买的是", end=20.0)
                            .changed("一三八", end=13.0), "agent-talks"),
        "next_step": _renamed(SERVICE.changed("回电", text="明白，这个情况我了解了。"), "no-next-step"),
        # said, but not as a question: "in a question" is what the item asks
        "anything_else": _renamed(SERVICE.changed("还有其他问题吗", text="还有其他问题的话随时联系我们。"), "no-question"),
        "thanks_goodbye": _renamed(SERVICE.without("感谢您的来电"), "no-thanks"),
    },
    "sales_demo": {
        "introduces": _renamed(SALES.changed("Hi, this is Anna", text="Thanks for joining."), "no-intro"),
        "agenda": _renamed(SALES.changed("Today we will", text="Let us look at your call reviews."), "no-agenda"),
        "asks_questions": _renamed(SALES.changed("How many people", text="Tell me how many people do the reviews.")
                                   .changed("Which calls", text="Tell me which calls matter most."), "few-questions"),
        "listens": SALES.plus(L(61.0, 100.0, "agent", "Let me walk you through every report we have in detail."),
                              name="seller-talks"),
        "no_long_monologue": SALES.plus(L(61.0, 160.0, "agent", "Let me walk you through every report we have."),
                                        name="monologue"),
        "prospect_engaged": _renamed(SALES.changed("Yes, both", emotion="NEUTRAL", events=()), "flat"),
        "handles_price": _renamed(SALES.changed("What does it cost", at=58.0, end=60.5), "price-unanswered"),
        "next_step": _renamed(SALES.changed("Shall we schedule", text="Thanks, that is all from me."), "no-next-step"),
    },
    "class": {
        "greets_class": _renamed(CLASS.changed("同学们好", text="开始上课。"), "no-greeting"),
        "states_goal": _renamed(CLASS.changed("今天我们学习分数", text="先看黑板上的题。"), "no-goal"),
        "asks_questions": _renamed(CLASS.changed("谁能举个例子", text="请大家举个例子。"), "few-questions"),
        "students_talk": _renamed(CLASS, "teacher-talks", lines=tuple(
            replace(ln, role="teacher") if ln.role == "student" and ln.at > 50 else ln for ln in CLASS.lines)),
        "wait_time": _shifted(CLASS, 100.0, 16.0, "long-silence"),
        "praises": _renamed(CLASS.changed("很好！", text="好，下一题。"), "no-praise"),
        "sums_up": _renamed(CLASS.changed("今天我们学了", text="下课。"), "no-summary"),
    },
}
# a call where the item does not apply (its ``applies`` does not hold)
NOT_APPLYING = {
    ("service", "calm_with_angry"): _renamed(SERVICE.changed("我的订单三天", emotion="NEUTRAL"), "calm-customer"),
    ("sales_demo", "handles_price"): _renamed(SALES.without("What does it cost"), "no-price"),
    ("class", "students_talk"): _renamed(CLASS, "lecture", lines=tuple(ln for ln in CLASS.lines if ln.role != "student")),
}
GOOD = {"service": SERVICE, "sales_demo": SALES, "class": CLASS}


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    db = tmp_path_factory.mktemp("qa") / "qa.duckdb"
    calls = list(GOOD.values()) + [c for per in FAILS.values() for c in per.values()] + list(NOT_APPLYING.values())
    write(db, calls).close()
    report = score_calls(db)
    data = Data(db)
    answers = data.con.execute("SELECT recording_id, form_id, item_id, status, evidence FROM qa_answers").df()
    yield db, report, {(r.recording_id, r.form_id, r.item_id): (r.status, json.loads(r.evidence)) for r in answers.itertuples()}
    data.con.close()


def test_every_automatic_item_of_every_shipped_form_has_a_call_that_fails_it():
    shipped = {f.id: {i.id for i in f.items if i.auto} for f in load_forms(FORMS_DIR)}
    assert set(shipped) == {"service", "sales_demo", "class"}
    assert {fid: set(items) for fid, items in FAILS.items()} == shipped


@pytest.mark.parametrize("form_id", sorted(GOOD))
def test_the_good_call_passes_every_automatic_item(scored, form_id):
    _, report, answers = scored
    form = next(f for f in load_forms(FORMS_DIR) if f.id == form_id)
    rid = GOOD[form_id].recording_id
    got = {i.id: answers[(rid, form_id, i.id)][0] for i in form.items}
    assert got == {i.id: "yes" if i.auto else "person" for i in form.items}
    # a yes points at the moment that decided it, with its words
    yes = [m for i in form.items if i.auto for m in answers[(rid, form_id, i.id)][1] if m.get("text")]
    assert yes and all(0 <= m["start_s"] <= GOOD[form_id].duration_s for m in yes)


@pytest.mark.parametrize("form_id,item_id", [(f, i) for f, per in FAILS.items() for i in per])
def test_each_item_fails_on_its_call(scored, form_id, item_id):
    _, _, answers = scored
    status, moments = answers[(FAILS[form_id][item_id].recording_id, form_id, item_id)]
    assert status == "no"
    assert moments, "a no says why: the moment found, or the span searched in vain"


def test_why_a_no_is_a_no(scored):
    _, _, answers = scored
    _, moments = answers[(FAILS["service"]["no_abuse"].recording_id, "service", "no_abuse")]
    assert [m["text"] for m in moments] == ["你有病吧，我查到了您的订单。"]
    _, moments = answers[(FAILS["service"]["greeting"].recording_id, "service", "greeting")]
    assert moments[0]["absence"] and (moments[0]["start_s"], moments[0]["end_s"]) == (0.0, 15.0)
    _, moments = answers[(FAILS["sales_demo"]["listens"].recording_id, "sales_demo", "listens")]
    assert "talk_share" in moments[0]["what"] and moments[0]["what"].endswith(": 0.717")  # 66 of 92 s


@pytest.mark.parametrize("key", sorted(NOT_APPLYING))
def test_an_item_that_does_not_apply_is_na(scored, key):
    _, _, answers = scored
    form_id, item_id = key
    assert answers[(NOT_APPLYING[key].recording_id, form_id, item_id)][0] == "na"
    assert answers[(GOOD[form_id].recording_id, form_id, item_id)][0] == "yes"


def test_a_call_is_scored_once_per_version_and_a_review_decides(scored, tmp_path, monkeypatch):
    db, report, _ = scored
    assert report.calls == 3 + sum(len(v) for v in FAILS.values()) + len(NOT_APPLYING)
    assert score_calls(db).calls == 0  # idempotent
    data = Data(db)
    good, abusive = SERVICE.recording_id, FAILS["service"]["no_abuse"].recording_id
    calls = scores.call_scores(data.con, form_id="service").set_index("recording_id")
    assert calls.loc[good, "score"] == 100.0 and calls.loc[good, "waiting"] == 1  # empathy waits for a person
    assert calls.loc[abusive, "score"] == 0.0 and calls.loc[abusive, "failed_fatal"]  # a fatal "no"
    missed = calls.loc[FAILS["service"]["greeting"].recording_id]
    assert missed["score"] == round(100 * 80 / 90, 1) and missed["missed"] == 1
    # a reviewer answers the person's item (2 of 4) and overrides the machine's greeting
    data.store.append_rows("qa_reviews", [
        {"recording_id": good, "form_id": "service", "item_id": "empathy", "answer": 2.0, "na": False,
         "reviewed_by": "rita", "reviewed_at": __import__("datetime").datetime.now(), "round": None},
        {"recording_id": good, "form_id": "service", "item_id": "greeting", "answer": 0.0, "na": False,
         "reviewed_by": "rita", "reviewed_at": __import__("datetime").datetime.now(), "round": None}])
    data.refresh()
    row = scores.call_scores(data.con, form_id="service").set_index("recording_id").loc[good]
    assert (row["score"], row["waiting"], row["reviewed_items"]) == (round(100 * 85 / 100, 1), 0, 2)
    # a new version of the form (a weight changed): answered again, the reviewer's answers kept
    forms = tmp_path / "forms"
    shutil.copytree(FORMS_DIR, forms)
    text = (forms / "service.yaml").read_text(encoding="utf-8")
    (forms / "service.yaml").write_text(text.replace("weight: 15", "weight: 20"), encoding="utf-8")
    monkeypatch.setenv("TONEBOARD_FORMS", str(forms))
    again = score_calls(db)
    assert again.by_form == {"service": sum(c.kind == "service" for c in [SERVICE, *FAILS["service"].values(),
                                                                            NOT_APPLYING[("service", "calm_with_angry")]])}
    data.refresh()
    items = scores.item_answers(data.con, good, "service").set_index("item_id")
    assert items.loc["calm_with_angry", "weight"] == 20 and items.loc["greeting", "answer"] == 0.0
    assert items.loc["greeting", "machine"] == "yes" and items.loc["greeting", "reviewed_by"] == "rita"
    data.con.close()


def test_every_field_a_condition_takes_says_what_it_means_in_both_languages():
    fields = (SEG_FIELDS | PAUSE_FIELDS | COND_FIELDS | {"metric"}) - {"segments", "pauses", "share", "near", "dynamics", "a", "b"}
    assert fields - set(FIELDS) == set()
    assert all(en and zh and any("\u4e00" <= ch <= "\u9fff" for ch in zh) for en, zh in FIELDS.values())


GOOD_FORM = """
id: t
name: T
sections:
  - id: s
    name: S
    items:
      - id: a
        weight: 5
        auto: {all: [{segments: {role: agent, text: hello}}]}
"""


@pytest.mark.parametrize("change,message", [
    (("id: t", "id: T!"), "'id' must be lower-case"),
    (("weight: 5", "weight: -1"), "weight must be a number from 0 to 1000"),
    (("weight: 5", "weight: 5\n        answer: stars"), "answer must be yes_no or scale"),
    (("weight: 5", "weight: 5\n        answer: scale"), "a scale item needs scale: N"),
    (("weight: 5", "weight: 5\n        answer: scale\n        scale: 4"), "the machine answers yes / no only"),
    (("weight: 5", "weight: 5\n        applies: {all: [{segments: {role: customer}}]}"), "applies needs na: true"),
    (("weight: 5", "weight: 5\n        fatal: yes please"), "fatal must be true or false"),
    (("role: agent", "role: agent, mood: x"), "item 'a', auto, condition 1: unknown field 'mood'"),
    (("text: hello", "text: '('"), "not a valid regular expression"),
    (("auto: {all:", "auto: {some:"), "give all: or any:"),
    (("name: S", "name: S\n    colour: red"), "section 's': unknown field 'colour'"),
    (("sections:", "kinds: [support]\nsections:"), "kinds must be a list of"),
    (("weight: 5", "weight: 0"), "every item has weight 0"),
])
def test_a_wrong_form_is_named_with_its_item_and_field(change, message):
    assert load_form(GOOD_FORM).id == "t"
    with pytest.raises(FormError, match=message.replace("(", r"\(").replace("!", "")):
        load_form(GOOD_FORM.replace(*change))


def test_two_items_with_one_id_and_broken_yaml_are_named(tmp_path):
    with pytest.raises(FormError, match="item 'a': duplicate id"):
        load_form(GOOD_FORM + "      - id: a\n        weight: 1\n")
    (tmp_path / "x.yaml").write_text("id: [", encoding="utf-8")
    with pytest.raises(FormError, match="x.yaml: not valid YAML"):
        load_forms(tmp_path)


@pytest.mark.parametrize("opening,closing", [("안녕하세요, 저는 김민수입니다.", "전화 주셔서 감사합니다."),
                                             ("お電話ありがとうございます、担当の田中と申します。", "ありがとうございました。")])
def test_a_korean_or_japanese_agent_greets_names_and_thanks(tmp_path, opening, closing):
    """SenseVoice hears Japanese and Korean too: the service form knows their commonest words."""
    call = replace(SERVICE.changed("您好，我是", text=opening).changed("感谢您的来电", text=closing), name=f"call-{opening[:3]}")
    write(tmp_path / "qa.duckdb", [call]).close()
    score_calls(tmp_path / "qa.duckdb")
    con = Data(tmp_path / "qa.duckdb").con
    got = dict(con.execute("SELECT item_id, status FROM qa_answers WHERE form_id = 'service'").fetchall())
    con.close()
    assert (got["greeting"], got["gives_name"], got["thanks_goodbye"]) == ("yes", "yes", "yes"), got

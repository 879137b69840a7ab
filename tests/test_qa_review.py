"""People on the quality loop: a reviewer's answers and their history, the queue, an agent's
dispute and the lead's decision (announced on a real local webhook), calibration's agreement
(kappa checked against textbook values)."""
from __future__ import annotations

import pytest

from analytics.db import Data
from analytics.qa import agreement, disputes, review, scores
from analytics.qa.forms import FORMS_DIR, FormError, load_forms
from analytics.qa.scoring import score_calls
from tests.qa_calls import SERVICE, write
from tests.test_qa_forms import FAILS


@pytest.fixture()
def loop(tmp_path):
    db = tmp_path / "qa.duckdb"
    calls = [SERVICE, *FAILS["service"].values()]
    write(db, calls).close()
    score_calls(db)
    data = Data(db)
    form = next(f for f in load_forms(FORMS_DIR) if f.id == "service")
    yield data, form, calls
    data.con.close()


def test_a_review_overrides_keeps_history_and_checks_the_answer(loop):
    data, form, _ = loop
    rid = SERVICE.recording_id
    review.answer(data.store, data.con, form, rid, "greeting", 0, "rita", comment="said hello to a colleague")
    review.answer(data.store, data.con, form, rid, "empathy", 3, "rita")
    data.refresh()
    items = scores.item_answers(data.con, rid, "service").set_index("item_id")
    assert items.loc["greeting", "answer"] == 0 and items.loc["greeting", "machine"] == "yes"
    review.answer(data.store, data.con, form, rid, "greeting", 1, "lee", comment="it was the customer")
    data.refresh()
    h = review.history(data.con, rid, "service")
    greeting = h[h["item_id"] == "greeting"]
    assert list(zip(greeting["changed_by"], greeting["answer_from"], greeting["answer_to"])) == [
        ("rita", "1.0", "0.0"), ("lee", "0.0", "1.0")]
    assert list(h.loc[h["item_id"] == "empathy", "answer_from"].isna()) == [True]  # a person's item: nothing before
    for item_id, value, message in (("greeting", 2, "yes \\(1\\) or no \\(0\\)"), ("empathy", 5, "from 0 to 4"),
                                    ("empathy", 1.5, "from 0 to 4"), ("greeting", None, "give an answer")):
        with pytest.raises(FormError, match=message):
            review.answer(data.store, data.con, form, rid, item_id, value, "rita")
    with pytest.raises(FormError, match="always applies"):
        review.answer(data.store, data.con, form, rid, "greeting", None, "rita", na=True)
    with pytest.raises(FormError, match="recording not found"):
        review.answer(data.store, data.con, form, "f" * 64, "greeting", 1, "rita")


def test_the_queue_puts_auto_fails_first_then_low_scores_then_a_sample(loop):
    data, form, calls = loop
    q = review.queue(data.con, [form], sample=2, seed=1)
    abusive = FAILS["service"]["no_abuse"].recording_id
    assert q["why"].iloc[0] == "fatal" and q["recording_id"].iloc[0] == abusive
    low = q[q["why"] == "low"]
    assert list(low["score"]) == sorted(low["score"]) and (low["score"] < form.pass_mark).all()
    assert (q["why"] == "sample").sum() == 2 and len(q) == len(set(q["recording_id"]))
    # a reviewed call leaves the queue
    review.confirm_all(data.store, data.con, form, abusive, "rita")
    data.refresh()
    assert abusive not in set(review.queue(data.con, [form], sample=2, seed=1)["recording_id"])


def test_an_agent_disputes_a_lead_decides_and_the_channel_hears(loop, tmp_path):
    from tests.test_notify import Hook

    data, form, _ = loop
    rid = FAILS["service"]["greeting"].recording_id  # the machine said no greeting
    hook = Hook(fail=0)
    try:
        notify = tmp_path / "notify.yaml"
        notify.write_text(f"lang: zh\ndashboard_url: http://127.0.0.1:8501\nchannels:\n  - name: qa\n    type: webhook\n"
                          f"    format: json\n    url: {hook.url}\n    rules: [qa-dispute, qa-decision]\n", encoding="utf-8")
        did = disputes.dispute(data.store, data.con, form, rid, "greeting", "我说了您好，只是被噪音盖住了", "li",
                               notify=notify, sleep=lambda s: None)
        data.refresh()
        with pytest.raises(FormError, match="disputed already"):
            disputes.dispute(data.store, data.con, form, rid, "greeting", "again", "li", notify=notify)
        with pytest.raises(FormError, match="say why"):
            disputes.dispute(data.store, data.con, form, rid, "next_step", "  ", "li", notify=notify)
        disputes.decide(data.store, data.con, form, did, True, "录音里确实有问候", "lee", notify=notify, sleep=lambda s: None)
        data.refresh()
    finally:
        hook.close()
    bodies = hook.bodies
    assert [b["title"].split("—")[0].strip() for b in bodies] == ["[medium] 申诉：前 15 秒内问候客户",
                                                                "[medium] 申诉通过：前 15 秒内问候客户"]
    assert "/review?recording=" + rid in bodies[0]["text"]
    st = disputes.states(data.con, recording_id=rid)
    assert list(st["state"]) == ["accept"] and st["raised_by"].iloc[0] == "li" and st["decided_by"].iloc[0] == "lee"
    items = scores.item_answers(data.con, rid, "service").set_index("item_id")
    assert items.loc["greeting", "answer"] == 1 and items.loc["greeting", "reviewed_by"] == "lee"
    with pytest.raises(FormError, match="no open dispute"):
        disputes.decide(data.store, data.con, form, did, False, "late", "lee")


def test_kappa_matches_textbook_values():
    # Cohen: 50 items, the classic 2x2 (20 yes-yes, 15 no-no, 5 / 10 disagreements): kappa 0.4
    a = ["y"] * 20 + ["y"] * 5 + ["n"] * 10 + ["n"] * 15
    b = ["y"] * 20 + ["n"] * 5 + ["y"] * 10 + ["n"] * 15
    assert agreement.cohen_kappa(a, b) == pytest.approx(0.4)
    # Fleiss (1971)'s worked example as on Wikipedia: 10 subjects, 14 raters, 5 categories: kappa 0.210
    table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
             [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    ratings = [[c for c, k in enumerate(row) for _ in range(k)] for row in table]
    assert agreement.fleiss_kappa(ratings) == pytest.approx(0.210, abs=0.001)
    assert agreement.cohen_kappa(["y", "y"], ["y", "y"]) is None  # everyone said the same: chance is certain


def test_a_calibration_round_shows_agreement_and_flags_a_poor_automatic_item(loop):
    data, form, calls = loop
    ids = [c.recording_id for c in calls]
    assert agreement.create_round(data.store, data.con, "Dec week 1", form, ids, "lee") == len(ids)
    data.refresh()
    with pytest.raises(FormError, match="already"):
        agreement.create_round(data.store, data.con, "Dec week 1", form, ids, "lee")
    items = scores.item_answers
    for rid in agreement.round_calls(data.con, "Dec week 1"):  # id -> file name
        machine = items(data.con, rid, "service").set_index("item_id")
        for who in ("rita", "sam"):
            # both agree with the machine on greeting; on next_step rita always says no, sam agrees with the machine
            greeting = machine.loc["greeting", "machine_answer"]
            review.answer(data.store, data.con, form, rid, "greeting", greeting, who, round_="Dec week 1")
            step = 0 if who == "rita" else machine.loc["next_step", "machine_answer"]
            review.answer(data.store, data.con, form, rid, "next_step", step, who, round_="Dec week 1")
    data.refresh()
    table, flags = agreement.agreement(data.con, form, "Dec week 1")
    t = table.set_index("item_id")
    assert t.loc["greeting", "agreement"] == 1.0 and t.loc["greeting", "machine_match"] == 1.0
    assert t.loc["greeting", "calls"] == len(ids)
    yes = sum(items(data.con, r, "service").set_index("item_id").loc["next_step", "machine_answer"] == 1 for r in ids)
    assert t.loc["next_step", "agreement"] == pytest.approx((len(ids) - yes) / len(ids))
    assert t.loc["next_step", "machine_match"] == pytest.approx((2 * len(ids) - yes) / (2 * len(ids)))
    assert t.loc["next_step", "kappa_method"] == "Cohen"
    assert any("Says what happens next" in f and f"of {len(ids)} calls" in f for f in flags) == \
        (t.loc["next_step", "machine_match"] < agreement.POOR)
    # blind answers decide nothing: the call's score is still the machine's
    assert scores.call_scores(data.con, form_id="service")["reviewed_items"].sum() == 0
    assert agreement.rounds(data.con).iloc[0][["round", "calls", "reviewers"]].tolist() == ["Dec week 1", len(ids), 2]

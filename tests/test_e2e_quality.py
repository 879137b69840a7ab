"""The quality loop in Chromium with real accounts, each in a browser of their own: two calls are
uploaded and scored on the service form after the batch; a reviewer overrides an item; the agent
sees it and disputes another; the lead rejects the dispute; the score, the agent's person page and
the form's weekly trend follow. Then a calibration round: the lead opens it, two reviewers score
the same calls blind, and the page shows their agreement item by item."""
from __future__ import annotations

import numpy as np
import pytest
from servers import dashboard, start_dashboard
from synth import write_wav
from test_e2e_browser import _drop, _settled, pytestmark  # noqa: F401 - the same skips
from test_e2e_manager import _shot
from test_e2e_team import PASSWORD, _choose, _field, _sign_in

from analytics.access import accounts
from analytics.access.passwords import hash_password
from analytics.db import Data
from analytics.qa import agreement, disputes, scores, trends
from analytics.qa.forms import load_forms
from dashboard import i18n
from dashboard.i18n import t

FORM = "service"


def _reader(db):
    return Data(db).con


def _as(page, url: str, login: str, lang: str):
    """A browser of this person's own, signed in at ``url``."""
    other = page.context.browser.new_page(viewport={"width": 1400, "height": 1000})
    _sign_in(other, url, login, lang)
    return other


def _answer(page, item_label: str, option: str) -> None:
    """Pick ``option`` on the review form's radio for the item labelled ``item_label``."""
    plain = item_label.split("(")[0].split("（")[0].strip()  # the aria-label keeps markdown's escapes
    group = page.get_by_role("radiogroup", name=plain)
    group.get_by_text(option, exact=True).click()


def _trend_points(page) -> list:
    """The y values of the first Plotly chart on the page (the form's weekly trend)."""
    return page.evaluate("() => document.querySelector('.stPlotlyChart .js-plotly-plot')._fullData"
                         ".flatMap(trace => Array.from(trace.y))")


def _saved(page, lang: str) -> None:
    page.get_by_text(t("qa_review_saved", lang, n=0).split("0")[0]).first.wait_for(timeout=60_000)
    _settled(page)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_scored_after_upload_reviewed_disputed_decided_and_calibrated(tmp_path, tiny_model, mono_layout, page, lang):
    db = tmp_path / "tb.duckdb"
    team = {"scope": ["team=Shenzhen"]}
    for login, name, role, extra in (("root", "Admin", "admin", {}), ("wu", "Wu Lei", "reviewer", team),
                                     ("zhao", "Zhao Min", "reviewer", team), ("zhang", "Zhang Wei", "lead", team),
                                     ("li", "Li Na", "agent", {"person": "agent=Li"})):
        accounts.add(db, login, name, role, hash_password(PASSWORD), **extra)
    form = next(f for f in load_forms() if f.id == FORM)
    wav = write_wav(tmp_path / "call.wav", mono_layout.audio).read_bytes()
    later = np.concatenate([np.zeros((1, 16000), np.float32), np.atleast_2d(mono_layout.audio)], axis=1)  # the same words a second later
    second = write_wav(tmp_path / "call2.wav", later).read_bytes()
    dash, url = start_dashboard(db, "--lang", lang, "--model", str(tiny_model))
    opened = []
    try:
        # -- the admin uploads two calls of Li's; both are scored after the batch -------------------
        _sign_in(page, f"{url}/upload", "root", lang)
        _drop(page, {"first call.wav": wav, "second call.wav": second})
        page.get_by_text("second call.wav", exact=True).first.wait_for(state="visible", timeout=20_000)
        _field(page, t("meta_input", lang)).fill("agent=Li, team=Shenzhen")
        page.get_by_role("button", name=t("analyse", lang), exact=True).click()
        try:
            page.get_by_text(t("batch_done", lang, ok=2, skip=0, fail=0)).wait_for(state="visible", timeout=240_000)
        except Exception:
            _shot(page, "DEBUG-upload")
            raise
        con = _reader(db)
        calls = scores.call_scores(con, form_id=FORM).sort_values("filename").reset_index(drop=True)
        assert list(calls["filename"]) == ["first call.wav", "second call.wav"], calls
        rid = calls["recording_id"][0]
        machine = scores.item_answers(con, rid, FORM).set_index("item_id")
        assert machine["machine"].isin(["yes", "no", "na", "person"]).all() and not machine["reviewed"].any()
        before = scores.call_score(con, rid, FORM)["score"]
        noes = [i for i in form.items if i.answer == "yes_no" and machine.loc[i.id, "machine"] == "no"]
        assert len(noes) >= 2, machine[["machine", "machine_answer"]]  # random weights: words the form asks for are not heard
        overridden, disputed = noes[0], noes[1]
        label = {i.id: i.label(lang) for i in form.items}

        # -- a reviewer overrides one item with a comment ------------------------------------------
        wu = _as(page, f"{url}/review?recording={rid}&form={FORM}", "wu", lang)
        opened.append(wu)
        wu.get_by_text(t("qa_save_review", lang)).first.wait_for(timeout=60_000)
        _answer(wu, label[overridden.id], t("qa_yes", lang))
        comments = _field(wu, t("qa_comment", lang))
        comments.nth([i.id for i in form.items].index(overridden.id)).fill("greeted before the recording started")
        wu.get_by_role("button", name=t("qa_save_review", lang)).click()
        _saved(wu, lang)
        con = _reader(db)
        after_review = scores.call_score(con, rid, FORM)
        assert after_review["score"] > before and after_review["reviewed_items"] >= 1
        got = scores.item_answers(con, rid, FORM).set_index("item_id").loc[overridden.id]
        assert (got["answer"], got["reviewed_by"], got["comment"]) == (1.0, "wu", "greeted before the recording started")
        _shot(wu, f"{lang}-quality-review")

        # -- the agent sees it and disputes another item -------------------------------------------
        li = _as(page, f"{url}/review?recording={rid}&form={FORM}", "li", lang)
        opened.append(li)
        main = li.locator("[data-testid=stMain]")
        assert "(wu)" in main.inner_text()  # the reviewer's answer, by name
        assert f"{after_review['score']:.1f}" in main.inner_text()
        _shot(li, f"{lang}-quality-agent-view")  # the top: the score, each item with the machine's moments
        _choose(li, main, t("qa_dispute", lang), label[disputed.id])
        _field(li, t("qa_dispute_reason", lang)).fill("I asked for the order number at 0:05")
        li.get_by_role("button", name=t("qa_dispute", lang), exact=True).click()
        li.get_by_text(t("qa_disputed", lang)).wait_for(timeout=60_000)
        _settled(li)
        st = disputes.states(_reader(db), recording_id=rid)
        assert list(st.loc[st["item_id"] == disputed.id, "state"]) == ["dispute"]
        li.get_by_text(t("qa_disputed", lang)).scroll_into_view_if_needed()
        _shot(li, f"{lang}-quality-dispute")

        # -- the lead rejects the dispute with a reason --------------------------------------------
        zhang = _as(page, f"{url}/quality", "zhang", lang)
        opened.append(zhang)
        zmain = zhang.locator("[data-testid=stMain]")
        _choose(zhang, zmain, t("qa_form", lang), form.label(lang))
        reason = f"input[aria-label='{t('qa_decision_reason', lang)}']"
        zhang.locator(reason).wait_for(timeout=60_000)  # the open dispute (the table above it is a canvas)
        decide = zhang.locator("[data-testid=stForm]").filter(has=zhang.locator(reason))
        decide.get_by_text(t("qa_reject", lang), exact=True).click()
        _field(decide, t("qa_decision_reason", lang)).fill("no question about the order is heard")
        decide.get_by_role("button", name=t("save", lang)).click()
        zhang.get_by_text(t("qa_decided", lang)).wait_for(timeout=60_000)
        _settled(zhang)
        con = _reader(db)
        st = disputes.states(con, recording_id=rid)
        row = st[st["item_id"] == disputed.id].iloc[0]
        assert (row["state"], row["decided_by"], row["decision_reason"]) == \
            ("reject", "zhang", "no question about the order is heard")
        final = scores.call_score(con, rid, FORM)["score"]
        assert final == after_review["score"]  # a rejected dispute changes no answer
        week = trends.weekly(con, form)
        assert abs(week["score"].iloc[-1] - calls_mean(con, form)) < 0.05
        assert any(abs(y - week["score"].iloc[-1]) < 0.05 for y in _trend_points(zhang))  # the chart drawn holds it
        _shot(zhang, f"{lang}-quality-lead")

        # -- the agent's review page and person page tell the decision ----------------------------
        _sign_in(li, f"{url}/review?recording={rid}&form={FORM}", "li", lang)  # a new page load signs in again
        assert t("qa_dispute_state", lang, state=i18n.value_name("state", "reject", lang),
                 reason="no question about the order is heard") in li.locator("[data-testid=stMain]").inner_text()
        _sign_in(li, f"{url}/people", "li", lang)
        person = trends.of_person(con, form, "agent", "Li")["summary"]
        text = li.locator("[data-testid=stMain]").inner_text()
        assert t("qa_of_person", lang, who="Li") in text and f"{person['average']:.1f}" in text
        li.get_by_text(t("qa_of_person", lang, who="Li")).scroll_into_view_if_needed()
        _shot(li, f"{lang}-quality-person")

        # -- calibration: the lead opens a round, two reviewers score blind, agreement is shown ----
        _sign_in(zhang, f"{url}/quality?form={FORM}", "zhang", lang)
        zmain.get_by_text(t("qa_calibration", lang)).first.click()
        _field(zmain, t("qa_round_name", lang)).wait_for(state="visible", timeout=30_000)
        _settled(zhang)
        _field(zmain, t("qa_round_name", lang)).fill("December")
        zmain.get_by_role("button", name=t("qa_round_new", lang)).click()
        zhang.get_by_text(t("qa_round_made", lang, name="December", n=2)).wait_for(timeout=60_000)
        assert sorted(agreement.round_calls(_reader(db), "December")) == sorted(calls["recording_id"])
        for who, browser, flip in (("wu", wu, False), ("zhao", None, True)):
            b = browser or _as(page, f"{url}/quality", who, lang)
            if browser is None:
                opened.append(b)
            for call in calls["recording_id"]:
                _sign_in(b, f"{url}/review?recording={call}&form={FORM}&round=December", who, lang)
                machine_said = t("qa_said_by", lang, who=t("qa_machine", lang), what="")
                assert machine_said not in b.locator("[data-testid=stMain]").inner_text()  # blind
                for n, item in enumerate(i for i in form.items if i.answer == "yes_no"):
                    yes = (n % 3 != 0) != (flip and n == 1)  # zhao differs from wu on one item
                    _answer(b, label[item.id], t("qa_yes" if yes else "qa_no", lang))
                b.get_by_role("button", name=t("qa_save_review", lang)).click()
                _saved(b, lang)
        table, flags = agreement.agreement(_reader(db), form, "December", lang)
        asked = table[table["item_id"].isin([i.id for i in form.items if i.answer == "yes_no"])].reset_index(drop=True)
        assert (asked["calls"] == 2).all(), table
        assert list(asked["agreement"]) == [0.0 if n == 1 else 1.0 for n in range(len(asked))], table
        assert asked["kappa_method"].eq("Cohen").all() and asked["machine_calls"].eq(2).all()
        _sign_in(zhang, f"{url}/quality?form={FORM}", "zhang", lang)
        zmain.get_by_text(t("qa_calibration", lang)).first.click()
        few = zmain.get_by_text(t("qa_flag_few", lang, n=agreement.MIN_CALLS))  # 2 calls: not enough to flag an item
        few.wait_for(timeout=30_000)
        assert flags == [] and t("qa_flag_ok", lang) not in zmain.inner_text()
        few.scroll_into_view_if_needed()
        _shot(zhang, f"{lang}-quality-calibration")
        assert final == scores.call_score(_reader(db), rid, FORM)["score"]  # blind answers leave the score alone
    finally:
        for b in opened:
            b.close()
        dash.terminate()
        dash.wait(30)


def calls_mean(con, form) -> float:
    return scores.call_scores(con, form_id=form.id)["score"].mean()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_quality_and_review_pages_on_demo_data(demo_db, page, lang):
    """The pages as a new team sees them on the demo data (the README's pictures): the Quality page's
    figures and a low-scored call's review, each item with the machine's answer and its moments."""
    db = demo_db[0]
    con = _reader(db)
    calls = scores.call_scores(con, form_id=FORM).sort_values(["score", "recording_id"]).reset_index(drop=True)
    rid, score = calls["recording_id"][len(calls) // 3], calls["score"][len(calls) // 3]
    form = next(f for f in load_forms() if f.id == FORM)
    with dashboard(db, "--lang", lang) as url:
        page.goto(f"{url}/quality?form={FORM}")
        _settled(page)
        summary = trends.summary(con, form)
        main = page.locator("[data-testid=stMain]")
        main.get_by_text(f"{summary['average']:.1f}", exact=True).wait_for(timeout=60_000)  # the page's own run drawn
        _settled(page)
        text = main.inner_text()
        assert f"{summary['calls']:,}" in text and f"{summary['average']:.1f}" in text
        _shot(page, f"{lang}-quality-page")
        page.goto(f"{url}/review?recording={rid}&form={FORM}")
        _settled(page)
        main.get_by_text(form.items[0].label(lang)).first.wait_for(timeout=60_000)
        text = main.inner_text()
        assert f"{score:.1f}" in text and form.items[0].label(lang) in text
        _shot(page, f"{lang}-quality-demo-review")

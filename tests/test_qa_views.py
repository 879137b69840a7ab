"""QA in the manager's views: a person's scores against everyone's, won against lost item by item,
and the HTML report's quality section (calls written at the recogniser's boundary, scored through
the product's path)."""
from __future__ import annotations

from dataclasses import replace

import pytest

from analytics.db import Data
from analytics.filters import Filter
from analytics.qa import trends
from analytics.qa.forms import load_forms
from analytics.qa.scoring import score_calls
from analytics.report import html_report
from tests.qa_calls import SALES, write

NO_NEXT = "Thanks, that is all from me."


def _call(i: int, outcome: str, agent: str):
    call = SALES.changed("Shall we schedule", text=NO_NEXT) if outcome == "lost" else SALES
    return replace(call, name=f"{outcome}-{i}", outcome=outcome, meta={"agent": agent})


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    db = tmp_path_factory.mktemp("qa-views") / "qa.duckdb"
    calls = [_call(i, "won", "Anna") for i in range(4)] + [_call(i, "lost", "Ben") for i in range(3)]
    write(db, calls).close()
    score_calls(db)
    data = Data(db)
    yield data.con
    data.con.close()


FORM = next(f for f in load_forms() if f.id == "sales_demo")


def test_a_person_against_everyone(con):
    ben = trends.of_person(con, FORM, "agent", "Ben")
    anna = trends.of_person(con, FORM, "agent", "Anna")
    assert (ben["summary"]["calls"], anna["summary"]["calls"]) == (3, 4)
    assert ben["everyone"]["calls"] == 7 and ben["summary"]["average"] < anna["summary"]["average"]
    missed = ben["items"].set_index("item_id")
    assert (missed.loc["next_step", "missed"], missed.loc["next_step", "answered"]) == (3, 3)
    assert list(ben["calls"]["agent"].unique()) == ["Ben"]


def test_won_against_lost_item_by_item(con):
    by_agent = trends.items_by_cohort(con, FORM, Filter(outcomes=["won"]), Filter(outcomes=["lost"]))
    top = by_agent.iloc[0]
    assert (top["item_id"], top["missed_a"], top["answered_a"], top["missed_b"], top["answered_b"]) == ("next_step", 0, 4, 3, 3)
    assert top["difference"] == -1.0 and top["low_b"] < 1.0 <= top["high_b"] and top["low_a"] == 0.0 < top["high_a"]
    assert (by_agent.iloc[1:]["difference"] == 0).all()


@pytest.mark.parametrize("lang,says", [("en", "3 calls scored"), ("zh", "已评分 3 通")])
def test_the_report_has_a_quality_section(con, lang, says):
    flt = Filter(metadata={"agent": ["Ben"]})
    page = html_report(con, flt, lang=lang, extra=trends.report_section(con, flt, lang))
    assert FORM.label(lang) in page and says in page
    next_step = next(i for i in FORM.items if i.id == "next_step")
    assert next_step.label(lang) in page  # the item Ben missed, in the items missed most


def test_the_sidebar_keeps_the_calls_scored_below_a_mark(demo_db):
    """Quality form + "score below" in the sidebar: every page counts only those calls (the sessions
    table here); a mark nobody is under leaves nothing, not everything."""
    from apptest import _app

    from analytics.qa import scores

    at = _app(demo_db[0], "sessions")
    n_all = len(at.dataframe[0].value)
    at.sidebar.selectbox(key="f_qa_form").set_value("service").run()
    at.sidebar.number_input(key="f_qa_below").set_value(50.0).run()
    con = Data(demo_db[0]).con
    below = set(scores.calls_below(con, "service", 50.0)) - {scores.NO_CALL}
    shown = at.dataframe[0].value
    assert not at.exception and 0 < len(below) == len(shown) < n_all, (len(below), len(shown), n_all)
    names = [f for (f,) in con.execute("SELECT filename FROM recordings WHERE recording_id IN (SELECT unnest(?::VARCHAR[]))",
                                       [list(below)]).fetchall()]
    assert sorted(shown["filename"]) == sorted(names)
    assert any(f"{len(below)} call(s) scored below 50" in c.value for c in at.sidebar.caption)
    at.sidebar.number_input(key="f_qa_below").set_value(0.0).run()  # nobody scores under 0
    assert not at.exception
    assert not at.dataframe or len(at.dataframe[0].value) == 0  # nothing: not every call
    con.close()

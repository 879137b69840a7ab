"""Did our change work? Experiments written and checked, the difference-in-differences recovering a
planted effect through the store (and not finding one where none was planted), every kind of
outcome, the sentence in English and Chinese, the command and the HTML report."""
from __future__ import annotations

import pandas as pd
import pytest
from experiment_calls import CHANGE, PLANTED, cohort_calls
from qa_calls import write

import cli
from analytics.db import Data
from analytics.experiments import design, estimate
from analytics.talk.counts import count
from analytics.talk.trackers import parse_tracker, upsert


def _e(**kw):
    return design.parse({"id": "script", "name": "New script", "change": str(CHANGE), "outcome": "won", **kw})


@pytest.mark.parametrize("raw, message", [({"change": "next week"}, "'change' must be a date"),
                                          ({"outcome": "happiness"}, "'outcome' must be one of"),
                                          ({"weeks": 0}, "'weeks' must be a whole number"),
                                          ({"pilot": {"team": ["A"]}, "pilot_tracker": "price"}, "not both"),
                                          ({"kinds": ["meeting"]}, "'kinds' must be"),
                                          ({"colour": "red"}, "unknown field 'colour'")])
def test_bad_experiments_are_named(raw, message):
    with pytest.raises(design.ExperimentError, match=message):
        _e(**raw)


def test_the_difference_in_differences_of_known_groups():
    cells = pd.DataFrame({"group": ["pilot", "pilot", "others", "others"], "period": ["before", "after"] * 2,
                          "n": [100, 100, 100, 100], "mean": [0.31, 0.49, 0.30, 0.32], "var": [0.2, 0.25, 0.2, 0.2]})
    est, se = estimate.difference(cells)
    assert est == pytest.approx(0.16) and se == pytest.approx((0.85 / 100) ** 0.5)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    db = tmp_path_factory.mktemp("exp") / "t.duckdb"
    write(db, cohort_calls(300, 5)).close()
    return db


def test_a_planted_effect_is_recovered_and_called_real(store):
    a = estimate.estimate(Data(store).con, _e(pilot={"team": ["Shenzhen"]}, kinds=["sales"]))
    truth = (PLANTED[("Shenzhen", True)] - PLANTED[("Shenzhen", False)]) - (PLANTED[("Beijing", True)] - PLANTED[("Beijing", False)])
    assert a.n == 1200 and a.cells["n"].tolist() == [300] * 4
    assert a.lo < truth < a.hi and abs(a.estimate - truth) < 0.08 and a.verdict == "probably_real"
    en, zh = estimate.sentence(a, "en"), estimate.sentence(a, "zh")
    assert "In the pilot (team=Shenzhen) calls won went from" in en and "1200 calls — probably real" in en
    assert f"{100 * a.cell('pilot', 'before'):.0f} %" in en and f"{100 * abs(a.estimate):.0f} points more" in en
    assert "试点（team=Shenzhen）赢单率从" in zh and "很可能是真实效果" in zh


def test_no_effect_planted_none_claimed(tmp_path):
    db = tmp_path / "t.duckdb"
    flat = {("Shenzhen", False): 0.3, ("Shenzhen", True): 0.4, ("Beijing", False): 0.3, ("Beijing", True): 0.4}  # both rose alike
    write(db, cohort_calls(150, 8, flat)).close()
    a = estimate.estimate(Data(db).con, _e(pilot={"team": ["Shenzhen"]}))
    assert a.lo < 0 < a.hi and a.verdict == "could_be_chance"
    everyone = estimate.estimate(Data(db).con, _e())  # no pilot: after against before, for every call
    assert set(everyone.cells["group"]) == {"all"} and everyone.estimate > 0
    assert "with nothing to compare with" in estimate.sentence(everyone)


def test_few_calls_are_too_few(tmp_path):
    db = tmp_path / "t.duckdb"
    write(db, cohort_calls(4, 3)).close()
    a = estimate.estimate(Data(db).con, _e(pilot={"team": ["Shenzhen"]}))
    assert a.verdict == "too_few" and "too few calls to say" in estimate.sentence(a)


def test_every_outcome_and_a_tracker_as_the_pilot(store, tmp_path, monkeypatch):
    monkeypatch.setenv("TONEBOARD_TRACKERS", str(tmp_path / "trackers.yaml"))
    t = parse_tracker({"id": "demo", "name": "Demo", "phrases": ["演示"]})
    upsert(t)
    count(store, [t])
    con = Data(store).con
    for outcome, low, high in (("angry", 0, 0), ("talk_share", 0.4, 0.6), ("tracker:demo", 1, 1)):
        a = estimate.estimate(con, _e(outcome=outcome, pilot={"team": ["Shenzhen"]}))
        assert a.n == 1200 and low <= a.cells["mean"].min() <= a.cells["mean"].max() <= high, outcome
    every = estimate.estimate(con, _e(pilot_tracker="demo"))  # every call says it: the pilot is every call
    assert every.cells.set_index(["group", "period"]).loc[("others", "before"), "n"] == 0 and every.verdict == "too_few"
    with pytest.raises(design.ExperimentError, match="no tracker has the id 'nope'"):
        estimate.estimate(con, _e(outcome="tracker:nope"))


def test_the_command_and_the_report(store, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TONEBOARD_EXPERIMENTS", str(tmp_path / "experiments.yaml"))
    assert cli.main(["experiment", "add", "--db", str(store), "--id", "script", "--name", "New script", "--change", str(CHANGE),
                     "--measure", "won", "--pilot", "team=Shenzhen", "--kinds", "sales"]) == 0
    assert "probably real" in capsys.readouterr().out
    assert cli.main(["experiment", "show", "script", "--db", str(store), "--csv"]) == 0
    assert "group,period,n,mean,var,estimate,lo,hi" in capsys.readouterr().out
    out = tmp_path / "report.html"
    assert cli.main(["report", "--db", str(store), "--out", str(out), "--since", "2026-01-01"]) == 0
    html = out.read_text(encoding="utf-8")
    assert "Experiments" in html and "In the pilot (team=Shenzhen)" in html
    assert "<h2>Trackers</h2>" in html and "Custom dimensions shown" in html  # the shipped trackers, counted or not
    assert cli.main(["experiment", "add", "--db", str(store), "--id", "x", "--change", "soon", "--measure", "won"]) == 2
    assert "'change' must be a date" in capsys.readouterr().err

"""The analysis pages in Streamlit's AppTest on the demo data: heatmaps, compare, phrases, People,
teachers, trends, moments, classroom, model accuracy."""
import os

import pytest
from apptest import APP, _app, _texts, csv_downloads
from streamlit.testing.v1 import AppTest

from analytics.db import connect
from analytics.filters import Filter
from analytics.options import synthetic


@pytest.mark.parametrize("tab", ["heat_profile", "heat_hour", "heat_meta", "heat_co"])
def test_each_heatmap_tab_draws_its_chart_when_open(demo_db, tab):
    from dashboard.i18n import t

    at = _app(demo_db[0], "heatmaps")
    at.session_state["hm_tab"] = t(tab, "en")  # tabs are lazy: only the open one is queried and drawn
    at.run()
    assert not at.exception, at.exception
    assert len(at.get("plotly_chart")) == 1 and "Click a cell" in _texts(at) and "n = " in _texts(at)


def test_the_mood_heatmap_shows_a_readable_number_of_rows_and_says_what_mood_is(demo_db):
    """117 rows were squeezed into 900 px and "mood −1…1" was not explained (issue 26, item 11)."""
    import json

    from dashboard.charts import ROW_PX

    at = _app(demo_db[0], "heatmaps")
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    rows = len(set(fig["data"][0]["y"]))
    assert rows == 40 and fig["layout"]["height"] >= rows * ROW_PX  # the 40 newest, each row its label's height
    assert fig["data"][0]["colorbar"]["ticktext"] == ["−1 negative", "0 neutral", "+1 positive"]
    assert "+1 happy throughout, 0 neutral, −1 angry throughout" in _texts(at)
    at.segmented_control(key="hm_rows").set_value(100).run()
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert len(set(fig["data"][0]["y"])) == 100 and fig["layout"]["height"] >= 100 * ROW_PX


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_compare_says_what_differs_in_sentences_and_dots(demo_db, lang):
    at = _app(demo_db[0], "compare", lang)
    assert not at.exception, at.exception
    won = "won" if lang == "en" else "赢单"  # the cohorts are named in the page's language
    sentences = [m.value for m in at.markdown if m.value.startswith("**") and won in m.value]
    assert sentences, [m.value for m in at.markdown]
    word = "a clear difference" if lang == "en" else "差异明显"
    assert any(word in x for x in sentences), sentences  # the demo's planted difference (laughs in won demos)
    assert any(("laughs a minute" if lang == "en" else "每分钟笑声") in x for x in sentences), sentences
    assert len(at.get("plotly_chart")) >= 1


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_phrase_says_what_follows_it_and_lists_the_newest_mentions(demo_db, lang, monkeypatch):
    import analytics.reactions
    from analytics.db import connect

    monkeypatch.setattr(analytics.reactions, "MENTIONS_SHOWN", 3)
    at = _app(demo_db[0], "compare", lang)
    at.text_input(key="cmp_phrase").input("数据看板").run()
    assert not at.exception, at.exception
    lines = [m.value for m in at.markdown if "数据看板" in m.value]
    assert lines and all("%" in x for x in lines), [m.value for m in at.markdown]
    total = analytics.reactions.phrase_reactions(connect(demo_db[0]), "数据看板", limit=0)[0].attrs["total"]
    shown = f"The newest 3 of {total:,}" if lang == "en" else f"最新的 3 次提及（共 {total:,} 次"
    assert total > 3 and any(shown in c.value for c in at.caption), [c.value for c in at.caption]
    listed = [d.value for d in at.dataframe if "response_gap_s" in d.value.columns]
    assert len(listed) == 1 and len(listed[0]) == 3
    named = {"en": {"won", "lost", "No outcome given"}, "zh": {"赢单", "丢单", "未标注结果"}}[lang]
    assert set(listed[0]["cohort"]) <= named  # cohorts named in the page's language, as in the chart


def test_people_lists_agents_and_a_scorecard_opens_a_moment(demo_db):
    db, _ = demo_db
    at = _app(db, "people")
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert len(table) == 7 and table["recordings"].sum() == 100  # the demo's 7 agents, 100 service and sales calls
    assert {"person", "angry_share", "angry_interval", "open_tickets", "trend"} <= set(table.columns)
    assert "week by week against the team" in _texts(at) and len(at.get("plotly_chart")) == 1
    worst = [b for b in at.button if b.key and b.key.startswith("pp_worst_")]
    if worst:  # this agent's customers were angry somewhere: the moment opens on the timeline
        worst[0].click().run()
        assert not at.exception and at.session_state["recording_id"]


def test_a_lone_agents_scorecard_says_why_there_is_no_team_line(demo_db):
    os.environ["TONEBOARD_DB"] = str(demo_db[0])
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = "en"
    at.query_params["meta.team"] = "Seoul"  # the demo's Seoul team is Kim alone
    at.run()
    at.switch_page("views/people.py").run()
    assert not at.exception, at.exception
    assert list(at.dataframe[0].value["person"]) == ["Kim"]
    assert "Nobody else in Kim's team has recordings here" in _texts(at)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_teachers_are_measured_in_class_words_not_call_centre_ones(demo_db, lang):
    """People → Teachers: talk share, questions, the wait after them, laughter and stuck points per
    class; their stuck points as the worst moments; no customer, call or raw None anywhere."""
    db, planted = demo_db
    at = _app(db, "people", lang)
    at.radio(key="pp_key").set_value("teacher").run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table["person"].sort_values()) == ["Mr Lee", "Ms Zhou"] and set(table["classes"]) == {6}
    assert {"questions_per_class", "wait_s", "laughs_per_class", "stuck_per_class", "course"} <= set(table.columns)
    assert not {"angry_share", "silences_per_call", "team"} & set(table.columns)
    assert (table["stuck_per_class"] == 2).all()  # the demo plants 2 stuck questions in each class
    texts = _texts(at)
    words = {"en": ("customer", "call", "None"), "zh": ("客户", "通话", "None")}[lang]
    assert not [w for w in words if w in texts], texts
    assert ("against the other teachers" if lang == "en" else "与其他老师对比") in texts
    worst = [b for b in at.button if b.key and b.key.startswith("pp_worst_")]
    assert worst, "each demo class has stuck points: they are the teacher's worst moments"
    assert ("s of silence after the question" if lang == "en" else "提问后沉默") in texts
    worst[0].click().run()
    rid = at.session_state["recording_id"]
    assert not at.exception and rid in planted.stuck


def test_trends_draw_any_figure_by_period_and_split_and_keep_it_in_the_address(demo_db):
    at = _app(demo_db[0], "trends")
    assert not at.exception, at.exception
    assert len(at.get("plotly_chart")) == 1
    at.selectbox(key="tr_figure").set_value("won_rate")
    at.selectbox(key="tr_split").set_value("team").run()
    assert not at.exception, at.exception
    assert at.query_params["figure"] in ("won_rate", ["won_rate"]) and at.query_params["split"] in ("team", ["team"])
    fig = __import__("json").loads(at.get("plotly_chart")[0].proto.spec)
    assert len(fig["data"]) >= 2 and all("n = " in t["hovertemplate"] for t in fig["data"])


def test_moments_finds_words_across_recordings_with_the_lines_around_them(demo_db):
    at = _app(demo_db[0], "moments")
    assert not at.exception, at.exception
    assert any("Type words to look for" in i.value for i in at.info)  # nothing asked yet: it says how
    at.text_input(key="mo_q").input("dashboard").run()
    assert not at.exception, at.exception
    quotes = [m.value for m in at.markdown if "**" in m.value and not m.value.startswith("**")]
    assert quotes and all("**dashboard**" in q.lower() for q in quotes), quotes  # the line found, its words in bold
    assert any(c.value.startswith("… ") for c in at.caption)  # the line before
    assert at.query_params["q"] in ("dashboard", ["dashboard"])
    at.button(key="mo_open_0").click().run()
    assert not at.exception and at.session_state["recording_id"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_each_example_the_moments_box_gives_finds_moments(demo, lang):
    """The placeholder's own example ("refund") found nothing (issue 26, item 11)."""
    import re

    from analytics.search import moments
    from dashboard.i18n import t

    examples = re.split(r"[,、]\s*", re.sub(r"^(e\.g\.|例如：)\s*", "", t("moments_placeholder", lang)))
    assert len(examples) == 3
    for words in examples:
        assert not moments(demo[2], words).empty, words


def test_model_accuracy_below_a_minimum_of_corrections_says_so_with_n_and_the_interval(demo_db):
    from analytics.corrections import correct_segment
    from analytics.db import Data

    d = Data(demo_db[0])
    correct_segment(d.store, d.con, demo_db[1].complaints[0], 0, emotion="ANGRY", by="lead")  # one correction
    at = _app(demo_db[0], "accuracy")
    assert not at.exception, at.exception
    assert not at.metric  # no "Model accuracy 0 %" in large type
    note = [i.value for i in at.info if "Not enough corrections" in i.value]
    assert note and "1 corrected segment " in note[0] and "between" in note[0], [i.value for i in at.info]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_compare_says_its_cohorts_hold_demo_data_and_can_leave_it_out(demo_db, lang):
    at = _app(demo_db[0], "compare", lang)
    assert not at.exception, at.exception
    said = " ".join(w.value for w in at.warning)
    n = {o: synthetic(connect(demo_db[0]), Filter(outcomes=[o]))["demo"] for o in ("won", "lost")}
    assert n["won"] > 0 and n["lost"] > 0
    if lang == "en":
        assert f"won: {n['won']} demo recordings (synthetic)" in said and f"lost: {n['lost']} demo" in said, said
    else:
        assert f"赢单：计入了 {n['won']} 条演示录音" in said, said
    assert at.get("plotly_chart"), "the demo cohorts differ: dots are drawn"
    warnings = len(at.warning)
    at.toggle(key="cmp_real_only").set_value(True).run()
    assert not at.exception, at.exception
    assert not at.get("plotly_chart") and len(at.warning) == warnings, "every demo recording is left out: nothing is compared"
    assert ("nothing real to compare" if lang == "en" else "还没有可比较的真实数据") in _texts(at)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_compare_says_whose_time_to_answer_it_measures(demo_db, lang):
    at = _app(demo_db[0], "compare", lang)
    findings = " ".join(m.value for m in at.markdown if m.value.startswith("**"))
    assert ("time before anyone answers" if lang == "en" else "任何一方应答前的间隔") in findings, findings
    assert "time to answer" not in findings
    at.selectbox(key="cmp_role").set_value("customer").run()
    assert not at.exception, at.exception
    findings = " ".join(m.value for m in at.markdown if m.value.startswith("**"))
    assert ("time before the customer answers" if lang == "en" else "客户应答前的间隔") in findings, findings


def test_compare_draws_each_cohort_in_one_colour_in_every_chart(demo_db):
    import json

    at = _app(demo_db[0], "compare")
    at.text_input(key="cmp_phrase").input("dashboard").run()
    assert not at.exception, at.exception
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    colour = {}  # cohort -> the colours its traces are drawn in
    for fig in figures:
        for tr in fig["data"]:
            who = str(tr.get("name") or (tr.get("y") or [""])[0]).lower()
            c = (tr.get("marker") or {}).get("color")
            if who in ("won", "lost") and c and c not in ("#b0b0b0", "#d0d0d0"):  # grey: an unclear difference
                colour.setdefault(who, set()).add(c)
    assert colour["won"] <= {"#1f77b4", "#6fa8dc"} and colour["lost"] <= {"#d62728", "#ea9999"}, colour
    bars = {str(t.get("name")).lower(): t["marker"]["color"] for f in figures for t in f["data"] if t["type"] == "bar"}
    assert bars["won"] == "#1f77b4" and bars["lost"] == "#d62728", bars  # the same colours in the reaction chart


def test_classroom_in_chinese_says_its_findings_in_chinese_with_the_classes_by_name(demo_db):
    """The course findings were English codes and recording ids on a Chinese page (issue 26, item 11)."""
    db, planted = demo_db
    at = _app(db, "classroom", "zh")
    assert not at.exception, at.exception
    found = next(d.value for d in at.dataframe if "finding" in d.value.columns)
    noisy = found[found["finding"] == "听课环境嘈杂"]
    assert len(noisy) == 1 and noisy.iloc[0]["detail"] == "连续 3 节课有背景音乐", found.to_dict("records")
    con = connect(db)
    names = [con.execute("SELECT filename FROM recordings WHERE recording_id = ?", [r]).fetchone()[0]
             for r in planted.bgm_classes]
    assert noisy.iloc[0]["files"] == ", ".join(names)
    assert not any("noisy" in str(v) or "(no course)" in str(v) for v in found.to_numpy().ravel())
    assert at.selectbox(key="cls_key").format_func("course") == "课程"


def test_a_found_line_marks_its_words_in_bold_and_keeps_the_rest_as_text():
    from dashboard.ui import marked

    assert marked("see *this* [link](x) Dashboard!", "dashboard") == r"see \*this\* \[link\]\(x\) **Dashboard**\!"
    assert marked("a.b", "") == r"a\.b" and marked(None, "x") == ""


def test_a_years_classes_show_the_newest_rows_and_the_csv_holds_them_all(demo_db, monkeypatch):
    """Thousands of stuck points and classes in a year: each table shows the newest rows, says how
    many there are, and its CSV (made when pressed) has every one."""
    import dashboard.ui

    made = csv_downloads(monkeypatch)
    monkeypatch.setattr(dashboard.ui, "ROWS_SHOWN", 2)
    at = _app(demo_db[0], "classroom")
    assert not at.exception, at.exception
    said = [c.value for c in at.caption if c.value.startswith("The newest 2 of")]
    assert len(said) == 2, [c.value for c in at.caption]
    times = dict(connect(demo_db[0]).execute("SELECT recording_id, recorded_at FROM recordings").fetchall())
    for name, column in (("stuck-points", "at_s"), ("course-classes", "stuck_points")):
        rows = made[name]()
        assert len(rows) > 2 and f"The newest 2 of {len(rows):,} rows" in " ".join(said)
        shown = next(d.value for d in at.dataframe if column in d.value.columns)
        newest = sorted((times[r["recording_id"]] for r in rows), reverse=True)[:2]
        assert sorted(times[r] for r in shown["recording_id"]) == sorted(newest)

"""The dashboard's pages, run by Streamlit's AppTest on an empty database and on the demo data."""
import os
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics.db import connect
from analytics.filters import Filter
from analytics.options import synthetic
from ingest.store import Store
from ingest.store.layout import store_dir

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
from dashboard import PAGES  # noqa: E402 - the app's own list


def _app(db, page: str, lang: str = "en") -> AppTest:
    os.environ["TONEBOARD_DB"] = str(db)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = lang
    at.run()
    if page != "overview":
        at.switch_page(f"views/{page}.py")
        at.run()
    return at


@pytest.fixture()
def demo_db(demo, tmp_path):
    db, planted, _ = demo
    dest = tmp_path / "tb.duckdb"
    shutil.copytree(store_dir(db), store_dir(dest))
    Store(dest).init()
    return dest, planted


def _texts(at: AppTest) -> str:
    return " ".join(str(e.value) for e in list(at.markdown) + list(at.info) + list(at.title) + list(at.caption) + list(at.subheader))


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_an_empty_database(tmp_path, page):
    at = _app(tmp_path / "empty.duckdb", page)
    assert not at.exception, at.exception
    if page == "overview":
        assert "No recordings yet" in _texts(at)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_page_renders_on_demo_data(demo_db, page, lang):
    at = _app(demo_db[0], page, lang)
    assert not at.exception, at.exception
    assert any("Demo data" in w.value or "演示数据" in w.value for w in at.warning)


def test_sidebar_filters_change_the_sessions_table(demo_db):
    at = _app(demo_db[0], "sessions")
    everything = at.dataframe[0].value
    at.sidebar.multiselect(key="f_outcomes").set_value(["won"]).run()
    won = at.dataframe[0].value
    assert not at.exception and 0 < len(won) < len(everything) and set(won["outcome"]) == {"won"}
    at.sidebar.text_input(key="f_since").set_value("not a date").run()
    assert not at.exception and any("since" in e.value for e in at.sidebar.error)
    # the page itself says what is wrong at its top, not "nothing matches"
    assert any("Filter problem" in e.value and "since" in e.value for e in at.main.error)
    assert not any("Nothing matches" in i.value for i in at.main.info)


def test_risk_queue_opens_tickets_and_changes_their_status(demo_db):
    at = _app(demo_db[0], "risk")
    at.button(key="risk_eval").click().run()
    assert not at.exception
    before = at.dataframe[0].value
    assert len(before) > 0 and set(before["status"]) == {"open"}
    tid = at.selectbox(key="risk_ticket").value
    at.selectbox(key="risk_new").set_value("resolved")
    at.button(key="risk_set").click().run()
    after = at.dataframe[0].value  # open and acknowledged only: the resolved ticket is gone
    assert not at.exception and tid not in set(after["ticket_id"]) and len(after) == len(before) - 1
    at.button(key="risk_eval").click().run()  # re-evaluation opens nothing twice
    assert len(at.dataframe[0].value) == len(after)


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


def test_timeline_chart_shades_every_pause_and_colours_every_segment(demo_db):
    import json

    import duckdb

    db, planted = demo_db
    rid = planted.lost[0]
    at = AppTest.from_file(APP, default_timeout=60)
    os.environ["TONEBOARD_DB"] = str(db)
    at.session_state["recording_id"] = rid
    at.run()
    at.switch_page("views/timeline.py")
    at.run()
    assert not at.exception
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    con = duckdb.connect(str(db), read_only=True)
    n_pauses, n_segs = (con.execute(f"SELECT count(*) FROM {t} WHERE recording_id = ?", [rid]).fetchone()[0]
                        for t in ("pauses", "segments"))
    con.close()
    shapes = fig["layout"]["shapes"]
    assert n_pauses > 0 and len(shapes) == n_pauses and all(s["type"] == "rect" for s in shapes)
    bars = [t for t in fig["data"] if t["type"] == "bar"]
    assert sum(len(t["customdata"]) for t in bars) == n_segs  # one bar per segment, by emotion


def test_home_shows_what_needs_attention_and_a_ticket_opens_its_moment(demo_db):
    import duckdb

    db, _ = demo_db
    at = _app(db, "overview")
    assert not at.exception, at.exception
    texts = _texts(at)
    assert "This week against last week" in texts and "Open tickets (" in texts and "n = " in " ".join(c.value for c in at.caption)
    assert len(at.get("plotly_chart")) == 5  # a 12-week sparkline per key figure
    first = next(b for b in at.button if b.key and b.key.startswith("home_t_"))
    ticket_id = first.key[len("home_t_"):]
    con = duckdb.connect(str(db), read_only=True)
    rid, at_s = con.execute("SELECT recording_id, first_evidence_s FROM tickets WHERE ticket_id = ?", [ticket_id]).fetchone()
    segs = con.execute("SELECT seg_index, start_s, end_s FROM segments WHERE recording_id = ? ORDER BY start_s", [rid]).fetchall()
    con.close()
    first.click().run()
    assert not at.exception, at.exception
    assert at.session_state["recording_id"] == rid
    chosen = at.selectbox(key="tl_seg").value
    start, end = next((b, e) for i, b, e in segs if i == chosen)
    assert start - 0.01 <= at_s <= end + 0.01 or abs(start - at_s) == min(abs(b - at_s) for _, b, _ in segs)


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


def test_a_link_opens_the_timeline_of_a_recording_at_a_moment(demo_db):
    import duckdb

    db, planted = demo_db
    rid = planted.lost[0]
    con = duckdb.connect(str(db), read_only=True)
    seg, start = con.execute("SELECT seg_index, start_s FROM segments WHERE recording_id = ? ORDER BY start_s "
                             "LIMIT 1 OFFSET 3", [rid]).fetchone()
    con.close()
    os.environ["TONEBOARD_DB"] = str(db)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = "en"
    at.query_params["recording"] = rid
    at.query_params["t"] = str(start + 0.1)
    at.run()
    at.switch_page("views/timeline.py").run()
    assert not at.exception, at.exception
    assert at.session_state["recording_id"] == rid and at.selectbox(key="tl_seg").value == seg


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_moment_a_timeline_opens_at_is_marked_and_kept_in_the_address(demo_db, lang):
    """A ticket's moment: a line on the chart at it, t= in the address, the picker in m:ss, the table's
    items and roles in the page's language (issue 26, item 11)."""
    import json

    db, planted = demo_db
    rid = planted.lost[0]
    con = connect(db)
    seg, start = con.execute("SELECT seg_index, start_s FROM segments WHERE recording_id = ? ORDER BY start_s "
                             "LIMIT 1 OFFSET 3", [rid]).fetchone()
    os.environ["TONEBOARD_DB"] = str(db)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = lang
    at.query_params["recording"] = rid
    at.query_params["t"] = f"{start + 0.3:.1f}"
    at.run()
    at.switch_page("views/timeline.py").run()
    assert not at.exception, at.exception
    moment = round(start + 0.3, 1)
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    lines = [x for x in fig["layout"]["shapes"] if x["type"] == "line"]
    assert [x["x0"] for x in lines] == [pytest.approx(moment)]
    assert at.query_params["t"] in (f"{moment:.1f}", [f"{moment:.1f}"])
    assert fig["layout"]["xaxis"]["ticktext"][:2] == ["0:00", "0:05"]
    picker = at.selectbox(key="tl_seg")
    assert picker.value == seg and picker.format_func(seg).startswith(f"{int(start) // 60}:{int(round(start)) % 60:02d} · ")
    # another segment picked: the mark and the address follow it
    seg2 = seg + 2
    picker.set_value(seg2).run()
    assert at.selectbox(key="tl_seg").value == seg2
    start2 = con.execute("SELECT start_s FROM segments WHERE recording_id = ? AND seg_index = ?", [rid, seg2]).fetchone()[0]
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [x["x0"] for x in fig["layout"]["shapes"] if x["type"] == "line"] == [pytest.approx(start2)]
    table = next(d.value for d in at.dataframe if "item" in d.value.columns)
    if lang == "zh":
        assert {"segment", "pause", "all"}.isdisjoint(set(table["item"]) | set(table["role"].dropna()))
        assert "语音片段" in set(table["item"])


def test_the_report_holds_the_weekly_trend(demo_db):
    from analytics.db import Data
    from analytics.report import html_report

    html = html_report(Data(demo_db[0]).con)
    assert "Calls with an angry customer, week by week" in html


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


def test_a_ticket_has_an_assignee_comments_and_opens_its_moment(demo_db):
    at = _app(demo_db[0], "risk")
    assert not at.exception, at.exception
    tid = at.selectbox(key="risk_ticket").value
    at.text_input(key="risk_assignee").input("Li")
    at.text_input(key="risk_note").input("called the customer back")
    next(b for b in at.button if b.form_id == f"risk_comment_{tid}").click().run()  # the form's Save
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    row = table[table["ticket_id"] == tid].iloc[0]
    assert row["assignee"] == "Li" and row["comments"] == 1 and row["status"] == "open"
    assert any("called the customer back" in c.value for c in at.caption)
    at.button(key="risk_open").click().run()
    assert not at.exception and at.session_state["recording_id"] == row["recording_id"]


def test_the_filters_live_in_the_address_so_a_link_reopens_the_view(demo_db):
    os.environ["TONEBOARD_DB"] = str(demo_db[0])
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = "en"
    at.query_params["outcome"] = "won"  # a shared link: ?outcome=won&meta.team=…&kind=nonsense
    at.query_params["kind"] = ["sales", "nonsense"]
    at.run()
    at.switch_page("views/sessions.py")
    at.run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert len(table) > 0 and set(table["outcome"]) == {"won"} and set(table["kind"]) == {"sales"}
    assert any("kind=nonsense" in w.value.replace("\\", "") for w in at.sidebar.warning)  # said (as text), not dropped
    at.sidebar.multiselect(key="f_tags").set_value(["ANGRY"]).run()  # choosing a filter writes it to the address
    assert at.query_params["tag"] in ("ANGRY", ["ANGRY"]) and at.query_params["outcome"] in ("won", ["won"])
    at.sidebar.multiselect(key="f_outcomes").set_value([]).run()
    assert "outcome" not in at.query_params


def test_model_accuracy_below_a_minimum_of_corrections_says_so_with_n_and_the_interval(demo_db):
    from analytics.corrections import correct_segment
    from analytics.db import Data

    d = Data(demo_db[0])
    correct_segment(d.store, d.con, demo_db[1].complaints[0], 0, emotion="ANGRY", by="lead")  # one correction
    at = _app(demo_db[0], "sessions")
    assert not at.exception, at.exception
    assert not at.metric  # no "Model accuracy 0 %" in large type
    note = [i.value for i in at.info if "Not enough corrections" in i.value]
    assert note and "1 corrected segment " in note[0] and "between" in note[0], [i.value for i in at.info]


def test_the_risk_queue_after_an_assignment_a_comment_and_a_status_change(demo_db):
    """Each history row lacks some of status, assignee and comment: the page shows what each has."""
    at = _app(demo_db[0], "risk")
    tid = at.selectbox(key="risk_ticket").value
    at.text_input(key="risk_assignee").input("Li")  # assigned, no comment
    next(b for b in at.button if b.form_id == f"risk_comment_{tid}").click().run()
    assert not at.exception, at.exception
    at.text_input(key="risk_note").input("called back")  # a comment, nobody new
    next(b for b in at.button if b.form_id == f"risk_comment_{tid}").click().run()
    assert not at.exception, at.exception
    at.selectbox(key="risk_new").set_value("acknowledged")
    at.button(key="risk_set").click().run()
    assert not at.exception, at.exception
    at = _app(demo_db[0], "risk")  # every visit after
    assert not at.exception, at.exception
    history = [c.value for c in at.caption]
    assert any("Li" in c for c in history) and any("called back" in c for c in history), history
    assert not any("None" in c or "nan" in c for c in history), history
    assert at.text_area(key="risk_rules")  # the rules editor is still there


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_export_has_one_button_per_action(demo_db, lang):
    at = _app(demo_db[0], "export", lang)
    assert not at.exception, at.exception
    labels = [b.proto.label for b in at.get("download_button")] + [b.label for b in at.button]
    assert len(labels) == len(set(labels)), labels  # no two buttons say the same
    report = next(b for b in at.get("download_button") if "HTML" in b.proto.label)
    assert report.proto.url or report.proto.deferred_file_id, report.proto  # pressed once, it downloads


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_overview_counts_risks_only_and_leads_to_all_of_them(demo_db, lang):
    """A happy, laughing prospect (an opportunity rule) is no risk; ten of the risks are listed and a
    link leads to the rest."""
    at = _app(demo_db[0], "overview", lang)
    assert not at.exception, at.exception
    heads = [m.value for m in at.markdown if m.value.startswith("#### ")]
    assert f"#### {'Open tickets (15)' if lang == 'en' else '待处理工单（15）'}" in heads, heads
    links = [e.proto.label for e in at.get("page_link")]
    assert any(("of 15" in x and "risk queue" in x) or ("共 15 条" in x) for x in links), links
    at = _app(demo_db[0], "risk", lang)
    assert set(at.dataframe[0].value["rule_type"]) == {"risk" if lang == "en" else "风险"}  # shown in the page's language
    at.multiselect(key="risk_types").set_value(["opportunity"]).run()
    assert set(at.dataframe[0].value["rule_id"]) == {"high-intent"}


def test_messages_say_what_happened(demo_db):
    """No hits for a search is said as such (not "nothing matches these filters"); the count of
    moments mentions a cut only when there is one; tickets are counted as tickets; one is singular."""
    from dashboard.i18n import t

    at = _app(demo_db[0], "moments")
    at.text_input(key="mo_q").input("zzzz-never-said").run()
    assert any("No moment says" in i.value and "zzzz" in i.value for i in at.info), [i.value for i in at.info]
    at.text_input(key="mo_q").input("dashboard").run()
    said = [c.value for c in at.caption if "moments in" in c.value]
    assert said and ("newest shown" in said[0]) == (int(said[0].split()[0]) > 50), said
    at = _app(demo_db[0], "risk")
    assert any(c.value.startswith("n = ") and "tickets in" in c.value for c in at.caption)
    assert "1 corrected segment " in t("accuracy_few", "en", n=1, min=30, lo="0 %", hi="98 %")
    assert "2 corrected segments " in t("accuracy_few", "en", n=2, min=30, lo="0 %", hi="98 %")
    assert t("n_note", "en", n=1) == "n = 1 recording" and t("n_note", "en", n=21) == "n = 21 recordings"


def test_every_per_recording_table_and_export_carries_agent_and_team(demo_db, tmp_path):
    import csv
    import io

    import cli

    at = _app(demo_db[0], "sessions")
    shown = at.dataframe[0].value
    assert {"agent", "team"} <= set(shown.columns) and shown["agent"].notna().any(), list(shown.columns)
    at = _app(demo_db[0], "risk")
    assert {"agent", "team"} <= set(at.dataframe[0].value.columns)
    for what in ("sessions", "tickets", "metrics"):
        out = tmp_path / f"{what}.csv"
        assert cli.main(["export", what, "--csv", str(out), "--db", str(demo_db[0])]) in (0, None)
        header = next(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
        assert {"agent", "team"} <= set(header), (what, header)
        assert header.index("agent") == header.index("filename") + 1, header  # beside the file name


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


def test_every_text_the_pages_ask_for_exists_in_both_languages():
    """Each literal key given to ui.tr / i18n.t in the dashboard's code has an English and a Chinese
    text: a missing one is a KeyError on the page, found here instead of by a user."""
    import re

    from dashboard.i18n import STRINGS

    root = Path(APP).parent
    asked = {k for f in root.rglob("*.py") for k in re.findall(r"""\btr\(\s*["']([a-z0-9_]+)["']\s*[,)]""", f.read_text())}
    assert len(asked) > 200
    missing = sorted(k for k in asked if k not in STRINGS)
    assert not missing, missing
    one_language = sorted(k for k, v in STRINGS.items() if not (v.get("en") and v.get("zh")))
    assert not one_language, one_language


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


def test_upload_says_where_tickets_will_be_announced_and_which_channel_cannot_send(tmp_path, monkeypatch):
    f = tmp_path / "notify.yaml"
    f.write_text("channels:\n  - name: team-chat\n    type: webhook\n    url: http://127.0.0.1:9/x\n"
                 "  - name: boss-mail\n    type: webhook\n    url_env: TB_UNSET_HOOK\n")
    monkeypatch.setenv("TONEBOARD_NOTIFY", str(f))
    monkeypatch.delenv("TB_UNSET_HOOK", raising=False)
    at = _app(tmp_path / "tb.duckdb", "upload")
    assert not at.exception, at.exception
    assert r"announced on: team\-chat (webhook)." in _texts(at)  # shown as text: Markdown marks escaped
    said = " ".join(w.value for w in at.warning)
    assert r"“boss\-mail” cannot be sent" in said and r"TB\_UNSET\_HOOK" in said, said
    monkeypatch.setenv("TB_UNSET_HOOK", "http://127.0.0.1:9/y")  # not this process's own after a start: the page
    at.run()                                                         # reads the settings on each visit
    assert not [w for w in at.warning if "boss" in w.value]
    monkeypatch.delenv("TONEBOARD_NOTIFY")
    at.run()
    assert "not announced anywhere" in _texts(at)


def test_every_table_on_the_chinese_pages_has_chinese_headers_and_values(demo_db):
    """st.dataframe draws into a canvas, so the page-text check in the browser cannot see a table's
    headers or cells: an English header (rule_type) or product word (risk, segment, all) is found
    here, from the table's data and column configuration, on every page."""
    import json
    import re

    import pandas as pd

    from dashboard import PAGES

    english = {}
    for name in PAGES:
        at = _app(demo_db[0], name, "zh")
        assert not at.exception, (name, at.exception)
        for d in at.dataframe:
            config = json.loads(d.proto.columns) if d.proto.columns else {}
            for col in d.value.columns:
                c = config.get(f"name:{col}") or config.get(col) or {}
                if c.get("hidden") or col == "n":
                    continue
                if re.fullmatch(r"[\x00-\x7f]+", str(c.get("label", col))):
                    english.setdefault(name, set()).add(f"header {col}")
                s = d.value[col]
                if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s)):
                    words = {v for v in s.dropna().astype(str).head(300) if re.fullmatch(r"[a-z_]+", v)}
                    english.setdefault(name, set()).update(f"{col}={w}" for w in words)
    english = {k: sorted(v) for k, v in english.items() if v}
    assert not english, english

"""The dashboard's pages, run by Streamlit's AppTest on an empty database and on the demo data."""
import os
from pathlib import Path

import pytest
from apptest import APP, PAGES, _app, _texts, csv_downloads
from streamlit.testing.v1 import AppTest

from analytics.db import connect


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


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_rules_editor_lists_the_conditions_a_rule_can_use(demo_db, lang):
    from analytics.alerts.conditions import CONDITIONS

    at = _app(demo_db[0], "risk", lang)
    shown = " ".join(str(m.value) for m in at.markdown).replace("\\", "")
    for key, c in CONDITIONS.items():
        assert f"`{key}`" in shown and c.words[1 if lang == "zh" else 0] in shown, key


@pytest.mark.parametrize("page,caption", [("sessions", "Showing the newest 3 of"), ("export", "The newest 3 of")])
def test_a_long_table_shows_the_newest_and_its_csv_holds_every_row(demo_db, monkeypatch, page, caption):
    """A year of calls: the sessions and export pages show the newest recordings only (drawing
    200,000 rows took seconds), say so, and the CSV beside the table, made when pressed, has them all."""
    import analytics.metrics

    made = csv_downloads(monkeypatch)
    monkeypatch.setattr(analytics.metrics, "SESSIONS_SHOWN", 3)
    monkeypatch.setattr(analytics.metrics, "METRICS_SHOWN", 3)
    at = _app(demo_db[0], page)
    assert not at.exception, at.exception
    assert any(c.value.startswith(caption) for c in at.caption), [c.value for c in at.caption]
    shown = at.dataframe[0].value
    assert shown["recording_id"].nunique() == 3
    every = {r["recording_id"] for r in made["sessions" if page == "sessions" else "conversation-metrics"]()}
    assert len(every) > 3 and set(shown["recording_id"]) <= every

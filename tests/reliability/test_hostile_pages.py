"""The dashboard against values from an attacker: links with impossible values, Markdown in data
and in the address, texts of 100,000 characters. No traceback reaches a page, text from data and
addresses is shown as text (no outside image is fetched, no link the attacker chose is drawn),
and a long text gets a message instead of a long wait."""
import os
import shutil
from pathlib import Path

import markdown_it
import pytest
from hostile import LINK, PAYLOAD, RECORDING, plant
from streamlit.testing.v1 import AppTest

from ingest.records import Ticket
from ingest.store.layout import store_dir

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


@pytest.fixture()
def hostile_db(demo, tmp_path):
    """The demo, plus a recording whose file name, agent and ticket's rule name are Markdown."""
    db = tmp_path / "tb.duckdb"
    shutil.copytree(store_dir(demo[0]), store_dir(db))
    plant(db)
    return db


def _app(db, page: str = "overview", query: dict | None = None, lang: str = "en") -> AppTest:
    os.environ["TONEBOARD_DB"] = str(db)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = lang
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    if page != "overview":
        at.switch_page(f"views/{page}.py")
        at.run()
    return at


def _markdown_texts(at: AppTest) -> list[str]:
    """Every text Streamlit renders as Markdown, main area and sidebar."""
    kinds = ("markdown", "caption", "info", "warning", "error", "success", "subheader", "title", "header")
    out = []
    for kind in kinds:
        out += [str(e.value) for e in getattr(at, kind)]
        out += [str(e.value) for e in getattr(at.sidebar, kind)]
    out += [str(e.label) for e in at.expander]
    out += [str(e.label) for e in list(at.sidebar.multiselect) + list(at.multiselect)]
    return out


def _drawn_html(texts: list[str]) -> str:
    md = markdown_it.MarkdownIt("commonmark").enable("table").enable("strikethrough")
    return "\n".join(md.render(t) for t in texts)


def _assert_shown_as_text(at: AppTest) -> None:
    texts = _markdown_texts(at)
    html = _drawn_html(texts)
    assert "<img" not in html and "<a " not in html, [t for t in texts if "elsewhere" in t]
    assert not [t for t in texts if "http://elsewhere" in t], "a bare address is made a link by GitHub Markdown"
    assert any("elsewhere" in t for t in texts), "the value is still shown (escaped), not dropped"


@pytest.fixture()
def no_raise(monkeypatch):
    monkeypatch.delenv("TONEBOARD_RAISE", raising=False)  # what a user's dashboard does


def test_an_impossible_period_in_the_address_is_a_message_not_a_traceback(hostile_db, no_raise):
    at = _app(hostile_db, query={"since": "999999999d"})
    assert not at.exception, at.exception
    assert any("since" in e.value and "year 1" in e.value for e in at.sidebar.error)


@pytest.mark.parametrize("query,says", [
    ({"recording": RECORDING, "t": "nan"}, "not a time"),
    ({"recording": RECORDING, "t": "1e308"}, "not a time"),
    ({"recording": "../../etc/passwd", "t": "3"}, "not a recording id"),
])
def test_a_timeline_link_with_bad_values_says_so(hostile_db, no_raise, query, says):
    os.environ["TONEBOARD_DB"] = str(hostile_db)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = "en"
    at.run()
    at.switch_page("views/timeline.py")
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    assert any(says in w.value for w in at.warning), [w.value for w in at.warning]


def test_a_page_that_fails_shows_a_message_and_logs_the_traceback(hostile_db, no_raise, monkeypatch, caplog):
    from analytics import home

    def broken(*a, **kw):
        raise RuntimeError("secret detail from /srv/toneboard/analytics/home.py")
    monkeypatch.setattr(home, "open_tickets", broken)
    at = _app(hostile_db)
    assert not at.exception, at.exception
    shown = " ".join(_markdown_texts(at))
    assert "Something went wrong on this page" in shown and "secret detail" not in shown and "Traceback" not in shown
    assert any("secret detail" in r.getMessage() or (r.exc_info and "secret detail" in str(r.exc_info[1]))
               for r in caplog.records), "the traceback goes to the log"


@pytest.mark.parametrize("page", ["overview", "people", "risk", "moments"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_markdown_in_data_and_the_address_is_shown_as_text(hostile_db, page, lang):
    query = {"meta.team": PAYLOAD, "since": LINK}  # a filter value from a link: the error box and the warning
    at = _app(hostile_db, page, query, lang)
    _assert_shown_as_text(at)  # the error box and the sidebar's warning
    if page != "overview":  # pages that need the filter: the link's bad period is cleared
        at.sidebar.text_input(key="f_since").set_value("").run()
    if page == "people":
        at.selectbox(key="pp_person").set_value(PAYLOAD).run()
    if page == "moments":
        at.text_input(key="mo_q").input("click").run()
    if page == "risk":
        ticket = Ticket(recording_id=RECORDING, rule_id="hostile-rule", rule_name="", severity="")
        at.selectbox(key="risk_ticket").set_value(ticket.ticket_id).run()
    assert not at.exception, at.exception
    _assert_shown_as_text(at)


def test_the_error_box_shows_a_filter_value_from_the_address_as_text(hostile_db):
    at = _app(hostile_db, "sessions", {"since": PAYLOAD})
    assert not at.exception, at.exception
    html = _drawn_html([e.value for e in list(at.error) + list(at.sidebar.error)])
    assert "elsewhere" in html and "<img" not in html


@pytest.mark.parametrize("page,query,key", [
    ("sessions", {"text": "x" * 100_000}, None),
    ("moments", {"q": "y" * 50_000}, None),
])
def test_a_very_long_text_from_the_address_gets_a_message(hostile_db, page, query, key):
    at = _app(hostile_db, "overview")
    at.switch_page(f"views/{page}.py")
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    said = [e.value for e in list(at.error) + list(at.sidebar.error) + list(at.info)]
    assert any("at most 300 characters" in s for s in said), said

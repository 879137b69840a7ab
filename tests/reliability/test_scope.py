"""Each person sees what is theirs, below every page: a viewer's cursor (analytics.scope) holds only the
recordings of their scope in every relation that names a recording or a ticket, so the pages' own
SQL, exports, searches and audio lookups cannot reach outside it; an out-of-scope id is "not found"
exactly as one that does not exist. On the demo data (7 agents, 6 teams, 112 recordings)."""
import pytest
from apptest import APP, csv_downloads
from streamlit.testing.v1 import AppTest

from analytics import scope
from analytics.access import accounts
from analytics.access.passwords import hash_password
from analytics.filters import Filter, FilterError
from analytics.metrics import recording_summary
from analytics.options import recording_audio
from analytics.search import search
from analytics.timeline import timeline

PASSWORD = "correct horse battery"
HASH = hash_password(PASSWORD)


def _ids(con, sql: str) -> set[str]:
    return {r[0] for r in con.execute(sql).fetchall()}


def test_every_relation_that_names_a_recording_or_ticket_holds_only_the_scope(demo_copy):
    from analytics.tickets import set_status

    data, _ = demo_copy
    con = data.con
    mine = _ids(con, "SELECT recording_id FROM metadata WHERE key = 'team' AND value = 'Shenzhen'")
    theirs = con.execute("SELECT ticket_id FROM tickets WHERE NOT list_contains(?, recording_id) LIMIT 1",
                         [sorted(mine)]).fetchone()[0]
    set_status(data.store, con, theirs, "acknowledged", "lead")  # a ticket event outside the scope
    data.refresh()
    shenzhen = scope.Scope(pairs=(("team", "Shenzhen"),))
    cur = scope.cursor(con, shenzhen)
    assert len(mine) == 29 and _ids(cur, "SELECT recording_id FROM recordings") == mine
    checked = 0
    for rel, cols in scope.relation_columns(con).items():
        if "recording_id" in cols:
            everywhere = _ids(con, f"SELECT DISTINCT recording_id FROM {rel}")
            seen = _ids(cur, f"SELECT DISTINCT recording_id FROM {rel}")
            assert seen == everywhere & mine, rel  # all of the scope's rows, none of the others
            checked += 1
        elif "ticket_id" in cols:
            tickets = _ids(cur, "SELECT ticket_id FROM tickets")
            assert _ids(cur, f"SELECT ticket_id FROM {rel}") <= tickets, rel
            checked += 1
    assert theirs in _ids(con, "SELECT ticket_id FROM ticket_events") and theirs not in _ids(cur, "SELECT ticket_id FROM ticket_events")
    assert checked >= 12  # recordings, segments, seg, pauses, metadata, speakers, role_stats, tickets, ...
    assert _ids(con, "SELECT recording_id FROM tickets") - mine  # there were others' tickets to hide
    assert cur.execute("SELECT count(*) FROM batches").fetchone()[0] == 0  # a reviewer sees no uploads
    assert scope.cursor(con, scope.Scope(pairs=(("team", "Shenzhen"),), uploads=True)).execute(
        "SELECT count(*) FROM batches").fetchone()[0] > 0
    assert scope.cursor(con, None).execute("SELECT count(*) FROM recordings").fetchone()[0] == 0  # none: nothing
    assert scope.cursor(con, scope.EVERYTHING).execute("SELECT count(*) FROM recordings").fetchone()[0] == 112
    assert con.execute("SELECT count(*) FROM recordings").fetchone()[0] == 112  # the reader itself is untouched


def test_the_analyses_see_only_the_scope_and_an_outside_id_is_not_found(demo):
    db, _, con = demo
    li = accounts.Account("li", "Li", "agent", (), "agent=Li", HASH, False, "add", None, "t").sees()
    cur = scope.cursor(con, li)
    mine = _ids(con, "SELECT recording_id FROM metadata WHERE key = 'agent' AND value = 'Li'")
    other = sorted(_ids(con, "SELECT recording_id FROM recordings") - mine)[0]
    assert set(recording_summary(cur, Filter())["recording_id"]) == mine
    for rid in (other, "0" * 64):  # another agent's call reads exactly as one that does not exist
        with pytest.raises(FilterError, match=f"no recording with id '{rid}'"):
            timeline(cur, rid)
        assert recording_audio(cur, rid) == (None, None)  # and has no audio to play
    assert not timeline(cur, sorted(mine)[0]).empty
    said = con.execute("SELECT text FROM seg WHERE recording_id = ? AND length(text) > 4 LIMIT 1", [other]).fetchone()[0]
    assert not search(con, said[:5], Filter()).empty  # the phrase is in another agent's call
    assert set(search(cur, said[:5], Filter())["recording_id"]) <= mine


def _signed_in(db, monkeypatch, login: str, page: str | None = None, query: dict | None = None) -> AppTest:
    monkeypatch.setenv("TONEBOARD_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["lang"] = "en"
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    at.text_input(key="login_name").input(login)
    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception and "login_password" not in [w.key for w in at.text_input], [e.value for e in at.error]
    if page:
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, at.exception
    return at


@pytest.fixture()
def team(demo_db, monkeypatch):
    db = demo_db[0]
    monkeypatch.delenv("TONEBOARD_PASSWORD_HASH", raising=False)
    monkeypatch.setenv("TONEBOARD_SECRETS", str(db.with_name("secrets.toml")))
    accounts.add(db, "root", "Root", "admin", HASH)
    accounts.add(db, "li", "Li", "agent", HASH, person="agent=Li")
    accounts.add(db, "zhou", "Zhou", "lead", HASH, scope=["team=Beijing"])
    return db


def test_an_agent_sees_only_her_calls_on_the_pages_and_in_the_exports(team, monkeypatch):
    from analytics.db import Data

    con = Data(team).con
    mine = _ids(con, "SELECT recording_id FROM metadata WHERE key = 'agent' AND value = 'Li'")
    made = csv_downloads(monkeypatch)
    at = _signed_in(team, monkeypatch, "li", "sessions")
    assert set(at.dataframe[0].value["recording_id"]) == mine
    banner = [w.value for w in at.warning if "Demo data" in w.value]
    assert banner == [f"Demo data: {len(mine)} synthetic recordings (no audio)."]  # not told to remove what she may not
    at.switch_page("views/export.py").run()
    assert {r["recording_id"] for r in made["toneboard-sessions"]()} == mine  # made when pressed: still hers
    from analytics.access import audit
    from ingest.store import Store

    log = audit.entries(Store(team), login="li", actions=["export"])
    assert len(log) == 1 and '"what": "sessions"' in log["detail"].iloc[0]  # the export is in the audit


def test_a_colleagues_recording_by_address_is_not_found_like_one_that_does_not_exist(team, monkeypatch):
    from analytics.db import Data

    con = Data(team).con
    other = sorted(_ids(con, "SELECT recording_id FROM metadata WHERE key = 'agent' AND value = 'Wang'"))[0]
    said = {}
    for rid in (other, "f" * 64):
        at = _signed_in(team, monkeypatch, "li", query={"recording": rid})
        at.switch_page("views/timeline.py").run()
        said[rid] = [e.value for e in at.error] + [w.value for w in at.warning if "Demo" not in w.value]
        assert not at.exception and not any(other[:8] in str(x.value) for x in at.markdown)
    assert said[other] == said["f" * 64] and said[other], said


def test_a_lead_sees_their_team_and_not_another(team, monkeypatch):
    from analytics.db import Data

    con = Data(team).con
    beijing = _ids(con, "SELECT recording_id FROM metadata WHERE key = 'team' AND value = 'Beijing'")
    at = _signed_in(team, monkeypatch, "zhou", "sessions")
    assert set(at.dataframe[0].value["recording_id"]) == beijing
    admin = _signed_in(team, monkeypatch, "root", "sessions")
    assert len(admin.dataframe[0].value) == 112


def test_live_calls_in_progress_are_scoped_by_their_metadata(tmp_path):
    import json
    import time

    from analytics.live_calls import active_calls

    for call, agent in (("c1", "Li"), ("c2", "Wang"), ("c3", None)):
        (tmp_path / f"{call}.json").write_text(json.dumps({"call_id": call, "updated_at": time.time(),
                                                           "metadata": {"agent": agent} if agent else {}}))
    li = scope.Scope(pairs=(("agent", "Li"),))
    assert [c["call_id"] for c in active_calls(tmp_path, sees=li)] == ["c1"]
    assert len(active_calls(tmp_path)) == 3 and active_calls(tmp_path, sees=None) == []


def test_what_each_role_may_change(team, monkeypatch):
    """An agent reads: no correction, ticket change, rules editor, upload page; a lead corrects and
    works tickets in their scope but edits no rules; an admin does all of it."""
    accounts.add(team, "wu", "Wu", "reviewer", HASH, scope=["team=Beijing"])
    for login, correct, tickets, rules, upload in (("li", False, False, False, False), ("wu", False, False, False, False),
                                                   ("zhou", True, True, False, True), ("root", True, True, True, True)):
        at = _signed_in(team, monkeypatch, login, "risk")
        assert (not at.button(key="risk_set").disabled) == tickets, login
        assert ("risk_rules" in [w.key for w in at.text_area]) == rules, login
        at.switch_page("views/timeline.py").run()
        assert (not at.button(key="tl_save").disabled) == correct, login
        try:
            at.switch_page("views/upload.py").run()
            reached = "upload_form" in str(at.get("form")) or not at.error
        except ValueError:  # not a page of this person's app at all
            reached = False
        assert reached == upload, login


def test_an_agent_meets_only_her_recordings_on_every_page(team, monkeypatch):
    """Every page an agent can open, every table on it: only her recordings' ids and file names, and
    no other agent's name anywhere in the page's text."""
    from apptest import PAGES, _texts

    from analytics.db import Data

    con = Data(team).con
    mine = _ids(con, "SELECT recording_id FROM metadata WHERE key = 'agent' AND value = 'Li'")
    files = {r[0] for r in con.execute("SELECT filename FROM recordings WHERE list_contains(?, recording_id)",
                                       [sorted(mine)]).fetchall()}
    others = {"Wang", "Zhang", "Chan", "Kim", "Sato", "Tan"}
    at = _signed_in(team, monkeypatch, "li")
    seen = 0
    for page in PAGES:
        try:
            at.switch_page(f"views/{page}.py").run()
        except ValueError:  # not in her app (team, upload)
            continue
        assert not at.exception, (page, at.exception)
        for d in at.dataframe:
            df = d.value
            if "recording_id" in df:
                assert set(df["recording_id"].dropna()) <= mine, page
                seen += 1
            if "filename" in df:
                assert set(df["filename"].dropna()) <= files, page
            for col in ("agent", "person", "group"):
                if col in df:
                    assert not set(df[col].dropna().astype(str)) & others, (page, col)
        text = _texts(at) + " ".join(str(s.value) for s in at.selectbox) + " ".join(
            o for s in at.selectbox for o in map(str, s.options))
        assert not any(f" {o}" in text or f"{o} " in text for o in others), page
    assert seen >= 4


def test_an_agent_also_sees_the_calls_her_voice_was_found_in(tmp_path, recognizer, mono_layout):
    """A call without her name in the metadata, where a speaker is hers (a voiceprint's match, or
    named so by a person), is hers too; a lead's scope is by metadata only."""
    from synth import write_wav

    from analytics.db import Data
    from analytics.speakers import correct_speaker
    from ingest.batch.pipeline import IngestOptions, ingest_paths

    db = tmp_path / "tb.duckdb"
    wav = write_wav(tmp_path / "call.wav", mono_layout.audio)
    ingest_paths([wav], IngestOptions(db=db, metadata={"agent": "Wang"}, rules="off"), recognizer=recognizer)
    data = Data(db)
    con = data.con
    rid, speaker = con.execute("SELECT recording_id, speaker FROM speakers ORDER BY speaker LIMIT 1").fetchone()
    li = accounts.Account("li", "Li", "agent", (), "agent=Li", HASH, False, "add", None, "t").sees()
    assert rid not in _ids(scope.cursor(con, li), "SELECT recording_id FROM recordings")
    correct_speaker(data.store, con, rid, speaker, name="Li", by="lead")
    data.refresh()
    assert rid in _ids(scope.cursor(con, li), "SELECT recording_id FROM recordings")
    lead = accounts.Account("zh", "Zh", "lead", ("team=Seoul",), None, HASH, False, "add", None, "t").sees()
    assert lead.voices == () and li.voices == ("Li",)


def test_a_crafted_filter_and_the_html_report_stay_inside_the_scope(team, monkeypatch):
    """A lead of Beijing opens an address that filters on Shenzhen: her own calls only (the value is
    not one she can choose, so the filter drops it), never Shenzhen's;
    the HTML report made from her export page names none of another team's agents."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    from analytics.db import Data

    made = {}
    real = MediaFileManager.add_deferred

    def remember(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        made[file_name or ""] = data_callable
        return real(self, data_callable, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", remember)
    con = Data(team).con
    shenzhen_agents = {v for (v,) in con.execute(
        "SELECT DISTINCT value FROM metadata WHERE key = 'agent' AND recording_id IN "
        "(SELECT recording_id FROM metadata WHERE key = 'team' AND value = 'Shenzhen') EXCEPT SELECT DISTINCT value "
        "FROM metadata WHERE key = 'agent' AND recording_id IN (SELECT recording_id FROM metadata WHERE key = 'team' "
        "AND value = 'Beijing')").fetchall()}
    assert shenzhen_agents
    beijing = _ids(con, "SELECT recording_id FROM metadata WHERE key = 'team' AND value = 'Beijing'")
    at = _signed_in(team, monkeypatch, "zhou", query={"meta.team": "Shenzhen"})
    at.switch_page("views/sessions.py").run()
    assert not at.exception and set(at.dataframe[0].value["recording_id"]) <= beijing
    at = _signed_in(team, monkeypatch, "zhou", "export")
    report = next(f for name, f in made.items() if name.endswith(".html"))().decode("utf-8")
    assert "Beijing" in report or "北京" in report or len(report) > 1000
    assert not [a for a in shenzhen_agents if f">{a}<" in report or f" {a} " in report]


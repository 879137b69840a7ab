"""In Chromium: live calls on the supervisor's page, an upload that rings the webhook and the mail,
and a real GSM recording uploaded (a text file refused with the reason)."""
from __future__ import annotations

import pytest
from servers import dashboard, start_dashboard
from test_e2e_browser import ROOT, _drop, _settled, pytestmark  # noqa: F401 - the same skips
from test_e2e_manager import ASTERISK, _open, _shot


def test_a_live_calls_panel_stays_open_while_its_title_changes(tmp_path, tiny_model, page):
    """A supervisor opens a call on the live page; the call goes on (its title shows the time, which
    changes every refresh), and the panel stays open (it used to close every few seconds)."""
    import subprocess
    import sys

    from servers import free_port
    from synth import compose, speak, write_wav

    wav = write_wav(tmp_path / "long-call.wav", compose([(0.5, speak("hello, I am calling about my order")),
                                                          (2.0, speak("it has not arrived yet")),
                                                          (2.0, speak("can you please check it for me")),
                                                          (8.0, None)]).audio)
    db, port = tmp_path / "tb.duckdb", free_port()
    live = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "live", "--db", str(db), "--port", str(port),
                             "--model", str(tiny_model), "--threads", "1"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    sender = dash = None
    try:
        line = live.stdout.readline()
        while line and "toneboard live on" not in line:
            line = live.stdout.readline()
        assert "toneboard live on" in line, line
        dash, url = start_dashboard(db, "--lang", "en")
        sender = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "live-send", str(wav), "--url",
                                   f"ws://127.0.0.1:{port}", "--call-id", "on-air", "--speed", "1"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _open(page, f"{url}/live", "en", "All calls")
        panel = page.locator("[data-testid=stExpander]").filter(has_text="on-air").first
        panel.wait_for(state="visible", timeout=30_000)
        panel.locator("summary").click()
        details = panel.locator("details")
        page.wait_for_function("d => d.open", arg=details.element_handle())
        title = panel.locator("summary").inner_text()
        page.wait_for_function("([s, t]) => s.innerText !== t", arg=[panel.locator("summary").element_handle(), title],
                               timeout=20_000)  # the call went on: its title changed
        page.wait_for_timeout(4500)  # two more refreshes
        assert details.evaluate("d => d.open"), "the call's panel closed by itself"
        _shot(page, "live-panel-open")
    finally:
        for p in (sender, dash, live):
            if p is not None:
                p.terminate()
                p.wait(30)
        live.stdout.close()


def test_an_upload_in_the_browser_rings_the_webhook_and_the_mail_and_the_link_opens_the_moment(
        tmp_path, tiny_model, mono_layout, page, monkeypatch):
    """The risk queue runs itself from the browser too: recordings dropped on Upload are analysed,
    the rules open a ticket, a chat webhook (a real local HTTP server) and an e-mail (a real local
    SMTP server) arrive, and the link in the message opens the timeline at the moment."""
    import re

    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message
    from servers import free_port
    from synth import write_wav
    from test_notify import RULES, SECRET, Hook, _settings

    got = []

    class Keep(Message):
        def handle_message(self, message):
            got.append(message)
    mail = Controller(Keep(), hostname="127.0.0.1", port=free_port())
    mail.start()
    hook = Hook(fail=0)
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    monkeypatch.setenv("TB_TEST_HOOK", hook.url)
    monkeypatch.setenv("TONEBOARD_RULES", str(rules))
    monkeypatch.setenv("TONEBOARD_NOTIFY", str(_settings(tmp_path, "TB_TEST_HOOK", mail.port)))
    wav = write_wav(tmp_path / "angry call.wav", mono_layout.audio).read_bytes()
    dash = None
    try:
        dash, url = start_dashboard(tmp_path / "tb.duckdb", "--lang", "en", "--model", str(tiny_model))
        _open(page, f"{url}/upload", "en", "Analyse")
        _drop(page, {"angry call.wav": wav})
        page.get_by_text("angry call.wav", exact=True).first.wait_for(state="visible", timeout=20_000)
        page.get_by_role("button", name="Analyse", exact=True).click()
        page.get_by_text("Done: 1 ingested, 0 skipped, 0 failed").wait_for(state="visible", timeout=120_000)
        assert len(hook.bodies) == 1 and "Long silence" in hook.bodies[0]["text"]  # severity high: the chat
        assert sorted(m["Subject"].split("]")[0] for m in got) == ["[high", "[low"]  # the mail takes every severity
        assert SECRET not in page.inner_text("body")
        link = re.search(r"http://127\.0\.0\.1:8501(/timeline\?recording=[^ >|)\"]+)", hook.bodies[0]["text"]).group(1)
        assert "&t=" in link or "&amp;t=" in link  # at the moment, not only the recording
        page.goto(url + link.replace("&amp;", "&"))  # the message's link, on this dashboard's address
        _settled(page)
        assert page.locator("[data-testid=stMain] h1").first.inner_text() == "Timeline"
        assert page.get_by_role("combobox", name="Recording").input_value().startswith("angry call.wav")
        _shot(page, "webhook-link-timeline")
    finally:
        hook.close()
        mail.stop()
        if dash is not None:
            dash.terminate()
            dash.wait(30)


@pytest.mark.skipif(not ASTERISK.is_dir(), reason="no real IVR speech (apt-get install asterisk-core-sounds-en-gsm)")
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_upload_takes_a_gsm_recording_and_says_why_it_refuses_a_text_file(tmp_path, tiny_model, page, lang):
    """A real 8 kHz GSM prompt (the README promises .gsm) is ingested from the upload page; a .txt
    dropped beside it is refused with a sentence, not a red "!"."""
    from dashboard.i18n import t
    from dashboard.worker import ACCEPTED

    gsm = max(ASTERISK.glob("*.gsm"), key=lambda p: p.stat().st_size)
    with dashboard(tmp_path / "tb.duckdb", "--lang", lang, "--model", str(tiny_model)) as url:
        _open(page, f"{url}/upload", lang, "Analyse")
        _drop(page, {gsm.name: gsm.read_bytes(), "notes.txt": b"not a call"})
        page.get_by_text(gsm.name, exact=True).first.wait_for(state="visible", timeout=20_000)
        page.get_by_role("button", name=t("analyse", lang), exact=True).click()
        page.get_by_text(t("batch_done", lang, ok=1, skip=0, fail=0)).wait_for(state="visible", timeout=180_000)
        text = page.locator("[data-testid=stMain]").inner_text()
        said = t("upload_wrong_type", lang, name="notes.txt", ext=".txt", types=", ".join(a for a in ACCEPTED if a != "csv"))
        assert said in text, text[:2000]
        _shot(page, f"upload-gsm-{lang}")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_upload_can_ask_for_a_second_opinion_on_emotions(tmp_path, tiny_model, page, lang, monkeypatch):
    """Ticking the box sends the batch with the second opinion asked for, from the model the server
    names (TONEBOARD_EMOTION2VEC); the batch's stored options say so."""
    import json

    import duckdb
    from emotion2vec_random import build_emotion2vec_dir

    from dashboard.i18n import t

    e2v = build_emotion2vec_dir(ROOT / ".cache" / "test-models" / "emotion2vec")
    monkeypatch.setenv("TONEBOARD_EMOTION2VEC", str(e2v))
    gsm = max(ASTERISK.glob("*.gsm"), key=lambda p: p.stat().st_size)
    db = tmp_path / "tb.duckdb"
    with dashboard(db, "--lang", lang, "--model", str(tiny_model)) as url:
        _open(page, f"{url}/upload", lang, "Analyse")
        _drop(page, {gsm.name: gsm.read_bytes()})
        page.get_by_text(gsm.name, exact=True).first.wait_for(state="visible", timeout=20_000)
        page.get_by_text(t("second_opinion_ask", lang)).click()
        _shot(page, f"upload-second-opinion-{lang}")
        page.get_by_role("button", name=t("analyse", lang), exact=True).click()
        page.get_by_text(t("batch_done", lang, ok=1, skip=0, fail=0)).wait_for(state="visible", timeout=180_000)
    con = duckdb.connect(str(db), read_only=True)
    try:
        options = json.loads(con.execute("SELECT options FROM batches").fetchone()[0])
    finally:
        con.close()
    assert options["emotion_second_opinion"] == "emotional" and options["emotion2vec"] == str(e2v)

"""The risk queue runs itself: an ingest evaluates the rules on its new recordings and announces new
tickets to a real local HTTP server (a chat webhook) and a real local SMTP server (aiosmtpd), with
retries, a delivery log, no secret in a log line, and never twice."""
from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import duckdb
import pytest
from synth import write_wav

import cli
from analytics.alerts import notify

RULES = """rules:
  - id: long-silence
    name: Long silence
    severity: high
    all:
      - pauses: {longer_than: 1.5}
  - id: any-silence
    name: A pause
    severity: low
    all:
      - pauses: {longer_than: 1.0}
"""
SECRET = "T0K3N-s3cr3t"


class Hook:
    """A chat tool's incoming webhook: answers 500 to the first ``fail`` requests, then 200."""

    def __init__(self, fail: int = 1):
        self.bodies: list[dict] = []
        self.paths: list[str] = []
        self.fail = fail
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.paths.append(self.path)
                if hook.fail > 0:
                    hook.fail -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                hook.bodies.append(json.loads(body))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/{SECRET}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def hook():
    h = Hook(fail=1)
    yield h
    h.close()


@pytest.fixture()
def smtp():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    got = []

    class Keep(Message):
        def handle_message(self, message):
            got.append(message)
    import socket

    with socket.socket() as sock:  # aiosmtpd checks its own port on start: it needs a real one
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    c = Controller(Keep(), hostname="127.0.0.1", port=port)
    c.start()
    c.messages = got
    yield c
    c.stop()


def _settings(tmp_path, hook_url_env: str, smtp_port: int, fmt: str = "slack"):
    f = tmp_path / "notify.yaml"
    f.write_text(f"""dashboard_url: http://127.0.0.1:8501
channels:
  - name: team-chat
    type: webhook
    format: {fmt}
    url_env: {hook_url_env}
    severities: [high]
  - name: supervisor-mail
    type: email
    host: 127.0.0.1
    port: {smtp_port}
    from: alerts@example.com
    to: [lead@example.com]
""")
    return f


def test_an_ingest_opens_tickets_and_announces_them_once(tmp_path, tiny_model, mono_layout, hook, smtp,
                                                         monkeypatch, caplog):
    monkeypatch.setattr(notify, "BACKOFF_S", (0.05, 0.05))
    monkeypatch.setenv("TB_TEST_HOOK", hook.url)
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    conf = _settings(tmp_path, "TB_TEST_HOOK", smtp.port)
    db = tmp_path / "tb.duckdb"
    wav = write_wav(tmp_path / "call.wav", mono_layout.audio)
    base = ["ingest", str(wav), "--model", str(tiny_model), "--db", str(db), "--quiet", "--threads", "1",
            "--rules", str(rules), "--notify", str(conf), "--meta", "agent=Li"]
    caplog.set_level(logging.INFO, logger="toneboard.notify")
    assert cli.main(base) == cli.EXIT_OK
    con = duckdb.connect(str(db), read_only=True)
    try:
        tickets = {r[0]: r[1] for r in con.execute("SELECT rule_id, severity FROM tickets").fetchall()}
        log = con.execute("SELECT channel, status, attempts, coalesce(error, '') FROM notifications ORDER BY 1, 2").fetchall()
    finally:
        con.close()
    assert tickets == {"long-silence": "high", "any-silence": "low"}  # without pressing "Evaluate"
    assert len(hook.bodies) == 1 and "Long silence" in hook.bodies[0]["text"] and "call.wav" in hook.bodies[0]["text"]
    assert "/timeline?recording=" in hook.bodies[0]["text"] and "agent: Li" in hook.bodies[0]["text"]
    assert len(hook.paths) == 2  # the first try got a 500: retried
    assert len(smtp.messages) == 2  # the mail channel takes every severity
    assert any("[high] Long silence" in m["Subject"] for m in smtp.messages)
    assert ("team-chat", "sent", 2, "") in log and [r[0] for r in log].count("supervisor-mail") == 2
    assert SECRET not in caplog.text and SECRET not in json.dumps(log)
    # again with --force: the same tickets, nothing announced twice
    assert cli.main(base + ["--force"]) == cli.EXIT_OK
    assert len(hook.bodies) == 1 and len(smtp.messages) == 2


def test_failures_are_retried_logged_and_scrubbed_of_secrets(tmp_path, mono_layout, caplog, monkeypatch):
    dead = Hook(fail=99)  # always 500
    try:
        monkeypatch.setattr(notify, "BACKOFF_S", (0.01, 0.01))
        monkeypatch.setenv("TB_TEST_HOOK", dead.url)
        settings = notify.load_settings(_settings(tmp_path, "TB_TEST_HOOK", 1))  # port 1: no SMTP server
        from ingest.store import Store

        store = Store(tmp_path / "tb.duckdb")
        store.init()
        ticket = {"ticket_id": "t1", "recording_id": "r" * 64, "rule_id": "x", "rule_name": "X", "severity": "high",
                  "first_evidence_s": 83.0, "filename": "a.wav"}
        caplog.set_level(logging.WARNING, logger="toneboard.notify")
        out = notify.deliver(store, settings, [ticket], sleep=lambda s: None)
    finally:
        dead.close()
    assert [(d.channel, d.status, d.attempts) for d in out] == [("team-chat", "failed", 3), ("supervisor-mail", "failed", 3)]
    assert len(dead.paths) == 3
    assert SECRET not in caplog.text and all(SECRET not in (d.error or "") for d in out)
    assert "HTTP Error 500" in out[0].error and "at 1:23" in notify.text_of(ticket, None)[0]


@pytest.mark.parametrize("fmt,key", [("wecom", "text"), ("dingtalk", "text"), ("feishu", "content"), ("json", "ticket")])
def test_each_chat_tools_webhook_shape(fmt, key):
    body = notify.payload(fmt, "title", "body", {"ticket_id": "t"})
    assert key in body and json.dumps(body)


def test_bad_notification_settings_are_named(tmp_path, monkeypatch):
    f = tmp_path / "n.yaml"
    f.write_text("channels:\n  - name: chat\n    type: webhook\n    format: teams\n    url: http://x\n")
    with pytest.raises(notify.NotifyError, match="format must be one of"):
        notify.load_settings(f)
    f.write_text("channels:\n  - name: chat\n    type: webhook\n")
    with pytest.raises(notify.NotifyError, match="needs url_env, url_file"):
        notify.load_settings(f)
    f.write_text("channels:\n  - name: chat\n    type: webhook\n    url: ftp://x\n")
    with pytest.raises(notify.NotifyError, match="must be http"):
        notify.load_settings(f)
    assert notify.load_settings(tmp_path / "none.yaml").channels == []


def test_a_channel_without_its_secret_says_so_and_neither_stops_the_others_nor_the_tickets(tmp_path, hook, monkeypatch):
    """A dashboard started before the webhook's variable was set announced nothing, and the whole
    batch's rules failed with it (issue 26, item 11): the channel now says what is missing, its
    deliveries fail with that reason, the others send; a url_file is read at every batch."""
    from ingest.store import Store

    monkeypatch.delenv("TB_NOT_SET", raising=False)
    url_file = tmp_path / "hook-url"
    f = tmp_path / "n.yaml"
    f.write_text(f"channels:\n  - name: unset\n    type: webhook\n    url_env: TB_NOT_SET\n"
                 f"  - name: from-file\n    type: webhook\n    url_file: {url_file}\n")
    settings = notify.load_settings(f)
    said = dict((name, problem) for name, _, problem in notify.describe(settings))
    assert "TB_NOT_SET (url) is not set" in said["unset"] and "url_file" in said["unset"]
    assert "cannot be read" in said["from-file"]
    url_file.write_text(hook.url + "\n")  # the secret arrives while the process runs: the next batch reads it
    settings = notify.load_settings(f)
    assert notify.describe(settings)[1] == ("from-file", "webhook", None)
    store = Store(tmp_path / "tb.duckdb")
    store.init()
    ticket = {"ticket_id": "t1", "recording_id": "r" * 64, "rule_id": "x", "rule_name": "X", "severity": "high",
              "first_evidence_s": 3.0, "filename": "a.wav"}
    out = notify.deliver(store, settings, [ticket], sleep=lambda s: None)
    assert [(d.channel, d.status, d.attempts) for d in out] == [("unset", "failed", 0), ("from-file", "sent", 2)]
    assert "TB_NOT_SET" in out[0].error and len(hook.bodies) == 1


class Garbage:
    """An endpoint that does not speak HTTP: it answers every connection with a line of noise."""

    def __init__(self):
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hooks/{SECRET}"

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1.0)
                try:
                    conn.recv(65536)
                    conn.sendall(b"HELLO THERE\r\n\r\n")
                except OSError:
                    pass

    def close(self):
        self.stop.set()
        self.thread.join(timeout=5)
        self.sock.close()


def test_a_channel_that_does_not_speak_http_fails_alone(tmp_path, hook, caplog, monkeypatch):
    """The first channel answers garbage, the second's URL has a space (its token must not reach the
    error text); the third, a working webhook, still gets the ticket, and every outcome is logged."""
    from ingest.store import Store

    garbage = Garbage()
    hook.fail = 0
    try:
        monkeypatch.setenv("TB_GARBAGE", garbage.url)
        monkeypatch.setenv("TB_SPACE", f"http://127.0.0.1:1/hooks/{SECRET} x")
        monkeypatch.setenv("TB_GOOD", hook.url)
        f = tmp_path / "notify.yaml"
        f.write_text("channels:\n" + "".join(f"  - name: {n}\n    type: webhook\n    url_env: {env}\n"
                                             for n, env in (("noise", "TB_GARBAGE"), ("spaced", "TB_SPACE"),
                                                            ("chat", "TB_GOOD"))))
        store = Store(tmp_path / "tb.duckdb")
        store.init()
        ticket = {"ticket_id": "t9", "recording_id": "a" * 64, "rule_id": "x", "rule_name": "X", "severity": "high",
                  "first_evidence_s": 3.0, "filename": "a.wav"}
        caplog.set_level(logging.WARNING, logger="toneboard.notify")
        out = notify.deliver(store, notify.load_settings(f), [ticket], sleep=lambda s: None)
    finally:
        garbage.close()
    assert [(d.channel, d.status) for d in out] == [("noise", "failed"), ("spaced", "failed"), ("chat", "sent")]
    assert "BadStatusLine" in out[0].error and len(hook.bodies) == 1
    assert all(SECRET not in (d.error or "") for d in out) and SECRET not in caplog.text, [d.error for d in out]
    con = duckdb.connect()
    rows = con.execute("SELECT channel, status FROM read_parquet(?) ORDER BY 1",
                       [store.table_files("notifications")]).fetchall()
    assert rows == [("chat", "sent"), ("noise", "failed"), ("spaced", "failed")]


def test_links_in_messages_carry_the_dashboards_language(tmp_path):
    f = tmp_path / "n.yaml"
    f.write_text("dashboard_url: http://127.0.0.1:8501\nlang: en\nchannels: []\n")
    s = notify.load_settings(f)
    ticket = {"ticket_id": "t", "recording_id": "a" * 64, "rule_id": "x", "rule_name": "X", "severity": "high",
              "first_evidence_s": 5.0, "filename": "a.wav"}
    assert notify.text_of(ticket, s.dashboard_url, s.lang)[1].endswith(f"/timeline?recording={'a' * 64}&t=5&lang=en")
    f.write_text("lang: fr\nchannels: []\n")
    with pytest.raises(notify.NotifyError, match="lang must be en or zh"):
        notify.load_settings(f)

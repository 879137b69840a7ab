"""Announcing new risk tickets (``analytics.workflow.after_batch`` opens them after every ingest) on the
channels chosen in ``data/notify.yaml`` (or ``TONEBOARD_NOTIFY``):

    dashboard_url: http://127.0.0.1:8501        # links in messages open the timeline there
    lang: zh                                    # optional: the dashboard's language in those links
    channels:
      - name: team-chat
        type: webhook
        format: slack                 # slack | wecom | dingtalk | feishu | json
        url_env: TONEBOARD_WEBHOOK_URL  # the URL is a secret: keep it in the environment
        # or url_file: /etc/toneboard/webhook-url  (read at every batch: no restart when it changes)
        severities: [high]            # which tickets (default: all)
        rules: [angry-customer]       # optional: only these rules
      - name: supervisor-mail
        type: email
        host: smtp.example.com
        port: 587
        starttls: true
        user: alerts@example.com
        password_env: TONEBOARD_SMTP_PASSWORD
        from: alerts@example.com
        to: [lead@example.com]

Each delivery is tried ``ATTEMPTS`` times with growing waits, and logged in the store's
``notifications`` table (ticket, channel, outcome, attempts, error) — never a URL, password or
token: errors are scrubbed of the channel's secrets before they are logged or stored.

The settings are read again for every batch, so a changed file takes effect without a restart; an
environment variable is the running process's own (set it where the dashboard starts, or use a
``*_file``). A channel whose secret is missing does not stop the others, nor the tickets: it is
kept with its ``problem``, which each of its deliveries records as the reason it failed, and
:func:`describe` says it before anything is sent (the Upload page shows it).
"""
from __future__ import annotations

import json
import logging
import os
import smtplib
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import yaml

from ingest import DATA_DIR
from ingest.records import SEVERITIES, now

from ..words import mmss

DEFAULT_NOTIFY = DATA_DIR / "notify.yaml"
FORMATS = ("slack", "wecom", "dingtalk", "feishu", "json")
ATTEMPTS = 3
BACKOFF_S = (1.0, 4.0)  # waits between attempts
TIMEOUT_S = 10.0
log = logging.getLogger("toneboard.notify")


class NotifyError(ValueError):
    """The notification settings cannot be used (the message says why)."""


@dataclass
class Channel:
    name: str
    type: str  # webhook | email
    format: str = "json"
    url: str | None = None
    severities: tuple[str, ...] = SEVERITIES
    rules: tuple[str, ...] = ()
    host: str | None = None
    port: int = 25
    starttls: bool = False
    user: str | None = None
    password: str | None = None
    sender: str | None = None
    to: tuple[str, ...] = ()
    problem: str | None = None  # why it cannot send (a secret missing); its deliveries fail with it

    def wants(self, severity: str, rule_id: str) -> bool:
        return severity in self.severities and (not self.rules or rule_id in self.rules)

    def secrets(self) -> list[str]:
        return [s for s in (self.url, self.password) if s]


@dataclass
class Settings:
    channels: list[Channel] = field(default_factory=list)
    dashboard_url: str | None = None
    lang: str | None = None  # the dashboard's language in the links (None: the reader's browser decides)


class MissingSecret(Exception):
    """A channel's secret is not where its settings say (the message says where to put it)."""


def _secret(c: dict, key: str) -> str | None:
    """A channel's secret: from the environment variable ``{key}_env`` names, the file ``{key}_file``
    names (read now: every batch), or the value itself (discouraged). Missing: MissingSecret."""
    env, file = c.get(f"{key}_env"), c.get(f"{key}_file")
    if env:
        value = os.environ.get(str(env))
        if not value:
            raise MissingSecret(f"the environment variable {env} ({key}) is not set in this process: set it where "
                                f"the dashboard or command starts, or give {key}_file (read at every batch)")
        return value
    if file:
        try:
            value = Path(str(file)).expanduser().read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as e:
            raise MissingSecret(f"{key}_file {file} cannot be read ({type(e).__name__})") from None
        if not value:
            raise MissingSecret(f"{key}_file {file} is empty")
        return value
    return c.get(key)


def describe(settings: Settings) -> list[tuple[str, str, str | None]]:
    """Each channel as (name, type, problem or None): what the next batch will be able to send."""
    return [(c.name, c.type, c.problem) for c in settings.channels]


def load_settings(path: str | Path | None = None) -> Settings:
    """The notification settings; none (no channels) when the file does not exist."""
    path = Path(path or os.environ.get("TONEBOARD_NOTIFY") or DEFAULT_NOTIFY)
    if not path.is_file():
        return Settings()
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise NotifyError(f"{path}: not valid YAML ({e})") from None
    if not isinstance(doc, dict):
        raise NotifyError(f"{path}: expected 'channels:' and optionally 'dashboard_url:'")
    lang = doc.get("lang")
    if lang not in (None, "en", "zh"):
        raise NotifyError(f"{path}: lang must be en or zh (the dashboard's language in the links)")
    out = Settings(dashboard_url=(doc.get("dashboard_url") or None), lang=lang)
    for i, c in enumerate(doc.get("channels") or []):
        where = f"{path}: channel {i + 1}"
        if not isinstance(c, dict) or not c.get("name"):
            raise NotifyError(f"{where}: each channel needs a name")
        where = f"{path}: channel {c['name']!r}"
        kind = c.get("type")
        sev = tuple(c.get("severities") or SEVERITIES)
        if any(s not in SEVERITIES for s in sev):
            raise NotifyError(f"{where}: severities are {', '.join(SEVERITIES)}")
        ch = Channel(str(c["name"]), str(kind), severities=sev, rules=tuple(c.get("rules") or ()))
        if kind == "webhook":
            ch.format = str(c.get("format", "json"))
            if ch.format not in FORMATS:
                raise NotifyError(f"{where}: format must be one of {', '.join(FORMATS)}")
            if not any(c.get(k) for k in ("url", "url_env", "url_file")):
                raise NotifyError(f"{where}: a webhook needs url_env, url_file (or url) with an http(s) address")
            try:
                ch.url = _secret(c, "url")
            except MissingSecret as e:
                ch.problem = str(e)
            if ch.url and not str(ch.url).startswith(("http://", "https://")):
                raise NotifyError(f"{where}: the webhook's address must be http(s)")
        elif kind == "email":
            ch.host, ch.port, ch.starttls = c.get("host"), int(c.get("port", 25)), bool(c.get("starttls", False))
            ch.user = c.get("user")
            try:
                ch.password = _secret(c, "password")
            except MissingSecret as e:
                ch.problem = str(e)
            ch.sender, ch.to = c.get("from"), tuple(c.get("to") or ())
            if not ch.host or not ch.sender or not ch.to:
                raise NotifyError(f"{where}: e-mail needs host, from and to")
        else:
            raise NotifyError(f"{where}: type must be webhook or email")
        out.channels.append(ch)
    return out


# -- messages ------------------------------------------------------------------------------------
def text_of(t: dict, dashboard_url: str | None, lang: str | None = None) -> tuple[str, str]:
    """(title, body) of a ticket: what, where, when, and a link to its moment (on the timeline, or
    the page ``t["page"]`` names: a quality dispute's review)."""
    at = mmss(t["first_evidence_s"]) if t.get("first_evidence_s") is not None else ""
    title = f"[{t['severity']}] {t['rule_name']} — {t.get('filename') or t['recording_id'][:8]}" + (f" at {at}" if at else "")
    lines = [title]
    for key in ("agent", "team", "kind"):
        if t.get(key):
            lines.append(f"{key}: {t[key]}")
    if dashboard_url:
        sec = int(t.get("first_evidence_s") or 0)
        lines.append(f"{dashboard_url.rstrip('/')}/{t.get('page', 'timeline')}?recording={t['recording_id']}&t={sec}"
                     + (f"&lang={lang}" if lang else ""))
    return title, "\n".join(lines)


def payload(fmt: str, title: str, body: str, ticket: dict) -> dict:
    """The JSON body each chat tool's incoming webhook takes."""
    if fmt == "slack":
        return {"text": body}
    if fmt in ("wecom", "dingtalk"):
        return {"msgtype": "text", "text": {"content": body}}
    if fmt == "feishu":
        return {"msg_type": "text", "content": {"text": body}}
    return {"title": title, "text": body, "ticket": {k: ticket.get(k) for k in (
        "ticket_id", "recording_id", "rule_id", "rule_name", "severity", "first_evidence_s", "filename")}}


def _post(url: str, body: dict) -> None:
    req = urllib.request.Request(url, data=json.dumps(body, ensure_ascii=False).encode(), method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8"})
    with urllib.request.urlopen(req, timeout=TIMEOUT_S) as r:  # noqa: S310 - an address the admin chose
        if not 200 <= r.status < 300:
            raise OSError(f"HTTP {r.status}")


def _mail(ch: Channel, title: str, body: str) -> None:
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = title, ch.sender, ", ".join(ch.to)
    msg.set_content(body)
    with smtplib.SMTP(ch.host, ch.port, timeout=TIMEOUT_S) as s:
        if ch.starttls:
            s.starttls()
        if ch.user and ch.password:
            s.login(ch.user, ch.password)
        s.send_message(msg)


def _secret_parts(secret: str) -> list[str]:
    """A secret and the pieces of it an error may quote alone: a URL's path, query and each of
    their parts (an error about a URL with a space quotes the path from the space on, say)."""
    import re
    from urllib.parse import unquote, urlsplit

    parts = {secret, unquote(secret)}
    try:
        u = urlsplit(secret)
        parts |= {u.netloc, u.path, u.query, u.fragment, u.path + ("?" + u.query if u.query else "")}
    except ValueError:
        pass
    for p in list(parts):
        parts |= set(re.split(r"[/?&=#:@;,\s]+", p))
        parts |= set(re.split(r"[/?&=#:@;,]+", p))
    return sorted((p for p in parts if len(p) >= 4 and p.lower() not in ("http", "https", "hooks", "hook", "webhook")),
                  key=len, reverse=True)


def _scrub(text: str, ch: Channel) -> str:
    for secret in ch.secrets():
        for part in _secret_parts(secret):
            text = text.replace(part, "***")
    return text[:300]


@dataclass
class Delivery:
    ticket_id: str
    channel: str
    status: str  # sent | failed
    attempts: int
    error: str | None
    at: datetime


def deliver(store, settings: Settings, tickets: list[dict], sleep=time.sleep) -> list[Delivery]:
    """Announce each ticket on every channel that wants it (once per ticket and channel), with
    retries; every outcome goes to the ``notifications`` table and the log, scrubbed of secrets."""
    done = {(r[0], r[1]) for r in _sent(store)}
    out = []
    for t in tickets:
        title, body = text_of(t, settings.dashboard_url, settings.lang)
        for ch in settings.channels:
            if not ch.wants(t["severity"], t["rule_id"]) or (t["ticket_id"], ch.name) in done:
                continue
            error, attempts = ch.problem, 0
            if error:
                log.warning("ticket %s not announced on %s: %s", t["ticket_id"], ch.name, error)
            for attempts in range(1, 0 if error else ATTEMPTS + 1):
                try:
                    if ch.type == "webhook":
                        _post(ch.url, payload(ch.format, title, body, t))
                    else:
                        _mail(ch, title, body)
                    error = None
                    break
                except Exception as e:  # noqa: BLE001 - any error of one channel (a server answering garbage
                    # raises http.client's BadStatusLine) is that channel's failed delivery, never the others'
                    error = _scrub(f"{type(e).__name__}: {e}", ch)
                    log.warning("notification of ticket %s on %s failed (attempt %d of %d): %s",
                                t["ticket_id"], ch.name, attempts, ATTEMPTS, error)
                    if attempts < ATTEMPTS:
                        sleep(BACKOFF_S[min(attempts - 1, len(BACKOFF_S) - 1)])
            d = Delivery(t["ticket_id"], ch.name, "failed" if error else "sent", attempts, error,
                         now())
            if not error:
                log.info("ticket %s announced on %s", t["ticket_id"], ch.name)
            store.append_rows("notifications", [{"ticket_id": d.ticket_id, "channel": d.channel, "status": d.status,
                                                 "attempts": d.attempts, "error": d.error, "sent_at": d.at}])
            out.append(d)
    return out


def _sent(store) -> list[tuple]:
    import duckdb

    files = store.table_files("notifications")
    if not files:
        return []
    con = duckdb.connect()
    try:
        return con.execute("SELECT ticket_id, channel FROM read_parquet(?, union_by_name = true) WHERE status = 'sent'",
                           [files]).fetchall()
    finally:
        con.close()

"""Accounts and roles: people added, changed and disabled from the CLI and the team page, every change
in the audit, the first admin from the environment or the single password of earlier versions, the
sign-in per account, and failed sign-ins counted by every dashboard process of a store together."""
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics.access import accounts, audit
from analytics.access.passwords import hash_password
from ingest.store import Store

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard" / "app.py")
PASSWORD = "correct horse battery"
HASH = hash_password(PASSWORD)  # made once: scrypt takes a moment


@pytest.fixture()
def db(tmp_path, monkeypatch):
    for k in ("TONEBOARD_PASSWORD_HASH", accounts.ADMIN_LOGIN_ENV, accounts.ADMIN_HASH_ENV):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("TONEBOARD_SECRETS", str(tmp_path / "secrets.toml"))
    path = tmp_path / "tb.duckdb"
    monkeypatch.setenv("TONEBOARD_DB", str(path))
    import dashboard.auth

    monkeypatch.setattr(dashboard.auth, "GUARD", None)  # the store's own guard, as in production
    return path


def _audit(db, **kw):
    return audit.entries(Store(db), **kw)


def test_people_are_added_changed_and_disabled_and_every_change_is_audited(db):
    accounts.add(db, "Boss", "Wang Fang", "admin", HASH, by="cli:root")
    accounts.add(db, "li", "Li Na", "agent", HASH, person="agent=Li", by="boss")
    accounts.add(db, "zhou", "Zhou", "lead", HASH, scope=["team=Shenzhen", "team=Shenzhen", " "], by="boss")
    people = accounts.all_accounts(db)
    assert sorted(people) == ["boss", "li", "zhou"]  # logins are lower case
    assert people["zhou"].scope == ("team=Shenzhen",) and people["li"].person == "agent=Li"
    accounts.set_role(db, "li", "reviewer", scope=["team=Beijing"], by="boss")
    accounts.set_disabled(db, "zhou", True, by="boss")
    accounts.reset_password(db, "li", hash_password("another long one"), by="boss")
    people = accounts.all_accounts(db)
    assert people["li"].role == "reviewer" and people["li"].scope == ("team=Beijing",) and people["zhou"].disabled
    assert accounts.check_password(db, "li", PASSWORD) is None  # the old password no longer works
    assert accounts.check_password(db, "LI", "another long one").login == "li"
    assert accounts.check_password(db, "zhou", PASSWORD) is None  # disabled
    assert accounts.check_password(db, "nobody", PASSWORD) is None
    log = _audit(db)
    assert list(log["action"])[::-1] == ["user_add", "user_add", "user_add", "user_role", "user_disable", "user_password"]
    assert set(log["login"]) == {"cli:root", "boss"} and '"to": "reviewer"' in log["detail"].iloc[2]
    assert not log["detail"].str.contains("scrypt").any()  # never a hash in the audit
    assert len(_audit(db, login="cli:root")) == 1


@pytest.mark.parametrize(("change", "message"), [
    (lambda db: accounts.add(db, "../x", "X", "agent", HASH, person="agent=X"), "a login is"),
    (lambda db: accounts.add(db, "x", "X", "owner", HASH), "role must be one of"),
    (lambda db: accounts.add(db, "x", "X", "lead", HASH), "needs a scope"),
    (lambda db: accounts.add(db, "x", "X", "agent", HASH), "metadata value that names them"),
    (lambda db: accounts.add(db, "x", "X", "lead", HASH, scope=["Shenzhen"]), "key=value"),
    (lambda db: accounts.add(db, "x", "X", "admin", "a plain password"), "hash"),
    (lambda db: accounts.add(db, "root", "Again", "admin", HASH), "already an account"),
    (lambda db: accounts.set_disabled(db, "root", True), "last admin"),
    (lambda db: accounts.set_role(db, "root", "reviewer", scope=["team=A"]), "last admin"),
    (lambda db: accounts.set_role(db, "ghost", "admin"), "no account 'ghost'"),
])
def test_a_change_that_cannot_be_made_says_why_and_changes_nothing(db, change, message):
    accounts.add(db, "root", "Root", "admin", HASH)
    before = accounts.all_accounts(db)
    with pytest.raises(accounts.AccountError, match=message):
        change(db)
    assert accounts.all_accounts(db) == before and len(_audit(db)) == 1


def test_the_first_admin_comes_from_the_environment_or_the_single_password(db, monkeypatch):
    assert accounts.first_admin(db) is None and not accounts.all_accounts(db)  # nothing configured: none
    assert accounts.first_admin(db, HASH) == "admin"  # the password of earlier versions: nobody locked out
    assert accounts.check_password(db, "admin", PASSWORD).role == "admin"
    assert accounts.first_admin(db, hash_password("yet another one")) is None  # only while there is no account
    other = db.with_name("other.duckdb")
    monkeypatch.setenv(accounts.ADMIN_LOGIN_ENV, "ops")
    monkeypatch.setenv(accounts.ADMIN_HASH_ENV, HASH)
    assert accounts.first_admin(other, HASH) == "ops"  # the environment's comes first
    assert list(_audit(other)["action"]) == ["user_environment"]
    monkeypatch.setenv(accounts.ADMIN_HASH_ENV, PASSWORD)  # a password where its hash belongs
    with pytest.raises(ValueError, match="hash-password"):
        accounts.first_admin(db.with_name("third.duckdb"))


def _cli(*args, stdin=None):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], input=stdin, capture_output=True,
                          text=True, timeout=120, env=dict(os.environ, PYTHONPATH=str(ROOT)))


def test_the_users_and_audit_commands(db, tmp_path):
    r = _cli("users", "add", "chen", "--role", "admin", "--name", "Chen Jie", "--password-stdin", "--db", str(db),
             stdin=PASSWORD + "\n")
    assert r.returncode == 0 and "added chen (admin)" in r.stdout, r.stderr
    r = _cli("users", "add", "li", "--role", "agent", "--password-stdin", "--db", str(db), stdin=PASSWORD + "\n")
    assert r.returncode == 2 and "agent=Li" in r.stderr and "Traceback" not in r.stderr
    r = _cli("users", "add", "li", "--role", "agent", "--person", "agent=Li", "--password-stdin", "--db", str(db),
             stdin="short\n")
    assert r.returncode == 2 and "at least 10 characters" in r.stderr
    assert _cli("users", "add", "li", "--role", "agent", "--person", "agent=Li", "--password-stdin", "--db",
                str(db), stdin=PASSWORD + "\n").returncode == 0
    assert _cli("users", "set-role", "li", "--role", "lead", "--scope", "team=Beijing", "--db", str(db)).returncode == 0
    assert _cli("users", "disable", "li", "--db", str(db)).returncode == 0
    r = _cli("users", "list", "--db", str(db))
    assert r.returncode == 0 and "scrypt" not in r.stdout
    line = next(x for x in r.stdout.splitlines() if x.startswith("li\t"))
    assert "lead" in line and "team=Beijing" in line and "DISABLED" in line
    out = tmp_path / "audit.csv"
    r = _cli("audit", "export", "--csv", str(out), "--db", str(db))
    assert r.returncode == 0 and "4 entries" in r.stderr
    text = out.read_text(encoding="utf-8-sig")
    assert text.count("user_add") == 2 and "user_role" in text and "user_disable" in text


def test_the_audit_survives_compaction_backup_and_restore_and_accounts_are_never_in_a_backup(db, tmp_path):
    from analytics.db import compact
    from ingest.store import backup

    accounts.add(db, "root", "Root", "admin", HASH)
    Store(db).init()
    compact(db)
    assert list(_audit(db)["action"]) == ["user_add"]
    backup.export_db(db, tmp_path / "backup")
    files = [p for p in (tmp_path / "backup").rglob("*") if p.is_file()]
    assert not any(b"scrypt$" in p.read_bytes() for p in files)
    restored = tmp_path / "restored.duckdb"  # the audit travels with the data, the accounts do not
    backup.import_db(tmp_path / "backup", restored)
    assert list(_audit(restored)["action"]) == ["user_add"] and not accounts.all_accounts(restored)


def _fail_twice(db: str) -> None:
    from dashboard.auth import StoreGuard

    g = StoreGuard(Path(db), sleep=lambda s: None)
    for _ in range(2):
        g.attempt("203.0.113.7", lambda: False, also=("account:li",))


def test_two_dashboard_processes_count_the_same_failed_sign_ins(db):
    """Two processes (as two dashboards of one store behind one address) each fail twice, a third
    time here: the fifth failure locks the address and the account out in every process."""
    from dashboard.auth import LOCK_AFTER, StoreGuard

    assert LOCK_AFTER == 5
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_fail_twice, args=(str(db),)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    here = StoreGuard(db, sleep=lambda s: None)
    assert not here.locked("203.0.113.7")  # four failures: not yet
    here.attempt("203.0.113.7", lambda: False)
    assert here.locked("203.0.113.7") > 0 and StoreGuard(db).locked("203.0.113.7") > 0
    assert here.attempt("203.0.113.7", lambda: True) is None  # even the right password is not tried
    for i in range(LOCK_AFTER):  # one account tried from many addresses: the account is locked out
        here.attempt(f"198.51.100.{i}", lambda: False, also=("account:chen",))
    assert here.attempt("198.51.100.99", lambda: True, also=("account:chen",)) is None
    assert here.attempt("198.51.100.99", lambda: True, also=("account:wang",)) is True


def _signed_in(db, login: str, lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = lang
    at.run()
    at.text_input(key="login_name").input(login)
    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception and "login_password" not in [w.key for w in at.text_input], [e.value for e in at.error]
    return at


def test_signing_in_with_an_account_and_what_each_role_may_open(db):
    accounts.add(db, "root", "Root", "admin", HASH)
    accounts.add(db, "rev", "Reviewer Wu", "reviewer", HASH, scope=["team=A"])
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = "en"
    at.run()
    at.text_input(key="login_name").input("rev")
    at.text_input(key="login_password").input("not the password")
    at.button[0].click().run()
    assert "Wrong password." in [e.value for e in at.error]
    at = _signed_in(db, "rev")
    assert any("Signed in as Reviewer Wu (reviewer)" in c.value for c in at.sidebar.caption)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/team.py")  # not a page of a reviewer's app at all: its address opens the overview
    admin = _signed_in(db, "root")
    admin.switch_page("views/team.py").run()
    assert not admin.exception and "team_add_login" in [w.key for w in admin.text_input]
    people = admin.dataframe[0].value
    assert set(people["login"]) == {"root", "rev"} and "scrypt" not in people.to_string()
    accounts.set_disabled(db, "rev", True, by="root")
    at.run()  # the reviewer's next page: signed out
    assert "login_password" in [w.key for w in at.text_input]
    log = _audit(db)
    assert {"sign_in", "sign_in_failed", "user_disable"} <= set(log["action"])
    failed = log[log["action"] == "sign_in_failed"].iloc[0]
    assert failed["login"] == "rev" and "not the password" not in str(list(log.iloc[0]))


def test_an_admin_adds_a_person_on_the_team_page(db):
    accounts.add(db, "root", "Root", "admin", HASH)
    at = _signed_in(db, "root", "zh")
    at.switch_page("views/team.py").run()
    at.text_input(key="team_add_login").input("li")
    at.text_input(key="team_add_name").input("李娜")
    at.selectbox(key="team_add_role").select("agent")
    at.text_input(key="team_add_person").input("agent=Li")
    at.text_input(key="team_add_password").input("short")
    at.button(key="FormSubmitter:team_add-添加成员").click().run()
    assert any("10" in e.value for e in at.error) and "li" not in accounts.all_accounts(db)
    at.text_input(key="team_add_login").input("li")
    at.text_input(key="team_add_name").input("李娜")
    at.selectbox(key="team_add_role").select("agent")
    at.text_input(key="team_add_person").input("坐席=Li")  # the key as the Chinese page names it
    at.text_input(key="team_add_password").input(PASSWORD)
    at.button(key="FormSubmitter:team_add-添加成员").click().run()
    assert not at.exception and any("已添加 li" in s.value for s in at.success)
    li = accounts.all_accounts(db)["li"]
    assert (li.role, li.person, li.name, li.changed_by) == ("agent", "agent=Li", "李娜", "root")
    assert accounts.check_password(db, "li", PASSWORD)


def test_an_idle_session_is_signed_out(db, monkeypatch):
    import time

    accounts.add(db, "root", "Root", "admin", HASH)
    at = _signed_in(db, "root")
    at.run()
    assert "login_password" not in [w.key for w in at.text_input]  # in use: still signed in
    at.session_state["_last_seen"] = time.time() - 31 * 60  # half an hour without a click
    at.run()
    assert "login_password" in [w.key for w in at.text_input]
    assert any("signed out after 30 minutes" in i.value for i in at.info)
    assert audit.entries(Store(db), login="root")["action"].iloc[0] == "sign_out"


def test_the_audit_on_the_team_page_by_recording(db):
    accounts.add(db, "root", "Root", "admin", HASH)
    store = Store(db)
    audit.record(store, "li", "open_recording", "a" * 64)
    audit.record(store, "li", "open_recording", "b" * 64)
    at = _signed_in(db, "root")
    at.switch_page("views/team.py").run()
    at.text_input(key="audit_recording").input("A" * 64).run()
    shown = at.dataframe[-1].value
    assert list(shown["recording_id"]) == ["a" * 64] and list(shown["login"]) == ["li"]

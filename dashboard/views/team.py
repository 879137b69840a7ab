"""Team: who may sign in, with which role and what each sees (admins only); add a person, change a
role, scope or password, disable someone; and the audit trail, by person and date. Without any
account yet (the dashboard open on this machine) it offers to add the first admin."""
from datetime import date, datetime, time, timedelta

import streamlit as st

from analytics.access import accounts, audit
from analytics.access.passwords import AuthError, hash_password
from dashboard import auth, i18n, login, ui

AUDIT_SHOWN = 500

st.title(ui.tr("team"))
if not login.may("users"):  # the menu hides the page from others; its address alone opens nothing
    st.error(ui.tr("team_admins_only"))
    st.stop()
st.caption(ui.tr("team_intro"))
db, me = ui.db_path(), login.viewer()
by = me.login if me else "local"
first = me is None and not accounts.all_accounts(db)
if first:
    st.info(ui.tr("team_open"))
if flash := st.session_state.pop("_team_flash", None):  # what the last change did (said after the rerun)
    st.success(flash)


role_names = {r: ui.tr(f"role_{r}") for r in accounts.ROLES}  # now: Streamlit may format options later
role_word = role_names.__getitem__


def as_key(pair: str) -> str:
    """``团队=深圳`` → ``team=深圳``: a key may be typed as the page names it (i18n.meta_key_of)."""
    key, eq, value = pair.partition("=")
    return f"{i18n.meta_key_of(key.strip())}{eq}{value}" if eq else pair


def as_shown(pair: str) -> str:
    key, eq, value = pair.partition("=")
    return f"{i18n.meta_key_name(key, ui.lang())}{eq}{value}" if eq else pair


def lines(text: str) -> list[str]:
    return [as_key(x.strip()) for x in (text or "").replace(",", "\n").splitlines() if x.strip()]


st.subheader(ui.tr("team_people"))
people = accounts.frame(db)
ui.table(people.assign(account_role=people["account_role"].map(role_word),
                       scope=[", ".join(map(as_shown, x.split(", "))) if x else "" for x in people["scope"]],
                       own_recordings=people["own_recordings"].map(as_shown)), "team", empty=ui.tr("team_open"))

with st.form("team_add", clear_on_submit=True):
    st.markdown(f"**{ui.tr('team_add')}**")
    c1, c2, c3 = st.columns(3)
    new_login = c1.text_input(ui.tr("login_name"), max_chars=64, key="team_add_login")
    new_name = c2.text_input(ui.tr("team_name"), max_chars=100, key="team_add_name")
    roles = ("admin",) if first else accounts.ROLES  # the first account administers the rest
    new_role = c3.selectbox(ui.tr("team_role"), roles, format_func=role_word, key="team_add_role")
    c4, c5 = st.columns(2)
    new_scope = c4.text_area(ui.tr("team_scope"), height=68, max_chars=2000, key="team_add_scope")
    new_person = c5.text_input(ui.tr("team_person"), max_chars=140, key="team_add_person")
    new_password = st.text_input(ui.tr("team_password"), type="password", max_chars=1024, key="team_add_password")
    if st.form_submit_button(ui.tr("team_add"), type="primary"):
        try:
            company_only = not new_password and auth.oidc_configured()  # signs in through the company's login
            acc = accounts.add(db, new_login, new_name or new_login, new_role,
                               None if company_only else hash_password(new_password), lines(new_scope), as_key(new_person), by=by)
        except (accounts.AccountError, AuthError) as e:
            st.error(ui.as_text(e))
        else:  # the table above shows them at once (and from the first account on, everyone signs in)
            st.session_state["_team_flash"] = ui.tr("team_added", login=acc.login)
            st.rerun()

everyone = accounts.all_accounts(db)
if everyone:
    with st.form("team_change"):
        st.markdown(f"**{ui.tr('team_change')}**")
        c1, c2 = st.columns(2)
        who = c1.selectbox(ui.tr("team_who"), sorted(everyone), key="team_who",
                           format_func=lambda x: f"{everyone[x].name} ({x})")
        acc = everyone[who]
        role = c2.selectbox(ui.tr("team_role"), accounts.ROLES, index=accounts.ROLES.index(acc.role),
                            format_func=role_word, key="team_change_role")
        c3, c4 = st.columns(2)
        scope = c3.text_area(ui.tr("team_scope"), "\n".join(map(as_shown, acc.scope)), height=68, max_chars=2000,
                             key="team_change_scope")
        person = c4.text_input(ui.tr("team_person"), as_shown(acc.person or ""), max_chars=140, key="team_change_person")
        person = as_key(person.strip())
        disabled = st.checkbox(ui.tr("team_disable"), acc.disabled, key="team_change_disabled")
        password = st.text_input(ui.tr("team_new_password"), type="password", max_chars=1024, key="team_change_password")
        if st.form_submit_button(ui.tr("team_save"), type="primary"):
            try:
                if (role, tuple(lines(scope)), person.strip() or None) != (acc.role, acc.scope, acc.person):
                    accounts.set_role(db, who, role, lines(scope), person, by=by)
                if password:
                    accounts.reset_password(db, who, hash_password(password), by=by)
                if disabled != acc.disabled:
                    accounts.set_disabled(db, who, disabled, by=by)
            except (accounts.AccountError, AuthError) as e:
                st.error(ui.as_text(e))
            else:
                st.session_state["_team_flash"] = ui.tr("team_changed", login=who)
                st.rerun()

st.subheader(ui.tr("audit"))
st.caption(ui.tr("audit_intro"))
c1, c2, c3 = st.columns(3)
logins = [None, *sorted(everyone)]
who_names = {None: ui.tr("audit_all")} | {x: f"{everyone[x].name} ({x})" for x in everyone}
person_shown = c1.selectbox(ui.tr("audit_person"), logins, key="audit_login", format_func=who_names.__getitem__)
days = c2.date_input(ui.tr("audit_days"), (date.today() - timedelta(days=30), date.today()), key="audit_days")
since = datetime.combine(days[0], time()) if days else None
until = datetime.combine(days[-1], time()) + timedelta(days=1) if days else None
about = c3.text_input(ui.tr("audit_recording"), max_chars=64, key="audit_recording").strip().lower() or None
log = audit.entries(ui.data().store, login=person_shown, recording_id=about, since=since, until=until, limit=AUDIT_SHOWN)
if log.empty:
    st.info(ui.tr("audit_none"))
else:
    st.caption(ui.tr("audit_n", n=len(log), max=AUDIT_SHOWN))
    log = audit.with_filenames(ui.con(), log).assign(action=log["action"].map(lambda a: ui.tr(f"audit_{a}")))
    ui.table(log, "audit")

"""Risk queue: tickets opened by the rules, filterable; acknowledge or resolve; a rules editor
that validates before saving."""
import streamlit as st

from analytics.alerts.conditions import CONDITIONS
from analytics.alerts.evaluation import evaluate
from analytics.alerts.rules import MAX_RULES_CHARS, RULE_TYPES, RuleError, load_rules
from analytics.filters import MAX_NOTE
from analytics.tickets import STATUSES, comment, open_tickets, set_status, ticket_history, tickets
from dashboard import i18n, login, ui

st.title(ui.tr("risk"))
flt = ui.page_filter()
con = ui.con()
d = ui.data()
if st.button(ui.tr("evaluate"), key="risk_eval"):
    try:
        n = open_tickets(d.store, evaluate(con, load_rules(ui.rules_path()), flt))
        st.success(ui.tr("new_tickets", n=n))
        con = ui.con()  # the new tickets
    except RuleError as e:
        st.error(ui.as_text(e))
lang = ui.lang()
status_names = {x: i18n.value_name("status", x, lang) for x in STATUSES}  # now: Streamlit may format later
s1, s2 = st.columns(2)
statuses = s1.multiselect(ui.tr("status"), list(STATUSES), default=["open", "acknowledged"], key="risk_status",
                          format_func=status_names.__getitem__, placeholder=ui.tr("choose"))
type_names = {x: ui.tr(f"rule_type_{x}") for x in RULE_TYPES}
types = s2.multiselect(ui.tr("rule_type"), list(RULE_TYPES), default=["risk"], key="risk_types",
                       format_func=type_names.__getitem__, placeholder=ui.tr("choose"))
tk = tickets(con, flt, statuses or None, types or None)
st.caption(ui.tr("tickets_n", n=len(tk), r=tk["recording_id"].nunique() if not tk.empty else 0))
ui.table(tk, "tickets")
if not tk.empty:
    c1, c2, c3 = st.columns([3, 2, 1])
    rule_names = ui.rule_names()
    labels = {t: f"{rule_names.get(rid, rule)} · {name} · {ui.mmss(at)}" for t, rid, rule, name, at in
              zip(tk["ticket_id"], tk["rule_id"], tk["rule_name"], tk["filename"], tk["first_evidence_s"])}
    tid = c1.selectbox(ui.tr("ticket"), tk["ticket_id"], key="risk_ticket", format_func=labels.__getitem__)
    new = c2.selectbox(ui.tr("status"), list(STATUSES), index=1, key="risk_new", format_func=status_names.__getitem__)
    if c3.button(ui.tr("set_status"), key="risk_set", disabled=not login.may("tickets"), help=login.read_only("tickets")):
        set_status(d.store, con, tid, new, by=login.who())
        login.audited("ticket", tk.loc[tk["ticket_id"] == tid, "recording_id"].iloc[0], {"ticket_id": tid, "status": new})
        st.rerun()
    t = tk[tk["ticket_id"] == tid].iloc[0]
    o1, o2 = st.columns([5, 1], vertical_alignment="center")
    o1.markdown(ui.tr("ticket_line", rule=ui.as_text(ui.rule_name(t["rule_id"], t["rule_name"])), file=ui.as_text(t["filename"]),
                      at=ui.mmss(t["first_evidence_s"]),
                      who=ui.as_text(t["assignee"]) if isinstance(t["assignee"], str) else ui.tr("nobody")))
    if o2.button(ui.tr("open_moment"), key="risk_open"):
        ui.goto_timeline(t["recording_id"], t["first_evidence_s"])
    with st.form(f"risk_comment_{tid}", clear_on_submit=True):
        f1, f2 = st.columns([1, 3])
        who = f1.text_input(ui.tr("assign_to"), key="risk_assignee", max_chars=100)
        note = f2.text_input(ui.tr("comment"), key="risk_note", max_chars=MAX_NOTE)
        if st.form_submit_button(ui.tr("save"), disabled=not login.may("tickets")):
            try:
                comment(d.store, con, tid, by=login.who(), note=note, assignee=who)
                login.audited("ticket", t["recording_id"], {"ticket_id": tid, "assignee": who or None, "comment": bool(note)})
                st.rerun()
            except ValueError as e:
                st.error(ui.as_text(e))
    history = ticket_history(con, tid)
    for h in history.itertuples():  # each event has some of status, assignee and comment (missing: None or NaN)
        status, assignee, note, by = (x if isinstance(x, str) and x else None
                                      for x in (h.status, h.assignee, h.note, h.changed_by))
        what = " · ".join(x for x in (status and ui.tr("status") + ": " + status_names.get(status, status),
                                      assignee and ui.tr("assign_to") + ": " + assignee, note) if x)
        st.caption(f"{h.changed_at:%Y-%m-%d %H:%M} · {ui.as_text(by or '–')} · {ui.as_text(what)}")

if login.may("rules"):  # the rules are an admin's
    with st.expander(ui.tr("rules_editor")):
        path = ui.rules_path()
        st.caption(ui.tr("rule_conditions"))
        lang_i = 1 if ui.lang() == "zh" else 0
        st.markdown("\n".join(f"- `{key}`: {ui.as_text(c.words[lang_i])}" for key, c in CONDITIONS.items()))
        text = st.text_area("rules.yaml", path.read_text(encoding="utf-8") if path.exists() else "", height=300,
                            key="risk_rules", max_chars=MAX_RULES_CHARS)
        if st.button(ui.tr("save"), key="risk_save"):
            try:
                load_rules(text)
                path.write_text(text, encoding="utf-8")
                login.audited("rule", detail={"file": path.name, "characters": len(text)})
                st.success(ui.tr("rules_saved"))
            except RuleError as e:
                st.error(ui.as_text(e))

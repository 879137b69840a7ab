"""Home: what needs attention today — open tickets that open their moment, unresolved customer
anger in the last 24 h, this week against last week with 12-week sparklines and n, the people who
moved most, and the files that failed. On an empty database: the friendly first run."""
import streamlit as st

from analytics import home
from analytics.talk import topics
from analytics.workflow.after_batch import build_demo, remove_demo
from dashboard import charts, login, ui

st.title(ui.tr("app_title"))
opts = st.session_state["options"]
if not opts.recordings:
    st.subheader(ui.tr("first_run"))
    st.markdown(ui.tr("first_run_body"))
    if st.button(ui.tr("load_demo"), type="primary", disabled=not login.may("demo"), help=login.read_only("demo")):
        build_demo(ui.db_path())
        st.rerun()
    st.stop()

con = ui.con()
flt = st.session_state.get("filter")
ui.counted_note()
SEVERITY_ICON = {"high": ":red[●]", "medium": ":orange[●]", "low": ":gray[●]"}  # no emoji: not every system has the font

# -- this week against last -------------------------------------------------------------------
st.markdown("#### " + ui.tr("this_week"))
weekly = home.weekly(con, flt)
summary = home.this_week_vs_last(weekly)
cols = st.columns(len(summary))
for col, row in zip(cols, summary.itertuples()):
    percent = row.figure in ("angry_share", "lead_talk_share", "won_rate")
    number = "{:,.1f}" if row.figure == "long_silences" else "{:,.0f}"
    fmt = (lambda v: "–" if v is None or v != v else f"{v:.0%}") if percent else \
        (lambda v, number=number: "–" if v is None or v != v else number.format(v))
    delta = None if row.change is None or row.change != row.change else \
        (ui.tr("pp", d=f"{row.change * 100:+.0f}") if percent else ("+" if row.change >= 0 else "") + number.format(row.change))
    better = home.FIGURES[row.figure]
    col.metric(ui.tr(f"fig_{row.figure}"), fmt(row.value), delta,
               delta_color="off" if better is None else "normal" if better else "inverse")
    with col:
        charts.sparkline(weekly[weekly["figure"] == row.figure], key=f"spark_{row.figure}", percent=percent)
    col.caption(ui.tr("n_week", n=row.n, last=row.last_n) + (f" · ⚠ {ui.tr('few_week')}" if 0 < row.n < ui.FEW else ""))

# -- rising topics (the last run of analytics.talk.topics: the Topics page, `toneboard topics`, after a batch) --
found = topics.latest(ui.data().store)
if found and found.get("rising"):
    st.markdown("#### " + ui.tr("tp_home"))
    for r in found["rising"]:
        phrases = " · ".join(found["topics"][r["topic"]]["phrases"][:3])
        st.markdown("- " + ui.tr("tp_home_line", p=ui.as_text(phrases), share=r["share"], base=r["baseline"]))
    st.page_link(str(ui.ROOT / "dashboard" / "views" / "topics.py"), icon=":material/arrow_forward:", label=ui.tr("topics"))

left, right = st.columns(2)
# -- tickets ----------------------------------------------------------------------------------------
with left:
    counts = home.ticket_counts(con, flt)
    st.markdown("#### " + ui.tr("open_tickets", n=sum(counts.values())))
    st.caption(" · ".join(f"{SEVERITY_ICON[s]} {ui.tr('sev_' + s)} {n}" for s, n in counts.items()))
    tickets = home.open_tickets(con, flt)
    if tickets.empty:
        st.info(ui.tr("no_open_tickets"))
    elif sum(counts.values()) > len(tickets):
        st.page_link(str(ui.ROOT / "dashboard" / "views" / "risk.py"), icon=":material/arrow_forward:",
                     label=ui.tr("all_tickets", shown=len(tickets), n=sum(counts.values())))
    for t in tickets.itertuples():
        c1, c2 = st.columns([5, 1], vertical_alignment="center")
        c1.markdown(f"{SEVERITY_ICON.get(t.severity, '')} **{ui.as_text(ui.rule_name(t.rule_id, t.rule_name))}** — "
                    f"{ui.as_text(t.filename)} · "
                    f"{ui.mmss(t.first_evidence_s)}")
        if c2.button(ui.tr("open_moment"), key=f"home_t_{t.ticket_id}"):
            ui.goto_timeline(t.recording_id, t.first_evidence_s)
# -- anger ------------------------------------------------------------------------------------------
with right:
    anger = home.unresolved_anger(con, flt)
    st.markdown("#### " + ui.tr("unresolved_anger", n=len(anger)))
    if anger.empty:
        st.info(ui.tr("no_anger"))
    for a in anger.head(10).itertuples():
        c1, c2 = st.columns([5, 1], vertical_alignment="center")
        c1.markdown(ui.tr("anger_line", file=ui.as_text(a.filename), agent=ui.as_text(a.agent or "–"),
                          n=a.angry, at=ui.mmss(a.last_angry_s)))
        if c2.button(ui.tr("open_moment"), key=f"home_a_{a.recording_id}"):
            ui.goto_timeline(a.recording_id, a.last_angry_s)
    key = "agent" if "agent" in opts.metadata else "team" if "team" in opts.metadata else None
    if key:
        moved = home.movers(con, key, flt)
        st.markdown("#### " + ui.tr("movers"))
        if moved.empty:
            st.caption(ui.tr("no_movers"))
        for m in moved.itertuples():
            arrow = "▲" if m.change > 0 else "▼"
            st.markdown(ui.tr("mover_line", who=ui.as_text(m.who), arrow=arrow, now=f"{m.now_share:.0%}", now_n=m.now_n,
                              before=f"{m.before_share:.0%}", before_n=m.before_n))

# -- files that failed ----------------------------------------------------------------------------
failed = home.failed_files(con)
with st.expander(ui.tr("failed_files", n=len(failed)), expanded=False):
    if failed.empty:
        st.caption(ui.tr("no_failed"))
    else:
        ui.table(failed, "failed-files")
if opts.demo_recordings and login.may("demo") and st.button(ui.tr("remove_demo")):
    remove_demo(ui.db_path())
    st.rerun()

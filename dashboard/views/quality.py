"""Quality: every call scored on the team's forms — the form's scores by week, the items missed
most, per person, the calls; a reviewer's queue, the disputes a lead decides, calibration rounds,
and the forms' editor. An agent sees the same for their own calls (their scope)."""

import streamlit as st

from analytics.alerts.conditions import CONDITIONS, FIELDS
from analytics.qa import agreement, disputes, review, scores, trends
from analytics.qa.forms import MAX_FORM_CHARS, FormError, forms_dir, load_form, load_forms
from dashboard import charts, i18n, login, ui

QUEUE_SAMPLE = 5
goto_review = ui.goto_review


st.title(ui.tr("quality"))
lang = ui.lang()
try:
    forms = load_forms()
except FormError as e:
    st.error(ui.as_text(e))
    forms = []
if not forms:
    st.info(ui.tr("qa_no_forms"))
flt = ui.page_filter()
con = ui.con()
d = ui.data()
form = None
if forms:
    names = {f.id: f.label(lang) for f in forms}
    asked = st.query_params.get("form")  # a link to a form (?form=service)
    if asked in names and "qa_form" not in st.session_state:
        st.session_state["qa_form"] = asked
    fid = st.selectbox(ui.tr("qa_form"), list(names), key="qa_form", format_func=names.__getitem__)
    st.query_params["form"] = fid
    form = next(f for f in forms if f.id == fid)
    s = trends.summary(con, form, flt)
    if not s["calls"]:
        st.info(ui.tr("qa_none_scored"))
    else:
        m = st.columns(5)
        m[0].metric(ui.tr("qa_calls"), f"{s['calls']:,}")
        m[1].metric(ui.tr("qa_average"), f"{s['average']:.1f}")
        m[2].metric(ui.tr("qa_pass_rate", mark=form.pass_mark), f"{s['pass_rate']:.0%}")
        m[3].metric(ui.tr("qa_fatal"), f"{s['fatal']:,}")
        m[4].metric(ui.tr("qa_waiting"), f"{s['waiting']:,}")
        key = "teacher" if form.kinds == ("class",) else "agent"
        left, right = st.columns(2)
        with left:
            st.subheader(ui.tr("qa_trend"))
            by_names = {"": ui.tr("qa_by_none"), key: i18n.meta_key_name(key, lang), "team": i18n.meta_key_name("team", lang)}
            by = st.radio(ui.tr("qa_trend_by"), list(by_names), key="qa_by", horizontal=True, format_func=by_names.__getitem__)
            w = trends.weekly(con, form, flt, by or None)
            if by == "":
                w["grp"] = form.label(lang)
            charts.trend_lines(w.rename(columns={"week": "period", "grp": "group", "score": "value", "calls": "n"}),
                               False, ui.tr("qa_score_axis"), key="qa_trend_chart")
        with right:
            st.subheader(ui.tr("qa_items_failed"))
            failed = trends.items_failed(con, form, flt, lang)
            charts.share_bars(failed, "item", "miss_rate", "answered", ui.tr("qa_missed_axis"), key="qa_failed_chart")
        st.subheader(ui.tr("qa_people"))
        ui.table(trends.by_person(con, form, flt, key), f"qa-people-{form.id}", empty=ui.tr("no_people"))
        st.subheader(ui.tr("qa_calls_list"))
        hidden = ["form_id", "earned", "possible"]  # the newest shown; the CSV has every call
        calls = scores.call_scores(con, flt, form.id, limit=ui.ROWS_SHOWN)
        if s["calls"] > len(calls):
            st.caption(ui.tr("metrics_shown", shown=len(calls), n=s["calls"]))
        ui.table(calls.drop(columns=hidden, errors="ignore"), f"qa-calls-{form.id}",
                 every=ui.later(lambda c: scores.call_scores(c, flt, form.id).drop(columns=hidden, errors="ignore")))
        labels = ui.recording_labels(calls["recording_id"], calls["filename"])
        c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
        pick = c1.selectbox(ui.tr("qa_pick_call"), list(calls["recording_id"][:500]), key="qa_pick",
                            format_func=labels.__getitem__)
        if c2.button(ui.tr("qa_open_review"), key="qa_open") and pick:
            goto_review(pick, form.id)

if form is not None and login.may("review"):
    with st.expander(ui.tr("qa_queue"), expanded=True):
        st.caption(ui.tr("qa_queue_intro", n=QUEUE_SAMPLE))
        q = review.queue(con, [form], flt, form.id, sample=QUEUE_SAMPLE, seed=0)
        if q.empty:
            st.info(ui.tr("qa_queue_empty"))
        else:
            ui.table(q[["recording_id", "why", "score", "missed", "waiting", "filename", "kind", "recorded_at"]
                       + [c for c in ("agent", "team", "teacher") if c in q]], f"qa-queue-{form.id}")
            qlabels = ui.recording_labels(q["recording_id"], q["filename"])
            c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
            first = c1.selectbox(ui.tr("qa_pick_call"), list(q["recording_id"]), key="qa_queue_pick",
                                 format_func=qlabels.__getitem__)
            if c2.button(ui.tr("qa_open_review"), key="qa_queue_open"):
                goto_review(first, form.id)

if form is not None:
    with st.expander(ui.tr("qa_disputes"), expanded=login.may("decide")):
        ds = disputes.states(con, flt)
        ds = ds[(ds["form_id"] == form.id) & ds["item_id"].notna()]
        if ds.empty:
            st.info(ui.tr("qa_no_disputes"))
        else:
            items = {i.id: i.label(lang) for i in form.items}
            ui.table(ds.assign(item=ds["item_id"].map(items))[
                ["recording_id", "filename", "item", "state", "reason", "raised_by", "raised_at", "decision_reason",
                 "decided_by", "decided_at"]], f"qa-disputes-{form.id}")
            open_ = ds[ds["state"] == "dispute"]
            if login.may("decide") and not open_.empty:
                dl = {r.dispute_id: f"{r.filename} · {items.get(r.item_id, r.item_id)}" for r in open_.itertuples()}
                with st.form("qa_decide_form", clear_on_submit=True):
                    did = st.selectbox(ui.tr("qa_decide"), list(dl), format_func=dl.__getitem__, key="qa_decide_pick")
                    verdict = st.radio(ui.tr("qa_decide"), ["accept", "reject"], horizontal=True, key="qa_verdict",
                                       format_func=lambda v: ui.tr(f"qa_{v}"), label_visibility="collapsed")
                    why = st.text_input(ui.tr("qa_decision_reason"), key="qa_decision_reason", max_chars=2000)
                    if st.form_submit_button(ui.tr("save")):
                        try:
                            disputes.decide(d.store, con, form, did, verdict == "accept", why, login.who())
                            login.audited("qa_decision", open_.loc[open_["dispute_id"] == did, "recording_id"].iloc[0],
                                          {"dispute": did, "accept": verdict == "accept"})
                            st.session_state["qa_done"] = ui.tr("qa_decided")
                            st.rerun()
                        except FormError as e:
                            st.error(ui.as_text(e))
        if done := st.session_state.pop("qa_done", None):
            st.success(done)

if form is not None and login.may("review"):
    if done := st.session_state.pop("qa_round_done", None):
        st.success(done)  # above the expander: it closes when the page runs again
    with st.expander(ui.tr("qa_calibration")):
        st.caption(ui.tr("qa_calibration_intro"))
        rs = agreement.rounds(con)
        rs = rs[rs["form_id"] == form.id]
        if login.may("decide"):
            with st.form("qa_round_form", clear_on_submit=True):
                r1, r2 = st.columns([3, 1])
                rname = r1.text_input(ui.tr("qa_round_name"), key="qa_round_name", max_chars=agreement.ROUND_CHARS)
                n = r2.number_input(ui.tr("qa_round_calls"), 2, 200, 10, key="qa_round_n")
                if st.form_submit_button(ui.tr("qa_round_new")):
                    try:
                        made = agreement.create_round(d.store, con, rname, form, agreement.sample_calls(con, form, int(n)),
                                                      login.who())
                        login.audited("qa_round", detail={"round": rname, "calls": made})
                        st.session_state["qa_round_done"] = ui.tr("qa_round_made", name=ui.as_text(rname.strip()), n=made)
                        st.rerun()
                    except FormError as e:
                        st.error(ui.as_text(e))
        if rs.empty:
            st.info(ui.tr("qa_round_none"))
        else:
            ui.table(rs.drop(columns=["form_id"]), f"qa-rounds-{form.id}")
            rname = st.selectbox(ui.tr("qa_round_pick"), list(rs["round"]), key="qa_round_pick")
            table, flags = agreement.agreement(con, form, rname, lang)
            if table["calls"].max() < 1:
                st.info(ui.tr("qa_round_few"))
            else:
                ui.table(table.drop(columns=["item_id"]), f"qa-agreement-{form.id}")
                for f in flags:
                    st.warning(ui.as_text(f))
                if not flags:  # nothing flagged: fine only where enough calls were compared to say so
                    enough = table["machine_calls"].max() >= agreement.MIN_CALLS
                    st.caption(ui.tr("qa_flag_ok") if enough else ui.tr("qa_flag_few", n=agreement.MIN_CALLS))
            todo = agreement.round_calls(con, rname)
            if todo:
                rl = ui.recording_labels(list(todo), list(todo.values()))
                c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
                blind = c1.selectbox(ui.tr("qa_pick_call"), list(todo), key="qa_round_call", format_func=rl.__getitem__)
                if c2.button(ui.tr("qa_round_score"), key="qa_round_go"):
                    goto_review(blind, form.id, rname)

if login.may("forms"):
    with st.expander(ui.tr("qa_editor")):
        folder = forms_dir()
        files = {p.name: p for p in sorted(folder.glob("*.yaml"))} if folder.is_dir() else {}
        new = ui.tr("qa_editor_new")
        chosen = st.selectbox(ui.tr("qa_editor_file"), [*files, new], key="qa_editor_pick")
        st.caption(ui.tr("qa_conditions"))
        zh = 1 if lang == "zh" else 0
        st.markdown("\n".join([f"- `{k}`: {ui.as_text(c.words[zh])}" for k, c in CONDITIONS.items()]
                              + [f"  - `{f}`: {ui.as_text(w[zh])}" for f, w in FIELDS.items()]))
        text = st.text_area("form.yaml", files[chosen].read_text(encoding="utf-8") if chosen in files else "",
                            height=360, key=f"qa_editor_{chosen}", max_chars=MAX_FORM_CHARS)
        if st.button(ui.tr("save"), key="qa_editor_save"):
            try:
                parsed = load_form(text)
                target = files.get(chosen) or folder / f"{parsed.id}.yaml"
                if any(p != target and f.id == parsed.id for f, p in zip(forms, files.values())) or \
                        (chosen not in files and target.exists()):
                    raise FormError(f"another form has the id {parsed.id!r}")
                folder.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
                login.audited("qa_form", detail={"file": target.name, "version": parsed.version})
                st.success(ui.tr("qa_editor_saved", file=ui.as_text(target.name)))
            except FormError as e:
                st.error(ui.as_text(e))

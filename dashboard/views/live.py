"""Live: calls in progress on ``toneboard live`` — a supervisor view across calls (alerts first),
and per call its emotion strip growing and its alerts as they arrive. Refreshes every 2 s."""
import streamlit as st

from analytics.live_calls import active_calls, alert_text, segments_frame, supervisor_table
from dashboard import charts, tables, ui

st.title(ui.tr("live"))
st.caption(ui.tr("live_help"))


@st.fragment(run_every=2)
def calls_in_progress() -> None:
    calls = active_calls(ui.data().store.live_status(), sees=ui.sees())
    if not calls:
        st.info(ui.tr("live_none"))
        return
    st.subheader(ui.tr("live_supervisor"))
    lang = ui.lang()
    tables.draw(supervisor_table(calls), lang, key="live_table")
    for call in calls:
        alerts = call.get("alerts", [])
        head = f"{ui.as_text(call['call_id'])} · {ui.mmss(call.get('duration_s', 0))}" + (f" · ⚠ {len(alerts)}" if alerts else "")
        # keyed: the title changes as the call goes on, and an unkeyed expander whose title changes is a
        # new element, which closed an open panel every few seconds
        with st.expander(head, expanded=bool(alerts), key=f"live_call_{call['call_id']}"):
            segs = segments_frame(call)
            if not segs.empty:
                charts.emotion_timeline(segs, segs.iloc[0:0], lang, key=f"live_{call['call_id']}",
                                        events_label=ui.tr("events"))
            for a in reversed(alerts):
                st.warning(f"{ui.mmss(a['at_s'])} · " + ui.as_text(alert_text(a, lang)))
            if not call.get("connected"):
                st.caption(ui.tr("live_dropped"))


calls_in_progress()

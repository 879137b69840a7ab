"""Live: calls in progress on ``toneboard live`` — a supervisor view across calls (alerts first),
and per call its emotion strip growing and its alerts as they arrive. Refreshes every 2 s."""
import streamlit as st

from analytics.live_calls import active_calls, segments_frame, supervisor_table
from dashboard import charts, ui

st.title(ui.tr("live"))
st.caption(ui.tr("live_help"))


@st.fragment(run_every=2)
def calls_in_progress() -> None:
    calls = active_calls(ui.data().store.root)
    if not calls:
        st.info(ui.tr("live_none"))
        return
    st.subheader(ui.tr("live_supervisor"))
    st.dataframe(supervisor_table(calls), hide_index=True, width="stretch")
    lang = ui.lang()
    for call in calls:
        alerts = call.get("alerts", [])
        head = f"{call['call_id']} · {call.get('duration_s', 0) / 60:.1f} min" + (f" · ⚠ {len(alerts)}" if alerts else "")
        with st.expander(head, expanded=bool(alerts)):
            segs = segments_frame(call)
            if not segs.empty:
                charts.emotion_timeline(segs, segs.iloc[0:0], lang, key=f"live_{call['call_id']}",
                                        events_label=ui.tr("events"))
            for a in reversed(alerts):
                st.warning(f"{a['at_s'] / 60:.1f} min · {a['message']} ({a['detail']})")
            if not call.get("connected"):
                st.caption(ui.tr("live_dropped"))


calls_in_progress()

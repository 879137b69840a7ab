"""toneboard's dashboard: ``toneboard dashboard`` (or ``streamlit run dashboard/app.py``).
The entry point lays out the frame every page shares (language, filters, demo-data banner) and
routes to the pages in dashboard/views/."""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard import PAGE_NEEDS, PAGES, login, ui  # noqa: E402

st.set_page_config(page_title="toneboard", page_icon="🎧", layout="wide")
log = logging.getLogger("toneboard.dashboard")


def main() -> None:
    # The choice is kept under a plain session key ("lang"): a widget's own state is dropped when a
    # button switches the page (st.switch_page), which turned an English session back to Chinese.
    st.sidebar.radio(ui.tr("language"), ["zh", "en"], key="_lang_choice", horizontal=True,
                     format_func=lambda x: {"zh": "中文", "en": "English"}[x],
                     index=0 if ui.lang() == "zh" else 1,
                     on_change=lambda: st.session_state.__setitem__("lang", st.session_state["_lang_choice"]))

    ui.keep_lang_in_address()
    allowed = login.signed_in()
    views = ROOT / "dashboard" / "views"
    # Before sign-in every page is registered (hidden): an address such as /timeline?recording=… then
    # still opens that page once the person has signed in. After, the team and upload pages only for
    # those who may use them.
    pages = [st.Page(str(views / f"{name}.py"), title=ui.tr(name), url_path=name, default=name == "overview")
             for name in PAGES if not allowed or name not in PAGE_NEEDS or login.may(PAGE_NEEDS[name])]
    page = st.navigation(pages, expanded=True, position="sidebar" if allowed else "hidden")
    if not allowed:
        login.door()  # nothing below runs before a configured login succeeds
    login.sign_out_button()

    opts = ui.options()
    if opts.demo_recordings:
        # only those who may remove demo data are told where (login.may)
        st.warning(ui.tr("demo_banner" if login.may("demo") else "demo_banner_read", n=opts.demo_recordings),
                   icon=":material/science:")
    if opts.noise_recordings:  # honest about the model: results of a random-weight stand-in are noise
        st.error(ui.tr("noise_banner", n=opts.noise_recordings), icon=":material/warning:")
    st.session_state["filter"] = ui.sidebar_filters(opts) if opts.recordings else None
    st.session_state["options"] = opts
    page.run()


try:
    main()
except Exception:  # st.stop, st.rerun and st.switch_page are not Exceptions: they pass through
    # No traceback on the page (it names source files and values): it goes to the log, and the page
    # says something went wrong. TONEBOARD_RAISE=1 (the test suite) lets it through to be seen.
    if os.environ.get("TONEBOARD_RAISE") == "1":
        raise
    log.exception("a dashboard page failed")
    st.error(ui.tr("page_failed"))

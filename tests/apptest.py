"""Running the dashboard's pages with Streamlit's AppTest (shared by the dashboard's tests)."""
import os
from pathlib import Path

from streamlit.testing.v1 import AppTest

from dashboard import PAGES  # noqa: F401 - the app's own list, for the tests

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


def _app(db, page: str, lang: str = "en") -> AppTest:
    os.environ["TONEBOARD_DB"] = str(db)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = lang
    at.run()
    if page != "overview":
        at.switch_page(f"views/{page}.py")
        at.run()
    return at


def _texts(at: AppTest) -> str:
    return " ".join(str(e.value) for e in list(at.markdown) + list(at.info) + list(at.title) + list(at.caption) + list(at.subheader))

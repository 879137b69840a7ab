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


def csv_downloads(monkeypatch) -> dict:
    """The CSV files the pages offer, made when their button is pressed (deferred): file name
    without its time stamp (``sessions``, ``stuck-points`` ...) -> its rows, made on call."""
    import csv
    import io

    from streamlit.runtime.media_file_manager import MediaFileManager

    made = {}
    real = MediaFileManager.add_deferred

    def remember(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        if file_name and file_name.endswith(".csv"):
            made[file_name.rsplit("-", 2)[0]] = lambda: list(csv.DictReader(io.StringIO(data_callable().decode("utf-8-sig"))))
        return real(self, data_callable, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", remember)
    return made

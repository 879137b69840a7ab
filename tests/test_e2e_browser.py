"""End to end in a real browser: Debian's Chromium, driven by Playwright, against `toneboard
dashboard` started as users start it. Two synthesised recordings are dropped on the upload widget,
analysed by the background worker (the real pipeline on the tiny random model), then the sessions
CSV is downloaded and checked, the timeline opened from a table row and a segment clicked, a heatmap cell clicked,
and every page photographed into artifacts/e2e/ (or $TONEBOARD_ARTIFACTS).

Skipped, saying why, where Chromium or Playwright is missing (`make test` installs both on Debian)."""
from __future__ import annotations

import base64
import csv
import io
import os
import re
import shutil
from pathlib import Path

import pytest
from servers import start_dashboard
from synth import compose, speak, write_wav

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("TONEBOARD_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
from dashboard import PAGES  # noqa: E402 - the app's own list

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="end-to-end browser test skipped: no Chromium found (Debian: "
                       "apt-get install chromium, which `make test` does as root; or set TONEBOARD_CHROMIUM)"),
    pytest.mark.skipif(sync_playwright is None, reason="end-to-end browser test skipped: Playwright is not "
                       "installed (pip install -e '.[test]')"),
]


@pytest.fixture()
def server(tmp_path, tiny_model):
    """`toneboard dashboard` on an empty database and a free port, with the tiny model for uploads."""
    log_path = tmp_path / "dashboard.log"
    with open(log_path, "w") as log:
        try:
            proc, url = start_dashboard(tmp_path / "tb.duckdb", "--lang", "en", "--model", str(tiny_model), log=log)
        except RuntimeError as e:
            pytest.fail(f"{e}:\n" + log_path.read_text())
        try:
            yield url
        finally:
            proc.terminate()
            proc.wait(20)


@pytest.fixture()
def artifacts() -> Path:
    out = Path(os.environ.get("TONEBOARD_ARTIFACTS", ROOT / "artifacts" / "e2e"))
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    return out


def _recordings(tmp_path: Path) -> dict[str, bytes]:
    """Two short calls with a known layout: three and two utterances with pauses between them."""
    a = compose([(0.0, speak("Hello, thank you for calling.")), (1.5, speak("How can I help you today?")),
                 (1.0, speak("I will check that for you."))])
    b = compose([(0.0, speak("My order has not arrived.")), (2.0, speak("I want a refund now."))])
    files = {"call one.wav": a, "call-two.wav": b}
    return {name: write_wav(tmp_path / name, lay.audio[0]).read_bytes() for name, lay in files.items()}


def _settled(page, timeout_s: float = 60) -> None:
    """Wait until the page is drawn: its title is there, the script run has finished (the app's
    data-test-script-state, which Streamlit's own browser tests wait on) and every Plotly chart has
    its SVG."""
    ms = timeout_s * 1000
    page.locator("[data-testid=stMain] h1").first.wait_for(state="visible", timeout=ms)
    page.wait_for_function("() => document.querySelector('[data-testid=stApp]')?.getAttribute('data-test-script-state')"
                           " === 'notRunning'", timeout=ms)
    page.wait_for_function("() => [...document.querySelectorAll('.stPlotlyChart')].every(c => c.querySelector('.main-svg'))",
                           timeout=ms)
    assert page.locator("[data-testid=stException]").count() == 0, page.locator("[data-testid=stException]").first.inner_text()


def _drop(page, files: dict[str, bytes]) -> None:
    """Drag-and-drop: build a DataTransfer holding the files in the page and drop it on the dropzone."""
    payload = [[name, base64.b64encode(data).decode()] for name, data in files.items()]
    transfer = page.evaluate_handle("""(files) => {
        const dt = new DataTransfer();
        for (const [name, b64] of files) {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            dt.items.add(new File([bytes], name, {type: 'audio/wav'}));
        }
        return dt;
    }""", payload)
    zone = page.locator("[data-testid=stFileUploaderDropzone]").first
    for event in ("dragenter", "dragover", "drop"):
        zone.dispatch_event(event, {"dataTransfer": transfer})


def _goto(page, url: str, name: str, shots: Path) -> None:
    page.goto(f"{url}/{'' if name == 'overview' else name}")
    _settled(page)
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def test_upload_two_recordings_then_timeline_csv_and_every_page(server, artifacts, tmp_path):
    files = _recordings(tmp_path)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1400}, accept_downloads=True)
        try:
            _goto(page, server, "overview", artifacts)
            expect(page.get_by_text("No recordings yet").first).to_be_visible()

            # upload: drop both files on the widget, analyse, wait for the worker's summary
            page.goto(f"{server}/upload")
            _settled(page)
            _drop(page, files)
            for name in files:
                expect(page.get_by_text(name, exact=True).first).to_be_visible(timeout=20_000)
            page.get_by_role("button", name="Analyse", exact=True).click()
            expect(page.get_by_text("Done: 2 ingested, 0 skipped, 0 failed")).to_be_visible(timeout=120_000)
            page.screenshot(path=str(artifacts / "upload.png"), full_page=True)

            # sessions: both recordings, and the CSV beside the table holds exactly them
            _goto(page, server, "sessions", artifacts)
            with page.expect_download() as dl:
                page.get_by_role("button", name="Download CSV").first.click()
            rows = list(csv.DictReader(io.StringIO(Path(dl.value.path()).read_text(encoding="utf-8-sig"))))
            assert sorted(r["filename"] for r in rows) == sorted(files)
            assert all(float(r["duration_s"]) > 3 and int(r["n_segments"]) >= 1 for r in rows)

            # timeline: a click on a row of the sessions table opens it; a click on a segment plays from there
            grid = page.locator("[data-testid=stDataFrame]").first.bounding_box()
            page.mouse.click(grid["x"] + 18, grid["y"] + 35 + 17)  # the first row's selection box
            expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
            _settled(page)
            expect(page.get_by_role("combobox", name="Recording")).to_have_value(re.compile("^" + re.escape(rows[0]["filename"])))
            bars = page.locator(".stPlotlyChart .bars path")
            expect(bars.first).to_be_visible(timeout=30_000)
            expect(page.locator("[data-testid=stAudio]")).to_have_count(1)
            picker = page.get_by_role("combobox", name="Segment")
            first = picker.input_value()
            assert re.match(r"^\d+:\d\d · ", first), first  # m:ss · role · emotion: the first segment until another is clicked
            last = max(bars.all(), key=lambda b: b.bounding_box()["x"])  # the latest segment in time
            last.click(force=True)
            _settled(page)
            expect(picker).not_to_have_value(first)
            at = lambda label: sum(int(x) * 60 ** i for i, x in enumerate(reversed(label.split(" · ")[0].split(":"))))  # noqa: E731
            assert at(picker.input_value()) > at(first)
            page.screenshot(path=str(artifacts / "timeline.png"), full_page=True)

            # heatmaps: a click on a cell lists the recordings behind it
            page.goto(f"{server}/heatmaps")
            _settled(page)
            area = page.locator(".stPlotlyChart:visible .nsewdrag").first.bounding_box()
            page.mouse.click(area["x"] + area["width"] / 2, area["y"] + area["height"] / 2)
            _settled(page)
            expect(page.get_by_text("Recordings behind").locator("visible=true")).to_have_count(1)
            page.screenshot(path=str(artifacts / "heatmaps.png"), full_page=True)

            for name in ("people", "trends", "moments", "trackers", "topics", "experiments", "playlists", "compare", "risk",
                         "quality", "review", "classroom", "export", "live", "accuracy", "team", "overview"):
                _goto(page, server, name, artifacts)
            expect(page.get_by_text("Recordings", exact=True)).to_be_visible()  # the key figures
            page.get_by_text("中文").first.click()  # the same overview in Chinese
            expect(page.get_by_role("heading", name="toneboard 语气看板")).to_be_visible()
            expect(page.get_by_role("link", name="概览")).to_be_visible()
            _settled(page)
            page.screenshot(path=str(artifacts / "overview-zh.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(artifacts / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()
    assert {p.stem for p in artifacts.glob("*.png")} >= set(PAGES)

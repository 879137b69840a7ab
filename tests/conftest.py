"""Shared fixtures: a tiny random-weight SenseVoiceSmall in the real layout (built once, cached in
.cache/), the real recognizer on it, and synthesised speech with a known layout."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
# A page that fails raises in the tests (AppTest's at.exception), instead of the friendly message a
# user sees (tests/reliability/test_hostile_pages.py checks that one with this unset).
os.environ.setdefault("TONEBOARD_RAISE", "1")
os.environ.setdefault("STREAMLIT_CLIENT_SHOW_ERROR_DETAILS", "full")  # a failing test shows the error itself

from sensevoice_random import build_model_dir  # noqa: E402
from synth import SENTENCES, compose, convert, speak, stereo, write_wav  # noqa: E402


@pytest.fixture(scope="session")
def tiny_model() -> Path:
    return build_model_dir(ROOT / ".cache" / "test-models" / "tiny", "tiny")


@pytest.fixture(scope="session")
def recognizer(tiny_model):
    from ingest.models.recognize import RecognizerSettings, SenseVoiceRecognizer

    # fp32: the reference path (on CPU the default is int8, tested against this one)
    return SenseVoiceRecognizer(RecognizerSettings(model=str(tiny_model), device="cpu", threads=1,
                                                   precision="fp32"))


@pytest.fixture(scope="session")
def clips():
    return [speak(s) for s in SENTENCES[:4]]


@pytest.fixture(scope="session")
def mono_layout(clips):
    """Three utterances with 2.0 s and 1.2 s of silence between them."""
    return compose([(0.0, clips[0]), (2.0, clips[1]), (1.2, clips[2])], lead_s=0.8, tail_s=0.8)


@pytest.fixture(scope="session")
def stereo_layout(clips):
    """Agent (left) and customer (right) take turns; each channel has its own pauses."""
    agent = compose([(0.0, clips[0]), (clips[1].size / 16000 + 1.0, clips[2])], lead_s=0.5)
    customer = compose([(0.5 + clips[0].size / 16000 + 0.5, clips[1]),
                        (clips[2].size / 16000 + 1.0, clips[3])], lead_s=0.5)
    return stereo(agent, customer)


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """A real store + DuckDB file filled with the seeded demo data; (db path, planted, connection)."""
    from datetime import datetime

    from analytics.db import Data
    from analytics.workflow.after_batch import build_demo as build

    db = tmp_path_factory.mktemp("demo") / "tb.duckdb"
    planted = build(db, seed=7, now_=datetime(2026, 11, 24, 18, 0))
    return db, planted, Data(db).con


@pytest.fixture()
def demo_copy(demo, tmp_path):
    """A private, writable copy of the demo database (for tests that change it)."""
    import shutil

    from analytics.db import Data
    from ingest.store import Store
    from ingest.store.layout import store_dir

    db, planted, _ = demo
    dest = tmp_path / "tb.duckdb"
    shutil.copytree(store_dir(db), store_dir(dest))
    Store(dest).init()  # views for the new place
    return Data(dest), planted


@pytest.fixture()
def batch_dir(tmp_path, mono_layout, stereo_layout):
    """A folder of good and bad files: mono wav, a stereo m4a with a hostile name, text, fake mp3, empty, silence."""
    d = tmp_path / "in"
    (d / "sub dir").mkdir(parents=True)
    write_wav(d / "call one.wav", mono_layout.audio)
    convert(write_wav(tmp_path / "st.wav", stereo_layout.audio), d / "sub dir" / "客户'; DROP TABLE x;--.m4a",
            "-c:a", "aac", "-b:a", "128k")
    (d / "notes.txt").write_text("not audio, not in a folder scan")
    (d / "fake.mp3").write_text("definitely not an mp3")
    (d / "empty.wav").write_bytes(b"")
    write_wav(d / "silence.wav", np.zeros(16000 * 3, np.float32))
    return d


def pytest_sessionstart(session):
    import shutil
    import tempfile

    import leftovers

    session.config._toneboard_since = leftovers.mark()
    # the pages and commands save trackers to their file: the suite's own copy of the shipped one, never the repository's
    # (a test that needs another sets TONEBOARD_TRACKERS itself; dashboards the suite starts inherit it)
    own = Path(tempfile.mkdtemp(prefix="toneboard-trackers-")) / "trackers.yaml"
    shutil.copy(Path(__file__).resolve().parent.parent / "data" / "trackers.yaml", own)
    os.environ["TONEBOARD_TRACKERS"] = str(own)


def pytest_sessionfinish(session, exitstatus):
    """No dashboard, live server or Ray process may outlive the suite (see tests/leftovers.py)."""
    import time

    import leftovers

    since = getattr(session.config, "_toneboard_since", 0.0)
    found = leftovers.survivors(since)
    for _ in range(20):  # a process that was just asked to stop gets a moment
        if not found:
            break
        time.sleep(0.5)
        found = leftovers.survivors(since)
    if found:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        lines = "\n".join(f"  pid {pid}: {cmd}" for pid, cmd in found)
        msg = f"processes left behind by the test suite (stopped now):\n{lines}"
        if reporter:
            reporter.write_line(msg, red=True)
        else:
            print(msg)
        leftovers.stop([pid for pid, _ in found])
        session.exitstatus = 1


@pytest.fixture()
def page():
    """A page of Debian's Chromium, driven by Playwright (the browser tests skip without one)."""
    from playwright.sync_api import sync_playwright
    from test_e2e_browser import CHROMIUM

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        yield browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        browser.close()


@pytest.fixture()
def demo_db(demo, tmp_path):
    """A copy of the demo store per test (the pages may write: tickets, corrections)."""
    import shutil

    from ingest.store import Store
    from ingest.store.layout import store_dir

    db, planted, _ = demo
    dest = tmp_path / "tb.duckdb"
    shutil.copytree(store_dir(db), store_dir(dest))
    Store(dest).init()
    return dest, planted


@pytest.fixture(scope="module")
def encoder():
    """Resemblyzer's voice encoder (real weights, from its wheel)."""
    from ingest.models.speaker_encoders import VoiceEncoder

    return VoiceEncoder()


@pytest.fixture(scope="module")
def vad():
    """Silero VAD (real weights, from its wheel)."""
    from ingest.models.vad import VadSettings, load_vad

    return load_vad(VadSettings())

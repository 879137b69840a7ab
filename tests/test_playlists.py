"""Playlists for coaching: moments saved from the Moments page, opened as a page, exported as one
HTML file whose audio clips keep segments with personal data muted."""
import base64
import io
import wave

import duckdb
import numpy as np
from apptest import _app
from synth import SR, write_wav

from analytics import audio, playlists


def test_save_moments_open_the_playlist_and_export_it(demo_db):
    db, _ = demo_db
    at = _app(db, "moments")
    at.text_input(key="mo_q").input("dashboard").run()
    at.text_input(key="mo_playlist").input("objection handled well").run()
    at.button(key="mo_save_0").click().run()
    at.button(key="mo_save_1").click().run()
    assert not at.exception, at.exception
    assert any("Saved to “objection handled well”" in s.value for s in at.success)
    at.switch_page("views/playlists.py").run()
    assert not at.exception, at.exception
    assert any("2 moments" in c.value for c in at.caption)
    quotes = [m.value for m in at.markdown if m.value.startswith("> ")]
    assert len(quotes) == 2 and all("dashboard" in q.lower() for q in quotes)
    at.button(key="pl_rm_1").click().run()  # taken off again
    assert any("1 moment " in c.value for c in at.caption)
    from analytics.db import Data

    html = playlists.to_html(Data(db).con, "objection handled well")
    assert "objection handled well" in html and "dashboard" in html.lower() and "no audio kept" in html  # demo: no audio


def test_exported_clips_keep_personal_data_muted(tmp_path):
    t = np.arange(int(6 * SR)) / SR
    path = write_wav(tmp_path / "call.wav", (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32))
    con = duckdb.connect()
    con.execute("CREATE TABLE segments (recording_id VARCHAR, start_s DOUBLE, end_s DOUBLE, pii VARCHAR[])")
    con.execute("INSERT INTO segments VALUES ('r', 1.0, 2.5, ['phone']), ('r', 2.5, 4.0, NULL)")
    clip = audio.clip(con, "r", str(path), 2.0, 3.0)  # the clip runs 1.0-4.0 s
    with wave.open(io.BytesIO(base64.b64decode(clip))) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32767
    muted, heard = x[: int(1.4 * SR)], x[int(1.6 * SR):]
    assert np.abs(muted).max() == 0.0 and np.abs(heard).max() > 0.2

"""The live server: synthesised calls streamed through a real WebSocket connection to a real server
on 127.0.0.1 (its own event loop in a thread), the real VAD, and the finished calls in the store."""
import asyncio
import json
import time
from pathlib import Path

import duckdb
import numpy as np
import pytest
from synth import SR, assert_spans_close, compose, merge_regions, stereo, write_wav
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from analytics.workflow.after_batch import hook
from ingest.batch.pipeline import IngestOptions
from ingest.live.client import send_file
from ingest.live.server import InThread, LiveOptions, LiveServer
from ingest.models.recognize import Recognized
from ingest.models.tags import parse


class LevelScriptRecognizerDouble:
    """Test double at the recogniser boundary: what a segment "says" follows its level, so a call
    can plant what the rules look for. Loud: an angry request for a manager; middle: the agent's
    question; quiet: a calm statement."""

    model_id, revision = "test-double-levels", None

    def transcribe(self, slices):
        out = []
        for s in slices:
            rms = float(np.sqrt(np.mean(np.square(s, dtype=np.float64)))) if len(s) else 0.0
            raw = ("<|en|><|ANGRY|><|Speech|><|withitn|>this is useless, I want to speak to a manager" if rms > 0.06
                   else "<|en|><|NEUTRAL|><|Speech|><|withitn|>could you tell me your order number?" if rms > 0.02
                   else "<|en|><|NEUTRAL|><|Speech|><|withitn|>okay, thank you")
            out.append(Recognized(parse(raw), 0.9))
        return out


def _at(clip: np.ndarray, rms: float) -> np.ndarray:
    return (clip * (rms / np.sqrt(np.mean(np.square(clip, dtype=np.float64))))).astype(np.float32)


@pytest.fixture()
def live(tmp_path):
    started = []

    def start(recognizer, **kw):
        opts = LiveOptions(IngestOptions(db=tmp_path / "live.duckdb", device="cpu", threads=1), port=0, **kw)
        r = InThread(LiveServer(opts, recognizer, after_call=hook(opts.ingest, compaction=False)))  # as `toneboard live`
        started.append(r)
        return r
    yield start
    for r in started:
        r.stop()


def _rows(db, sql, params=()):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def _send(path, url, **kw):
    return asyncio.run(send_file(path, url, speed=0, **kw))


def test_segments_arrive_with_the_layouts_times_and_the_call_is_stored_once(live, tmp_path, mono_layout, recognizer):
    srv = live(recognizer)
    wav = write_wav(tmp_path / "call.wav", mono_layout.audio)
    events = _send(wav, srv.url, call_id="call-1", metadata={"agent": "Li"})
    assert events[0]["type"] == "ready" and events[-1]["type"] == "stored"
    segs = [e for e in events if e["type"] == "segment"]
    assert_spans_close(merge_regions([(e["start_s"], e["end_s"]) for e in segs]), mono_layout.spans[0])
    assert all(e["role"] == "mixed" and e["emotion"] and "loudness_dbfs" in e for e in segs)
    assert [e["type"] for e in events].count("pause") >= 2  # the two planted gaps
    db = tmp_path / "live.duckdb"
    rid = events[-1]["recording_id"]
    assert _rows(db, "SELECT count(*), any_value(n_segments) FROM recordings") == [(1, len(segs))]
    stored = _rows(db, "SELECT start_s, end_s FROM segments WHERE recording_id = ? ORDER BY start_s", [rid])
    assert stored == [(e["start_s"], e["end_s"]) for e in sorted(segs, key=lambda e: e["start_s"])]
    assert ("agent", "Li") in _rows(db, "SELECT key, value FROM metadata WHERE recording_id = ?", [rid])
    # the kept audio is the call: ingesting that file later finds it stored already
    path = _rows(db, "SELECT path FROM recordings")[0][0]
    from ingest.batch.pipeline import ingest_paths
    again = ingest_paths([path], IngestOptions(db=db, device="cpu", threads=1), recognizer=recognizer)
    assert [(o.status, o.recording_id) for o in again.outcomes] == [("skipped", rid)]


def _planted_call(clips) -> np.ndarray:
    """Stereo, agent left, customer right: a question, 7 s of silence, then the customer twice angry
    and asking for a manager."""
    agent = compose([(0.5, _at(clips[0], 0.035))], lead_s=0.0, tail_s=0.0)
    q_end = agent.duration_s
    customer = compose([(q_end + 7.0, _at(clips[1], 0.1)), (1.5, _at(clips[2], 0.1))], lead_s=0.0, tail_s=1.0)
    return stereo(agent, customer).audio, q_end


def _calm_call(clips) -> np.ndarray:
    agent = compose([(0.5, _at(clips[0], 0.01)), (clips[1].size / SR + 1.5, _at(clips[2], 0.01))], lead_s=0.0)
    customer = compose([(0.5 + clips[0].size / SR + 0.7, _at(clips[1], 0.01))], lead_s=0.0, tail_s=1.0)
    return stereo(agent, customer).audio


def test_planted_patterns_raise_their_alerts_and_a_calm_call_none(live, tmp_path, clips):
    srv = live(LevelScriptRecognizerDouble())
    audio, q_end = _planted_call(clips)
    events = _send(write_wav(tmp_path / "angry.wav", audio), srv.url, call_id="angry")
    alerts = {e["rule"]: e for e in events if e["type"] == "alert"}
    assert set(alerts) == {"silence_after_question", "phrase", "angry_twice"}, alerts
    assert abs(alerts["silence_after_question"]["at_s"] - (q_end + 5.0)) < 0.5
    assert all(a["message"] for a in alerts.values())
    roles = {e["role"] for e in events if e["type"] == "segment"}
    assert roles == {"agent", "customer"}
    calm = _send(write_wav(tmp_path / "calm.wav", _calm_call(clips)), srv.url, call_id="calm")
    assert [e for e in calm if e["type"] == "alert"] == []
    db = tmp_path / "live.duckdb"  # the alerts became risk tickets of the stored call
    tickets = _rows(db, "SELECT rule_id FROM tickets WHERE recording_id = ? AND rule_id LIKE 'live:%' ORDER BY 1",
                    [events[-1]["recording_id"]])
    assert tickets == [("live:angry_twice",), ("live:phrase",), ("live:silence_after_question",)]
    # the stored call went through the rules too, as every ingest does (the risk queue runs itself)
    assert _rows(db, "SELECT count(*) FROM tickets WHERE recording_id = ? AND rule_id NOT LIKE 'live:%'",
                 [events[-1]["recording_id"]])[0][0] > 0


def _start(call_id, rate=16000, channels=1, **more):
    return json.dumps({"type": "start", "call_id": call_id, "sample_rate": rate, "channels": channels, **more})


def test_a_dropped_call_resumes_or_is_stored_with_what_arrived(live, tmp_path, mono_layout, recognizer):
    srv = live(recognizer, resume_s=1.0)
    pcm = (mono_layout.audio[0] * 32767).astype("<i2").tobytes()
    half = len(pcm) // 2 // 2 * 2
    with connect(srv.url) as ws:  # first half, then the connection drops
        ws.send(_start("resumed", metadata={"agent": "Li"}))
        first = json.loads(ws.recv())
        assert first["received_s"] == 0.0 and len(first["resume_token"]) >= 24
        ws.send(pcm[:half])
    for token in (None, "guessed-" + first["resume_token"][8:]):  # another client knows the call_id, not the token
        with connect(srv.url) as ws:
            ws.send(_start("resumed", **({"resume_token": token} if token else {}), metadata={"agent": "Mallory"}))
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv()  # refused: it gets no ready, no transcript, and sends nothing into the call
            assert closed.value.rcvd.code == 1008 and "resume_token" in closed.value.rcvd.reason
    with connect(srv.url) as ws:  # back within resume_s with its token: the call goes on where it was
        ws.send(_start("resumed", resume_token=first["resume_token"]))
        ready = json.loads(ws.recv())
        assert ready["type"] == "ready" and abs(ready["received_s"] - half / 2 / SR) < 0.01
        ws.send(pcm[half:])
        ws.send(json.dumps({"type": "stop"}))
        events = [json.loads(m) for m in ws]
    assert events[-1]["type"] == "stored"
    db = tmp_path / "live.duckdb"
    dur = _rows(db, "SELECT duration_s FROM recordings WHERE recording_id = ?", [events[-1]["recording_id"]])
    assert abs(dur[0][0] - mono_layout.duration_s) < 0.05
    meta = dict(_rows(db, "SELECT key, value FROM metadata WHERE recording_id = ?", [events[-1]["recording_id"]]))
    assert meta["agent"] == "Li"  # the first caller's

    with connect(srv.url) as ws:  # dropped for good: stored after resume_s with what had arrived
        ws.send(_start("dropped"))
        ws.recv()
        ws.send(pcm[:half])
    for _ in range(100):
        rows = _rows(db, "SELECT r.duration_s FROM recordings r JOIN metadata m USING (recording_id) "
                         "WHERE m.key = 'call_id' AND m.value = 'dropped'")
        if rows:
            break
        time.sleep(0.1)
    assert len(rows) == 1 and abs(rows[0][0] - half / 2 / SR) < 0.05
    assert _rows(db, "SELECT count(*) FROM recordings")[0][0] == 2


def _closed_with(ws_action, url) -> tuple[int, str]:
    with connect(url, max_size=None) as ws:
        try:
            ws_action(ws)
            for _ in ws:
                pass
        except ConnectionClosed:
            pass
        return ws.close_code, ws.close_reason


def test_bad_input_gets_a_close_reason_and_other_calls_go_on(live, tmp_path, mono_layout, recognizer):
    srv = live(recognizer, start_timeout_s=0.5, max_message_bytes=64_000)
    cases = {
        "not json": lambda ws: ws.send("hello"),
        "audio first": lambda ws: ws.send(b"\x00\x01" * 100),
        "wrong rate": lambda ws: ws.send(_start("r", rate=44100)),
        "bad id": lambda ws: ws.send(_start("../../etc")),
        "odd frame": lambda ws: (ws.send(_start("odd")), ws.recv(), ws.send(b"\x00\x01\x02")),
        "too big": lambda ws: (ws.send(_start("big")), ws.recv(), ws.send(b"\x00" * 100_000)),
        "never sends": lambda ws: time.sleep(1.0),
    }
    got = {name: _closed_with(action, srv.url) for name, action in cases.items()}
    assert got["not json"][0] == 1008 and "JSON" in got["not json"][1]
    assert got["audio first"][0] == 1008 and "start message" in got["audio first"][1]
    assert got["wrong rate"][0] == 1008 and "sample_rate 44100" in got["wrong rate"][1]
    assert got["bad id"][0] == 1008 and "call_id" in got["bad id"][1]
    assert got["odd frame"][0] == 1003 and "whole samples" in got["odd frame"][1]
    assert got["too big"][0] == 1009
    assert got["never sends"][0] == 1008 and "no start message" in got["never sends"][1]
    events = _send(write_wav(tmp_path / "ok.wav", mono_layout.audio), srv.url, call_id="still-fine")
    assert events[-1]["type"] == "stored"


def test_the_live_page_shows_calls_in_progress_with_their_alerts(live, tmp_path, clips):
    """While a call is going on (here: dropped, waiting to resume) the dashboard's live page lists
    it with its alerts; once stored it is gone from there."""
    import os

    from streamlit.testing.v1 import AppTest

    from analytics.live_calls import active_calls, supervisor_table

    srv = live(LevelScriptRecognizerDouble(), resume_s=60.0)
    audio, _ = _planted_call(clips)
    pcm = (np.clip(audio.T, -1, 1) * 32767).astype("<i2").tobytes()
    with connect(srv.url) as ws:
        ws.send(_start("on-air", channels=2))
        ws.recv()
        for i in range(0, len(pcm), 6400):
            ws.send(pcm[i:i + 6400])
        while True:  # until the last planted alert has arrived
            if json.loads(ws.recv()).get("rule") == "angry_twice":
                break
    root = srv.server.store.live_status()
    for _ in range(100):
        calls = active_calls(root)
        if calls and not calls[0]["connected"]:
            break
        time.sleep(0.05)
    table = supervisor_table(calls)
    assert list(table["call_id"]) == ["on-air"] and table["alerts"].iloc[0] == 3 and not table["connected"].iloc[0]
    assert "ANGRY" in table["recent_emotions"].iloc[0]

    os.environ["TONEBOARD_DB"] = str(tmp_path / "live.duckdb")
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py"), default_timeout=60)
    at.session_state["lang"] = "en"
    at.run()
    at.switch_page("views/live.py")
    at.run()
    assert not at.exception
    assert list(at.dataframe[0].value["call_id"]) == ["on-air"]
    assert any("speak to a manager" in w.value or "supervisor" in w.value for w in at.warning)

    srv.stop()  # shutting down stores the waiting call
    assert active_calls(root) == []
    assert _rows(tmp_path / "live.duckdb", "SELECT count(*) FROM recordings")[0][0] == 1


def test_a_call_without_audio_or_speech_is_not_a_recording(live, tmp_path, recognizer):
    srv = live(recognizer)

    def call(call_id, pcm):
        with connect(srv.url) as ws:
            ws.send(_start(call_id))
            ws.recv()
            if pcm:
                ws.send(pcm)
            ws.send(json.dumps({"type": "stop"}))
            return [json.loads(m) for m in ws][-1]
    empty = call("empty", b"")
    assert empty["recording_id"] is None and "no audio" in empty["reason"]
    silent = call("silent", np.zeros(SR * 2, "<i2").tobytes())
    assert silent["recording_id"] is None and "no speech found" in silent["reason"]
    db = tmp_path / "live.duckdb"
    assert _rows(db, "SELECT count(*) FROM recordings")[0][0] == 0
    assert _rows(db, "SELECT stage FROM ingest_errors") == [("vad",)]


def test_telephony_8khz_audio_is_upsampled_and_segmented_in_time(live, tmp_path, mono_layout, recognizer):
    from scipy.signal import resample_poly

    srv = live(recognizer)
    narrow = resample_poly(mono_layout.audio[0], 1, 2)  # what a phone line carries
    pcm = (np.clip(narrow, -1, 1) * 32767).astype("<i2").tobytes()
    with connect(srv.url) as ws:
        ws.send(_start("phone", rate=8000))
        ws.recv()
        for i in range(0, len(pcm), 1600):  # 100 ms frames at 8 kHz
            ws.send(pcm[i:i + 1600])
        ws.send(json.dumps({"type": "stop"}))
        events = [json.loads(m) for m in ws]
    segs = [(e["start_s"], e["end_s"]) for e in events if e["type"] == "segment"]
    assert_spans_close(merge_regions(segs), mono_layout.spans[0])
    dur = _rows(tmp_path / "live.duckdb", "SELECT duration_s, sample_rate FROM recordings")
    assert abs(dur[0][0] - mono_layout.duration_s) < 0.01 and dur[0][1] == 8000


def test_live_transcripts_are_redacted_in_events_and_in_the_store(live, tmp_path, mono_layout):
    from doubles import FixedTextRecognizerDouble

    srv = live(FixedTextRecognizerDouble("<|zh|><|NEUTRAL|><|Speech|><|withitn|>我的手机是13812345678"))
    events = _send(write_wav(tmp_path / "pii.wav", mono_layout.audio), srv.url, call_id="pii")
    texts = [e["text"] for e in events if e["type"] == "segment"]
    assert texts and all("[PHONE]" in t and "13812345678" not in t for t in texts)
    stored = _rows(tmp_path / "live.duckdb", "SELECT text, raw_text FROM segments")
    assert stored and all("13812345678" not in t and "13812345678" not in r for t, r in stored)

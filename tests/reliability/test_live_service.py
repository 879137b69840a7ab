"""The live server as a service: SIGTERM stores the call in progress, pace and caps on calls,
speed and disk, and a client told clearly when the server goes away."""
from __future__ import annotations

import subprocess

import numpy as np
import pytest
from synth import SR, write_wav

import cli
from reliability.test_service import ROOT, _free_port, _live_server, _start


def test_sigterm_to_the_live_server_stores_the_call_in_progress(tmp_path, tiny_model, mono_layout):
    """A call half sent when the server gets SIGTERM is stored, as on Ctrl-C; a stale status file
    left by a crashed server is cleaned at start."""
    import json
    import signal
    import sys
    import time

    import duckdb
    from websockets.sync.client import connect

    from ingest.decode import pcm16
    from ingest.store.layout import store_dir

    db = tmp_path / "tb.duckdb"
    active = store_dir(db) / "live" / "_active"
    active.mkdir(parents=True)
    (active / "ghost.json").write_text(json.dumps({"call_id": "ghost", "pid": 999_999_999}))
    port = _free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "live", "--db", str(db), "--port", str(port),
                             "--model", str(tiny_model), "--threads", "1"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        line = proc.stdout.readline()
        while line and "toneboard live on" not in line:
            line = proc.stdout.readline()
        assert "toneboard live on" in line, line
        assert not (active / "ghost.json").exists()
        with connect(f"ws://127.0.0.1:{port}") as ws:
            ws.send(json.dumps({"type": "start", "call_id": "c-term", "sample_rate": 16000, "channels": 1}))
            assert json.loads(ws.recv())["type"] == "ready"
            pcm = pcm16(np.atleast_2d(mono_layout.audio))
            for i in range(0, len(pcm), 3200):
                ws.send(pcm[i:i + 3200])
            time.sleep(1.0)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(60) == 0
        rest = proc.stdout.read()
        assert "stopped" in rest, rest
    finally:
        proc.kill()
        proc.wait()
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT r.recording_id FROM recordings r JOIN metadata m USING (recording_id) "
                           "WHERE m.key = 'call_id' AND m.value = 'c-term'").fetchall()
    finally:
        con.close()
    assert len(rows) == 1
    assert not list(active.glob("*.json"))


def test_pace_lets_a_burst_through_then_holds_audio_to_the_allowed_speed():
    from ingest.live.server import Pace

    now = [0.0]
    p = Pace(max_speed=4.0, burst_s=10.0, clock=lambda: now[0])
    assert p.delay(8.0) == 0.0  # within the burst
    assert p.delay(4.0) == pytest.approx(0.5)  # 12 s of audio at t=0: 2 s over, at 4x: 0.5 s
    now[0] = 10.0
    assert p.delay(20.0) == 0.0  # 32 s by t=10 s: the burst plus 40 s allowed


def test_the_live_server_caps_calls_speed_and_disk(tmp_path, recognizer, mono_layout):
    import json
    import time

    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    from ingest.store.layout import store_dir

    pcm = (np.clip(mono_layout.audio[0], -1, 1) * 32767).astype("<i2").tobytes()
    srv = _live_server(tmp_path, recognizer, max_calls=1, max_speed=2.0, burst_s=1.0)
    try:
        with connect(srv.url) as first:
            first.send(_start("one"))
            assert json.loads(first.recv())["type"] == "ready"
            with connect(srv.url) as second:  # a second call while the limit is one: refused, with a reason
                second.send(_start("two"))
                with pytest.raises(ConnectionClosed) as refused:
                    second.recv()
            assert refused.value.rcvd.code == 1013 and "server busy" in refused.value.rcvd.reason
            t0 = time.monotonic()
            for i in range(0, len(pcm), 6400):  # sent as fast as possible
                first.send(pcm[i:i + 6400])
            first.send(json.dumps({"type": "stop"}))
            events = [json.loads(m) for m in first]
            took = time.monotonic() - t0
        audio_s = len(pcm) / 2 / SR
        assert events[-1]["type"] == "stored" and events[-1]["recording_id"]
        assert took >= (audio_s - 1.0) / 2.0 - 0.3, (took, audio_s)  # held to 2x real time after the burst
    finally:
        srv.stop()
    live = store_dir(tmp_path / "live.duckdb") / "live"
    assert any(live.rglob("*.wav"))
    full = _live_server(tmp_path, recognizer, max_disk_gb=1e-9)  # the kept audio is over the limit
    try:
        with connect(full.url) as ws:
            ws.send(_start("three"))
            with pytest.raises(ConnectionClosed) as refused:
                ws.recv()
        assert refused.value.rcvd.code == 1013 and "storage for live calls is full" in refused.value.rcvd.reason
    finally:
        full.stop()


def test_live_send_says_clearly_when_the_server_goes_away(tmp_path, tiny_model, mono_layout):
    import sys
    import time

    port = _free_port()
    server = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "live", "--db", str(tmp_path / "tb.duckdb"),
                               "--port", str(port), "--model", str(tiny_model), "--threads", "1"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = server.stdout.readline()
        while line and "toneboard live on" not in line:
            line = server.stdout.readline()
        wav = write_wav(tmp_path / "call.wav", np.tile(mono_layout.audio, 4))
        client = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "live-send", str(wav), "--url",
                                   f"ws://127.0.0.1:{port}", "--speed", "1"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        server.kill()  # gone, without a word
        _, err = client.communicate(timeout=60)
    finally:
        server.kill()
        server.wait()
    assert client.returncode == cli.EXIT_FILES_FAILED, err
    assert "the server closed the connection before the call was stored" in err and "Traceback" not in err, err

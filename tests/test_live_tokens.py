"""Live clients need a token an admin made: with a token made, a handshake without one (or with a
wrong or removed one) is refused with 401 before a call can start or an event be read, and the
right one streams a call as before; the CLI makes, lists and removes tokens (stored as digests) and
refuses to serve beyond this machine without one. A real server on 127.0.0.1, real WebSockets."""
import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from synth import write_wav
from test_live import live  # noqa: F401, F811 - the fixture: a real server in a thread
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from ingest.live.client import SendFailed, send_and_print, send_file
from ingest.store import accounts

ROOT = Path(__file__).resolve().parent.parent


def _refused(url: str, **headers) -> int:
    with pytest.raises(InvalidStatus) as e:
        connect(url, additional_headers=headers or None, open_timeout=10).close()
    return e.value.response.status_code


def test_a_live_client_without_the_token_is_refused_and_one_with_it_streams(live, tmp_path, mono_layout, recognizer):  # noqa: F811
    db = tmp_path / "live.duckdb"
    srv = live(recognizer)
    wav = write_wav(tmp_path / "call.wav", mono_layout.audio[:16000 * 4])
    assert asyncio.run(send_file(wav, srv.url, speed=0, call_id="open"))[-1]["type"] == "stored"  # no token made: open
    token = accounts.add_live_token(db, "pbx-1", by="test")
    assert token not in (db.parent / f"{db.stem}.store").joinpath("accounts", "live_tokens", "pbx-1.json").read_text()
    assert _refused(srv.url) == 401
    assert _refused(srv.url, Authorization="Bearer tbl_" + "0" * 48) == 401
    with pytest.raises(SendFailed, match="wants a live token"):
        send_and_print(wav, srv.url, "nope", 0, "service")
    events = asyncio.run(send_file(wav, srv.url, speed=0, call_id="with-token", token=token))
    assert events[0]["type"] == "ready" and events[-1]["type"] == "stored"
    with connect(f"{srv.url}/?token={token}", open_timeout=10):  # a browser cannot set a header
        pass
    assert accounts.remove_live_token(db, "pbx-1")
    accounts.add_live_token(db, "pbx-2", by="test")  # another client keeps the server closed to others
    assert _refused(srv.url, Authorization=f"Bearer {token}") == 401  # removed: refused at once


def _cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))


def test_the_live_token_command_and_no_open_server_beyond_this_machine(tmp_path):
    db = str(tmp_path / "tb.duckdb")
    r = _cli("live", "--db", db, "--host", "0.0.0.0", "--port", "1")
    assert r.returncode == 2 and "live-token add" in r.stderr and "Traceback" not in r.stderr
    r = _cli("live-token", "add", "pbx main", "--db", db)
    assert r.returncode == 2 and "1-64 of" in r.stderr
    r = _cli("live-token", "add", "pbx-main", "--db", db)
    token = r.stdout.strip()
    assert r.returncode == 0 and token.startswith("tbl_") and "shown once" in r.stderr
    assert _cli("live-token", "add", "pbx-main", "--db", db).returncode == 2  # taken
    r = _cli("live-token", "list", "--db", db)
    assert r.returncode == 0 and r.stdout.startswith("pbx-main\t") and token not in r.stdout
    assert _cli("live-token", "remove", "pbx-main", "--db", db).returncode == 0
    assert "no live tokens" in _cli("live-token", "list", "--db", db).stdout

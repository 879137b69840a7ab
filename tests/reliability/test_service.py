"""Running toneboard as a service (issue 14): nothing skipped silently, errors that keep their
words, long speech cut where it is quiet, clean shutdowns, no process left behind."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from synth import SR, write_wav

import cli

ROOT = Path(__file__).resolve().parents[2]
ASTERISK = Path("/usr/share/asterisk/sounds/en")


def _gsm(dest: Path, n: int) -> list[Path]:
    """Asterisk's telephony prompts (raw GSM files of real speech), as users find them on a PBX."""
    files = sorted(ASTERISK.glob("*.gsm"))
    files = [f for f in files if 20_000 < f.stat().st_size < 60_000][:n]
    out = []
    for f in files:
        shutil.copy(f, dest / f.name)
        out.append(dest / f.name)
    return out


@pytest.mark.skipif(not ASTERISK.is_dir(), reason="asterisk-core-sounds-en-gsm missing (make test installs it)")
def test_a_folder_ingests_every_audio_file_and_lists_what_it_left_out(tmp_path, tiny_model, mono_layout, capsys):
    calls = tmp_path / "calls"
    (calls / "pbx").mkdir(parents=True)
    gsm = _gsm(calls / "pbx", 3)
    write_wav(calls / "a.wav", mono_layout.audio)
    write_wav(calls / "no-extension-recording", mono_layout.audio * 0.5)  # a WAV without an extension: probed
    (calls / "notes.txt").write_text("call notes")
    (calls / "scan.pdf").write_bytes(b"%PDF-1.4 not audio")
    (calls / "mystery.bin").write_bytes(b"\x00\x01" * 500)  # unknown extension, probed: not audio
    (calls / "empty.wav").write_bytes(b"")  # an audio name: a failure with its reason
    (calls / "empty-notes").write_bytes(b"")
    (calls / ".DS_Store").write_bytes(b"x" * 100)
    db = str(tmp_path / "tb.duckdb")
    rc = cli.main(["ingest", str(calls), "--model", str(tiny_model), "--db", db, "--quiet", "--threads", "1"])
    out = capsys.readouterr().out
    assert rc == cli.EXIT_FILES_FAILED, out
    assert f"{len(gsm) + 2} ingested" in out and "1 failed" in out, out  # the .gsm prompts, a.wav, the extensionless WAV
    assert "5 not recordings" in out and "3 not audio" in out and "1 empty" in out and "1 hidden" in out, out
    for name in ("notes.txt", "scan.pdf", "mystery.bin", "empty-notes", "empty.wav"):
        assert name in out, out


def test_the_manifest_given_is_not_listed_among_what_a_folder_left_out(tmp_path, tiny_model, mono_layout, capsys):
    """`make run` listed data/samples/manifest.csv as "not recordings" (issue 26, item 11)."""
    calls = tmp_path / "calls"
    calls.mkdir()
    write_wav(calls / "a.wav", mono_layout.audio)
    (calls / "manifest.csv").write_text("filename,kind\na.wav,service\n")
    (calls / "notes.txt").write_text("call notes")
    rc = cli.main(["ingest", str(calls), "--manifest", str(calls / "manifest.csv"), "--model", str(tiny_model),
                   "--db", str(tmp_path / "tb.duckdb"), "--quiet", "--threads", "1"])
    out = capsys.readouterr().out
    assert rc == cli.EXIT_OK, out
    assert "1 not recordings" in out or "1 not recording" in out, out
    assert "notes.txt" in out and "manifest.csv" not in out, out


def test_messages_keep_their_square_brackets(tmp_path, tiny_model, capsys):
    """rich markup must not eat text in brackets: a file named "call [ray].wav", a reason quoting
    pip install 'toneboard[ray]'."""
    bad = tmp_path / "call [ray].wav"
    bad.write_text("not audio")
    rc = cli.main(["ingest", str(bad), "--db", str(tmp_path / "tb.duckdb"), "--quiet", "--model", str(tiny_model)])
    out = capsys.readouterr().out
    assert rc == cli.EXIT_FILES_FAILED and "call [ray].wav" in out, out


def _free_port() -> int:
    from servers import free_port

    return free_port()


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie has exited
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_sigterm_to_the_dashboard_stops_streamlit_too(tmp_path):
    """What systemd, Docker and Kubernetes send: the command passes it on and nothing is orphaned."""
    import signal
    import time

    from servers import start_dashboard

    proc, _ = start_dashboard(tmp_path / "tb.duckdb")
    try:
        streamlit = _children(proc.pid)
        assert streamlit, "the dashboard did not start Streamlit"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        deadline = time.time() + 10
        while any(_alive(p) for p in streamlit) and time.time() < deadline:
            time.sleep(0.2)
        assert not any(_alive(p) for p in streamlit), "Streamlit outlived toneboard dashboard"
    finally:
        for p in _children(proc.pid):
            subprocess.run(["kill", "-9", str(p)])
        proc.kill()
        proc.wait()


def _level_db(x: np.ndarray, t: float) -> float:
    i = int(t * SR)
    w = x[max(0, i - 400):i + 400].astype(np.float64)
    return float(20 * np.log10(np.sqrt(np.mean(w ** 2)) + 1e-7))


@pytest.mark.skipif(not ASTERISK.is_dir(), reason="asterisk-core-sounds-en-gsm missing (make test installs it)")
def test_long_real_speech_is_cut_where_it_is_quiet_not_mid_word():
    """Asterisk's 25 s IVR greeting is one VAD span: its parts end in the pauses between phrases."""
    from realspeech import load

    from ingest.models.vad import VadSettings, load_vad, split_quiet

    x = load(ASTERISK / "basic-pbx-ivr-main.gsm")
    spans = load_vad(VadSettings()).speech_spans(x)
    parts = split_quiet(x, spans, 15.0, 0.5)
    assert len(parts) > len(spans) and all(e - b <= 15.0 + 1e-6 for b, e in parts)
    speech = np.median([_level_db(x, t) for t in np.arange(0.5, len(x) / SR - 0.5, 0.05)])
    cuts = [e for b, e in parts if e < spans[-1][1] - 0.01]
    assert cuts and all(_level_db(x, t) < speech - 20 for t in cuts), [(t, _level_db(x, t), speech) for t in cuts]


def test_a_long_quiet_gap_inside_a_span_becomes_a_pause():
    """A 30 s span with 0.52 s of near-silence at 19.04-19.56 s (the VAD kept it in one span):
    cut there, and the gap, being at least the pause threshold, is left out between the parts."""
    from ingest.models.vad import split_quiet

    rng = np.random.default_rng(0)
    t = np.arange(30 * SR) / SR
    x = (0.2 * np.sin(2 * np.pi * 180 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)
    x += rng.normal(0, 0.0005, len(x)).astype(np.float32)
    x[int(19.04 * SR):int(19.56 * SR)] = rng.normal(0, 0.0005, int(0.52 * SR))
    parts = split_quiet(x, [(0.0, 30.0)], 20.0, 0.5)
    assert len(parts) == 2, parts
    (b1, e1), (b2, e2) = parts
    assert 19.0 <= e1 <= 19.1 and 19.5 <= b2 <= 19.6 and (b1, e2) == (0.0, 30.0), parts
    joined = split_quiet(x, [(0.0, 30.0)], 20.0, 1.0)  # a shorter gap than the pause threshold: cut inside it
    assert len(joined) == 2 and joined[0][1] == joined[1][0] and 19.04 <= joined[0][1] <= 19.56, joined


def test_any_upload_name_is_kept_safely_with_the_original_as_metadata(tmp_path, tiny_model, mono_layout):
    """300 characters, control characters, only dots, an RTL override: stored under a safe, short
    name; the name it came with is the recording's original_name."""
    import time

    import duckdb

    from dashboard.worker import MAX_NAME_BYTES, IngestWorker, UploadRefused
    from ingest.batch.pipeline import IngestOptions

    wav = write_wav(tmp_path / "x.wav", mono_layout.audio).read_bytes()
    names = ["通话" * 150 + ".wav", "a\x00b\x1f\x7f.wav", "\u202eevil\u202c.wav", ".wav"]
    db = tmp_path / "tb.duckdb"
    worker = IngestWorker(db)
    paths = []
    for i, name in enumerate(names):
        p = worker.save_upload(name, wav + bytes([i]) * 2)  # distinct contents: distinct recordings
        assert len(p.name.encode()) <= MAX_NAME_BYTES and "\u202e" not in p.name and "\x00" not in p.name
        paths.append(p)
    with pytest.raises(UploadRefused, match="not accepted"):
        worker.save_upload("...", wav)
    key = worker.submit(paths, IngestOptions(db=db, model=str(tiny_model), threads=1), "odd names")
    deadline = time.time() + 300
    while worker.batches[key].status in ("queued", "running") and time.time() < deadline:
        time.sleep(0.5)
    state = worker.batches[key]
    assert state.status == "finished" and [o["status"] for o in state.outcomes] == ["ingested"] * 4, state
    con = duckdb.connect(str(db), read_only=True)
    try:
        kept = {v for (v,) in con.execute("SELECT value FROM metadata WHERE key = 'original_name'").fetchall()}
    finally:
        con.close()
    assert kept == set(names), kept


def test_a_batch_cut_short_by_kill_9_shows_the_recordings_it_stored(tmp_path, tiny_model, mono_layout):
    import signal
    import sys
    import time

    import duckdb

    from ingest.store import Store
    from ingest.store.layout import store_dir

    src = tmp_path / "in"
    src.mkdir()
    for i in range(8):
        write_wav(src / f"call{i}.wav", mono_layout.audio * (0.3 + 0.05 * i))
    db = tmp_path / "tb.duckdb"
    proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "ingest", str(src), "--model", str(tiny_model),
                             "--db", str(db), "--threads", "1", "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    recs = store_dir(db) / "recordings"

    def stored() -> int:
        return len([p for p in recs.glob("*/recording.parquet") if p.parent.name != "_schema"])
    deadline = time.time() + 240
    while stored() < 3 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(1.2)  # past the batch record's next save
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    n = stored()
    assert 3 <= n < 8, n

    def batch() -> tuple:
        con = duckdb.connect(str(db), read_only=True)
        try:
            return con.execute("SELECT status, n_ingested, n_files FROM batches").fetchone()
        finally:
            con.close()
    status, shown, total = batch()
    assert status == "running" and total == 8 and shown >= 2, (status, shown, n)  # as of its last save
    Store(db).mark_interrupted_batches()  # what the next ingest does first
    assert batch() == ("interrupted", n, 8)


def test_a_copied_store_shows_its_own_data_to_outside_clients_after_any_write(tmp_path, tiny_model, mono_layout):
    """Copy the database and its store, change the copy with a command other than ingest (a
    correction): an outside DuckDB client opening the copy reads the copy, not the original."""
    import duckdb

    from ingest.store.layout import store_dir

    a = tmp_path / "a" / "tb.duckdb"
    a.parent.mkdir()
    assert cli.main(["ingest", str(write_wav(tmp_path / "call.wav", mono_layout.audio)), "--model", str(tiny_model),
                     "--db", str(a), "--quiet", "--threads", "1"]) == cli.EXIT_OK
    b = tmp_path / "b" / "tb.duckdb"
    b.parent.mkdir()
    shutil.copy(a, b)
    shutil.copytree(store_dir(a), store_dir(b))
    rid = duckdb.connect(str(b), read_only=True).execute("SELECT recording_id FROM recordings").fetchone()[0]
    assert cli.main(["correct", rid, "0", "--emotion", "HAPPY", "--db", str(b)]) == cli.EXIT_OK
    shutil.rmtree(store_dir(a))  # the original is gone: only the copy's own files can answer
    con = duckdb.connect(str(b), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM recordings").fetchone() == (1,)
        assert con.execute("SELECT emotion FROM corrections").fetchall() == [("HAPPY",)]
    finally:
        con.close()


def _live_server(tmp_path, recognizer, **kw):
    from ingest.batch.pipeline import IngestOptions
    from ingest.live.server import InThread, LiveOptions, LiveServer

    return InThread(LiveServer(LiveOptions(IngestOptions(db=tmp_path / "live.duckdb", device="cpu", threads=1),
                                           port=0, **kw), recognizer))


def _start(call_id: str) -> str:
    import json

    return json.dumps({"type": "start", "call_id": call_id, "sample_rate": 16000, "channels": 1})


def test_errors_say_the_same_thing_wherever_they_come_from(tmp_path, tiny_model, mono_layout, capsys):
    """An unknown metadata key: the same clear error in filters, heatmaps and group-by; toneboard
    live without a loadable model: exit 3 and the same message as ingest."""
    db = str(tmp_path / "tb.duckdb")
    wav = str(write_wav(tmp_path / "call.wav", mono_layout.audio))
    assert cli.main(["ingest", wav, "--model", str(tiny_model), "--db", db, "--quiet", "--meta", "agent=Li"]) == cli.EXIT_OK
    capsys.readouterr()
    for args in (["export", "sessions", "--meta", "nokey=1"],
                 ["export", "heatmap-metadata", "--key", "nokey"],
                 ["export", "reactions", "--phrase", "refund", "--group-by", "meta:nokey"]):
        assert cli.main(args + ["--db", db, "--csv", str(tmp_path / "out.csv")]) == cli.EXIT_USAGE, args
        err = capsys.readouterr().err
        assert "no recording has the key 'nokey'; keys: agent" in err, (args, err)
    missing = str(tmp_path / "no-model")
    assert cli.main(["ingest", wav, "--model", missing, "--db", str(tmp_path / "x.duckdb"), "--quiet", "--force"]) \
        == cli.EXIT_MODEL
    ingest_err = capsys.readouterr().err
    assert cli.main(["live", "--model", missing, "--db", str(tmp_path / "y.duckdb"), "--port", "0"]) == cli.EXIT_MODEL
    live_err = capsys.readouterr().err
    assert live_err.strip() and live_err.split(":", 1)[1].strip() == ingest_err.split(":", 1)[1].strip()

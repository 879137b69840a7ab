"""Running toneboard as a service (issue 14): nothing skipped silently, errors that keep their
words, long speech cut where it is quiet, clean shutdowns, no process left behind."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import cli
from synth import SR, compose, speak, write_wav

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
    (calls / "empty.wav").write_bytes(b"")
    (calls / ".DS_Store").write_bytes(b"x" * 100)
    db = str(tmp_path / "tb.duckdb")
    rc = cli.main(["ingest", str(calls), "--model", str(tiny_model), "--db", db, "--quiet", "--threads", "1"])
    out = capsys.readouterr().out
    assert rc == cli.EXIT_OK, out
    assert f"{len(gsm) + 2} ingested" in out, out  # the .gsm prompts, a.wav and the extensionless WAV
    assert "5 not recordings" in out and "3 not audio" in out and "1 empty" in out and "1 hidden" in out, out
    for name in ("notes.txt", "scan.pdf", "mystery.bin", "empty.wav"):
        assert name in out, out


def test_messages_keep_their_square_brackets(tmp_path, tiny_model, capsys):
    """rich markup must not eat text in brackets: a file named "call [ray].wav", a reason quoting
    pip install 'toneboard[ray]'."""
    bad = tmp_path / "call [ray].wav"
    bad.write_text("not audio")
    rc = cli.main(["ingest", str(bad), "--db", str(tmp_path / "tb.duckdb"), "--quiet", "--model", str(tiny_model)])
    out = capsys.readouterr().out
    assert rc == cli.EXIT_FILES_FAILED and "call [ray].wav" in out, out

"""The command line: exit codes, summary and help."""
import subprocess
import sys
from pathlib import Path

import numpy as np
from synth import write_wav

import cli

ROOT = Path(__file__).resolve().parent.parent


def test_help_documents_every_option():
    out = subprocess.run([sys.executable, str(ROOT / "cli.py"), "ingest", "--help"], capture_output=True, text=True).stdout
    for opt in ("--kind", "--outcome", "--batch", "--meta", "--manifest", "--language", "--device", "--model",
                "--vad", "--db", "--force", "--mix", "--channel-roles", "--max-segment", "--pause-threshold"):
        assert opt in out


def test_ingest_exit_codes_and_summary(tmp_path, tiny_model, mono_layout, capsys):
    good = write_wav(tmp_path / "good.wav", mono_layout.audio)
    bad = tmp_path / "bad.wav"
    bad.write_text("nope")
    db = str(tmp_path / "tb.duckdb")
    base = ["ingest", "--model", str(tiny_model), "--db", db, "--quiet", "--threads", "1"]
    assert cli.main(base + [str(good)]) == cli.EXIT_OK
    assert cli.main(base + [str(good), str(bad), "--meta", "agent=Li"]) == cli.EXIT_FILES_FAILED
    out = capsys.readouterr().out
    assert "1 skipped" in out and "1 failed" in out and "bad.wav" in out
    assert cli.main(["summary", "--db", db]) == cli.EXIT_OK
    assert "1 recordings" in capsys.readouterr().out


def test_usage_errors(tmp_path, capsys):
    assert cli.main(["ingest", "--db", str(tmp_path / "x.duckdb")]) == cli.EXIT_USAGE
    missing = ["--manifest", str(tmp_path / "none.csv"), "--db", str(tmp_path / "x.duckdb")]
    assert cli.main(["ingest", str(tmp_path), *missing]) == cli.EXIT_USAGE
    assert "manifest" in capsys.readouterr().err


def test_unavailable_model_exits_3(tmp_path, mono_layout, capsys):
    f = write_wav(tmp_path / "a.wav", mono_layout.audio)
    (tmp_path / "m").mkdir()
    rc = cli.main(["ingest", str(f), "--model", str(tmp_path / "m"), "--db", str(tmp_path / "x.duckdb"), "--quiet"])
    assert rc == cli.EXIT_MODEL
    assert "not a SenseVoice model directory" in capsys.readouterr().err


def test_model_says_whether_the_model_can_be_had_in_plain_words(tmp_path, tiny_model, capsys):
    """`make run` asks this first, so a first start explains the stand-in before any error line."""
    assert cli.main(["model", "--model", str(tiny_model)]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert f"ready at {tiny_model.resolve()}" in out and "RANDOM weights" in out, out
    (tmp_path / "m").mkdir()
    assert cli.main(["model", "--model", str(tmp_path / "m")]) == cli.EXIT_MODEL
    out = capsys.readouterr()
    assert "not a SenseVoice model directory" in out.out and "error" not in out.out.lower(), out


def test_fsmn_vad_offline_says_why(tmp_path, tiny_model, capsys):
    f = write_wav(tmp_path / "a.wav", np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32))
    rc = cli.main(["ingest", str(f), "--vad", "fsmn", "--model", str(tiny_model),
                   "--db", str(tmp_path / "x.duckdb"), "--quiet"])
    err = capsys.readouterr().err
    if rc == cli.EXIT_OK or rc == cli.EXIT_FILES_FAILED:  # the hub was reachable after all
        return
    assert rc == cli.EXIT_MODEL and "fsmn-vad could not be loaded" in err and "--vad silero" in err


def test_demo_if_empty_fills_an_empty_database_only(tmp_path, capsys):
    """`make run` starts the dashboard on the demo data when there is nothing else to show."""
    db = str(tmp_path / "tb.duckdb")
    assert cli.main(["demo", "--if-empty", "--db", db]) == cli.EXIT_OK
    assert "demo data (synthetic" in capsys.readouterr().out
    assert cli.main(["demo", "--if-empty", "--db", db]) == cli.EXIT_OK
    assert "already has recordings: no demo data added" in capsys.readouterr().out

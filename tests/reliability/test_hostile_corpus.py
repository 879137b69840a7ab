"""A generated corpus of broken, odd and hostile files, ingested as one batch on the real pipeline:
each file ingests or fails alone with a specific reason, the batch finishes, and nothing is
written outside the data folder. The 2-hour near-silent file is refused by the length limit here
(a 1 h limit, so the test stays short); TONEBOARD_SOAK=1 ingests it in full with the default limits."""
from __future__ import annotations

import os
import struct
import subprocess
from pathlib import Path

import duckdb
import numpy as np
import pytest
from synth import compose, convert, speak, write_wav

from ingest.batch.pipeline import IngestOptions, ingest_paths
from ingest.store.layout import store_dir

SOAK = os.environ.get("TONEBOARD_SOAK") == "1"
FF = ["ffmpeg", "-nostdin", "-v", "error", "-y"]


def _ff(*args: str) -> None:
    subprocess.run([*FF, *args], check=True)


def _tree(root: Path, skip: Path) -> dict[str, tuple[int, float]]:
    """Every file under ``root`` but the store at ``skip``: size and modification time."""
    return {str(p): (p.stat().st_size, p.stat().st_mtime) for p in root.rglob("*")
            if p.is_file() and skip not in p.parents}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The files and, per file name, what must happen: 'ingested' or the start of the failure reason."""
    d = tmp_path_factory.mktemp("corpus")
    speech = compose([(0.0, speak("Hello, I am calling about my order.")), (1.0, speak("It has not arrived."))])
    good = write_wav(d / "_speech.wav", speech.audio[0])
    expect: dict[str, str] = {}

    def add(name: str, outcome: str) -> Path:
        expect[name] = outcome
        return d / name

    add("zero.wav", "empty file").write_bytes(b"")
    add("notes.wav", "not a readable audio").write_text("meeting notes, not audio\n" * 50)
    add("notes.mp3", "not a readable audio").write_text("ID3? no. just text\n" * 50)
    mp3 = convert(good, d / "_full.mp3")
    add("truncated.mp3", "ingested").write_bytes(mp3.read_bytes()[: mp3.stat().st_size // 2])
    wav = bytearray(good.read_bytes())  # a header claiming far more data than there is
    wav[40:44] = struct.pack("<I", 0x7FFFFFF0)
    wav[4:8] = struct.pack("<I", 0x7FFFFFF8)
    add("liar.wav", "ingested").write_bytes(bytes(wav))
    left, right = speech.audio[0], np.roll(speech.audio[0], 8000) * 0.7
    write_wav(d / "_st.wav", np.stack([left, right]))
    _ff("-i", str(d / "_st.wav"), "-ar", "8000", str(add("stereo 8k.wav", "ingested")))
    _ff("-i", str(good), "-af", "pan=5.1|c0=c0|c1=c0|c2=c0|c3=c0|c4=c0|c5=c0", "-ar", "48000",
        str(add("six channels 48k.wav", "ingested")))
    _ff("-f", "lavfi", "-i", "color=c=black:s=64x64:d=6", "-i", str(good), "-shortest", "-c:v", "libx264", "-c:a", "aac",
        str(add("screen recording.mp4", "ingested")))
    r = subprocess.run(["sox", str(good), "-r", "8000", "-c", "1", "-t", "amr-nb", str(d / "wechat voice.amr")],
                       capture_output=True)
    if r.returncode == 0:
        expect["wechat voice.amr"] = "ingested"
    convert(good, add("voice.opus", "ingested"), "-c:a", "libopus")
    convert(good, add("voice.ogg", "ingested"), "-c:a", "libvorbis", "-ar", "44100")
    convert(good, add("iphone memo.m4a", "ingested"), "-c:a", "aac")
    nan = speech.audio[0].copy()
    nan[100:200], nan[3000], nan[5000] = np.nan, np.inf, -np.inf
    raw = d / "_nan.f32"
    nan.astype("<f4").tofile(raw)
    _ff("-f", "f32le", "-ar", "16000", "-ac", "1", "-i", str(raw), "-c:a", "pcm_f32le", str(add("float nan.wav", "ingested")))
    write_wav(add("blip.wav", "no speech found"), speech.audio[0][:1600] * 0)  # 0.1 s
    write_wav(add("click 0.1s.wav", "ingested|no speech found"), speech.audio[0][8000:9600])
    _ff("-f", "lavfi", "-i", "sine=f=440:d=4", "-f", "lavfi", "-i", "sine=f=554:d=4", "-f", "lavfi", "-i", "sine=f=659:d=4",
        "-filter_complex", "amix=inputs=3", str(add("music only.mp3", "ingested|no speech found")))
    for i, name in enumerate(["call with spaces.wav", "it's \"quoted\".wav", "通话录音 客户.wav",
                              "x'; DROP TABLE recordings; --.wav", "call ..%2F..%2Fescape.wav", "call..wav"]):
        write_wav(add(name, "ingested"), speech.audio[0] * (0.4 + 0.05 * i))
    _ff("-f", "lavfi", "-i", "anoisesrc=a=0.0005:c=pink:r=8000:d=7200", "-ac", "1", "-c:a", "libmp3lame", "-b:a", "8k",
        str(add("two hours near silence.mp3", "no speech found" if SOAK else "too long")))
    for f in d.glob("_*"):
        f.unlink()
    return d, expect


@pytest.mark.slow
def test_every_file_ingests_or_fails_alone_with_its_reason(corpus, tmp_path, recognizer):
    src, expect = corpus
    db = tmp_path / "data" / "tb.duckdb"
    outside = _tree(tmp_path.parent, store_dir(db))
    seen_by_progress = []
    report = ingest_paths([src], IngestOptions(db=db, max_duration_s=4 * 3600 if SOAK else 3600, threads=1),
                          on_progress=lambda p: p.current is None and seen_by_progress.append(p.last.status),
                          recognizer=recognizer)
    got = {Path(o.path).name: o for o in report.outcomes}
    assert set(got) == set(expect)
    for name, want in expect.items():
        o = got[name]
        ok = want.split("|")
        if o.status == "ingested":
            assert "ingested" in ok, f"{name}: ingested, expected {want}"
        else:
            assert o.status == "failed" and any(o.reason.startswith(w) for w in ok if w != "ingested"), \
                f"{name}: {o.status} {o.reason!r}, expected {want}"
    assert report.batch.status == "finished" and len(seen_by_progress) == len(expect)

    con = duckdb.connect(str(db), read_only=True)
    try:
        names = {n for (n,) in con.execute("SELECT filename FROM recordings").fetchall()}
        errors = {Path(p).name: r for p, r in con.execute("SELECT path, reason FROM ingest_errors").fetchall()}
        torn = con.execute("SELECT count(*) FROM recordings r WHERE n_segments <> "
                           "(SELECT count(*) FROM segments s WHERE s.recording_id = r.recording_id)").fetchone()[0]
    finally:
        con.close()
    assert names == {n for n, o in got.items() if o.status == "ingested"} and torn == 0
    assert set(errors) == {n for n, o in got.items() if o.status == "failed"}
    assert "x'; DROP TABLE recordings; --.wav" in names  # stored as data, and the table is still there
    after = _tree(tmp_path.parent, store_dir(db))
    assert {p for p in after if p not in outside} <= {str(db), str(db) + ".wal"}, \
        f"written outside the data folder: {sorted(set(after) - set(outside))}"
    changed = [p for p, t in outside.items() if after.get(p) != t]
    assert not changed, f"changed outside the data folder: {changed}"

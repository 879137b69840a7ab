"""Real speech shifted by a known pitch (sox ``pitch``, which keeps the duration): the reference the
pitch measurement is checked against (tests/test_prosody.py, benchmarks/prosody.py)."""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np

SR = 16000


def shift(x: np.ndarray, semitones: float) -> np.ndarray:
    """``x`` (16 kHz mono float32) with its pitch moved by ``semitones`` (sox, WSOLA-based)."""
    if semitones == 0:
        return x
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.f32", Path(tmp) / "out.f32"
        x.astype(np.float32).tofile(src)
        raw = ["-t", "f32", "-r", str(SR), "-c", "1"]
        subprocess.run(["sox", *raw, str(src), *raw, str(dst), "pitch", str(round(semitones * 100))],
                       check=True, capture_output=True)
        return np.fromfile(dst, np.float32)

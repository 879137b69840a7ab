"""A recording's audio as a page or an export plays it: personal data muted (``ingest.pii``), the
spans said by one query. The pages ask here instead of decoding audio themselves."""
from __future__ import annotations

import base64
import io
from pathlib import Path

import duckdb

from ingest.decode import SAMPLE_RATE, DecodeError, decode, write_wav
from ingest.pii import muted_copy, silence

CLIP_PAD_S = 1.0  # audio kept before and after a moment in an exported clip


def private_spans(con: duckdb.DuckDBPyConnection, recording_id: str, start_s: float = 0.0,
                  end_s: float = float("inf")) -> list[tuple[float, float]]:
    """(start, end) of the recording's segments holding personal data (phone, ID or card numbers)
    that overlap ``start_s``–``end_s``."""
    return [tuple(r) for r in con.execute(
        "SELECT start_s, end_s FROM segments WHERE recording_id = ? AND pii IS NOT NULL AND len(pii) > 0 "
        "AND end_s > ? AND start_s < ? ORDER BY start_s", [recording_id, start_s, end_s]).fetchall()]


def playable(con: duckdb.DuckDBPyConnection, store, recording_id: str, path: str | None) -> tuple[Path | None, int]:
    """The file to play for a recording (a muted copy, kept in the store's cache, when it holds
    personal data) and how many segments are muted; (None, 0) when its audio is not on disk."""
    if not path or not Path(path).is_file():
        return None, 0
    private = private_spans(con, recording_id)
    if not private:
        return Path(path), 0
    return muted_copy(Path(path), private, store.cache("muted") / f"{recording_id}.wav"), len(private)


def clip(con: duckdb.DuckDBPyConnection, recording_id: str, path: str | None, start_s: float, end_s: float) -> str | None:
    """The moment's audio (with CLIP_PAD_S around it) as a base64 WAV, segments holding personal
    data muted; None without audio."""
    if not path or not Path(path).is_file():
        return None
    try:
        audio = decode(Path(path), mix=True).samples[0]
    except DecodeError:
        return None
    b, e = max(0.0, start_s - CLIP_PAD_S), end_s + CLIP_PAD_S
    x = silence(audio[int(b * SAMPLE_RATE):int(e * SAMPLE_RATE)], private_spans(con, recording_id, b, e), offset_s=b)
    buf = io.BytesIO()
    write_wav(buf, x)
    return base64.b64encode(buf.getvalue()).decode()

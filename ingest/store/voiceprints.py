"""Voiceprint files: named speaker centroids, one Parquet file per person and speaker model
(``<store>/voiceprints/<name>--<kind>.parquet``; CAM++ and voice-encoder embeddings are not
comparable). Biometric personal data: their own folder, no database view, exported only when asked
(``export-db --voiceprints``). Enrolling and matching them is ``ingest.speakers.voices``.
"""
from __future__ import annotations

import hashlib
import os
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np

from . import layout

FOLDER = "voiceprints"  # in an export (export-db --voiceprints)


@dataclass
class Voiceprint:
    name: str
    kind: str  # speaker model kind: campplus | voice-encoder
    model: str
    embedding: np.ndarray
    seconds: float
    files: int
    enrolled_at: datetime


def folder(db: Path) -> Path:
    from . import Store

    return Store(db).voiceprints()


def _file(db: Path, name: str, kind: str) -> Path:
    slug = re.sub(r"[^\w.-]+", "_", name, flags=re.UNICODE).strip("._")[:60] or "voice"
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]  # names differing only in punctuation stay apart
    return folder(db) / f"{slug}-{digest}--{kind}.parquet"


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 100 or any(ord(c) < 32 for c in name):
        raise ValueError("a voice needs a name of 1-100 printable characters")
    return name


def save(db: Path, vp: Voiceprint) -> Path:
    dest = _file(db, vp.name, vp.kind)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{uuid.uuid4().hex}.tmp")
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE v (name VARCHAR, kind VARCHAR, model VARCHAR, embedding FLOAT[], seconds DOUBLE, "
                    "files INTEGER, enrolled_at TIMESTAMP)")
        con.execute("INSERT INTO v VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [vp.name, vp.kind, vp.model, [float(x) for x in vp.embedding], vp.seconds, vp.files, vp.enrolled_at])
        con.execute(f"COPY v TO {layout.sql_path(tmp)} (FORMAT parquet)")
    finally:
        con.close()
    os.replace(tmp, dest)
    return dest


def load_all(db: Path, kind: str | None = None) -> list[Voiceprint]:
    d = folder(db)
    if not d.is_dir():
        return []
    out = []
    con = duckdb.connect()
    try:
        for f in sorted(d.glob("*.parquet")):
            for row in con.execute("SELECT name, kind, model, embedding, seconds, files, enrolled_at "
                                   "FROM read_parquet(?)", [str(f)]).fetchall():
                if kind is None or row[1] == kind:
                    out.append(Voiceprint(row[0], row[1], row[2], np.asarray(row[3], np.float32), *row[4:]))
    finally:
        con.close()
    return out


def delete(db: Path, name: str) -> int:
    """Delete every voiceprint of ``name`` (all speaker models); returns how many files went."""
    n = 0
    for vp_kind in {v.kind for v in load_all(db) if v.name == name}:
        _file(db, name, vp_kind).unlink(missing_ok=True)
        n += 1
    return n


def listing(db: Path) -> list[str]:
    """``toneboard voices list``: one line per voiceprint (or one saying there is none)."""
    found = load_all(db)
    if not found:
        return [f"no voiceprints in {db}"]
    return [f"{v.name}\t{v.kind} ({v.model})\t{v.seconds:.0f} s of speech from {v.files} file(s)\t"
            f"enrolled {v.enrolled_at:%Y-%m-%d %H:%M}" for v in found]

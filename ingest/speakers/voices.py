"""Voiceprints: named speaker centroids that let an ingest name the agent or teacher of a new call.

``toneboard voices enrol NAME FILE…`` embeds the speech of the files (each holding that person
alone) with the speaker model and stores the normalised mean as ``<store>/voiceprints/<name>--<kind>.parquet``
(one per speaker model: CAM++ and voice-encoder embeddings are not comparable). At ingest every
speaker's centroid is compared with the enrolled voices of the same model by cosine similarity; the
best match at or above the model's threshold names the speaker.

Voiceprints are biometric personal data: they stay in their own folder (no database view), are
listed and deleted with ``toneboard voices list|delete``, and leave with ``export-db`` only when
``--voiceprints`` is given.
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

# Cosine similarity at or above which a speaker is taken to be an enrolled voice. Voice encoder:
# between the ranges measured on real speech from Debian packages (benchmarks/diarization.py,
# BENCHMARKS.md). CAM++: not calibrated here (its real weights cannot be fetched).
MATCH_THRESHOLD = {"voice-encoder": 0.78, "campplus": 0.50}
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
    from ..store import Store

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
    from ..store import sql_path

    dest = _file(db, vp.name, vp.kind)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{uuid.uuid4().hex}.tmp")
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE v (name VARCHAR, kind VARCHAR, model VARCHAR, embedding FLOAT[], seconds DOUBLE, "
                    "files INTEGER, enrolled_at TIMESTAMP)")
        con.execute("INSERT INTO v VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [vp.name, vp.kind, vp.model, [float(x) for x in vp.embedding], vp.seconds, vp.files, vp.enrolled_at])
        con.execute(f"COPY v TO {sql_path(tmp)} (FORMAT parquet)")
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


def match(centroid: np.ndarray, voices: list[Voiceprint], kind: str,
          threshold: float | None = None) -> tuple[str | None, float | None]:
    """(name, similarity) of the best enrolled voice of this model kind; name None below the threshold."""
    same = [v for v in voices if v.kind == kind]
    if not same or centroid is None or not np.any(centroid):
        return None, None
    sims = [float(np.dot(centroid, v.embedding) / (np.linalg.norm(centroid) * np.linalg.norm(v.embedding) + 1e-9))
            for v in same]
    best = int(np.argmax(sims))
    thr = MATCH_THRESHOLD.get(kind, 0.8) if threshold is None else threshold
    return (same[best].name if sims[best] >= thr else None), round(sims[best], 4)


def enrol(db: Path, name: str, audio: list[np.ndarray], encoder, vad) -> Voiceprint:
    """A voiceprint from 16 kHz recordings of one person: the mean embedding of their speech windows."""
    return enrol_spans(db, name, [(x, vad.speech_spans(x)) for x in audio], encoder)


def enrol_files(db: Path, name: str, files: list[Path], speaker_model: str, campplus: str, warn=None) -> Voiceprint:
    """``toneboard voices enrol``: a voiceprint from audio files of one person alone. Raises
    ``DecodeError`` (naming the file) and ``SpeakerModelUnavailable``; nothing is stored then."""
    from ..decode import DecodeError, decode
    from ..models.vad import VadSettings, load_vad
    from .diarize import SpeakerSettings, load_encoder

    check_name(name)
    audio = []
    for f in files:
        try:
            audio.append(decode(f, mix=True).samples[0])
        except DecodeError as e:
            raise DecodeError(f"{f}: {e}") from None
    encoder = load_encoder(SpeakerSettings(encoder=speaker_model, model=campplus), warn=warn)
    return enrol(db, name, audio, encoder, load_vad(VadSettings()))


def enrol_spans(db: Path, name: str, audio: list[tuple[np.ndarray, list[tuple[float, float]]]],
                encoder) -> Voiceprint:
    """A voiceprint from spans (start s, end s) of 16 kHz audio where one person speaks (their
    segments in a recording: "this speaker is Li" in the dashboard)."""
    from ..decode import SAMPLE_RATE
    from .diarize import windows

    name = check_name(name)
    clips, seconds = [], 0.0
    for x, spans in audio:
        seconds += sum(e - b for b, e in spans)
        clips += [x[int(w.start_s * SAMPLE_RATE):int(w.end_s * SAMPLE_RATE)] for w in windows(spans)]
    if seconds < 3.0 or not clips:
        raise ValueError(f"{seconds:.1f} s of speech found: a voiceprint needs at least 3 s of the person speaking")
    emb = encoder.embed(clips).mean(axis=0)
    vp = Voiceprint(name, encoder.kind, encoder.name, emb / max(np.linalg.norm(emb), 1e-9), round(seconds, 2),
                    len(audio), datetime.now().replace(microsecond=0))
    save(db, vp)
    return vp


def enrol_recording_speaker(db: Path, name: str, audio_path: Path, channel: int,
                            spans: list[tuple[float, float]], speaker_model: str | None) -> Voiceprint:
    """A voiceprint from one speaker's segments of a stored recording, with the speaker model the
    recording was diarized with (so that later recordings made with it match)."""
    from ..decode import decode
    from .diarize import SpeakerSettings, VoiceEncoder, load_encoder

    if speaker_model and speaker_model.startswith("campplus:"):  # a hub id or a local directory
        encoder = load_encoder(SpeakerSettings(encoder="campplus", model=speaker_model.split(":", 1)[1]))
    else:
        encoder = VoiceEncoder()
    samples = decode(Path(audio_path)).samples
    return enrol_spans(db, name, [(samples[min(channel, samples.shape[0] - 1)], spans)], encoder)


def add_arguments(p, db) -> None:
    """``toneboard voices enrol|list|delete`` (``db``: the parent parser with ``--db``)."""
    from ..options import IngestOptions
    from .diarize import ENCODERS

    d = IngestOptions()
    sub = p.add_subparsers(dest="action", required=True)
    enrol = sub.add_parser("enrol", parents=[db], help="store NAME's voiceprint from recordings of that person alone")
    enrol.add_argument("name")
    enrol.add_argument("files", nargs="+", type=Path, metavar="FILE")
    enrol.add_argument("--speaker-model", choices=ENCODERS, default=d.speaker_model)
    enrol.add_argument("--campplus", default=d.campplus, metavar="ID|DIR")
    sub.add_parser("list", parents=[db], help="the enrolled voices")
    sub.add_parser("delete", parents=[db], help="delete NAME's voiceprints").add_argument("name")

"""Voiceprints: named speaker centroids that let an ingest name the agent or teacher of a new call
(stored by ``ingest.store.voiceprints``).

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

from pathlib import Path

import numpy as np

from ..records import now
from ..store import voiceprints
from ..store.voiceprints import Voiceprint

# Cosine similarity at or above which a speaker is taken to be an enrolled voice. Voice encoder:
# calibrated on the hardest real material here, women's IVR voices recorded the same way (one GSM
# line: tests/samechain.py, seeds below 1000): a speaker's centroid against their own voiceprint
# 0.93-0.99, against another woman's up to 0.91 (0.78, chosen on voices recorded different ways,
# named the wrong person for a third of those pairs). Figures on other seeds: benchmarks/diarization.py,
# BENCHMARKS.md. CAM++: not calibrated here (its real weights cannot be fetched).
MATCH_THRESHOLD = {"voice-encoder": 0.90, "campplus": 0.50}


def closest(embedding: np.ndarray, voices: list[Voiceprint]) -> tuple[Voiceprint | None, float | None]:
    """The enrolled voice most like ``embedding`` (cosine similarity; ``voices`` of one speaker
    model) and that similarity; (None, None) without voices or with a silent embedding."""
    if not voices or embedding is None or not np.any(embedding):
        return None, None
    sims = [float(np.dot(embedding, v.embedding) / (np.linalg.norm(embedding) * np.linalg.norm(v.embedding) + 1e-9))
            for v in voices]
    best = int(np.argmax(sims))
    return voices[best], round(sims[best], 4)


def match(centroid: np.ndarray, voices: list[Voiceprint], kind: str,
          threshold: float | None = None) -> tuple[str | None, float | None]:
    """(name, similarity) of the best enrolled voice of this model kind; name None below the threshold."""
    best, sim = closest(centroid, [v for v in voices if v.kind == kind])
    thr = MATCH_THRESHOLD.get(kind, 0.8) if threshold is None else threshold
    return (best.name if best is not None and sim >= thr else None), sim


def match_speakers(centroids: np.ndarray, voices: list[Voiceprint], kind: str) -> list[tuple[str | None, float | None]]:
    """(name, similarity) for each speaker of one recording: a person is at most one of them, so
    each enrolled voice names only the speaker most like it (pairs taken best first, at or above
    the threshold); the others keep their best similarity, unnamed."""
    mine = [v for v in voices if v.kind == kind]
    # speaker x voice similarities, each computed once (-1: a silent centroid)
    sims = np.array([[-1.0 if (x := closest(c, [v])[1]) is None else x for v in mine]
                     for c in centroids]).reshape(len(centroids), len(mine))
    out: list[tuple[str | None, float | None]] = [(None, float(row.max()) if row.size and row.max() > -1 else None)
                                                  for row in sims]
    thr = MATCH_THRESHOLD.get(kind, 0.8)
    while sims.size and sims.max() >= thr:
        s, v = np.unravel_index(int(np.argmax(sims)), sims.shape)
        out[s] = (mine[v].name, round(float(sims[s, v]), 4))
        sims[s, :], sims[:, v] = -2.0, -2.0
    return out


def enrol(db: Path, name: str, audio: list[np.ndarray], encoder, vad) -> Voiceprint:
    """A voiceprint from 16 kHz recordings of one person: the mean embedding of their speech windows."""
    return enrol_spans(db, name, [(x, vad.speech_spans(x)) for x in audio], encoder)


def enrol_files(db: Path, name: str, files: list[Path], speaker_model: str, campplus: str, warn=None) -> Voiceprint:
    """``toneboard voices enrol``: a voiceprint from audio files of one person alone. Raises
    ``DecodeError`` (naming the file) and ``SpeakerModelUnavailable``; nothing is stored then."""
    from ..decode import DecodeError, decode
    from ..models.speaker_encoders import SpeakerSettings, load_encoder
    from ..models.vad import VadSettings, load_vad

    voiceprints.check_name(name)
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

    name = voiceprints.check_name(name)
    clips, seconds = [], 0.0
    for x, spans in audio:
        seconds += sum(e - b for b, e in spans)
        clips += [x[int(w.start_s * SAMPLE_RATE):int(w.end_s * SAMPLE_RATE)] for w in windows(spans)]
    if seconds < 3.0 or not clips:
        raise ValueError(f"{seconds:.1f} s of speech found: a voiceprint needs at least 3 s of the person speaking")
    emb = encoder.embed(clips).mean(axis=0)
    vp = voiceprints.Voiceprint(name, encoder.kind, encoder.name, emb / max(np.linalg.norm(emb), 1e-9), round(seconds, 2),
                    len(audio), now())
    voiceprints.save(db, vp)
    return vp


def enrol_lead(db: Path, name: str, samples: np.ndarray, spans: list[tuple[float, float]], channel: int,
               encoder, voices: list[Voiceprint]) -> str | None:
    """Enrol ``name`` (a call's agent or teacher) from their channel's speech ``spans``, unless a
    voiceprint of them exists for this speaker model or there is too little of them (under 10 s: the
    next call will do). Returns what to tell the user (None: nothing was done)."""
    if any(v.name == name and v.kind == encoder.kind for v in voices) or sum(e - b for b, e in spans) < 10.0:
        return None
    try:
        vp = enrol_spans(db, name, [(samples, spans)], encoder)
    except ValueError as e:
        return f"could not enrol {name}: {e}"
    return f"enrolled the voice of {name} ({vp.seconds:.0f} s of speech on channel {channel})"


def enrol_recording_speaker(db: Path, name: str, audio_path: Path, channel: int,
                            spans: list[tuple[float, float]], speaker_model: str | None) -> Voiceprint:
    """A voiceprint from one speaker's segments of a stored recording, with the speaker model the
    recording was diarized with (so that later recordings made with it match)."""
    from ..decode import decode
    from ..models.speaker_encoders import SpeakerSettings, VoiceEncoder, load_encoder

    if speaker_model and speaker_model.startswith("campplus:"):  # a hub id or a local directory
        encoder = load_encoder(SpeakerSettings(encoder="campplus", model=speaker_model.split(":", 1)[1]))
    else:
        encoder = VoiceEncoder()
    samples = decode(Path(audio_path)).samples
    return enrol_spans(db, name, [(samples[min(channel, samples.shape[0] - 1)], spans)], encoder)

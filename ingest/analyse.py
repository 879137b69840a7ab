"""One recording analysed: decode → VAD per channel → SenseVoice on the slices → parse → derived
signals, with the time spent in each stage.

``Pipeline`` holds the loaded models for a batch. Its work is split in two so a batch can overlap
them: ``listen`` (decode and VAD, on the CPU) and ``recognise`` (the model, then tags, PII
redaction, loudness, speaking rate and pauses).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Protocol

import numpy as np

from . import PIPELINE_VERSION
from .decode import SAMPLE_RATE, DecodedAudio, DecodeError, decode
from .options import IngestOptions, parse_time
from .pii import redact as pii_redact
from .recognize import Recognized, RecognizerSettings, SenseVoiceRecognizer
from .records import Recording, Segment
from .signals import find_pauses, loudness_dbfs, speaking_rate
from .store import now
from .vad import VadSettings, load_vad, split_long


class Recognizer(Protocol):
    model_id: str
    revision: str | None

    def transcribe(self, slices: list[np.ndarray]) -> list[Recognized]: ...


class _Failed(Exception):
    def __init__(self, stage: str, reason: str):
        super().__init__(reason)
        self.stage, self.reason = stage, reason


_times_lock = threading.Lock()


@dataclass
class StageTimes:
    """Seconds spent per stage over a batch (the stage breakdown of ``toneboard ingest`` and the
    benchmarks). ``features`` is the fbank frontend inside the model call; ``model`` the rest of it."""

    decode_s: float = 0.0
    vad_s: float = 0.0
    features_s: float = 0.0
    model_s: float = 0.0
    signals_s: float = 0.0  # parsing, PII redaction, loudness, speaking rate, pauses
    store_s: float = 0.0

    def add(self, stage: str, seconds: float) -> None:
        with _times_lock:  # listen runs in a look-ahead thread
            setattr(self, f"{stage}_s", getattr(self, f"{stage}_s") + seconds)

    def line(self) -> str:
        return " · ".join(f"{f.name[:-2]} {getattr(self, f.name):.1f} s" for f in fields(self))


def channel_roles(channels: int, roles: tuple[str, str], mono_role: str = "mixed") -> dict[int, str]:
    """Who speaks on each analysed channel: one party per channel of a stereo call, else one role."""
    return {0: roles[0], 1: roles[1]} if channels == 2 else {0: mono_role}


@dataclass
class Heard:
    """A decoded recording and its speech spans (start s, end s, channel), sorted."""

    audio: DecodedAudio
    spans: list[tuple[float, float, int]]

    def slices(self) -> list[np.ndarray]:
        return [self.audio.samples[ch, int(b * SAMPLE_RATE):int(e * SAMPLE_RATE)] for b, e, ch in self.spans]


class Pipeline:
    """Holds the loaded models for a batch; models load on the first file that needs them."""

    def __init__(self, options: IngestOptions, recognizer: Recognizer | None = None):
        self.options = options
        self._recognizer = recognizer
        self._vad = None
        self._vad_lock = threading.Lock()  # listen may run in a thread ahead of the model
        self.times = StageTimes()
        self.vad_settings = VadSettings(name=options.vad, max_segment_s=options.max_segment_s,
                                        min_silence_s=options.min_silence_s)

    @property
    def model_id(self) -> str:
        """The id results of this pipeline are stored with (without loading the model)."""
        if self._recognizer is not None:
            return self._recognizer.model_id
        local = Path(self.options.model).expanduser()
        return str(local.resolve()) if local.exists() else self.options.model

    @property
    def recognizer(self) -> Recognizer:
        if self._recognizer is None:
            o = self.options
            self._recognizer = SenseVoiceRecognizer(RecognizerSettings(
                model=o.model, hub=o.hub, device=o.device, language=o.language, use_itn=o.use_itn,
                threads=o.threads, batch_seconds=o.batch_seconds, precision=o.precision))
        return self._recognizer

    @property
    def vad(self):
        with self._vad_lock:
            if self._vad is None:
                self._vad = load_vad(self.vad_settings, ncpu=self.options.threads or 1)
        return self._vad

    def analyse(self, path: Path, recording_id: str, fields: dict, metadata: dict,
                batch_id: str) -> tuple[Recording, list[Segment], list]:
        return self.recognise(self.listen(path), path, recording_id, fields, metadata, batch_id)

    def listen(self, path: Path) -> Heard:
        """Decode and find the speech; raises _Failed (decode, vad) for this file."""
        o = self.options
        t0 = time.perf_counter()
        try:
            audio = decode(path, mix=o.mix, max_duration_s=o.max_duration_s)
        except DecodeError as e:
            raise _Failed("decode", str(e)) from None
        finally:
            self.times.add("decode", time.perf_counter() - t0)
        t0 = time.perf_counter()
        vad = self.vad  # a VAD that cannot load stops the batch (VadUnavailable)
        try:
            spans = []
            for ch in range(audio.samples.shape[0]):
                for b, e in split_long(vad.speech_spans(audio.samples[ch]), o.max_segment_s):
                    spans.append((b, e, ch))
        except Exception as e:  # noqa: BLE001
            raise _Failed("vad", f"voice activity detection failed: {type(e).__name__}: {e}") from e
        finally:
            self.times.add("vad", time.perf_counter() - t0)
        if not spans:
            raise _Failed("vad", f"no speech found ({audio.duration_s:.1f} s of audio)")
        return Heard(audio, sorted(spans))

    def recognise(self, heard: Heard, path: Path, recording_id: str, fields: dict, metadata: dict,
                  batch_id: str) -> tuple[Recording, list[Segment], list]:
        slices = heard.slices()
        recognizer = self.recognizer  # a model that cannot load stops the batch (ModelUnavailable)
        t0, f0 = time.perf_counter(), getattr(recognizer, "features_s", 0.0)
        try:
            recognized = recognizer.transcribe(slices)
        except Exception as e:  # noqa: BLE001
            raise _Failed("recognize", f"speech recognition failed: {type(e).__name__}: {e}") from e
        finally:
            features = getattr(recognizer, "features_s", 0.0) - f0
            self.times.add("features", features)
            self.times.add("model", time.perf_counter() - t0 - features)
        return self.assemble(heard, recognized, path, recording_id, fields, metadata, batch_id)

    def assemble(self, heard: Heard, recognized: list[Recognized], path: Path, recording_id: str, fields: dict,
                 metadata: dict, batch_id: str) -> tuple[Recording, list[Segment], list]:
        """The recording, its segments and pauses from what the model said about each span (also
        used by the live server, which recognised the spans as the call went on)."""
        o = self.options
        audio, spans = heard.audio, heard.spans
        n_ch = audio.samples.shape[0]
        roles = channel_roles(n_ch, fields.get("channel_roles", o.channel_roles), fields.get("mono_role", "mixed"))
        slices = heard.slices()
        t0 = time.perf_counter()
        rec_model, rec_rev = self.recognizer.model_id, self.recognizer.revision
        segments = []
        for i, ((b, e, ch), sl, r) in enumerate(zip(spans, slices, recognized)):
            rate, unit = speaking_rate(r.parsed.text, e - b)
            text, pii = pii_redact(r.parsed.text)
            raw = r.parsed.raw if o.keep_pii else pii_redact(r.parsed.raw)[0]
            segments.append(Segment(
                recording_id=recording_id, channel=ch, role=roles[ch], seg_index=i,
                start_s=round(b, 3), end_s=round(e, 3), language=r.parsed.language,
                emotion=r.parsed.emotion, emotion_confidence=r.emotion_confidence,
                events=r.parsed.events, itn=r.parsed.itn, text=r.parsed.text if o.keep_pii else text,
                raw_text=raw, loudness_dbfs=loudness_dbfs(sl), speaking_rate=rate, rate_unit=unit, pii=pii))
        pauses = find_pauses(segments, o.pause_threshold_s, recording_id, roles)
        self.times.add("signals", time.perf_counter() - t0)
        recorded_at, source = self._recorded_at(path, fields, audio.info.creation_time)
        rec = Recording(
            recording_id=recording_id, path=str(path), filename=path.name,
            size_bytes=path.stat().st_size, format=audio.info.format, codec=audio.info.codec,
            duration_s=round(audio.info.duration_s or audio.duration_s, 3),
            sample_rate=audio.info.sample_rate, channels=audio.info.channels,
            analysed_channels=n_ch, mixed=audio.mixed, kind=fields.get("kind", o.kind),
            outcome=fields.get("outcome", o.outcome), batch_id=batch_id, recorded_at=recorded_at,
            recorded_at_source=source, language_requested=o.language, model_id=rec_model,
            model_revision=rec_rev, pipeline_version=PIPELINE_VERSION, vad=o.vad,
            ingested_at=now(), n_segments=len(segments),
            speech_s=round(sum(s.duration_s for s in segments), 3), metadata=metadata)
        return rec, segments, pauses

    def _recorded_at(self, path: Path, fields: dict, tag: str | None) -> tuple[datetime, str]:
        if fields.get("recorded_at"):
            return parse_time(fields["recorded_at"]), "manifest"
        if self.options.recorded_at:
            return parse_time(self.options.recorded_at), "option"
        if tag:
            try:
                return parse_time(tag), "file-tag"
            except ValueError:
                pass
        return datetime.fromtimestamp(int(path.stat().st_mtime)), "file-mtime"

"""Voice activity detection that works offline: Silero VAD (weights ship with the ``silero-vad``
package; the default) or FunASR's fsmn-vad (weights from the model hub). Long speech is split at a
maximum segment length so each segment gets its own SenseVoice tags."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .decode import SAMPLE_RATE

VADS = ("silero", "fsmn")


class VadUnavailable(Exception):
    """The chosen VAD cannot be loaded (the message says why and what to do)."""


@dataclass
class VadSettings:
    name: str = "silero"
    threshold: float = 0.5
    min_speech_s: float = 0.25
    min_silence_s: float = 0.3
    speech_pad_s: float = 0.05
    max_segment_s: float = 15.0


class SileroVad:
    def __init__(self, settings: VadSettings):
        try:
            from silero_vad import load_silero_vad
        except ImportError as e:  # pragma: no cover - a dependency of the project
            raise VadUnavailable("the silero-vad package is not installed (pip install silero-vad)") from e
        self.settings = settings
        self.model = load_silero_vad()

    def speech_spans(self, audio: np.ndarray) -> list[tuple[float, float]]:
        import torch
        from silero_vad import get_speech_timestamps

        s = self.settings
        ts = get_speech_timestamps(
            torch.from_numpy(np.ascontiguousarray(audio)), self.model, sampling_rate=SAMPLE_RATE,
            threshold=s.threshold, min_speech_duration_ms=int(s.min_speech_s * 1000),
            min_silence_duration_ms=int(s.min_silence_s * 1000),
            speech_pad_ms=int(s.speech_pad_s * 1000),
        )
        return [(t["start"] / SAMPLE_RATE, t["end"] / SAMPLE_RATE) for t in ts]


class FsmnVad:
    def __init__(self, settings: VadSettings, device: str = "cpu", ncpu: int = 1):
        from funasr import AutoModel

        self.settings = settings
        try:
            self.model = AutoModel(model="fsmn-vad", device=device, ncpu=ncpu, disable_update=True,
                                   disable_pbar=True, disable_log=True,
                                   max_single_segment_time=int(settings.max_segment_s * 1000))
        except Exception as e:  # offline, FunASR reports a misleading "not registered" error
            raise VadUnavailable(
                "fsmn-vad could not be loaded: its weights come from the model hub (ModelScope), "
                f"which is not reachable or failed ({type(e).__name__}). Use --vad silero, which "
                "works offline.") from e

    def speech_spans(self, audio: np.ndarray) -> list[tuple[float, float]]:
        res = self.model.generate(input=audio, fs=SAMPLE_RATE, disable_pbar=True)
        spans = res[0].get("value", []) if res else []
        return [(b / 1000.0, e / 1000.0) for b, e in spans if e > b]


def load_vad(settings: VadSettings, device: str = "cpu", ncpu: int = 1):
    if settings.name == "silero":
        return SileroVad(settings)
    if settings.name == "fsmn":
        return FsmnVad(settings, device=device, ncpu=ncpu)
    raise VadUnavailable(f"unknown VAD {settings.name!r}; choose one of {', '.join(VADS)}")


def split_long(spans: list[tuple[float, float]], max_s: float) -> list[tuple[float, float]]:
    """Split spans longer than ``max_s`` into equal parts no longer than ``max_s``."""
    out = []
    for b, e in spans:
        n = max(1, int(np.ceil((e - b) / max_s - 1e-9)))
        step = (e - b) / n
        out += [(b + i * step, b + (i + 1) * step if i < n - 1 else e) for i in range(n)]
    return out

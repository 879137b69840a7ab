"""Voice activity detection that works offline: Silero VAD (weights ship with the ``silero-vad``
package; the default) or FunASR's fsmn-vad (weights from the model hub). Long speech is split at a
maximum segment length so each segment gets its own SenseVoice tags.

Silero runs one 32 ms frame per model call, which made it ~90x real time on a 2-core CPU (80 s
of a 2 h file). Long audio is therefore cut into windows that run side by side as one batch; each
window's recurrent state is first primed on the audio just before it. Audio up to
``WINDOW_S + PRIME_S`` long is one window, which is exactly Silero's own sequential result.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from .decode import SAMPLE_RATE

VADS = ("silero", "fsmn")
FRAME = 512  # Silero's frame at 16 kHz
WINDOW_S = 30.0  # audio per batch row
PRIME_S = 20.0  # audio before a window that the state is primed on (its output is dropped)
ROWS_PER_CALL = 32  # batch rows per model call (bounds the memory of a 4 h file)


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
        self._lock = threading.Lock()  # the model keeps its recurrent state: one caller at a time

    def speech_spans(self, audio: np.ndarray) -> list[tuple[float, float]]:
        from silero_vad import get_speech_timestamps_from_probs

        s = self.settings
        ts = get_speech_timestamps_from_probs(
            [float(p) for p in self.speech_probs(audio)], sampling_rate=SAMPLE_RATE,
            threshold=s.threshold, min_speech_duration_ms=int(s.min_speech_s * 1000),
            min_silence_duration_ms=int(s.min_silence_s * 1000),
            speech_pad_ms=int(s.speech_pad_s * 1000), audio_length_samples=len(audio),
        )
        return [(t["start"] / SAMPLE_RATE, t["end"] / SAMPLE_RATE) for t in ts]

    def speech_probs(self, audio: np.ndarray, window_s: float = WINDOW_S,
                     prime_s: float = PRIME_S) -> np.ndarray:
        """Speech probability per 32 ms frame, computed in primed windows run as one batch."""
        import torch

        n = -(-len(audio) // FRAME)
        padded = np.zeros(n * FRAME, np.float32)
        padded[:len(audio)] = audio
        win, prime = int(window_s * SAMPLE_RATE / FRAME), int(prime_s * SAMPLE_RATE / FRAME)
        if n <= win + prime:
            win, prime = n, 0
        starts = list(range(0, n, win))
        probs = []
        for group in range(0, len(starts), ROWS_PER_CALL):
            rows = np.zeros((len(starts[group:group + ROWS_PER_CALL]), (prime + win) * FRAME), np.float32)
            keep = []
            for r, start in enumerate(starts[group:group + ROWS_PER_CALL]):
                first = max(0, start - prime)  # the first window has nothing before it to prime on
                chunk = padded[first * FRAME:(start + win) * FRAME]
                rows[r, :len(chunk)] = chunk  # zeros after the audio's end do not reach back
                keep.append((start - first, min(win, n - start)))
            with self._lock, torch.inference_mode():
                out = self.model.audio_forward(torch.from_numpy(rows), SAMPLE_RATE).numpy()
            probs += [out[r, off:off + count] for r, (off, count) in enumerate(keep)]
        return np.concatenate(probs) if probs else np.zeros(0, np.float32)


class FsmnVad:
    def __init__(self, settings: VadSettings, device: str = "cpu", ncpu: int = 1):
        from .recognize import auto_model

        AutoModel = auto_model()  # noqa: N806 (FunASR's class)

        self.settings = settings
        self._lock = threading.Lock()
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
        with self._lock:  # one caller at a time (the ingest looks ahead in a thread)
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


QUIET_HOP_S = 0.01  # energy frames for finding where to cut long speech


def split_quiet(samples: np.ndarray, spans: list[tuple[float, float]], max_s: float,
                pause_s: float | None = None) -> list[tuple[float, float]]:
    """Split spans longer than ``max_s`` where the speech is quiet: in the last three quarters of
    each stretch of ``max_s``, at the longest run of frames near the span's noise floor (never
    mid-word when such a gap exists), else at the quietest point. A gap at least ``pause_s`` long
    is left out between the parts, so it counts as a pause."""
    out = []
    hop = int(QUIET_HOP_S * SAMPLE_RATE)
    for b, e in spans:
        if e - b <= max_s:
            out.append((b, e))
            continue
        x = samples[int(b * SAMPLE_RATE):int(e * SAMPLE_RATE)].astype(np.float64)
        n = len(x) // hop
        if n < 4:
            out += split_long([(b, e)], max_s)
            continue
        rms = np.sqrt(np.mean(x[:n * hop].reshape(n, hop) ** 2, axis=1))
        db = 20 * np.log10(rms + 1e-7)
        smooth = np.convolve(db, np.ones(5) / 5, mode="same")
        quiet = db < min(np.percentile(db, 2) + 10.0, np.median(db) - 20.0)  # near the span's noise floor
        max_f = int(max_s / QUIET_HOP_S)
        start = 0
        while n - start > max_f:
            lo, hi = start + max_f // 4, start + max_f
            cut = gap_end = None
            best = 0
            i = lo
            while i < hi:  # the longest quiet run in [lo, hi)
                if quiet[i]:
                    j = i
                    while j < n and quiet[j]:
                        j += 1
                    if j - i > best:
                        best, cut, gap_end = j - i, i, j
                    i = j
                else:
                    i += 1
            if cut is None or best < 3:  # no gap: the quietest point
                cut = gap_end = lo + int(np.argmin(smooth[lo:hi]))
            elif pause_s is None or (gap_end - cut) * QUIET_HOP_S < pause_s:
                cut = gap_end = (cut + gap_end) // 2  # a short gap: cut in its middle
            gap_end = min(max(gap_end, start + 1), n)
            cut = max(cut, start + 1)
            out.append((round(b + start * QUIET_HOP_S, 3), round(b + cut * QUIET_HOP_S, 3)))
            start = gap_end
        out.append((round(b + start * QUIET_HOP_S, 3), e))
    return out

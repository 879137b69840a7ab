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

from ..decode import SAMPLE_RATE
from ..errors import VadUnavailable  # noqa: F401 - raised here; imported from here by callers

VADS = ("silero", "fsmn")
FRAME = 512  # Silero's frame at 16 kHz
WINDOW_S = 30.0  # audio per batch row
PRIME_S = 20.0  # audio before a window that the state is primed on (its output is dropped)
ROWS_PER_CALL = 32  # batch rows per model call (bounds the memory of a 4 h file)




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
        return self.speech_spans_many([audio])[0]

    def speech_spans_many(self, audios: list[np.ndarray]) -> list[list[tuple[float, float]]]:
        """``speech_spans`` of each audio, the windows of all of them run as one batch: a model
        call costs about the same for 4 rows as for 32 (each is one 32 ms step after another),
        so five 2-minute calls take the time of one (the result is each audio's own)."""
        from silero_vad import get_speech_timestamps_from_probs

        s = self.settings
        out = []
        for audio, probs in zip(audios, self.speech_probs_many(audios)):
            ts = get_speech_timestamps_from_probs(
                [float(p) for p in probs], sampling_rate=SAMPLE_RATE,
                threshold=s.threshold, min_speech_duration_ms=int(s.min_speech_s * 1000),
                min_silence_duration_ms=int(s.min_silence_s * 1000),
                speech_pad_ms=int(s.speech_pad_s * 1000), audio_length_samples=len(audio),
            )
            out.append([(t["start"] / SAMPLE_RATE, t["end"] / SAMPLE_RATE) for t in ts])
        return out

    def speech_probs(self, audio: np.ndarray, window_s: float = WINDOW_S,
                     prime_s: float = PRIME_S) -> np.ndarray:
        """Speech probability per 32 ms frame, computed in primed windows run as one batch."""
        return self.speech_probs_many([audio], window_s, prime_s)[0]

    def speech_probs_many(self, audios: list[np.ndarray], window_s: float = WINDOW_S,
                          prime_s: float = PRIME_S) -> list[np.ndarray]:
        """``speech_probs`` of each audio; the windows of all of them run side by side. A row
        padded with zeros after its audio's end gives the same values: the model only looks back."""
        import torch

        rows = []  # (audio index, first frame read, first frame kept, frames kept)
        for a, audio in enumerate(audios):
            n = -(-len(audio) // FRAME)
            win, prime = int(window_s * SAMPLE_RATE / FRAME), int(prime_s * SAMPLE_RATE / FRAME)
            if n <= win + prime:
                win, prime = max(n, 1), 0
            for start in range(0, n, win):
                first = max(0, start - prime)  # the first window has nothing before it to prime on
                rows.append((a, first, start, min(win, n - start)))
        probs: list[list[np.ndarray]] = [[] for _ in audios]
        for group in range(0, len(rows), ROWS_PER_CALL):
            part = rows[group:group + ROWS_PER_CALL]
            width = max(start - first + count for _, first, start, count in part)
            batch = np.zeros((len(part), width * FRAME), np.float32)
            for r, (a, first, start, count) in enumerate(part):
                chunk = audios[a][first * FRAME:(start + count) * FRAME]
                batch[r, :len(chunk)] = chunk
            with self._lock, torch.inference_mode():
                got = self.model.audio_forward(torch.from_numpy(batch), SAMPLE_RATE).numpy()
            for r, (a, first, start, count) in enumerate(part):
                probs[a].append(got[r, start - first:start - first + count])
        return [np.concatenate(p) if p else np.zeros(0, np.float32) for p in probs]


class FsmnVad:
    def __init__(self, settings: VadSettings, device: str = "cpu", ncpu: int = 1):
        from .funasr_lean import auto_model

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

    def speech_spans_many(self, audios: list[np.ndarray]) -> list[list[tuple[float, float]]]:
        return [self.speech_spans(a) for a in audios]


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

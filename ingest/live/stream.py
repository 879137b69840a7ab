"""Speech segments of a call while it is still going on: PCM in, closed segments out.

``CallStream`` keeps the audio received so far (per channel, 16 kHz) and runs Silero VAD frame by
frame (32 ms) on each channel with its own recurrent state. A segment closes after ``min_silence_s``
of silence or at ``max_segment_s``; pauses between a channel's segments come out as they close.
The live server (``ingest.live.server``) recognises each closed segment at once.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..decode import SAMPLE_RATE
from ..models.vad import FRAME, VadSettings

FRAME_S = FRAME / SAMPLE_RATE


@dataclass
class Closed:
    """A closed speech span of one channel, in seconds from the start of the call."""

    channel: int
    start_s: float
    end_s: float


class _Channel:
    def __init__(self, channel: int, settings: VadSettings):
        from silero_vad import load_silero_vad

        self.channel, self.s = channel, settings
        self.model = load_silero_vad()  # one per channel: the model holds the channel's state
        self.buf = np.zeros(SAMPLE_RATE * 60, np.float32)  # grows by doubling
        self.n = 0  # samples received
        self.framed = 0  # samples already run through the VAD
        self.pending = np.zeros(0, np.float32)
        self.start: int | None = None  # first speech frame of the open segment
        self.silence_from: int | None = None  # first silent frame after speech

    def feed(self, samples: np.ndarray) -> list[Closed]:
        import torch

        if self.n + len(samples) > len(self.buf):
            self.buf = np.concatenate([self.buf[:self.n], np.zeros(max(len(self.buf), len(samples)), np.float32)])
        self.buf[self.n:self.n + len(samples)] = samples
        self.n += len(samples)
        self.pending = np.concatenate([self.pending, samples])
        out = []
        while len(self.pending) >= FRAME:
            frame, self.pending = self.pending[:FRAME], self.pending[FRAME:]
            idx = self.framed // FRAME
            self.framed += FRAME
            with torch.inference_mode():
                p = float(self.model(torch.from_numpy(frame), SAMPLE_RATE))
            out += self._step(idx, p)
        return out

    def _step(self, idx: int, p: float) -> list[Closed]:
        s = self.s
        if p >= s.threshold:
            self.silence_from = None
            if self.start is None:
                self.start = idx
            elif (idx + 1 - self.start) * FRAME_S >= s.max_segment_s:  # long speech: cut, go on
                closed = self._close(idx + 1)
                self.start = idx + 1
                return closed
            return []
        if self.start is None:
            return []
        if p < s.threshold - 0.15 and self.silence_from is None:
            self.silence_from = idx
        if self.silence_from is not None and (idx + 1 - self.silence_from) * FRAME_S >= s.min_silence_s:
            closed = self._close(self.silence_from)
            self.start = self.silence_from = None
            return closed
        return []

    def _close(self, end_frame: int) -> list[Closed]:
        s = self.s
        b, e = self.start * FRAME_S, end_frame * FRAME_S
        if e - b < s.min_speech_s:
            return []
        return [Closed(self.channel, round(max(0.0, b - s.speech_pad_s), 3),
                       round(min(self.n / SAMPLE_RATE, e + s.speech_pad_s), 3))]

    def flush(self) -> list[Closed]:
        """The call ended: close an open segment at the last frame."""
        if self.start is None:
            return []
        closed = self._close(self.framed // FRAME)
        self.start = self.silence_from = None
        return closed

    def audio(self) -> np.ndarray:
        return self.buf[:self.n]


class CallStream:
    """The audio of one call as it arrives: interleaved int16 PCM at ``sample_rate`` (8 or 16 kHz)
    with ``channels`` channels (1, or 2: one party each)."""

    def __init__(self, sample_rate: int, channels: int, settings: VadSettings | None = None):
        if sample_rate not in (8000, 16000):
            raise ValueError(f"sample_rate {sample_rate} is not supported: send 16000 or 8000 Hz PCM")
        if channels not in (1, 2):
            raise ValueError(f"channels {channels} is not supported: send 1 (mono) or 2 (one party each)")
        self.sample_rate, self.channels = sample_rate, channels
        self.settings = settings or VadSettings()
        self.chans = [_Channel(c, self.settings) for c in range(channels)]

    @property
    def duration_s(self) -> float:
        return self.chans[0].n / SAMPLE_RATE

    def feed(self, pcm: bytes) -> list[Closed]:
        """Add one frame of PCM; the segments it closed. Raises ValueError for a malformed frame."""
        width = 2 * self.channels
        if len(pcm) % width:
            raise ValueError(f"a binary frame must hold whole samples: {len(pcm)} bytes is not a multiple of "
                             f"{width} (int16 x {self.channels} channel(s))")
        x = np.frombuffer(pcm, "<i2").astype(np.float32).reshape(-1, self.channels).T / 32768.0
        if self.sample_rate == 8000:  # telephony audio: linear interpolation to 16 kHz
            n = x.shape[1]
            t = np.arange(2 * n) / 2.0
            x = np.stack([np.interp(t, np.arange(n), ch) for ch in x]).astype(np.float32)
        out = []
        for ch, samples in zip(self.chans, x):
            out += ch.feed(samples)
        return sorted(out, key=lambda c: (c.end_s, c.channel))

    def flush(self) -> list[Closed]:
        return sorted((c for ch in self.chans for c in ch.flush()), key=lambda c: (c.end_s, c.channel))

    def slice(self, closed: Closed) -> np.ndarray:
        a = self.chans[closed.channel].audio()
        return a[int(closed.start_s * SAMPLE_RATE):int(closed.end_s * SAMPLE_RATE)].copy()

    def audio(self) -> np.ndarray:
        """(channels, n) float32 at 16 kHz: everything received."""
        chans = [c.audio() for c in self.chans]
        n = min(len(c) for c in chans)
        return np.stack([c[:n] for c in chans])

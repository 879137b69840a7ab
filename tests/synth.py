"""Synthesised test audio with a known speech/silence layout (espeak-ng speech, sox-free numpy
assembly). Used by the tests and the benchmarks."""
from __future__ import annotations

import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SR = 16000


def speak(text: str, voice: str = "en", speed: int = 160) -> np.ndarray:
    """espeak-ng speech at 16 kHz, leading/trailing silence trimmed, peak 0.5."""
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", text],
                         capture_output=True, check=True).stdout
    rate = int.from_bytes(wav[24:28], "little")
    pcm = np.frombuffer(wav[44:], dtype=np.int16).astype(np.float32) / 32768.0
    if rate != SR:  # espeak-ng speaks at 22.05 kHz: resample linearly
        t = np.arange(int(len(pcm) * SR / rate)) * rate / SR
        pcm = np.interp(t, np.arange(len(pcm)), pcm).astype(np.float32)
    loud = np.flatnonzero(np.abs(pcm) > 0.02)
    pcm = pcm[loud[0]:loud[-1] + 1] if len(loud) else pcm
    return (pcm / max(1e-6, np.abs(pcm).max()) * 0.5).astype(np.float32)


@dataclass
class Layout:
    audio: np.ndarray  # (channels, n)
    spans: list[list[tuple[float, float]]]  # per channel: where speech is, in seconds

    @property
    def duration_s(self) -> float:
        return self.audio.shape[1] / SR


def compose(parts: list[tuple[float, np.ndarray | None]], lead_s: float = 0.5, tail_s: float = 0.5,
            noise: float = 0.0, seed: int = 0) -> Layout:
    """Mono audio: ``parts`` are (gap before, clip) pairs; a clip None is only silence."""
    rng = np.random.default_rng(seed)
    chunks, spans, t = [np.zeros(int(lead_s * SR), np.float32)], [], lead_s
    for gap, clip in parts:
        chunks.append(np.zeros(int(gap * SR), np.float32))
        t += int(gap * SR) / SR
        if clip is not None:
            chunks.append(clip)
            spans.append((t, t + len(clip) / SR))
            t += len(clip) / SR
    chunks.append(np.zeros(int(tail_s * SR), np.float32))
    audio = np.concatenate(chunks)
    if noise:
        audio = audio + rng.normal(0, noise, len(audio)).astype(np.float32)
    return Layout(audio[None, :], [spans])


def stereo(left: Layout, right: Layout) -> Layout:
    n = max(left.audio.shape[1], right.audio.shape[1])
    a = np.zeros((2, n), np.float32)
    a[0, :left.audio.shape[1]] = left.audio[0]
    a[1, :right.audio.shape[1]] = right.audio[0]
    return Layout(a, [left.spans[0], right.spans[0]])


def write_wav(path: Path, audio: np.ndarray, rate: int = SR) -> Path:
    audio = np.atleast_2d(audio)
    pcm = (np.clip(audio.T, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(audio.shape[0])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return Path(path)


def convert(src: Path, dest: Path, *args: str) -> Path:
    """Re-encode ``src`` with ffmpeg (format from ``dest``'s extension, extra args before it)."""
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src), *args, str(dest)],
                   check=True)
    return Path(dest)


SENTENCES = [
    "Hello, thank you for calling customer service.",
    "My order has not arrived and it has been three days.",
    "I am sorry to hear that, let me check the tracking number for you.",
    "The parcel was sent on Monday from the Shenzhen warehouse.",
    "That is not good enough, I need it by tomorrow.",
    "I understand, I will ask the courier to deliver it first thing in the morning.",
    "Can you also refund the shipping fee?",
    "Yes, the refund will appear on your card within five working days.",
]


def merge_regions(spans, join_s: float = 0.5) -> list[tuple[float, float]]:
    """Merge spans separated by less than ``join_s`` (the short pauses inside one utterance)."""
    out: list[tuple[float, float]] = []
    for b, e in sorted(spans):
        if out and b - out[-1][1] < join_s:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((b, e))
    return out


def assert_spans_close(found, truth, tol: float = 0.3) -> None:
    assert len(found) == len(truth), (found, truth)
    for (fb, fe), (tb, te) in zip(found, truth):
        assert abs(fb - tb) <= tol and abs(fe - te) <= tol, (found, truth)

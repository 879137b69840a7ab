"""Decode any common audio/video file to 16 kHz float32 channels with ffmpeg.

Stereo files keep their two channels (call-centre recordings are usually one party per channel)
unless ``mix`` is asked for; a stereo file whose channels are identical is treated as mono; files
with more than two channels are downmixed. Decoding has a time limit and a length limit, so one
file cannot hang or exhaust a batch.
"""
from __future__ import annotations

import io
import json
import math
import shutil
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000


class DecodeError(Exception):
    """A file that cannot be decoded; the message is the one-line reason shown to the user."""


@dataclass
class AudioInfo:
    format: str
    codec: str | None
    duration_s: float | None
    sample_rate: int | None
    channels: int
    creation_time: str | None


@dataclass
class DecodedAudio:
    """``samples`` has shape (channels, n) at 16 kHz, float32 in [-1, 1]."""

    info: AudioInfo
    samples: np.ndarray
    mixed: bool

    @property
    def duration_s(self) -> float:
        return self.samples.shape[1] / SAMPLE_RATE


def pcm16(audio: np.ndarray) -> bytes:
    """(channels, n) float audio as interleaved int16 little-endian PCM: what a WAV holds, and what
    the live protocol's frames carry (``ingest.live.stream.CallStream.feed``)."""
    return (np.clip(np.atleast_2d(audio).T, -1, 1) * 32767).astype("<i2").tobytes()


def write_wav(dest: Path | io.BytesIO, audio: np.ndarray, rate: int = SAMPLE_RATE) -> None:
    """(channels, n) or (n,) float audio as a 16-bit WAV file (or into a buffer)."""
    audio = np.atleast_2d(audio)
    with wave.open(dest if isinstance(dest, io.BytesIO) else str(dest), "wb") as w:
        w.setnchannels(audio.shape[0])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm16(audio))


def require_ffmpeg() -> None:
    for tool in ("ffmpeg", "ffprobe"):
        if shutil.which(tool) is None:
            raise DecodeError(f"{tool} is not installed (apt-get install ffmpeg, or brew install ffmpeg)")


def probe(path: Path, timeout_s: float = 30.0) -> AudioInfo:
    require_ffmpeg()
    if not path.is_file():
        raise DecodeError("file not found" if not path.exists() else "not a regular file")
    if path.stat().st_size == 0:
        raise DecodeError("empty file (0 bytes)")
    try:
        res = subprocess.run(
            ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
             "-select_streams", "a", "--", str(path)],
            capture_output=True, timeout=timeout_s, stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise DecodeError(f"reading the file's header took longer than {timeout_s:.0f} s") from None
    if res.returncode != 0:
        msg = _last_line(res.stderr).replace(f"{path}: ", "") or "unknown error"
        raise DecodeError(f"not a readable audio/video file ({msg})")
    data = json.loads(res.stdout or b"{}")
    streams = data.get("streams") or []
    fmt = data.get("format") or {}
    if not streams:
        raise DecodeError(f"no audio track (container: {fmt.get('format_name', 'unknown')})")
    st = streams[0]
    dur = _float(st.get("duration")) or _float(fmt.get("duration"))
    tags = {**(fmt.get("tags") or {}), **(st.get("tags") or {})}
    return AudioInfo(
        format=str(fmt.get("format_name", "unknown")),
        codec=st.get("codec_name"),
        duration_s=dur,
        sample_rate=int(st["sample_rate"]) if str(st.get("sample_rate", "")).isdigit() else None,
        channels=int(st.get("channels") or 1),
        creation_time=tags.get("creation_time"),
    )


def decode(path: Path, *, mix: bool = False, max_duration_s: float = 4 * 3600,
           timeout_s: float | None = None) -> DecodedAudio:
    """Decode ``path``; raises DecodeError with a one-line reason."""
    info = probe(path)
    if info.duration_s is not None and info.duration_s > max_duration_s:
        raise DecodeError(
            f"too long: {info.duration_s / 3600:.1f} h, the limit is {max_duration_s / 3600:.1f} h "
            "(--max-duration)")
    out_channels = 2 if (info.channels == 2 and not mix) else 1
    if timeout_s is None:  # generous: ffmpeg decodes far faster than real time
        timeout_s = 60.0 + (info.duration_s or max_duration_s) / 20.0
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0", "-vn",
           "-t", f"{max_duration_s:.3f}", "-f", "f32le", "-acodec", "pcm_f32le",
           "-ac", str(out_channels), "-ar", str(SAMPLE_RATE), "-"]
    try:
        res = subprocess.run(cmd, capture_output=True, timeout=timeout_s, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise DecodeError(f"decoding took longer than {timeout_s:.0f} s and was stopped") from None
    if res.returncode != 0 and not res.stdout:
        msg = _last_line(res.stderr).replace(f"{path}: ", "")
        raise DecodeError(f"cannot decode audio ({msg or 'ffmpeg failed'})")
    pcm = np.frombuffer(res.stdout, dtype=np.float32)
    n = len(pcm) // out_channels
    if n == 0:
        msg = _last_line(res.stderr)
        raise DecodeError("no audio samples could be decoded" + (f" ({msg})" if msg else ""))
    samples = pcm[: n * out_channels].reshape(n, out_channels).T.copy()
    if not np.isfinite(samples).all():  # 32-bit float files can carry NaN/Inf
        samples = np.nan_to_num(samples, nan=0.0, posinf=1.0, neginf=-1.0)
    np.clip(samples, -1.0, 1.0, out=samples)
    mixed = info.channels > 1 and out_channels == 1
    if out_channels == 2 and _same_channels(samples):
        samples = samples[:1]
        mixed = True
    return DecodedAudio(info=info, samples=samples, mixed=mixed)


def _same_channels(s: np.ndarray) -> bool:
    """True for 'fake stereo' (both channels carry the same signal)."""
    a, b = s[0], s[1]
    energy = float(np.dot(a, a) + np.dot(b, b))
    if energy == 0.0:
        return True
    return float(np.sum((a - b) ** 2)) / energy < 1e-4


def _float(x) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) and v >= 0 else None


def _last_line(stderr: bytes) -> str:
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    return lines[-1][:200] if lines else ""

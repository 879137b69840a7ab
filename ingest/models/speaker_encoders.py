"""Speaker embedding models behind one small interface (``SpeakerEncoder``), for diarization
(``ingest.speakers.diarize``), voiceprints and live attribution:

- **CAM++** (``iic/speech_campplus_sv_zh-cn_16k-common``), FunASR's own speaker model, loaded
  through the same hub / local-directory path as SenseVoiceSmall (``hub.fetch``). The default.
- **Resemblyzer's voice encoder**, whose trained weights ship in the ``resemblyzer`` wheel
  (Apache-2.0): it works with no model hub at all, and is used, with a warning, when CAM++ cannot
  be loaded (a failure is remembered for RETRY_AFTER_S). Each recording stores which one was used.
"""
from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ..decode import SAMPLE_RATE
from ..errors import SpeakerModelUnavailable

CAMPPLUS = "iic/speech_campplus_sv_zh-cn_16k-common"
ENCODERS = ("auto", "campplus", "voice-encoder")


class SpeakerEncoder(Protocol):
    name: str  # stored with every recording: which speaker model was used
    kind: str  # campplus | voice-encoder (voiceprints are comparable within one kind only)

    def embed(self, clips: list[np.ndarray]) -> np.ndarray:
        """L2-normalised embeddings (one row per 16 kHz clip)."""
        ...


def normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9)


def _by_length(clips: list[np.ndarray], embed_group) -> np.ndarray:
    """Embed clips in groups of equal length (no padding inside a batch); rows in input order."""
    out: list[np.ndarray | None] = [None] * len(clips)
    groups: dict[int, list[int]] = {}
    for i, c in enumerate(clips):
        groups.setdefault(len(c), []).append(i)
    for idx in groups.values():
        for k in range(0, len(idx), 64):
            part = idx[k:k + 64]
            for i, e in zip(part, embed_group(np.stack([clips[i] for i in part]))):
                out[i] = e
    return normalise(np.stack(out)) if out else np.zeros((0, 1), np.float32)


def mel_filters(sr: int, n_fft: int, n_mels: int) -> np.ndarray:
    """Slaney-style mel filters (n_mels x (n_fft / 2 + 1)), the values of ``librosa.filters.mel``
    with its defaults, which Resemblyzer's encoder was trained on; computed here because importing
    librosa (numba) costs ~125 MB and ~1 s in every ingest."""
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0

    def to_mel(f):
        return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, min_log_hz) / min_log_hz) / logstep, f / f_sp)

    def to_hz(m):
        return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)

    fft_f = np.fft.rfftfreq(n_fft, 1.0 / sr)
    mel_f = to_hz(np.linspace(to_mel(np.float64(0.0)), to_mel(np.float64(sr / 2)), n_mels + 2))
    fdiff, ramps = np.diff(mel_f), np.subtract.outer(mel_f, fft_f)
    lower, upper = -ramps[:-2] / fdiff[:-1, None], ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper)) * (2.0 / (mel_f[2:] - mel_f[:-2]))[:, None]
    return weights.astype(np.float32)


class VoiceEncoder:
    """Resemblyzer's GE2E voice encoder (3-layer LSTM over 40 mel bands, 256-d output). The network
    is defined here and its weights are read from the ``resemblyzer`` package's own file, so that
    none of that package's audio helpers (webrtcvad, which needs pkg_resources) are imported."""

    kind = "voice-encoder"

    def __init__(self, device: str = "cpu"):
        import torch

        spec = importlib.util.find_spec("resemblyzer")
        weights = Path(spec.origin).parent / "pretrained.pt" if spec and spec.origin else None
        if weights is None or not weights.is_file():
            raise SpeakerModelUnavailable("the resemblyzer package (its voice encoder's weights) is not "
                                          "installed: pip install resemblyzer")
        self.device = "cpu" if device in ("auto", "cpu") else device
        self.lstm = torch.nn.LSTM(40, 256, num_layers=3, batch_first=True)
        self.linear = torch.nn.Linear(256, 256)
        state = torch.load(weights, map_location="cpu", weights_only=False)["model_state"]
        self.lstm.load_state_dict({k[5:]: v for k, v in state.items() if k.startswith("lstm.")})
        self.linear.load_state_dict({k[7:]: v for k, v in state.items() if k.startswith("linear.")})
        self.lstm.eval().to(self.device)
        self.linear.eval().to(self.device)
        self._mel = torch.from_numpy(mel_filters(SAMPLE_RATE, 400, 40))
        self._window = torch.hann_window(400)
        version = _version("resemblyzer")
        self.name = f"resemblyzer-{version}" if version else "resemblyzer"

    def _mels(self, batch):
        import torch

        # resemblyzer normalises the volume to -30 dBFS; its mel spectrogram is power, not log
        rms = batch.pow(2).mean(dim=1, keepdim=True).sqrt().clamp_min(1e-6)
        batch = batch * (10 ** (-30 / 20) / rms)
        spec = torch.stft(batch, 400, 160, window=self._window, center=True, pad_mode="constant",
                          return_complex=True).abs().pow(2)
        return torch.matmul(self._mel, spec).transpose(1, 2)  # (batch, frames, 40)

    def embed(self, clips: list[np.ndarray]) -> np.ndarray:
        import torch

        def group(arr: np.ndarray) -> np.ndarray:
            with torch.inference_mode():
                mels = self._mels(torch.from_numpy(np.ascontiguousarray(arr, np.float32))).to(self.device)
                _, (hidden, _) = self.lstm(mels)
                return torch.relu(self.linear(hidden[-1])).cpu().numpy()
        return _by_length(clips, group)


class CamPlusEncoder:
    """FunASR's CAM++ (CAMPPlus, 192-d embeddings), through ``funasr.AutoModel``: a hub id is
    downloaded as FunASR does; a local directory must hold the hub's layout (configuration.json,
    config.yaml, campplus_cn_common.bin)."""

    kind = "campplus"

    def __init__(self, model: str = CAMPPLUS, hub: str = "ms", device: str = "cpu", threads: int | None = None):
        from ..models import hub as hubs
        from ..models.recognize import resolve_device

        self.device = resolve_device(device)
        self.am, self.name = hubs.load(model, hub, self.device, threads, "CAM++", "campplus", "CAMPPlus",
                                       SpeakerModelUnavailable,
                                       holds="configuration.json")
        self.model = self.am.model.eval()

    def embed(self, clips: list[np.ndarray]) -> np.ndarray:
        import torch
        from funasr.models.campplus.utils import extract_feature

        def group(arr: np.ndarray) -> np.ndarray:
            with torch.inference_mode():
                feats, _, _ = extract_feature([torch.from_numpy(np.ascontiguousarray(a, np.float32)) for a in arr])
                return self.model(feats.to(self.device).float()).cpu().numpy()
        return _by_length(clips, group)


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


@dataclass
class SpeakerSettings:
    encoder: str = "auto"  # auto (CAM++, else the voice encoder) | campplus | voice-encoder
    model: str = CAMPPLUS  # CAM++ hub id or local directory
    hub: str = "ms"
    device: str = "cpu"
    threads: int | None = None


RETRY_AFTER_S = 600.0


def _failures_file() -> Path:
    from ..models.int8cache import user_cache_dir

    return user_cache_dir() / "hub-failures.json"


def _recent_failure(key: tuple[str, str]) -> str | None:
    """Why CAM++ could not come from the hub, if that happened in the last RETRY_AFTER_S — in any
    process: a hub out of reach costs ~20 s of retries, which every ingest run paid again."""
    import json
    import time

    try:
        when, why = json.loads(_failures_file().read_text()).get("|".join(key), (0, ""))
    except (OSError, ValueError, TypeError):
        return None
    return why if time.time() - float(when) < RETRY_AFTER_S else None


def _remember_failure(key: tuple[str, str], why: str) -> None:
    import contextlib
    import json
    import os
    import time

    path = _failures_file()
    with contextlib.suppress(OSError, ValueError):
        path.parent.mkdir(parents=True, exist_ok=True)
        known = json.loads(path.read_text()) if path.is_file() else {}
        known["|".join(key)] = (time.time(), why)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(known))
        os.replace(tmp, path)


def load_encoder(settings: SpeakerSettings, warn=None) -> SpeakerEncoder:
    """The speaker model asked for; with ``auto``, CAM++, or the voice encoder (saying why) when
    CAM++ cannot be loaded. A hub that failed is not asked again for 10 minutes, by any process
    (each try costs ~20 s when the hub is out of reach)."""

    if settings.encoder not in ENCODERS:
        raise SpeakerModelUnavailable(f"unknown speaker model {settings.encoder!r}: use {', '.join(ENCODERS)}")
    if settings.encoder == "voice-encoder":
        return VoiceEncoder(settings.device)
    key = (settings.model, settings.hub)
    local = Path(settings.model).expanduser().exists()
    why = None if local else _recent_failure(key)
    if settings.encoder == "auto" and why:
        err = SpeakerModelUnavailable(f"{why} (tried less than {RETRY_AFTER_S / 60:g} min ago)")
    else:
        try:
            return CamPlusEncoder(settings.model, settings.hub, settings.device, settings.threads)
        except SpeakerModelUnavailable as e:
            if not local:
                _remember_failure(key, str(e))
            err = e
    if settings.encoder == "campplus":
        raise err
    if warn:
        warn(f"CAM++ could not be loaded ({err}); using Resemblyzer's voice encoder for speakers instead")
    return VoiceEncoder(settings.device)


# -- diarization -------------------------------------------------------------------------------


class SharedEncoder:
    """One encoder used from the look-ahead thread and the main thread: one caller at a time."""

    def __init__(self, encoder: SpeakerEncoder):
        self.encoder, self._lock = encoder, threading.Lock()
        self.name, self.kind = encoder.name, encoder.kind

    def embed(self, clips: list[np.ndarray]) -> np.ndarray:
        with self._lock:
            return self.encoder.embed(clips)

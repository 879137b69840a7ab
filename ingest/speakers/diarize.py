"""Who spoke: speaker embeddings of short windows of speech, clustered into speakers.

Speech spans (from the VAD) are looked at in short overlapping windows (``WINDOW_S`` long, every
``HOP_S``), so a change of speaker inside a span splits it; each window gets a speaker embedding;
the windows are clustered (a known count, or estimated with a calibrated threshold), and each span
is cut where its windows' speaker changes. Speakers are named S1, S2, … by first appearance.

Two embedding models sit behind one small interface (``SpeakerEncoder``):

- **CAM++** (``iic/speech_campplus_sv_zh-cn_16k-common``), FunASR's own speaker model, loaded
  through the same hub / local-directory path as SenseVoiceSmall. The default.
- **Resemblyzer's voice encoder**, whose trained weights ship in the ``resemblyzer`` wheel
  (Apache-2.0): it works with no model hub at all, and is used, with a warning, when CAM++ cannot
  be loaded. Each recording stores which one was used.
"""
from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ..decode import SAMPLE_RATE
from ..errors import SpeakerModelUnavailable  # noqa: F401 - raised here; imported from here by callers

CAMPPLUS = "iic/speech_campplus_sv_zh-cn_16k-common"
ENCODERS = ("auto", "campplus", "voice-encoder")
MAX_SPEAKERS = 10
WINDOW_S = 1.5  # embedding window
HOP_S = 0.75  # a window every HOP_S: a change of speaker is placed within HOP_S / 2
MIN_CLIP_S = 0.4  # shorter speech is given the speaker of the speech nearest in time
MIN_PART_S = 0.8  # a speaker change inside a span must leave parts at least this long
# Windows are clustered with average linkage on cosine distance. With ``auto`` the clusters are
# merged while their average similarity is above the encoder's threshold (calibrated on real
# speech from Debian packages: benchmarks/diarization.py, BENCHMARKS.md).
# CAM++'s value is not calibrated here (its real weights cannot be fetched on the machines this is
# built on); it follows the verification threshold on its model card and errs towards more speakers.
MERGE_SIMILARITY = {"voice-encoder": 0.60, "campplus": 0.40}
MIN_SPEAKER_SHARE = 0.04  # a cluster with less speech than this share (and < 3 s) is not a speaker




class SpeakerEncoder(Protocol):
    name: str  # stored with every recording: which speaker model was used
    kind: str  # campplus | voice-encoder (voiceprints are comparable within one kind only)

    def embed(self, clips: list[np.ndarray]) -> np.ndarray:
        """L2-normalised embeddings (one row per 16 kHz clip)."""
        ...


def _normalise(x: np.ndarray) -> np.ndarray:
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
    return _normalise(np.stack(out)) if out else np.zeros((0, 1), np.float32)


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
        import librosa  # a dependency of resemblyzer: its mel filters, exactly as resemblyzer uses them

        self._mel = torch.from_numpy(librosa.filters.mel(sr=SAMPLE_RATE, n_fft=400, n_mels=40)).float()
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
        from ..models.funasr_lean import auto_model, import_funasr, model_config
        from ..models.recognize import resolve_device

        self.device = resolve_device(device)
        local = Path(model).expanduser()
        if local.exists():
            if not ((local / "configuration.json").is_file() or (local / "config.yaml").is_file()):
                raise SpeakerModelUnavailable(f"{local} is not a CAM++ model directory (no configuration.json)")
            model_dir, self.name = local.resolve(), f"campplus:{local.resolve()}"
        else:
            model_dir = hubs.fetch(model, hub, holds="configuration.json")
            if model_dir is None:
                raise SpeakerModelUnavailable(f"could not download {model}: no access to the model hub")
            self.name = f"campplus:{model}"
        try:
            with hubs.quiet():
                import_funasr(model_config(model_dir))
                self.am = auto_model()(model=str(model_dir), device=self.device, ncpu=threads or 1,
                                    disable_update=True, disable_pbar=True, disable_log=True, hub=hub)
        except Exception as e:  # noqa: BLE001
            raise SpeakerModelUnavailable(f"could not load CAM++ from {model_dir}: {type(e).__name__}: {e}") from e
        self.model = self.am.model.eval()
        if type(self.model).__name__ != "CAMPPlus":
            raise SpeakerModelUnavailable(f"{model_dir} holds a {type(self.model).__name__}, not CAM++")

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
@dataclass
class Window:
    span: int  # index of the speech span the window lies in
    start_s: float
    end_s: float


def windows(spans: list[tuple[float, float]]) -> list[Window]:
    """Overlapping windows over each span (one window for a span up to WINDOW_S; none under MIN_CLIP_S)."""
    out = []
    for i, (b, e) in enumerate(spans):
        if e - b < MIN_CLIP_S:
            continue
        if e - b <= WINDOW_S:
            out.append(Window(i, b, e))
            continue
        n = int(np.ceil((e - b - WINDOW_S) / HOP_S - 1e-9)) + 1
        starts = [b + k * HOP_S for k in range(n - 1)] + [e - WINDOW_S]
        out += [Window(i, s, s + WINDOW_S) for s in starts]
    return out


def parse_speakers(value) -> int | None:
    """``auto`` → None (estimate); ``off`` → 1; 1..MAX_SPEAKERS. ValueError otherwise."""
    v = str(value).strip().lower()
    if v in ("auto", ""):
        return None
    if v in ("off", "none", "no"):
        return 1
    try:
        n = int(v)
    except ValueError:
        raise ValueError(f"speakers must be auto, off or a number from 1 to {MAX_SPEAKERS} (got {value!r})") from None
    if not 1 <= n <= MAX_SPEAKERS:
        raise ValueError(f"speakers must be auto, off or a number from 1 to {MAX_SPEAKERS} (got {n})")
    return n


def cluster(emb: np.ndarray, weights: np.ndarray, n_speakers: int | None, merge_similarity: float) -> np.ndarray:
    """Cluster labels 0..k-1 for L2-normalised embeddings. Average linkage on cosine distance: cut
    at ``n_speakers`` clusters, or (None) where clusters are less similar than ``merge_similarity``.
    Clusters holding too little speech (``weights``: seconds per row) join their nearest neighbour."""
    from scipy.cluster.hierarchy import fcluster, linkage

    n = len(emb)
    if n == 0:
        return np.zeros(0, int)
    if n == 1 or n_speakers == 1:
        return np.zeros(n, int)
    z = linkage(emb.astype(np.float64), method="average", metric="cosine")
    if n_speakers is None:
        return _absorb_small(emb, weights, fcluster(z, t=1.0 - merge_similarity, criterion="distance") - 1)
    # a known count: cut into more clusters while odd windows (absorbed) take up the places
    best = None
    for k in range(min(n_speakers, n), min(n, n_speakers + 6) + 1):
        labels = _absorb_small(emb, weights, fcluster(z, t=k, criterion="maxclust") - 1)
        if best is None or len(np.unique(labels)) > len(np.unique(best)):
            best = labels
        if len(np.unique(labels)) >= n_speakers:
            break
    while len(np.unique(best)) > n_speakers:  # the two speakers most alike are one
        ids = np.unique(best)
        cents = _normalise(np.stack([emb[best == k].mean(axis=0) for k in ids]))
        sim = cents @ cents.T - 2 * np.eye(len(ids))
        a, b = np.unravel_index(int(np.argmax(sim)), sim.shape)
        best[best == ids[b]] = ids[a]
    return np.unique(best, return_inverse=True)[1]


def _absorb_small(emb: np.ndarray, weights: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Clusters with little speech (an odd window: a cough, music, two voices at once) are not
    speakers: their windows join the cluster whose centroid is nearest."""
    total = float(weights.sum()) or 1.0
    while True:
        ids = np.unique(labels)
        if len(ids) <= 1:
            break
        sizes = {c: float(weights[labels == c].sum()) for c in ids}
        small = [c for c in ids if sizes[c] < min(3.0, MIN_SPEAKER_SHARE * total) or sizes[c] < 0.02 * total]
        if not small:
            break
        c = min(small, key=lambda k: sizes[k])
        others = [k for k in ids if k != c]
        cents = _normalise(np.stack([emb[labels == k].mean(axis=0) for k in others]))
        for i in np.flatnonzero(labels == c):
            labels[i] = others[int(np.argmax(cents @ emb[i]))]
    _, labels = np.unique(labels, return_inverse=True)
    return labels


@dataclass
class Diarized:
    """Speech parts with a speaker each (0-based, by first appearance), and each speaker's centroid."""

    parts: list[tuple[float, float, int]]
    centroids: np.ndarray  # (speakers, dim), L2-normalised
    seconds: list[float]  # speech per speaker


def diarize(audio: np.ndarray, spans: list[tuple[float, float]], encoder: SpeakerEncoder,
            n_speakers: int | None = None, merge_similarity: float | None = None) -> Diarized:
    """Split ``spans`` (seconds, sorted) of the 16 kHz ``audio`` by speaker."""
    wins = windows(spans)
    if merge_similarity is None:
        merge_similarity = MERGE_SIMILARITY.get(encoder.kind, 0.7)
    if not wins:
        return Diarized([(b, e, 0) for b, e in spans], np.zeros((0, 1), np.float32), [sum(e - b for b, e in spans)])
    clips = [audio[int(w.start_s * SAMPLE_RATE):int(w.end_s * SAMPLE_RATE)] for w in wins]
    emb = encoder.embed(clips)
    # a window's weight: the speech it stands for (its hop, or the whole of a short span)
    weights = np.array([min(w.end_s - w.start_s, HOP_S) for w in wins])
    labels = cluster(emb, weights, n_speakers, merge_similarity)
    parts = _split_spans(spans, wins, labels)
    # speakers numbered by first appearance
    order: dict[int, int] = {}
    for _, _, lab in parts:
        order.setdefault(lab, len(order))
    parts = [(b, e, order[lab]) for b, e, lab in parts]
    k = len(order)
    cents = np.zeros((k, emb.shape[1]), np.float32)
    for lab, new in order.items():
        cents[new] = emb[labels == lab].mean(axis=0)
    seconds = [0.0] * k
    for b, e, s in parts:
        seconds[s] += e - b
    return Diarized(parts, _normalise(cents), seconds)


def _split_spans(spans, wins: list[Window], labels: np.ndarray) -> list[tuple[float, float, int]]:
    by_span: dict[int, list[tuple[Window, int]]] = {}
    for w, lab in zip(wins, labels):
        by_span.setdefault(w.span, []).append((w, int(lab)))
    labelled: list[tuple[float, float, int] | None] = []
    for i, (b, e) in enumerate(spans):
        ws = by_span.get(i)
        if not ws:
            labelled.append(None)
            continue
        labs = [lab for _, lab in ws]
        if len(labs) >= 3:  # one window unlike both neighbours that agree: noise, not a turn
            labs = [labs[0]] + [labs[j - 1] if labs[j - 1] == labs[j + 1] != labs[j] else labs[j]
                                for j in range(1, len(labs) - 1)] + [labs[-1]]
        cuts, cur_b, cur = [], b, labs[0]
        for j in range(1, len(ws)):
            if labs[j] != cur:
                # the change lies between the two windows' centres
                t = 0.5 * ((ws[j - 1][0].start_s + ws[j - 1][0].end_s) / 2 + (ws[j][0].start_s + ws[j][0].end_s) / 2)
                cuts.append((cur_b, t, cur))
                cur_b, cur = t, labs[j]
        cuts.append((cur_b, e, cur))
        labelled.append(_merge_short(cuts))
    out: list[tuple[float, float, int]] = []
    # very short spans (no window): the speaker of the nearest labelled speech
    anchors = [(p[0], p[1], p[2]) for parts in labelled if parts for p in parts]
    for (b, e), parts in zip(spans, labelled):
        if parts:
            out += parts
        elif anchors:
            mid = (b + e) / 2
            near = min(anchors, key=lambda p: 0 if p[0] <= mid <= p[1] else min(abs(mid - p[0]), abs(mid - p[1])))
            out.append((b, e, near[2]))
        else:
            out.append((b, e, 0))
    return out


def _merge_short(parts: list[tuple[float, float, int]]) -> list[tuple[float, float, int]]:
    """Parts shorter than MIN_PART_S join a neighbour (the one before, else after), taking its speaker."""
    parts = list(parts)
    while True:
        joined = [parts[0]]
        for p in parts[1:]:  # neighbours with one speaker are one part
            joined[-1:] = [(joined[-1][0], p[1], p[2])] if p[2] == joined[-1][2] else [joined[-1], p]
        parts = joined
        short = [i for i, p in enumerate(parts) if p[1] - p[0] < MIN_PART_S]
        if len(parts) == 1 or not short:
            return parts
        i = min(short, key=lambda k: parts[k][1] - parts[k][0])
        j = i - 1 if i > 0 else i + 1
        a, b = min(i, j), max(i, j)
        parts[a:b + 1] = [(parts[a][0], parts[b][1], parts[j][2])]


class SharedEncoder:
    """One encoder used from the look-ahead thread and the main thread: one caller at a time."""

    def __init__(self, encoder: SpeakerEncoder):
        self.encoder, self._lock = encoder, threading.Lock()
        self.name, self.kind = encoder.name, encoder.kind

    def embed(self, clips: list[np.ndarray]) -> np.ndarray:
        with self._lock:
            return self.encoder.embed(clips)

"""SenseVoiceSmall through FunASR: load the model (hub id or local directory) and recognise
batches of audio slices, one tag set per slice.

FunASR's ``generate()`` with a VAD joins a recording into one text and loses segment boundaries,
so toneboard runs the VAD itself and hands the slices to ``AutoModel.generate`` here, sorted by
length and batched by total duration (less padding, fewer calls). The probability of every emotion,
event and language is read from the model's CTC posteriors at the query frames the tags come from
(:mod:`ingest.models.header`).

Precision: on a GPU the model runs under fp16 autocast; on CPU its Linear layers are quantised to
int8 (PyTorch dynamic quantisation: weights int8, activations quantised per call), about twice as
fast as fp32 on a 2-core CPU. ``precision="fp32"`` is the reference path (BENCHMARKS.md gives the
tag agreement between the two).
"""
from __future__ import annotations

import contextlib
import gc
import logging
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..decode import SAMPLE_RATE
from ..errors import ModelUnavailable  # noqa: F401 - raised here; imported from here by callers
from . import hub, int8cache
from .funasr_lean import auto_model, import_funasr, model_config
from .header import ClassIds, confidence
from .tags import ParsedOutput, parse

DEFAULT_MODEL = "iic/SenseVoiceSmall"
LANGUAGE_CHOICES = ("auto", "zh", "en", "yue", "ja", "ko")
PRECISIONS = ("auto", "fp32", "fp16", "int8")
HEADER_FRAMES = 4  # language, emotion, event, text-normalisation queries precede the audio frames


RANDOM_WEIGHTS_MARKER = "RANDOM_WEIGHTS"  # a model directory holding this file has random weights (a stand-in)


def random_weights(model_id: str | None) -> bool:
    """Whether results stored with this model id came from a random-weight stand-in (``make run``
    uses one when the model hub is out of reach; the tests build them): their tags are noise."""
    if not model_id:
        return False
    path = Path(str(model_id)).expanduser()
    return path.is_dir() and (path / RANDOM_WEIGHTS_MARKER).is_file()




@dataclass
class RecognizerSettings:
    model: str = DEFAULT_MODEL
    hub: str = "ms"  # ms (ModelScope) | hf (Hugging Face)
    revision: str | None = None
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    language: str = "auto"
    use_itn: bool = True
    threads: int | None = None
    batch_seconds: float | None = None  # padded audio seconds per model call; None: by device
    precision: str = "auto"  # auto (fp16 on CUDA, int8 on CPU) | fp32 | fp16 (CUDA) | int8 (CPU)


@dataclass
class Recognized:
    """SenseVoice's output for one slice."""

    parsed: ParsedOutput
    emotion_confidence: float | None  # the probability of the parsed emotion among the emotions
    emotion_probs: dict[str, float | None] | None = None  # every emotion (header.EMOTION_CLASSES)
    event_probs: dict[str, float | None] | None = None  # every event (header.EVENT_CLASSES)
    language_confidence: float | None = None  # the probability of the parsed language among the languages


def resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda:0" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ModelUnavailable(f"--device {device} asked for, but PyTorch sees no CUDA GPU "
                                   "(install the CUDA build of torch, or use --device cpu)")
        idx = device.partition(":")[2]
        if idx and (not idx.isdigit() or int(idx) >= torch.cuda.device_count()):
            raise ModelUnavailable(f"--device {device}: no such GPU "
                                   f"({torch.cuda.device_count()} visible)")
        return device if idx else "cuda:0"
    if device != "cpu":
        raise ModelUnavailable(f"unknown device {device!r}: use auto, cpu, cuda or cuda:N")
    return device


def resolve_precision(precision: str, device: str) -> str:
    on_gpu = device.startswith("cuda")
    if precision == "auto":
        return "fp16" if on_gpu else "int8"
    if precision not in PRECISIONS:
        raise ModelUnavailable(f"unknown precision {precision!r}: use {', '.join(PRECISIONS)}")
    if precision == "int8" and on_gpu:
        raise ModelUnavailable("--precision int8 is for CPU (dynamic quantisation); on a GPU use fp16 or fp32")
    if precision == "fp16" and not on_gpu:
        raise ModelUnavailable("--precision fp16 needs a CUDA GPU; on CPU use int8 or fp32")
    return precision


def _quantize_int8(model) -> bool:
    """Quantise the model's Linear layers to int8 in place; False where this PyTorch cannot."""
    import torch

    # The weights come from the memory-mapped checkpoint, and every page read stays resident while
    # any tensor still points into that mapping. Quantising reads every Linear weight; copying all
    # the rest first (biases, which the int8 layers keep, embeddings, norms, convolutions) leaves
    # nothing pointing there afterwards, so the mapping goes (~0.9 GB for the full model).
    with torch.no_grad():
        linear_weights = {id(m.weight) for m in model.modules() if isinstance(m, torch.nn.Linear)}
        for t in (*model.parameters(), *model.buffers()):
            if id(t) not in linear_weights:
                t.data = t.data.clone()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.ao eager quantisation: deprecated, still shipped and fast
            from torch.ao.quantization import quantize_dynamic

            quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)
    except (ImportError, RuntimeError, AttributeError):
        return False
    gc.collect()
    return True


def resolve_model_dir(settings: RecognizerSettings) -> tuple[Path, str | None]:
    """A local model directory, downloading a hub id first (FunASR's own download path)."""
    local = Path(settings.model).expanduser()
    if local.exists():
        if not (local / "config.yaml").is_file():
            raise ModelUnavailable(f"{local} is not a SenseVoice model directory (no config.yaml)")
        return local.resolve(), _local_fingerprint(local)
    path = hub.fetch(settings.model, settings.hub, settings.revision, holds="config.yaml")
    if path is None:
        name = hub.HUB_NAMES.get(settings.hub, settings.hub)
        raise ModelUnavailable(
            f"could not download {settings.model} from {name}: no network access to the model hub, "
            "or no such model. Connect to the internet once (the model is cached afterwards), try "
            "--hub hf, or pass a local model directory with --model DIR.")
    return path, settings.revision or "master"


def add_check_arguments(p) -> None:
    """``toneboard model``: fetch (or find) the model and say where it is, or why it cannot be had."""
    p.description = ("Fetch (or find) the SenseVoice model and say where it is; exit 3 with the reason when it "
                     "cannot be had (no network access to the hub, no such model).")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"model hub id or local directory (default: {DEFAULT_MODEL})")
    p.add_argument("--hub", choices=("ms", "hf"), default="ms", help="model hub: ModelScope or Hugging Face (default: %(default)s)")


def check_model(model: str, hub: str = "ms") -> tuple[bool, str]:
    """(whether the model can be had, one line saying where it is or why not)."""
    try:
        path, _ = resolve_model_dir(RecognizerSettings(model=model, hub=hub))
    except ModelUnavailable as e:
        return False, f"{model}: {e}"
    kind = " (RANDOM weights: a stand-in, its results are noise)" if random_weights(str(path)) else ""
    return True, f"{model}: ready at {path}{kind}"


def _local_fingerprint(path: Path) -> str | None:
    pt = path / "model.pt"
    if not pt.exists():
        return None
    st = pt.stat()
    return f"local:{st.st_size}:{int(st.st_mtime)}"


def _load_weights(model, path: Path) -> None:
    """Load model.pt memory-mapped and assign the tensors in place: one copy of the weights in
    memory instead of FunASR's three (model, loaded checkpoint, and a deep copy of it)."""
    import torch

    try:
        state = torch.load(path, map_location="cpu", mmap=True, weights_only=True)
    except Exception:  # noqa: BLE001 - legacy (non-zip) checkpoints cannot be memory-mapped
        state = torch.load(path, map_location="cpu", weights_only=False)
    for key in ("state_dict", "model_state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    state = {k.removeprefix("module."): v for k, v in state.items()}
    missing, _unexpected = model.load_state_dict(state, strict=False, assign=True)
    if missing:
        raise ModelUnavailable(f"{path} does not match the model's architecture "
                               f"({len(missing)} weights missing, e.g. {missing[0]})")


def _log_softmax_in_place(ctc) -> None:
    """CTC posteriors over SenseVoice's 25,055 tokens are the largest thing a model call holds:
    FunASR's ``log_softmax(ctc_lo(x))`` keeps the logits and a second tensor of the same size
    (~200 MB for a batch of 60 s). Here the log-softmax overwrites the logits one slice at a time:
    the same values (each frame is normalised alone either way), half the memory."""
    import torch

    lo = getattr(ctc, "ctc_lo", None)
    if lo is None:
        return

    def log_softmax(hs_pad):
        logits = lo(hs_pad)
        for i in range(logits.shape[0]):
            logits[i] = torch.log_softmax(logits[i], dim=-1)
        return logits
    ctc.log_softmax = log_softmax


class SenseVoiceRecognizer:
    """SenseVoiceSmall loaded through ``funasr.AutoModel``."""

    def __init__(self, settings: RecognizerSettings):
        import torch

        self.settings = settings
        self.device = resolve_device(settings.device)
        self.precision = resolve_precision(settings.precision, self.device)
        self.threads = settings.threads or max(1, os.cpu_count() or 1)
        model_dir, self.revision = resolve_model_dir(settings)
        self.model_dir = model_dir
        self.model_id = settings.model if not Path(settings.model).expanduser().exists() else str(model_dir)
        has_json = (model_dir / "configuration.json").is_file()
        try:
            with hub.quiet():
                import_funasr(model_config(model_dir))
                AutoModel = auto_model()  # noqa: N806 (FunASR's class)

                kwargs = dict(model=str(model_dir), device=self.device, ncpu=self.threads,
                              disable_update=True, disable_pbar=True, disable_log=True,
                              frontend_conf={"dither": 0.0}, hub=settings.hub)
                if has_json:  # weights are loaded below, memory-mapped
                    kwargs["init_param"] = None
                self.int8_cache = None  # the cached int8 model this start mapped (or saved), if any
                self.int8_from_cache, self.int8_cache_problem = False, None
                if has_json and self.precision == "int8" and self._load_cached_int8(AutoModel, kwargs, model_dir):
                    pass  # the quantised weights came from the cache: nothing to load or quantise
                else:
                    self.am = AutoModel(**kwargs)
                    if has_json:
                        _load_weights(self.am.model, model_dir / "model.pt")
                        self.am.model.to(self.device)
                    self.am.model.eval()
                    if self.precision == "int8" and not _quantize_int8(self.am.model):
                        if settings.precision == "int8":
                            raise ModelUnavailable("this PyTorch build cannot quantise to int8; use --precision fp32")
                        self.precision = "fp32"
                    elif self.precision == "int8" and has_json:
                        self.int8_cache = int8cache.save(self.am.model, model_dir / "model.pt")
        except ModelUnavailable:
            raise
        except Exception as e:  # noqa: BLE001
            raise ModelUnavailable(f"could not load the model from {model_dir}: "
                                   f"{type(e).__name__}: {e}") from e
        if self.int8_cache_problem:  # said once FunASR's loading (which mutes logging) is over
            logging.getLogger("toneboard").warning(self.int8_cache_problem)
        self.sp = self.am.kwargs["tokenizer"].sp
        self.class_ids = ClassIds(self.sp.piece_to_id, self.sp.unk_id())
        _log_softmax_in_place(self.am.model.ctc)
        self._captured: list = []
        self.am.model.encoder.register_forward_hook(lambda _m, _i, out: self._captured.append(out))
        self.features_s = 0.0  # time in the fbank frontend, for the stage breakdown
        # FunASR 1.4 snapshots its kwargs at load and runs generate() with the snapshot's frontend
        base = getattr(self.am, "_base_kwargs_map", {}).get("kwargs", {})
        for frontend in {id(f): f for f in (self.am.kwargs.get("frontend"), base.get("frontend"))}.values():
            if isinstance(frontend, torch.nn.Module):
                frontend.register_forward_pre_hook(lambda *_: setattr(self, "_t_features", time.perf_counter()))
                frontend.register_forward_hook(lambda *_: setattr(
                    self, "features_s", self.features_s + time.perf_counter() - self._t_features))
        on_gpu = self.device.startswith("cuda")
        # on a CPU a call of 20 s is as fast per second of audio as one of 60 s (the model is
        # compute-bound either way) and holds less at once: peak 0.97 GB instead of 1.05 GB for
        # 10 minutes in 2-minute files (BENCHMARKS.md)
        self.batch_seconds = settings.batch_seconds or (300.0 if on_gpu else 20.0)
        self.autocast = self.precision == "fp16"
        torch.set_num_threads(self.threads)

    def _load_cached_int8(self, auto_model, kwargs: dict, model_dir: Path) -> bool:
        """Build the model from the cached int8 weights (see ingest/models/int8cache.py); False when there
        is no usable cache (then the caller quantises, and saves the result for the next start)."""
        try:
            cached = int8cache.find(model_dir / "model.pt")
        except OSError:
            return False
        name = model_config(model_dir).get("model")
        if cached is None or not isinstance(name, str):
            return False
        try:
            with int8cache.skeleton_builds(name, cached):
                self.am = auto_model(**kwargs)
        except Exception as e:  # noqa: BLE001 - a cache from elsewhere, or damaged: quantise again
            self.int8_cache_problem = f"the cached int8 model {cached} was not used ({type(e).__name__}: {e}); quantising again"
            return False
        self.am.model.eval()
        self.int8_cache, self.int8_from_cache = cached, True
        return True

    def transcribe(self, slices: list[np.ndarray]) -> list[Recognized]:
        """Recognise every slice (16 kHz float32 mono); results in the order given."""
        results: list[Recognized | None] = [None] * len(slices)
        for group in _batches([len(s) for s in slices], self.batch_seconds * SAMPLE_RATE):
            for idx, rec in zip(group, self._run([slices[i] for i in group])):
                results[idx] = rec
        return results  # type: ignore[return-value]

    def _run(self, batch: list[np.ndarray]) -> list[Recognized]:
        import torch

        self._captured.clear()
        ctx = torch.autocast("cuda", dtype=torch.float16) if self.autocast else contextlib.nullcontext()
        with torch.inference_mode(), ctx, hub.quiet():
            res = self.am.generate(input=list(batch), batch_size=len(batch),
                                   language=self.settings.language, use_itn=self.settings.use_itn,
                                   disable_pbar=True)
            header = None
            if self._captured:
                out = self._captured[-1]
                enc = out[0] if isinstance(out, tuple) else out
                header = self.am.model.ctc.log_softmax(enc[:, :HEADER_FRAMES].float()).cpu().numpy()
        recs = []
        for i, r in enumerate(res):
            parsed = parse(r.get("text", ""))
            if header is None or i >= header.shape[0]:
                recs.append(Recognized(parsed=parsed, emotion_confidence=None))
                continue
            probs = self.class_ids.probabilities(header[i])
            recs.append(Recognized(parsed=parsed, emotion_confidence=confidence(probs.emotion, parsed.emotion),
                                   emotion_probs=probs.emotion, event_probs=probs.event,
                                   language_confidence=confidence(probs.language, parsed.language)))
        return recs


def _batches(lengths: list[int], budget: float, max_items: int = 64) -> list[list[int]]:
    """Indices grouped longest-first so each group's padded size (longest x count) fits ``budget``."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    groups: list[list[int]] = []
    for i in order:
        if groups and (len(groups[-1]) + 1) * lengths[groups[-1][0]] <= budget and len(groups[-1]) < max_items:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups

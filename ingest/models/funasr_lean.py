"""FunASR, imported light. ``import funasr`` imports every one of its ~400 modules to fill its
registry of classes (6.6 s and 550 MB here, mostly for models toneboard never builds), and its
``AutoModel`` imports scikit-learn for a diarization toneboard does not use. ``import_funasr``
registers what toneboard's models name (the whole registry when a model's config names anything
else); ``auto_model`` gives ``AutoModel`` without the clustering backend. BENCHMARKS.md has the
measurements."""
from __future__ import annotations

import importlib
from pathlib import Path

# The modules that register what toneboard's models name (SenseVoiceSmall with its encoder, frontend, tokenizer and
# SpecAug; CAM++; the FSMN VAD); a model whose config.yaml names anything else gets the rest
# (``import_funasr``). BENCHMARKS.md has the measurement.
FUNASR_MODULES = ("funasr.models.sense_voice.model", "funasr.frontends.wav_frontend",
                  "funasr.tokenizer.sentencepiece_tokenizer", "funasr.models.specaug.specaug",
                  "funasr.models.campplus.model", "funasr.models.fsmn_vad_streaming.model")


def import_funasr(config: dict | None = None) -> None:
    """Import FunASR with only ``FUNASR_MODULES`` in its registry (the first time), and every module
    if ``config`` (a model's config.yaml) names a class they do not register."""
    import sys

    if "funasr" not in sys.modules:
        import pkgutil

        real = pkgutil.walk_packages

        def wanted(path=None, prefix="", onerror=None):  # FunASR's import walks its packages with this
            if not prefix.startswith("funasr"):
                yield from real(path, prefix, onerror)
                return
            # pkgutil's own walk imports every package it passes to look inside (whisper_lib alone
            # pulls in numba: 0.3 s): this one enters only the packages on the way to a wanted module
            for info in pkgutil.iter_modules(path, prefix):
                if any(m == info.name or m.startswith(info.name + ".") for m in FUNASR_MODULES):
                    yield info
                    if info.ispkg:
                        yield from wanted(importlib.import_module(info.name).__path__, info.name + ".", onerror)
        pkgutil.walk_packages = wanted
        try:
            import funasr  # noqa: F401
        finally:
            pkgutil.walk_packages = real
    if config and not _registered(config):
        import funasr

        funasr.import_submodules("funasr")


def auto_model():
    """FunASR's ``AutoModel`` class (FunASR imported as ``import_funasr`` does). Its module imports
    FunASR's speaker-clustering backend at the top, inside a ``try`` that lets it fail, for
    diarization through AutoModel's ``spk_model``, which toneboard never asks for (ingest.speakers.diarize
    clusters CAM++ embeddings itself): that import is made to fail, saving scikit-learn's
    1.7 s and ~130 MB in every ingest process (BENCHMARKS.md)."""
    import sys

    import_funasr()
    backend = "funasr.models.campplus.cluster_backend"
    if "funasr.auto.auto_model" not in sys.modules and backend not in sys.modules:
        sys.modules[backend] = None  # "import of this module failed" to the import system
        try:
            importlib.import_module("funasr.auto.auto_model")
        finally:
            del sys.modules[backend]  # whoever imports it later gets the real module
    from funasr import AutoModel

    return AutoModel


def model_config(model_dir: Path) -> dict:
    """A FunASR model directory's config.yaml ({} when it has none or it cannot be read)."""
    import yaml

    try:
        config = yaml.safe_load((Path(model_dir) / "config.yaml").read_text())
    except (OSError, yaml.YAMLError):
        return {}
    return config if isinstance(config, dict) else {}


def _registered(config: dict) -> bool:
    from funasr.register import tables

    return all(value in getattr(tables, f"{key}_classes") for key, value in config.items()
               if isinstance(value, str) and isinstance(getattr(tables, f"{key}_classes", None), dict))

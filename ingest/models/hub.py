"""The model hub, once for every model FunASR loads (SenseVoiceSmall, CAM++): fetching a hub id into
FunASR's cache, and keeping FunASR's and ModelScope's chatter off the console while it works."""
from __future__ import annotations

import contextlib
import io
import logging
from pathlib import Path

from .funasr_lean import import_funasr


@contextlib.contextmanager
def quiet():
    """FunASR prints its version and logs at INFO on the root logger; keep the CLI readable."""
    with contextlib.redirect_stdout(io.StringIO()):
        import_funasr()  # its import configures logging: do that before muting it

        loggers = [logging.getLogger(n) for n in ("", "modelscope", "modelscope_hub", "funasr")]
        levels = [lg.level for lg in loggers]
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for lg, level in zip(loggers, levels):
                lg.setLevel(max(level, logging.WARNING) if lg.name == "root" else level)


HUB_NAMES = {"ms": "ModelScope", "hf": "Hugging Face"}


def fetch(model: str, hub: str = "ms", revision: str | None = None, holds: str = "config.yaml") -> Path | None:
    """A hub id fetched into FunASR's cache (FunASR's own download path): its directory, or None when
    it cannot be had (no network access to the hub, no such model) or lacks the file ``holds``."""
    with quiet():
        from funasr.download.download_model_from_hub import download_model

        try:
            kw = download_model(model=model, hub=hub, model_revision=revision or "master", check_latest=False)
        except Exception as e:  # noqa: BLE001 - any hub failure gets the same advice from the caller
            kw = {"error": e}
    path = Path(str(kw["model_path"])) if "model_path" in kw else None
    return path if path is not None and (path / holds).is_file() else None

"""The model hub, once for every model FunASR loads (SenseVoiceSmall, CAM++, emotion2vec+): fetching a
hub id into FunASR's cache, loading a model through FunASR's ``AutoModel`` (``load``), and keeping
FunASR's and ModelScope's chatter off the console while it works."""
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


def load(model: str, hub: str, device: str, threads: int | None, label: str, prefix: str, cls: str,
         error: type[Exception], holds: str = "config.yaml", modules: tuple[str, ...] = (), advice: str = ""):
    """FunASR's ``AutoModel`` for ``model`` — a local directory in the hub's layout, or a hub id
    fetched once into FunASR's cache — holding a ``cls`` (FunASR's class name; ``label``: its name in
    messages): (the AutoModel, the name results are stored with: ``prefix:DIR`` or ``prefix:ID``). ``modules``: FunASR's
    modules that register what its config names (else FunASR's whole registry is imported). Raises
    ``error`` saying why (``advice`` added where the hub cannot be reached)."""
    import importlib

    from .funasr_lean import auto_model, import_funasr, model_config

    local = Path(model).expanduser()
    if local.exists():
        if not ((local / "configuration.json").is_file() or (local / "config.yaml").is_file()):
            raise error(f"{local} is not a model directory ({label}: no configuration.json or config.yaml)")
        model_dir, name = local.resolve(), f"{prefix}:{local.resolve()}"
    else:
        model_dir = fetch(model, hub, holds=holds)
        if model_dir is None:
            raise error(f"could not download {model}: no access to the model hub ({HUB_NAMES.get(hub, hub)}){advice}")
        name = f"{prefix}:{model}"
    try:
        with quiet():
            import_funasr()
            for m in modules:
                importlib.import_module(m)
            import_funasr(model_config(model_dir))
            am = auto_model()(model=str(model_dir), device=device, ncpu=threads or 1,
                              disable_update=True, disable_pbar=True, disable_log=True, hub=hub)
    except Exception as e:  # noqa: BLE001
        raise error(f"could not load {label} from {model_dir}: {type(e).__name__}: {e}") from e
    if type(am.model).__name__ != cls:
        raise error(f"{model_dir} holds a {type(am.model).__name__}, not {label}")
    return am, name

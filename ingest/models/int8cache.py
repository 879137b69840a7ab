"""The int8 model, quantised once and kept on disk.

Quantising SenseVoiceSmall's Linear layers at every start costs seconds and, for a while, the fp32
weights beside the int8 ones (the peak of an ingest). Here the quantised weights are saved once,
next to the model (or in the user's cache when the model's folder is read-only), under a key made
of the checkpoint's checksum and the library versions; a later start builds the model's skeleton
without allocating its weights (PyTorch's meta device), puts int8 Linear layers where quantisation
put them, and loads the saved weights memory-mapped. The result is the same module quantisation
gives: same tensors, same outputs (tested).
"""
from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
from pathlib import Path

FORMAT = 1  # bump when what is saved changes
CACHE_ENV = "TONEBOARD_CACHE"


def user_cache_dir() -> Path:
    """toneboard's folder in the user's cache: $TONEBOARD_CACHE, else $XDG_CACHE_HOME/toneboard (~/.cache/toneboard)."""
    return Path(os.environ.get(CACHE_ENV) or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "toneboard")


def cache_dirs(model_dir: Path) -> list[Path]:
    """Where a cached int8 model may live, in the order tried: beside the model, then the user's cache."""
    return [model_dir / ".toneboard-int8", user_cache_dir() / "int8"]


def checksum(path: Path) -> str:
    """SHA-256 of a checkpoint, remembered beside the cache by size and modification time (hashing
    0.9 GB at every start would cost what the cache saves)."""
    st = path.stat()
    memo_key = f"{path.resolve()}:{st.st_size}:{st.st_mtime_ns}"
    for d in cache_dirs(path.parent):
        memo = d / "checksums.json"
        with contextlib.suppress(OSError, ValueError):
            known = json.loads(memo.read_text())
            if memo_key in known:
                return known[memo_key]
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    digest = h.hexdigest()
    for d in cache_dirs(path.parent):
        with contextlib.suppress(OSError, ValueError):
            d.mkdir(parents=True, exist_ok=True)
            memo = d / "checksums.json"
            known = json.loads(memo.read_text()) if memo.is_file() else {}
            known[memo_key] = digest
            _atomic_write(memo, json.dumps(known).encode())
            break
    return digest


def cache_key(checkpoint: Path) -> str:
    import funasr
    import torch

    return f"{checksum(checkpoint)[:24]}-torch{torch.__version__}-funasr{funasr.__version__}-f{FORMAT}".replace("+", "_")


def find(checkpoint: Path) -> Path | None:
    key = cache_key(checkpoint)
    return next((p for d in cache_dirs(checkpoint.parent) if (p := d / f"{key}.pt").is_file()), None)


def save(model, checkpoint: Path) -> Path | None:
    """Save the quantised model's weights; None where no cache folder is writable (said by the caller)."""
    import torch

    key = cache_key(checkpoint)
    state = model.state_dict()
    for d in cache_dirs(checkpoint.parent):
        try:
            d.mkdir(parents=True, exist_ok=True)
            target = d / f"{key}.pt"
            tmp = target.with_suffix(f".{os.getpid()}.tmp")
            torch.save(state, tmp)
            os.replace(tmp, target)
            return target
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()  # type: ignore[possibly-undefined]
    return None


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


@contextlib.contextmanager
def skeleton_builds(model_name: str, cached: Path):
    """While FunASR's AutoModel builds ``model_name``, build it on the meta device (no weights are
    allocated or initialised) and fill it from the cached int8 weights before AutoModel moves it
    to its device."""
    import torch
    from funasr.register import tables

    real = tables.model_classes[model_name]

    def build(**conf):
        # normal_ on a meta tensor runs PyTorch's Python reference, whose first call imports
        # torch._dynamo (1.0-1.4 s of a 2.5 s start); the skeleton's values are never used
        normal = torch.nn.init.normal_
        torch.nn.init.normal_ = lambda tensor, *a, **k: tensor
        try:
            with torch.device("meta"):
                model = real(**conf)
        finally:
            torch.nn.init.normal_ = normal
        fill(model, cached)
        return model

    tables.model_classes[model_name] = build
    try:
        yield
    finally:
        tables.model_classes[model_name] = real


def fill(model, cached: Path) -> None:
    """Turn a meta-device skeleton into the quantised model: int8 Linear layers where the cache has
    packed weights, then every tensor from the cache (memory-mapped where PyTorch can)."""
    import torch
    from torch.ao.nn.quantized.dynamic import Linear as QLinear

    try:
        state = torch.load(cached, map_location="cpu", mmap=True, weights_only=True)
    except Exception:  # noqa: BLE001 - an older PyTorch cannot map quantised tensors
        state = torch.load(cached, map_location="cpu", weights_only=True)
    packed = {k[: -len("._packed_params._packed_params")] for k in state if k.endswith("._packed_params._packed_params")}
    for name in packed:
        parent, _, leaf = name.rpartition(".")
        owner = model.get_submodule(parent) if parent else model
        old = getattr(owner, leaf)
        # a 1×1 placeholder: a full-size one would pack a zero weight the cached one then replaces
        # (another 0.24 GB, which the allocator keeps)
        q = QLinear(1, 1, bias_=old.bias is not None, dtype=torch.qint8)
        q.in_features, q.out_features = old.in_features, old.out_features
        setattr(owner, leaf, q)
    missing, unexpected = model.load_state_dict(state, strict=False, assign=True)
    left = [n for n, t in (*model.named_parameters(), *model.named_buffers()) if t.is_meta]
    with torch.no_grad():  # own copies of the small fp32 tensors: nothing points into the mapping, which goes
        for t in (*model.parameters(), *model.buffers()):
            t.data = t.data.clone()
    del state
    gc.collect()
    release_mapping(cached)
    if missing or unexpected or left:
        raise ValueError(f"the cached int8 model does not fit: missing {missing[:2]}, unexpected {unexpected[:2]}, "
                         f"unfilled {left[:2]}")


MADV_DONTNEED = 4


def release_mapping(path: Path) -> int:
    """Let go of the resident pages of ``path``'s memory mappings (Linux; elsewhere nothing).

    What still points into the mapped cache are the int8 weights PyTorch's quantised layers keep
    beside their packed copies (only read again to unpack them, e.g. to save the model): ~230 MB
    for SenseVoiceSmall, resident after packing read them once. They are clean pages of a file
    that is replaced atomically, never rewritten in place, so dropping them is safe: a later read
    maps them in again from the file. Returns the bytes of mappings advised."""
    import ctypes

    target = str(Path(path).resolve())
    try:
        maps = Path("/proc/self/maps").read_text().splitlines()
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return 0
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    advised = 0
    for line in maps:
        fields = line.split(maxsplit=5)
        if len(fields) == 6 and fields[5] == target:
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if libc.madvise(start, end - start, MADV_DONTNEED) == 0:
                advised += end - start
    return advised

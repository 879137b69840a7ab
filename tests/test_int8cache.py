"""The int8 model is quantised once and cached beside the model: a later start maps the cached
weights instead of quantising again, and gives the same tags and texts as quantising does."""
import shutil

import numpy as np
import torch

from ingest.models.recognize import RecognizerSettings, SenseVoiceRecognizer


def _load(model_dir):
    return SenseVoiceRecognizer(RecognizerSettings(model=str(model_dir), device="cpu", threads=1))


def _mapping_kb(path) -> tuple[int, int]:
    """(size, resident) in kB of this process's mappings of ``path`` (/proc/self/smaps)."""
    size = rss = 0
    inside = False
    for line in open("/proc/self/smaps"):
        if "-" in line.split(" ", 1)[0]:
            inside = line.rstrip("\n").endswith(str(path.resolve()))
        elif inside and line.startswith(("Size:", "Rss:")):
            kb = int(line.split()[1])
            size, rss = (size + kb, rss) if line.startswith("Size:") else (size, rss + kb)
    return size, rss


def test_a_cached_int8_model_gives_what_quantising_gives(tiny_model, tmp_path, clips, monkeypatch):
    model = shutil.copytree(tiny_model, tmp_path / "model", ignore=shutil.ignore_patterns(".toneboard-int8"))
    monkeypatch.setenv("TONEBOARD_CACHE", str(tmp_path / "user-cache"))
    first = _load(model)  # quantises, and saves the result beside the model
    assert first.precision == "int8" and not first.int8_from_cache
    assert first.int8_cache is not None and first.int8_cache.parent == model / ".toneboard-int8"
    second = _load(model)  # maps the cache
    assert second.int8_from_cache and second.int8_cache == first.int8_cache
    # the int8 weights the packed layers keep beside their packed copies are let go of (their pages
    # are read again from the cache when unpacked, below): the mapping holds next to nothing resident
    mapped, resident = _mapping_kb(second.int8_cache)
    assert mapped > 100 and resident < mapped / 10, (mapped, resident)
    a, b = first.am.model.state_dict(), second.am.model.state_dict()
    assert a.keys() == b.keys()
    for k in a:
        x, y = a[k], b[k]
        if isinstance(x, tuple):  # packed int8 weight and its bias
            assert all(torch.equal(p.dequantize() if p.is_quantized else p, q.dequantize() if q.is_quantized else q)
                       for p, q in zip(x, y)), k
        elif isinstance(x, torch.Tensor):
            assert torch.equal(x, y), k
    slices = [c[int(len(c) * f):] for c in clips for f in (0, 0.4)]
    one, two = first.transcribe(slices), second.transcribe(slices)
    assert [r.parsed.raw for r in one] == [r.parsed.raw for r in two]  # tags and texts identical
    assert np.allclose([r.emotion_confidence or 0 for r in one], [r.emotion_confidence or 0 for r in two])


def test_a_damaged_cache_is_quantised_again(tiny_model, tmp_path, clips, monkeypatch, caplog):
    model = shutil.copytree(tiny_model, tmp_path / "model", ignore=shutil.ignore_patterns(".toneboard-int8"))
    monkeypatch.setenv("TONEBOARD_CACHE", str(tmp_path / "user-cache"))
    saved = _load(model).int8_cache
    saved.write_bytes(saved.read_bytes()[:1000])  # cut short (a full disk, a killed copy)
    again = _load(model)
    assert not again.int8_from_cache and "quantising again" in caplog.text
    assert again.transcribe([clips[0]])[0].parsed.raw is not None
    assert _load(model).int8_from_cache  # and the cache is whole again


def test_a_read_only_model_folder_caches_in_the_users_cache(tiny_model, tmp_path, monkeypatch):
    model = shutil.copytree(tiny_model, tmp_path / "model", ignore=shutil.ignore_patterns(".toneboard-int8"))
    monkeypatch.setenv("TONEBOARD_CACHE", str(tmp_path / "user-cache"))
    (model / ".toneboard-int8").mkdir()
    (model / ".toneboard-int8").chmod(0o500)
    try:
        first = _load(model)
        if first.int8_cache.is_relative_to(model):  # running as root: the mode bits do not stop it
            return
        assert first.int8_cache.parent == tmp_path / "user-cache" / "int8"
        assert _load(model).int8_from_cache
    finally:
        (model / ".toneboard-int8").chmod(0o700)

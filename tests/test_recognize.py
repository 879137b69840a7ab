"""The real FunASR loading and decoding path, on a tiny random-weight SenseVoiceSmall."""
import numpy as np
import pytest
import torch
from precision_check import agreement, header_decisions
from sensevoice_random import SPECIAL_BASE, VOCAB_SIZE

from ingest.models.recognize import (
    ModelUnavailable,
    RecognizerSettings,
    SenseVoiceRecognizer,
    _batches,
    resolve_device,
    resolve_precision,
)


def test_model_dir_has_sensevoice_layout(tiny_model):
    import sentencepiece as spm

    names = {p.name for p in tiny_model.iterdir()}
    assert {"config.yaml", "configuration.json", "model.pt", "am.mvn",
            "chn_jpn_yue_eng_ko_spectok.bpe.model"} <= names
    sp = spm.SentencePieceProcessor(model_file=str(tiny_model / "chn_jpn_yue_eng_ko_spectok.bpe.model"))
    assert sp.get_piece_size() == VOCAB_SIZE
    # the ids FunASR's SenseVoiceSmall class hard-codes
    assert [sp.piece_to_id(t) for t in ("<|zh|>", "<|en|>", "<|yue|>", "<|ja|>", "<|ko|>", "<|nospeech|>")] == \
        [24884, 24885, 24888, 24892, 24896, 24992]
    assert [sp.piece_to_id(f"<|{e}|>") for e in ("HAPPY", "SAD", "ANGRY", "NEUTRAL", "EMO_UNKNOWN")] == \
        [25001, 25002, 25003, 25004, 25009]
    assert sp.piece_to_id("<|withitn|>") == 25016 and min(
        sp.piece_to_id(t) for t in ("<|zh|>", "<|Speech|>")) >= SPECIAL_BASE
    assert sp.decode([25003, 25004]) == "<|ANGRY|><|NEUTRAL|>"


def test_one_result_per_slice_in_order(recognizer, clips):
    slices = [clips[0], clips[1][:8000], np.zeros(4000, np.float32), clips[2]]
    out = recognizer.transcribe(slices)
    assert len(out) == 4
    alone = [recognizer.transcribe([s])[0] for s in slices]
    assert [o.parsed.raw for o in out] == [a.parsed.raw for a in alone]  # batching changes nothing
    assert any(o.parsed.raw for o in out)  # the random model does emit pieces


def test_int8_is_the_cpu_default_and_keeps_the_tag_decisions(tiny_model, recognizer, clips):
    """On CPU the default precision quantises the Linear layers to int8. Its language, event and
    emotion decisions match the fp32 reference on most slices (a broken quantisation, e.g. a wrong
    scale, agrees on about one slice in seven: chance among the candidates)."""
    int8 = SenseVoiceRecognizer(RecognizerSettings(model=str(tiny_model), device="cpu", threads=1))
    assert int8.precision == "int8" and recognizer.precision == "fp32"
    kinds = {type(m).__module__ for m in int8.am.model.encoder.modules()}
    assert any("quantized" in k for k in kinds), kinds
    slices = [c[int(len(c) * a):int(len(c) * b)] for c in clips for a, b in ((0, 1), (0, .5), (.3, .9), (.5, 1))]
    out = int8.transcribe(slices)
    assert len(out) == len(slices) and all(0 <= (r.emotion_confidence or 0) <= 1 for r in out)
    agree = agreement(header_decisions(recognizer, slices), header_decisions(int8, slices))
    assert min(agree.values()) >= 0.8, agree


def test_precision_must_fit_the_device():
    assert resolve_precision("auto", "cpu") == "int8" and resolve_precision("auto", "cuda:0") == "fp16"
    assert resolve_precision("fp32", "cpu") == "fp32"
    with pytest.raises(ModelUnavailable, match="needs a CUDA GPU"):
        resolve_precision("fp16", "cpu")
    with pytest.raises(ModelUnavailable, match="is for CPU"):
        resolve_precision("int8", "cuda:0")


def test_emotion_confidence_is_a_probability(recognizer, clips):
    for r in recognizer.transcribe(clips[:2]):
        assert r.emotion_confidence is None or 0.0 <= r.emotion_confidence <= 1.0


def test_weights_match_funasrs_own_loader(tiny_model, recognizer):
    from funasr import AutoModel

    ref = AutoModel(model=str(tiny_model), device="cpu", ncpu=1, disable_update=True, disable_pbar=True,
                    disable_log=True)
    mine = recognizer.am.model.state_dict()
    for k, v in ref.model.state_dict().items():
        assert torch.equal(v, mine[k]), k


def test_forced_language_and_no_itn_reach_the_model(tiny_model, clips):
    r = SenseVoiceRecognizer(RecognizerSettings(model=str(tiny_model), device="cpu", threads=1,
                                                language="yue", use_itn=False))
    assert len(r.transcribe(clips[:1])) == 1


def test_not_a_model_dir(tmp_path):
    with pytest.raises(ModelUnavailable, match="not a SenseVoice model directory"):
        SenseVoiceRecognizer(RecognizerSettings(model=str(tmp_path), device="cpu"))


def test_cuda_without_gpu_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(ModelUnavailable, match="no CUDA GPU"):
        resolve_device("cuda:0")
    assert resolve_device("auto") == "cpu"


def test_batches_fit_budget_and_cover_all():
    lengths = [5, 1, 9, 3, 3, 7, 2]
    groups = _batches(lengths, budget=12)
    assert sorted(i for g in groups for i in g) == list(range(len(lengths)))
    for g in groups:
        assert len(g) == 1 or max(lengths[i] for i in g) * len(g) <= 12
        assert [lengths[i] for i in g] == sorted((lengths[i] for i in g), reverse=True)


def test_funasr_is_imported_lean_and_whole_when_a_model_needs_it(tiny_model, tmp_path):
    """A fresh process (as an ingest starts): FunASR comes with only the modules that register what
    toneboard's models name, the SenseVoice and CAM++ models load and recognise through it, and a
    model directory naming another class gets FunASR's whole registry. Neither scikit-learn (FunASR's
    diarization backend, which AutoModel imports at the top), numba (whisper_lib's, a package
    FunASR's walk would enter) nor torch._dynamo is imported; the backend still imports for whoever
    asks."""
    import subprocess
    import sys

    from campplus_random import build_campplus_dir

    campplus_model = build_campplus_dir(tmp_path / "campplus")
    code = f"""
import sys
from pathlib import Path
from ingest.models.funasr_lean import import_funasr
from ingest.models.recognize import RecognizerSettings, SenseVoiceRecognizer
from ingest.models.speaker_encoders import CamPlusEncoder
import numpy as np
rec = SenseVoiceRecognizer(RecognizerSettings(model={str(tiny_model)!r}, device="cpu", threads=1))
assert rec.int8_from_cache or SenseVoiceRecognizer(rec.settings).int8_from_cache  # (the first start writes the cache)
assert len(rec.transcribe([np.zeros(16000, np.float32)])) == 1
CamPlusEncoder({str(campplus_model)!r})
from funasr.register import tables
lean = (len(sys.modules), "transformers" in sys.modules, "sklearn" in sys.modules, "numba" in sys.modules,
        "torch._dynamo" in sys.modules, "Paraformer" in tables.model_classes)
import_funasr({{"model": "SenseVoiceSmall"}})
assert len(sys.modules) == lean[0]  # all registered: nothing more
from funasr.models.campplus.cluster_backend import ClusterBackend
import_funasr({{"model": "Paraformer"}})
print(lean, "Paraformer" in tables.model_classes)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    lean, whole = out.stdout.strip().splitlines()[-1].rsplit(" ", 1)
    # no transformers, sklearn, numba, nor torch._dynamo (a meta skeleton's init imported it); no
    # Paraformer before a model asks
    assert lean.endswith("False, False, False, False, False)"), lean
    assert whole == "True"


def test_ctc_posteriors_are_computed_in_place_with_the_same_values(recognizer):
    """The log-softmax over the vocabulary overwrites the logits (half the memory of a model call);
    FunASR's own formula gives the very same values, so every tag and text stays the same."""
    ctc = recognizer.am.model.ctc
    assert "log_softmax" in vars(ctc)  # ours, set on the instance
    hs = torch.randn(3, 41, ctc.ctc_lo.in_features)
    with torch.inference_mode():
        assert torch.equal(ctc.log_softmax(hs), torch.log_softmax(ctc.ctc_lo(hs), dim=2))

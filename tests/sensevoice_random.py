"""Build a SenseVoiceSmall model directory with random weights, in the real model's exact layout.

Model weights cannot be downloaded on the machines this project is developed and tested on, so the
tests (tiny variant) and the benchmarks (full size, same compute as the real model) run the real
``funasr.AutoModel(model=DIR)`` loading and decoding path on a directory built here:

    config.yaml                              encoder SenseVoiceEncoderSmall, frontend WavFrontend, ...
    configuration.json                       ModelScope metadata with file_path_metas
    model.pt                                 state dict, random weights (seeded)
    chn_jpn_yue_eng_ko_spectok.bpe.model     SentencePiece BPE, 25,055 pieces, special tokens at the top
    am.mvn                                   Kaldi-nnet CMVN text (560 dims = 80 mels x LFR 7)

The SentencePiece model is trained offline on a generated multilingual corpus, then padded with
single-character pieces and the special tokens, so that every special token has the id FunASR's
``SenseVoiceSmall`` class hard-codes (``<|zh|>`` = 24884, ``<|HAPPY|>`` = 25001, ``<|withitn|>`` =
25016, ...). Usage: ``python tests/sensevoice_random.py OUT_DIR [--size tiny|full]``.
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
from pathlib import Path

VOCAB_SIZE = 25055
SPECIAL_BASE = 24884
BPE_NAME = "chn_jpn_yue_eng_ko_spectok.bpe.model"

# ids FunASR's SenseVoiceSmall hard-codes (lid_int_dict, emo_dict, textnorm_int_dict); the other
# special slots hold the remaining event/emotion tokens SenseVoice emits, then numbered fillers.
FIXED_SPECIALS = {
    24884: "<|zh|>", 24885: "<|en|>", 24888: "<|yue|>", 24892: "<|ja|>", 24896: "<|ko|>",
    24992: "<|nospeech|>",
    24993: "<|Speech|>", 24994: "<|/Speech|>", 24995: "<|BGM|>", 24996: "<|/BGM|>",
    24997: "<|Laughter|>", 24998: "<|/Laughter|>", 24999: "<|Applause|>", 25000: "<|/Applause|>",
    25001: "<|HAPPY|>", 25002: "<|SAD|>", 25003: "<|ANGRY|>", 25004: "<|NEUTRAL|>",
    25005: "<|FEARFUL|>", 25006: "<|DISGUSTED|>", 25007: "<|SURPRISED|>", 25009: "<|EMO_UNKNOWN|>",
    25010: "<|Cry|>", 25011: "<|Sneeze|>", 25012: "<|Breath|>", 25013: "<|Cough|>",
    25014: "<|Sing|>", 25015: "<|Speech_Noise|>", 25016: "<|withitn|>", 25017: "<|woitn|>",
    25018: "<|GBG|>", 25019: "<|Event_UNK|>",
}

SIZES = {
    # the real SenseVoiceSmall encoder
    "full": dict(output_size=512, attention_heads=4, linear_units=2048, num_blocks=50, tp_blocks=20),
    # same architecture, shrunk: loads and decodes in well under a second
    "tiny": dict(output_size=64, attention_heads=4, linear_units=128, num_blocks=2, tp_blocks=1),
}


def special_tokens() -> list[str]:
    out = []
    for i in range(SPECIAL_BASE, VOCAB_SIZE):
        out.append(FIXED_SPECIALS.get(i, f"<|SPECIAL_TOKEN_{i - SPECIAL_BASE}|>"))
    return out


def _corpus(rng: random.Random) -> list[str]:
    """A generated multilingual text corpus: Latin words, CJK, kana and hangul."""
    syll = [c + v for c in "bcdfghjklmnprstvwyz" for v in "aeiou"]
    cjk = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    kana = [chr(c) for c in range(0x3041, 0x3097)] + [chr(c) for c in range(0x30A1, 0x30FB)]
    hangul = [chr(c) for c in range(0xAC00, 0xAC00 + 1500)]
    lines = []
    for _ in range(6000):
        words = ["".join(rng.choice(syll) for _ in range(rng.randint(1, 3))) for _ in range(8)]
        lines.append(" ".join(words))
        lines.append("".join(rng.choice(cjk) for _ in range(rng.randint(6, 20))))
        lines.append("".join(rng.choice(kana) for _ in range(rng.randint(6, 16))))
        lines.append(" ".join("".join(rng.choice(hangul) for _ in range(3)) for _ in range(4)))
    return lines


def build_bpe(path: Path, seed: int = 0) -> None:
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2 as pb

    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.txt"
        corpus.write_text("\n".join(_corpus(rng)), encoding="utf-8")
        spm.SentencePieceTrainer.train(
            input=str(corpus), model_prefix=str(Path(tmp) / "m"), model_type="bpe",
            vocab_size=8000, character_coverage=1.0, minloglevel=2, num_threads=2,
        )
        proto = pb.ModelProto()
        proto.ParseFromString((Path(tmp) / "m.model").read_bytes())
    have = {p.piece for p in proto.pieces}
    score = min(p.score for p in proto.pieces) - 1.0
    fillers = (chr(c) for c in list(range(0x4E00, 0x9FFF)) + list(range(0xAC00, 0xD7A4)))
    while len(proto.pieces) < SPECIAL_BASE:
        ch = next(fillers)
        if ch in have:
            continue
        p = proto.pieces.add()
        p.piece, p.score, p.type = ch, score, pb.ModelProto.SentencePiece.NORMAL
        score -= 1e-3
    for tok in special_tokens():
        p = proto.pieces.add()
        p.piece, p.score, p.type = tok, 0.0, pb.ModelProto.SentencePiece.USER_DEFINED
    assert len(proto.pieces) == VOCAB_SIZE
    path.write_bytes(proto.SerializeToString())


def write_cmvn(path: Path, seed: int = 0) -> None:
    """Kaldi-nnet CMVN in am.mvn's text layout; statistics of log-mel features of typical speech."""
    import numpy as np

    rng = np.random.default_rng(seed)
    base_mean = -np.linspace(8.0, 14.0, 80)  # log-mel energies fall with frequency
    means = np.tile(base_mean, 7) + rng.normal(0, 0.2, 560)
    scales = 1.0 / np.tile(np.linspace(3.0, 4.0, 80), 7)
    fmt = lambda a: " ".join(f"{x:.6f}" for x in a)  # noqa: E731
    path.write_text(
        "<Nnet>\n<Splice> 560 560\n[ 0 ]\n<AddShift> 560 560\n"
        f"<LearnRateCoef> 0 [ {fmt(-means)} ]\n<Rescale> 560 560\n"
        f"<LearnRateCoef> 0 [ {fmt(scales)} ]\n</Nnet>\n",
        encoding="utf-8",
    )


def config_yaml(size: str) -> str:
    e = SIZES[size]
    return f"""encoder: SenseVoiceEncoderSmall
encoder_conf:
    output_size: {e['output_size']}
    attention_heads: {e['attention_heads']}
    linear_units: {e['linear_units']}
    num_blocks: {e['num_blocks']}
    tp_blocks: {e['tp_blocks']}
    dropout_rate: 0.1
    positional_dropout_rate: 0.1
    attention_dropout_rate: 0.1
    input_layer: pe
    pos_enc_class: SinusoidalPositionEncoder
    normalize_before: true
    kernel_size: 11
    sanm_shfit: 0
    selfattention_layer_type: sanm

model: SenseVoiceSmall
model_conf:
    length_normalized_loss: true
    sos: 1
    eos: 2
    ignore_id: -1

tokenizer: SentencepiecesTokenizer
tokenizer_conf:
  bpemodel: null
  unk_symbol: <unk>
  split_with_space: true

frontend: WavFrontend
frontend_conf:
    fs: 16000
    window: hamming
    n_mels: 80
    frame_length: 25
    frame_shift: 10
    lfr_m: 7
    lfr_n: 6
    cmvn_file: null

specaug: SpecAugLFR
specaug_conf:
    apply_time_warp: false
    time_warp_window: 5
    time_warp_mode: bicubic
    apply_freq_mask: true
    freq_mask_width_range: [0, 30]
    lfr_rate: 6
    num_freq_mask: 1
    apply_time_mask: true
    time_mask_width_range: [0, 12]
    num_time_mask: 1

ctc_conf:
    dropout_rate: 0.0
    ctc_type: builtin
    reduce: true
    ignore_nan_grad: true
normalize: null
"""


CONFIGURATION_JSON = {
    "framework": "pytorch",
    "task": "auto-speech-recognition",
    "model": {"type": "funasr"},
    "pipeline": {"type": "funasr-pipeline"},
    "model_name_in_hub": {"ms": "", "hf": ""},
    "file_path_metas": {
        "init_param": "model.pt",
        "config": "config.yaml",
        "tokenizer_conf": {"bpemodel": BPE_NAME},
        "frontend_conf": {"cmvn_file": "am.mvn"},
    },
}


def mark_random(model_dir: Path) -> None:
    """Say in the model directory itself that its weights are random: toneboard then warns on every
    page, in the report and at ingest that results made with it are noise (ingest.models.recognize)."""
    from ingest.models.recognize import RANDOM_WEIGHTS_MARKER

    f = Path(model_dir) / RANDOM_WEIGHTS_MARKER
    if not f.exists():
        f.write_text("random weights, built by tests/sensevoice_random.py: emotions, events and text are noise\n")


def build_model_dir(out: Path, size: str = "tiny", seed: int = 0) -> Path:
    """Create (or reuse, if complete) a random-weight SenseVoiceSmall directory at ``out``."""
    import funasr.models.sense_voice.model  # noqa: F401  (registers SenseVoiceSmall)
    import torch
    from funasr.register import tables

    out = Path(out)
    marker = out / ".complete"
    if marker.exists() and marker.read_text() == size:
        mark_random(out)
        return out
    tmp = out.with_name(out.name + ".building")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    build_bpe(tmp / BPE_NAME, seed)
    write_cmvn(tmp / "am.mvn", seed)
    (tmp / "config.yaml").write_text(config_yaml(size), encoding="utf-8")
    (tmp / "configuration.json").write_text(json.dumps(CONFIGURATION_JSON, indent=2), encoding="utf-8")
    torch.manual_seed(seed)
    model = tables.model_classes.get("SenseVoiceSmall")(
        encoder="SenseVoiceEncoderSmall", encoder_conf=SIZES[size] | dict(
            dropout_rate=0.1, positional_dropout_rate=0.1, attention_dropout_rate=0.1,
            input_layer="pe", pos_enc_class="SinusoidalPositionEncoder", normalize_before=True,
            kernel_size=11, sanm_shfit=0, selfattention_layer_type="sanm"),
        input_size=560, vocab_size=VOCAB_SIZE, length_normalized_loss=True, sos=1, eos=2, ignore_id=-1,
    )
    torch.save(model.state_dict(), tmp / "model.pt")
    mark_random(tmp)
    (tmp / ".complete").write_text(size)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--size", choices=sorted(SIZES), default="tiny")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    print(build_model_dir(a.out, a.size, a.seed))

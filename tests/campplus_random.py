"""Build a CAM++ model directory with random weights, in the layout of the hub's
``iic/speech_campplus_sv_zh-cn_16k-common`` (what FunASR downloads):

    configuration.json       ModelScope metadata: file_path_metas names the weights and the config
    config.yaml              model: CAMPPlus, model_conf (80 fbank bins, 192-d embeddings)
    campplus_cn_common.bin   state dict (torch.save), random weights (seeded)

The tests run toneboard's real CAM++ loading path (``funasr.AutoModel(model=DIR)``) on it. Random
weights tell no voices apart: diarization quality is measured with Resemblyzer's voice encoder,
whose trained weights ship in its wheel. Usage: ``python tests/campplus_random.py OUT_DIR``.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

CONFIG = """model: CAMPPlus
model_conf:
    feat_dim: 80
    embedding_size: 192
    growth_rate: 32
    bn_size: 4
    init_channels: 128
    config_str: batchnorm-relu
    memory_efficient: true
    output_level: segment
"""


def build_campplus_dir(out: Path, seed: int = 0) -> Path:
    out = Path(out)
    weights = out / "campplus_cn_common.bin"
    if weights.is_file():
        return out
    import torch
    from funasr.models.campplus.model import CAMPPlus

    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    model = CAMPPlus(feat_dim=80, embedding_size=192)
    (out / "config.yaml").write_text(CONFIG)
    (out / "configuration.json").write_text(json.dumps({
        "framework": "pytorch", "task": "speaker-verification", "model": {"type": "funasr"},
        "pipeline": {"type": "funasr-pipeline"}, "model_name_in_hub": {"ms": "", "hf": ""},
        "file_path_metas": {"init_param": "campplus_cn_common.bin", "config": "config.yaml"}}, indent=2))
    tmp = weights.with_suffix(".tmp")
    torch.save(model.state_dict(), tmp)
    tmp.replace(weights)
    return out


if __name__ == "__main__":
    print(build_campplus_dir(Path(sys.argv[1])))

"""Build an emotion2vec+ model directory with random weights, in the layout of the hub's
``iic/emotion2vec_plus_base`` (what FunASR downloads):

    configuration.json   ModelScope metadata: file_path_metas names the weights, the config and the labels
    config.yaml          model: Emotion2vec, model_conf with modalities.audio (a data2vec 2.0 audio
                         encoder: a convolutional feature extractor, a positional convolution,
                         transformer blocks), tokenizer: CharTokenizer
    tokens.txt           the 9 labels, one a line, in the model's order ("生气/angry" ... "<unk>")
    model.pt             {"model": state dict} (FunASR's checkpoint form), random weights (seeded)

The encoder is smaller than the real one (the same structure and strides, fewer channels and
blocks), so the tests run toneboard's real loading path (``funasr.AutoModel(model=DIR)``) and FunASR's
own ``Emotion2vec.inference`` in seconds. Random weights say nothing about emotions: what the tests
check is that toneboard stores what the model gave. Usage: ``python tests/emotion2vec_random.py OUT_DIR``.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

LABELS = ("生气/angry", "厌恶/disgusted", "恐惧/fearful", "开心/happy", "中立/neutral", "其他/other",
          "难过/sad", "吃惊/surprised", "<unk>")

CONFIG = """model: Emotion2vec
model_conf:
    loss_beta: 0.0
    loss_scale: null
    depth: 2
    start_drop_path_rate: 0.0
    end_drop_path_rate: 0.0
    num_heads: 2
    norm_eps: 1e-05
    norm_affine: true
    encoder_dropout: 0.1
    post_mlp_drop: 0.1
    attention_dropout: 0.1
    activation_dropout: 0.0
    dropout_input: 0.0
    layerdrop: 0.05
    embed_dim: 64
    mlp_ratio: 4.0
    layer_norm_first: false
    average_top_k_layers: 2
    end_of_block_targets: false
    clone_batch: 8
    layer_norm_target_layer: false
    batch_norm_target_layer: false
    instance_norm_target_layer: true
    instance_norm_targets: false
    layer_norm_targets: false
    ema_decay: 0.999
    ema_same_dtype: true
    log_norms: true
    ema_end_decay: 0.99999
    ema_fp32: true
    ema_anneal_end_step: 20000
    max_update: 100000
    min_target_var: 0.1
    min_pred_var: 0.01
    normalize: true
    modalities:
        audio:
            type: AUDIO
            prenet_depth: 1
            prenet_layerdrop: 0.05
            prenet_dropout: 0.1
            start_drop_path_rate: 0.0
            end_drop_path_rate: 0.0
            num_extra_tokens: 10
            init_extra_token_zero: true
            mask_noise_std: 0.01
            mask_prob_min: null
            inverse_mask: false
            mask_prob: 0.5
            mask_prob_adjust: 0.05
            keep_masked_pct: 0.0
            mask_length: 5
            add_masks: false
            remove_masks: false
            mask_dropout: 0.0
            encoder_zero_mask: true
            mask_channel_prob: 0.0
            mask_channel_length: 64
            ema_local_encoder: false
            local_grad_mult: 1.0
            use_alibi_encoder: true
            alibi_scale: 1.0
            learned_alibi: false
            alibi_max_pos: null
            learned_alibi_scale: true
            learned_alibi_scale_per_head: true
            learned_alibi_scale_per_layer: false
            num_alibi_heads: 2
            model_depth: 2
            decoder: null
            extractor_mode: layer_norm
            feature_encoder_spec: '[(64, 10, 5)] + [(64, 3, 2)] * 4 + [(64,2,2)] + [(64,2,2)]'
            conv_pos_width: 95
            conv_pos_groups: 4
            conv_pos_depth: 5
            conv_pos_pre_ln: false
tokenizer: CharTokenizer
tokenizer_conf:
    unk_symbol: <unk>
    split_with_space: true
"""


# emotion2vec_plus_base's own sizes (a data2vec 2.0 base audio encoder: 768-d, 8 + 4 blocks of 12
# heads, 512-channel convolutions), for measuring its cost (benchmarks/second_opinion.py)
FULL = {"depth: 2": "depth: 8", "num_heads: 2": "num_heads: 12", "embed_dim: 64": "embed_dim: 768",
        "average_top_k_layers: 2": "average_top_k_layers: 8", "prenet_depth: 1": "prenet_depth: 4",
        "num_alibi_heads: 2": "num_alibi_heads: 12", "model_depth: 2": "model_depth: 8",
        "(64, 10, 5)": "(512, 10, 5)", "(64, 3, 2)": "(512, 3, 2)", "(64,2,2)": "(512,2,2)",
        "conv_pos_groups: 4": "conv_pos_groups: 16"}


def config(size: str = "tiny") -> str:
    text = CONFIG
    if size == "full":
        for a, b in FULL.items():
            text = text.replace(a, b)
    return text


def build_emotion2vec_dir(out: Path, seed: int = 0, size: str = "tiny") -> Path:
    out = Path(out)
    weights = out / "model.pt"
    if weights.is_file():
        return out
    import torch
    import yaml
    from funasr.models.emotion2vec.model import Emotion2vec

    out.mkdir(parents=True, exist_ok=True)
    (out / "config.yaml").write_text(config(size))
    (out / "tokens.txt").write_text("\n".join(LABELS) + "\n", encoding="utf-8")
    (out / "configuration.json").write_text(json.dumps({
        "framework": "pytorch", "task": "emotion-recognition", "model": {"type": "funasr"},
        "pipeline": {"type": "funasr-pipeline"}, "model_name_in_hub": {"ms": "", "hf": ""},
        "file_path_metas": {"init_param": "model.pt", "config": "config.yaml",
                            "tokenizer_conf": {"token_list": "tokens.txt"}}}, indent=2))
    torch.manual_seed(seed)
    model = Emotion2vec(model_conf=yaml.safe_load(config(size))["model_conf"], vocab_size=len(LABELS))
    with torch.no_grad():  # random, but not so small that every class scores the same
        model.proj.weight.normal_(0.0, 2.0)
    tmp = weights.with_suffix(".tmp")
    torch.save({"model": model.state_dict()}, tmp)
    tmp.replace(weights)
    return out


if __name__ == "__main__":
    print(build_emotion2vec_dir(Path(sys.argv[1])))

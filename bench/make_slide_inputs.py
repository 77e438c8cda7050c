#!/usr/bin/env python3
"""Inputs for bench/slide_encoder.sh: a real-size slide encoder with random weights
(in 1536, D 768, 12 layers, 16 heads, FFN 3072: gigapath_slide_enc12l768d's shapes)
and features files of N random tile embeddings on a square grid of tiles.

    make_slide_inputs.py OUT_DIR N [N ...]
writes OUT_DIR/model/slide_encoder.safetensors + config.json and OUT_DIR/tiles_{N}.safetensors.
"""
import json
import os
import sys

import numpy as np
from safetensors.numpy import save_file

IN, D, DEPTH, HEADS, FFN = 1536, 768, 12, 16, 3072


def model(folder):
    rng = np.random.default_rng(0)
    w = {}

    def linear(name, n_in, n_out):
        w[name + ".weight"] = (rng.standard_normal((n_out, n_in)) * n_in ** -0.5).astype(np.float32)
        w[name + ".bias"] = (rng.standard_normal(n_out) * 0.02).astype(np.float32)

    def norm(name, n):
        w[name + ".weight"] = (1 + rng.standard_normal(n) * 0.05).astype(np.float32)
        w[name + ".bias"] = (rng.standard_normal(n) * 0.02).astype(np.float32)

    linear("patch_embed.proj", IN, D)
    w["cls_token"] = (rng.standard_normal((1, 1, D)) * 0.02).astype(np.float32)
    for i in range(DEPTH):
        p = f"encoder.layers.{i}."
        norm(p + "self_attn_layer_norm", D)
        for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
            linear(p + "self_attn." + name, D, D)
        norm(p + "self_attn.inner_attn_ln", D)
        norm(p + "final_layer_norm", D)
        linear(p + "ffn.fc1", D, FFN)
        norm(p + "ffn.ffn_layernorm", FFN)
        linear(p + "ffn.fc2", FFN, D)
    norm("encoder.layer_norm", D)
    norm("norm", D)
    os.makedirs(folder, exist_ok=True)
    save_file(w, os.path.join(folder, "slide_encoder.safetensors"))
    config = {"architecture": "gigapath_slide_enc", "in_chans": IN, "embed_dim": D, "depth": DEPTH,
              "num_heads": HEADS, "mlp_ratio": 4, "slide_ngrids": 1000, "tile_size": 256,
              "segment_length": [1024, 5792, 32768, 185363, 1048576], "dilated_ratio": [1, 2, 4, 8, 16]}
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)


def tiles(path, n):
    rng = np.random.default_rng(n)
    side = int(np.ceil(np.sqrt(n)))
    cells = np.arange(n)
    coords = np.stack([(cells % side) * 256 + 10000, (cells // side) * 256 + 20000], axis=1).astype(np.float32)
    save_file({"tile_embeds": rng.standard_normal((n, IN)).astype(np.float32), "coords": coords}, path)


if __name__ == "__main__":
    out = sys.argv[1]
    if not os.path.exists(os.path.join(out, "model", "slide_encoder.safetensors")):
        model(os.path.join(out, "model"))
    for n in map(int, sys.argv[2:]):
        path = os.path.join(out, f"tiles_{n}.safetensors")
        if not os.path.exists(path):
            tiles(path, n)

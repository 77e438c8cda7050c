#!/usr/bin/env python3
"""Differential test of Tessera's torch reader against torch.load: writes
random checkpoints with torch.save (zip and legacy formats, pickle protocols
2 and 4, plain and wrapped state dicts) whose tensors are views of every
kind (transposes, strided and stepped slices, storage offsets, expanded
stride-0 views, selects, as_strided, several tensors sharing one storage)
in every dtype, converts each with `tessera convert`, and compares:

- when every tensor has a dtype Tessera holds, the output must hold exactly
  the tensors torch.load returns, bit for bit (made contiguous);
- when one has a dtype Tessera lacks (uint16/32/64, float8, complex) or is a
  negative-bit view, the conversion must fail and name that tensor.

Not part of `make test` (needs torch and takes minutes). Run by hand:
  bench/torch_differential.py [COUNT] [SEED]     (TESSERA=path/to/tessera)
Prints the number of checkpoints, tensors compared and refusals checked;
exits 1 at the first disagreement, keeping the checkpoint that shows it.
"""
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

READABLE = [torch.float64, torch.float32, torch.float16, torch.bfloat16, torch.int64, torch.int32,
            torch.int16, torch.int8, torch.uint8, torch.bool]
UNREADABLE = [torch.uint16, torch.uint32, torch.uint64, torch.float8_e4m3fn, torch.float8_e5m2,
              torch.complex64, torch.complex128]
SAFETENSORS_DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
                      "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
                      "U8": torch.uint8, "BOOL": torch.bool}


def random_base(rng, dtype):
    shape = [rng.randint(0, 6) if rng.random() < 0.1 else rng.randint(1, 6) for _ in range(rng.randint(0, 4))]
    values = torch.randn(shape, generator=torch.Generator().manual_seed(rng.randrange(1 << 30))) * 100
    if dtype in (torch.float8_e4m3fn, torch.float8_e5m2, torch.complex64, torch.complex128):
        return values.to(dtype)
    if dtype == torch.bool:
        return values > 0
    if not dtype.is_floating_point:
        return values.to(torch.int64).clamp(0 if dtype in (torch.uint8, torch.uint16, torch.uint32, torch.uint64)
                                            else -100, 100).to(dtype)
    return values.to(dtype)


def random_view(rng, base):
    """A view of `base` (sharing its storage), or base itself."""
    if base.dim() == 0 or base.numel() == 0:
        return base
    kind = rng.choice(["same", "transpose", "slice", "step", "narrow", "select", "expand", "as_strided", "flatten"])
    dim = rng.randrange(base.dim())
    size = base.shape[dim]
    if kind == "transpose" and base.dim() >= 2:
        return base.transpose(dim, (dim + 1) % base.dim())
    if kind == "slice":
        start = rng.randrange(size)
        return base.narrow(dim, start, rng.randint(0, size - start))
    if kind == "step":
        return base[(slice(None),) * dim + (slice(rng.randrange(size), None, rng.randint(1, 3)),)]
    if kind == "narrow" and size > 1:
        return base.narrow(dim, 1, size - 1)
    if kind == "select":
        return base.select(dim, rng.randrange(size))
    if kind == "expand":
        return base.unsqueeze(0).expand(rng.randint(1, 4), *base.shape)
    if kind == "as_strided":
        flat = base.contiguous().view(-1) if not base.is_contiguous() else base.view(-1)
        rows = rng.randint(1, 3)
        cols = rng.randint(1, max(1, flat.numel() // rows))
        stride = rng.randint(0, max(0, (flat.numel() - cols) // max(1, rows - 1)))
        offset = rng.randint(0, flat.numel() - ((rows - 1) * stride + cols))
        return flat.as_strided((rows, cols), (stride, 1), flat.storage_offset() + offset)
    if kind == "flatten" and base.is_contiguous():
        return base.view(-1)
    return base


def random_checkpoint(rng):
    """(object to save, {name: tensor as torch.load gives it}, name of an unreadable tensor or None)."""
    tensors, unreadable = {}, None
    bases = []
    for i in range(rng.randint(1, 8)):
        if bases and rng.random() < 0.4:
            base = rng.choice(bases)  # shares a storage with an earlier tensor
        else:
            dtype = rng.choice(READABLE)
            if unreadable is None and rng.random() < 0.03:
                dtype = rng.choice(UNREADABLE)
            base = random_base(rng, dtype)
            bases.append(base)
        tensor = random_view(rng, base)
        if tensor.dtype.is_floating_point and tensor.dtype in READABLE and rng.random() < 0.01:
            tensor = tensor._neg_view()
        name = f"layer{i}." + rng.choice(["weight", "bias", "running_mean", "w/x", "ünï"])
        tensors[name] = tensor
        if tensor.dtype in UNREADABLE or tensor.is_neg():
            unreadable = unreadable or name
    state = dict(tensors)
    if rng.random() < 0.3:
        obj = {"state_dict": state, "epoch": rng.randint(0, 99), "history": list(range(rng.randint(0, 3000)))}
    else:
        obj = state
    return obj, tensors, unreadable


def raw(tensor):
    """The bytes of `tensor` in row-major order (a fresh tensor: size-1 dims of a view may have any stride)."""
    copy = torch.empty(tensor.shape, dtype=tensor.dtype)
    copy.copy_(tensor)
    return copy.reshape(-1).view(torch.uint8)


def read_safetensors(path):
    raw = Path(path).read_bytes()
    length = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + length])
    data = raw[8 + length:]
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        dtype = SAFETENSORS_DTYPES[entry["dtype"]]
        flat = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.uint8) if end > begin else torch.empty(0, dtype=torch.uint8)
        out[name] = flat.view(dtype).reshape(entry["shape"]) if end > begin else torch.empty(entry["shape"], dtype=dtype)
    return out


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    tessera = os.environ.get("TESSERA", ".build/release/tessera")
    rng = random.Random(seed)
    compared = refused = 0
    with tempfile.TemporaryDirectory() as folder:
        for n in range(count):
            obj, tensors, unreadable = random_checkpoint(rng)
            path = Path(folder) / "checkpoint.pt"
            legacy = rng.random() < 0.3 and all(t.dtype in READABLE for t in tensors.values())
            torch.save(obj, path, pickle_protocol=rng.choice([2, 4]), _use_new_zipfile_serialization=not legacy)
            loaded = torch.load(path, weights_only=False)
            loaded = loaded.get("state_dict", loaded)
            out = Path(folder) / "out.safetensors"
            run = subprocess.run([tessera, "convert", str(path), "-o", str(out)], capture_output=True, text=True)
            keep = Path(f"/tmp/tessera_differential_{seed}_{n}.pt")
            if unreadable is not None:
                if run.returncode == 0 or f"tensor '{unreadable}' cannot be read exactly" not in run.stderr:
                    path.rename(keep)
                    sys.exit(f"checkpoint {n} ({keep}): expected a refusal naming {unreadable!r}, got "
                             f"status {run.returncode}: {run.stderr.strip()}")
                refused += 1
                continue
            if run.returncode != 0:
                path.rename(keep)
                sys.exit(f"checkpoint {n} ({keep}): tessera failed: {run.stderr.strip()}")
            converted = read_safetensors(out)
            if set(converted) != set(loaded):
                path.rename(keep)
                sys.exit(f"checkpoint {n} ({keep}): names differ: {sorted(converted)} vs {sorted(loaded)}")
            for name, expected in loaded.items():
                got = converted[name]
                if got.shape != expected.shape or got.dtype != expected.dtype or not torch.equal(raw(got), raw(expected)):
                    path.rename(keep)
                    sys.exit(f"checkpoint {n} ({keep}): tensor {name!r} differs ({got.dtype} {list(got.shape)} vs "
                             f"{expected.dtype} {list(expected.shape)})")
                compared += 1
    print(f"{count} checkpoints: {compared} tensors bit-identical to torch.load, {refused} checkpoints refused "
          f"naming their unreadable tensor, 0 disagreements")


if __name__ == "__main__":
    main()

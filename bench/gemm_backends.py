#!/usr/bin/env python3
"""Is another GEMM library worth a second `GEMMBackend`? Times float32 sgemm of the
system OpenBLAS (what Tessera calls) and oneDNN's `dnnl_sgemm` (Debian's
libdnnl-dev 2.6, the kernel library of PyTorch's CPU path) on the same shapes and
threads, in one run, and prints GFLOP/s and the ratio.

    apt-get install libdnnl-dev      # once; oneDNN is not a Tessera dependency
    bench/gemm_backends.py [THREADS]  (default 2)

Shapes: the issue's 1576x3072x768 (ViT-B batch 8, qkv-like), ViT-B's fc1/fc2, and a
slide-encoder linear on 10,000 tokens. Row-major C = A · Bᵀ as `Linear` does it.
"""
import ctypes
import ctypes.util
import os
import sys

import numpy as np

from _openblas import gflops as rate, load

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
os.environ["OMP_NUM_THREADS"] = str(threads)  # oneDNN's OpenMP pool, read at load
SHAPES = [(1576, 3072, 768), (1576, 768, 3072), (10001, 768, 768)]

openblas = load(threads)
try:
    dnnl = ctypes.CDLL(ctypes.util.find_library("dnnl") or "libdnnl.so.2")
    f32, i64 = ctypes.c_float, ctypes.c_int64
    dnnl.dnnl_sgemm.argtypes = [ctypes.c_char, ctypes.c_char, i64, i64, i64, f32, ctypes.c_void_p, i64,
                                ctypes.c_void_p, i64, f32, ctypes.c_void_p, i64]
except OSError:
    sys.exit("libdnnl not found: apt-get install libdnnl-dev")


print(f"{threads} threads; OpenBLAS kernels: {openblas.openblas_get_corename().decode()}")
print(f"{'m x n x k':>18} {'OpenBLAS':>10} {'oneDNN':>10} {'oneDNN/OpenBLAS':>16}")
for m, n, k in SHAPES:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((n, k), dtype=np.float32)
    c1 = np.zeros((m, n), dtype=np.float32)
    c2 = np.zeros((m, n), dtype=np.float32)
    pa, pb, p1, p2 = (x.ctypes.data for x in (a, b, c1, c2))
    blas = rate(lambda: openblas.cblas_sgemm(101, 111, 112, m, n, k, 1.0, pa, k, pb, k, 0.0, p1, n), m, n, k)
    onednn = rate(lambda: dnnl.dnnl_sgemm(b"N", b"T", m, n, k, 1.0, pa, k, pb, k, 0.0, p2, n), m, n, k)
    assert np.allclose(c1, c2, rtol=1e-3, atol=1e-3), "the two libraries disagree"
    print(f"{m:>6}x{n}x{k:<5} {blas:>10.1f} {onednn:>10.1f} {onednn / blas:>16.2f}")

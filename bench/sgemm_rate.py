#!/usr/bin/env python3
"""Sustained sgemm rate of the system OpenBLAS (the library Tessera's GEMM calls),
on square products, with THREADS threads: prints GFLOP/s.

    sgemm_rate.py [THREADS] [SIZE]
"""
import sys

import numpy as np

import _openblas

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
size = int(sys.argv[2]) if len(sys.argv) > 2 else 2048
lib = _openblas.load(threads)
a = np.random.default_rng(0).standard_normal((size, size), dtype=np.float32)
b = np.random.default_rng(1).standard_normal((size, size), dtype=np.float32)
c = np.zeros((size, size), dtype=np.float32)
pa, pb, pc = (x.ctypes.data for x in (a, b, c))
rate = _openblas.gflops(lambda: lib.cblas_sgemm(101, 111, 111, size, size, size, 1.0, pa, size, pb, size, 0.0, pc, size),
                        size, size, size)
print(f"{rate:.1f}")

#!/usr/bin/env python3
"""Sustained sgemm rate of the system OpenBLAS (the library Tessera's GEMM calls),
on square products, with THREADS threads: prints GFLOP/s.

    sgemm_rate.py [THREADS] [SIZE]
"""
import ctypes
import ctypes.util
import sys
import time

import numpy as np

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
size = int(sys.argv[2]) if len(sys.argv) > 2 else 2048
lib = ctypes.CDLL(ctypes.util.find_library("openblas") or "libopenblas.so.0")
lib.openblas_set_num_threads(threads)
a = np.random.default_rng(0).standard_normal((size, size), dtype=np.float32)
b = np.random.default_rng(1).standard_normal((size, size), dtype=np.float32)
c = np.zeros((size, size), dtype=np.float32)
ptr = lambda x: x.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
lib.cblas_sgemm.argtypes = [ctypes.c_int] * 6 + [ctypes.c_float, ctypes.c_void_p, ctypes.c_int,
                                                ctypes.c_void_p, ctypes.c_int, ctypes.c_float,
                                                ctypes.c_void_p, ctypes.c_int]


def run():
    lib.cblas_sgemm(101, 111, 111, size, size, size, 1.0, ptr(a), size, ptr(b), size, 0.0, ptr(c), size)


run()
best = float("inf")
for _ in range(5):
    t = time.perf_counter()
    run()
    best = min(best, time.perf_counter() - t)
print(f"{2 * size ** 3 / best / 1e9:.1f}")

"""The system OpenBLAS (the library Tessera's GEMM calls) through ctypes, and the
best-of-N rate of a call, for the sgemm benchmarks."""
import ctypes
import ctypes.util
import time


def load(threads):
    """libopenblas with `threads` threads and cblas_sgemm's argument types declared."""
    lib = ctypes.CDLL(ctypes.util.find_library("openblas") or "libopenblas.so.0")
    lib.openblas_set_num_threads(threads)
    lib.openblas_get_corename.restype = ctypes.c_char_p
    f32 = ctypes.c_float
    lib.cblas_sgemm.argtypes = [ctypes.c_int] * 6 + [f32, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p,
                                                     ctypes.c_int, f32, ctypes.c_void_p, ctypes.c_int]
    return lib


def gflops(call, m, n, k, repeats=5):
    """GFLOP/s of an m x n x k product `call`, from the best of `repeats` timed runs after a warm-up
    (thread pools, packing buffers)."""
    call()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - t)
    return 2.0 * m * n * k / best / 1e9

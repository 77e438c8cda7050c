/* The AVX2 product (x86 without VNNI): see gemm_x86_256.h. */
#include "kernel.h"
#if defined(__x86_64__)
#define TILE_KERNEL tk_kernel_avx2
#define TILE_QUANTIZE tk_quantize_avx2
#define TILE_TARGET __attribute__((target("avx2,fma")))
#define TILE_MR 4
#define TILE_VNNI 0
#include "gemm_x86_256.h"
#endif

/* The AVX-VNNI product (256-bit vpdpbusd without AVX-512): see gemm_x86_256.h.
 * Fewer temporaries than AVX2, so blocks of 6 rows (12 accumulators). */
#include "kernel.h"
#if defined(__x86_64__)
#define TILE_KERNEL tk_kernel_avxvnni
#define TILE_QUANTIZE tk_quantize_avx2
#define TILE_TARGET __attribute__((target("avx2,fma,avxvnni")))
#define TILE_MR 6
#define TILE_VNNI 1
#include "gemm_x86_256.h"
#endif

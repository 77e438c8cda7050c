/* The AVX2 bf16 product: pairs widened to f32, fused multiply-adds (bf16_x86.h).
 * Panels of 16 columns; blocks of 4 rows: 8 accumulators, 4 widened weight
 * vectors and the broadcasts in the 16 ymm registers. */
#include "kernel.h"
#if defined(__x86_64__)
#define BF16_PANEL tk_bf16_panel_avx2
#define BF16_TARGET __attribute__((target("avx2,fma")))
#define BF16_WIDTH 256
#define BF16_NV 2
#define BF16_MR 4
#define BF16_NATIVE 0
#include "bf16_x86.h"
#endif

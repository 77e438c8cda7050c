/* The AVX-512 bf16 product for CPUs without AVX512-BF16: pairs widened to f32,
 * fused multiply-adds (bf16_x86.h). Blocks of 4 rows: 16 accumulators and the 8
 * widened weight vectors fit the 32 zmm registers. */
#include "kernel.h"
#if defined(__x86_64__)
#define BF16_PANEL tk_bf16_panel_avx512
#define BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,fma")))
#define BF16_WIDTH 512
#define BF16_NV 4
#define BF16_MR 4
#define BF16_NATIVE 0
#include "bf16_x86.h"
#endif

/* The AVX512-BF16 product: vdpbf16ps on the packed pairs (bf16_x86.h). Blocks of
 * 6 rows: 24 accumulators and 4 weight vectors in the 32 zmm registers. */
#include "kernel.h"
#if defined(__x86_64__)
#define BF16_PANEL tk_bf16_panel_avx512bf16
#define BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#define BF16_WIDTH 512
#define BF16_NV 4
#define BF16_MR 6
#define BF16_NATIVE 1
#include "bf16_x86.h"
#endif

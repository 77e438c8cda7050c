/* The FEAT_BF16 product: bfmlalt/bfmlalb on the packed pairs (bf16_neon.h). */
#include "kernel.h"
#if defined(__aarch64__)
#define BF16_PANEL tk_bf16_panel_neon_bf16
#define BF16_TARGET __attribute__((target("arch=armv8.2-a+bf16")))
#define BF16_NATIVE 1
#include "bf16_neon.h"
#endif

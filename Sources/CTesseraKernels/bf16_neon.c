/* The NEON bf16 product for aarch64 without FEAT_BF16: pairs widened to f32, fmla (bf16_neon.h). */
#include "kernel.h"
#if defined(__aarch64__)
#define BF16_PANEL tk_bf16_panel_neon
#define BF16_TARGET
#define BF16_NATIVE 0
#include "bf16_neon.h"
#endif

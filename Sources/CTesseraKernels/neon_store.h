/* The NEON paths' epilogue: four int32 accumulators of one row to f32 with the
 * scalar path's three roundings, stored (or added to what dst holds, when
 * `add`) where the requested columns allow. */
#ifndef TESSERA_KERNELS_NEON_STORE_H
#define TESSERA_KERNELS_NEON_STORE_H

#include "kernel.h"

#include <arm_neon.h>

/* dst is the row's column `first` (relative to the panel); only columns in
 * [lo, hi) are written. */
static inline void tk_neon_store4(int32x4_t acc, float32x4_t xscale, const float *wscale, const float *bias,
                                  float *dst, unsigned first, unsigned lo, unsigned hi, int add)
{
    float32x4_t y = vmulq_f32(vcvtq_f32_s32(acc), xscale);
    y = vmulq_f32(y, vld1q_f32(wscale));
    y = vaddq_f32(y, vld1q_f32(bias));
    if (lo <= first && first + 4 <= hi) {
        vst1q_f32(dst, add ? vaddq_f32(vld1q_f32(dst), y) : y);
        return;
    }
    float lanes[4];
    vst1q_f32(lanes, y);
    for (unsigned j = 0; j < 4; j++) {
        if (first + j >= lo && first + j < hi) dst[j] = add ? dst[j] + lanes[j] : lanes[j];
    }
}

#endif

/* The NEON quantiser. fcvtns rounds half to even whatever FPCR says; with the
 * exact multiply and clamp it gives the scalar quantiser's bytes, and the
 * absmax is exact in any order. */
#include "kernel.h"
#if defined(__aarch64__)

#include <arm_neon.h>
#include <float.h>
#include <string.h>

/* Four floats from i, zeros past k. */
static inline float32x4_t load4(const float *xr, size_t i, size_t k)
{
    if (i + 4 <= k) return vld1q_f32(xr + i);
    float lanes[4] = {0, 0, 0, 0};
    if (i < k) memcpy(lanes, xr + i, (k - i) * sizeof *xr);
    return vld1q_f32(lanes);
}

static inline int32x4_t quantize4(const float *xr, size_t i, size_t k, float32x4_t by)
{
    const int32x4_t n = vcvtnq_s32_f32(vmulq_f32(load4(xr, i, k), by));
    return vminq_s32(vmaxq_s32(n, vdupq_n_s32(-127)), vdupq_n_s32(127));
}

size_t tk_quantize_neon(const float *x, size_t ldx, size_t m, size_t k,
                        int8_t *q, size_t ldq, float *scale, int32_t *sum)
{
    const size_t kp = tk_padded_k(k);
    const float32x4_t largest = vdupq_n_f32(FLT_MAX);
    size_t first_bad = m;
    for (size_t r = 0; r < m; r++) {
        const float *xr = x + r * ldx;
        int8_t *qr = q + r * ldq;
        float32x4_t most = vdupq_n_f32(0);
        uint32x4_t finite = vdupq_n_u32(~0u);
        for (size_t i = 0; i < k; i += 4) {
            const float32x4_t a = vabsq_f32(load4(xr, i, k));
            finite = vandq_u32(finite, vcleq_f32(a, largest)); /* false for infinities and NaNs */
            most = vmaxq_f32(most, a);
        }
        if (vminvq_u32(finite) == 0) {
            tk_quantize_bad_row(qr, kp, &scale[r], &sum[r]);
            if (first_bad == m) first_bad = r;
            continue;
        }
        float inverse;
        tk_row_scale(vmaxvq_f32(most), &scale[r], &inverse);
        const float32x4_t by = vdupq_n_f32(inverse);
        int32x4_t total = vdupq_n_s32(0);
        for (size_t i = 0; i < kp; i += 16) { /* the padding loads as 0 and stores zeros */
            const int32x4_t n0 = quantize4(xr, i, k, by), n1 = quantize4(xr, i + 4, k, by);
            const int32x4_t n2 = quantize4(xr, i + 8, k, by), n3 = quantize4(xr, i + 12, k, by);
            total = vaddq_s32(vaddq_s32(total, vaddq_s32(n0, n1)), vaddq_s32(n2, n3));
            const int16x8_t low = vcombine_s16(vqmovn_s32(n0), vqmovn_s32(n1));
            const int16x8_t high = vcombine_s16(vqmovn_s32(n2), vqmovn_s32(n3));
            vst1q_s8(qr + i, vcombine_s8(vqmovn_s16(low), vqmovn_s16(high)));
        }
        sum[r] = vaddvq_s32(total);
    }
    return first_bad;
}
#endif

/*
 * The aarch64 bf16 products, shared by two paths. The file that includes it defines
 *   BF16_PANEL   the panel function's name,
 *   BF16_TARGET  its target attribute,
 *   BF16_NATIVE  1: bfmlalt then bfmlalb (the odd k, then the even k, each a fused
 *                multiply-add into f32 lanes) on the packed pairs;
 *                0: each pair widened to f32 (the odd k is the word's high half, the
 *                   even k its low half shifted up) and two fmla, odd first.
 * Panels of 16 columns (four vectors of 4 lanes); blocks of 4 rows: 16
 * accumulators. FPCR.FZ is set for the loop (flush to zero, as the definition
 * has it); the epilogue (bias, the add to y) runs in the caller's mode.
 */
#include "kernel.h"

#include <arm_neon.h>

#define MR 4
#define NV 4

static inline uint64_t fpcr_get(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, fpcr" : "=r"(v));
    return v;
}

static inline void fpcr_set(uint64_t v)
{
    __asm__ volatile("msr fpcr, %0" : : "r"(v));
}

static inline uint32_t pair_word(const uint16_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

BF16_TARGET static inline __attribute__((always_inline)) void
block(const uint16_t *panel, size_t pairs, const uint16_t *x, size_t ldx, const int mr, const float *bias,
      unsigned lo, unsigned hi, float *y, size_t ldy, int add)
{
    float32x4_t acc[MR][NV];
    for (int r = 0; r < MR; r++) {
        for (int v = 0; v < NV; v++) acc[r][v] = vdupq_n_f32(0.0f);
    }
    const uint64_t mode = fpcr_get();
    fpcr_set(mode | 1u << 24); /* FZ */
    for (size_t p = 0; p < pairs; p++) {
        const uint16_t *wp = panel + p * 2 * 4 * NV;
        uint32x4_t wv[NV];
        for (int v = 0; v < NV; v++) wv[v] = vld1q_u32((const uint32_t *)(const void *)(wp + 8 * v));
#if BF16_NATIVE
        for (int r = 0; r < mr; r++) {
            const bfloat16x8_t xv = vreinterpretq_bf16_u32(vdupq_n_u32(pair_word(x + r * ldx + 2 * p)));
            for (int v = 0; v < NV; v++) {
                const bfloat16x8_t wb = vreinterpretq_bf16_u32(wv[v]);
                acc[r][v] = vbfmlalbq_f32(vbfmlaltq_f32(acc[r][v], wb, xv), wb, xv);
            }
        }
#else
        float32x4_t odd[NV], even[NV];
        for (int v = 0; v < NV; v++) {
            odd[v] = vreinterpretq_f32_u32(vandq_u32(wv[v], vdupq_n_u32(0xffff0000u)));
            even[v] = vreinterpretq_f32_u32(vshlq_n_u32(wv[v], 16));
        }
        for (int r = 0; r < mr; r++) {
            const uint16_t *xp = x + r * ldx + 2 * p;
            const float32x4_t xo = vdupq_n_f32(tk_bf16_widen(xp[1])), xe = vdupq_n_f32(tk_bf16_widen(xp[0]));
            for (int v = 0; v < NV; v++) acc[r][v] = vfmaq_f32(vfmaq_f32(acc[r][v], odd[v], xo), even[v], xe);
        }
#endif
    }
    fpcr_set(mode);
    for (int r = 0; r < mr; r++) {
        float *yr = y + r * ldy;
        for (int v = 0; v < NV; v++) {
            float out[4];
            vst1q_f32(out, vaddq_f32(acc[r][v], vld1q_f32(bias + 4 * v)));
            for (unsigned j = 4 * (unsigned)v; j < 4 * (unsigned)v + 4; j++) {
                if (j >= lo && j < hi) yr[j] = add ? yr[j] + out[j - 4 * v] : out[j - 4 * v];
            }
        }
    }
}

BF16_TARGET void BF16_PANEL(const tk_bf16_weights *w, const uint16_t *x, size_t ldx, size_t row_begin,
                            size_t row_end, size_t panel, unsigned lo, unsigned hi, float *y, size_t ldy, int add)
{
    const size_t first = panel * 4 * NV, pairs = w->kp / 2;
    const uint16_t *data = w->data + first * w->kp;
    const float *bias = w->bias + first;
    size_t r = row_begin;
    for (; r + MR <= row_end; r += MR) block(data, pairs, x + r * ldx, ldx, MR, bias, lo, hi, y + r * ldy, ldy, add);
    /* Each remainder gets its own unrolled copy. */
    const uint16_t *xr = x + r * ldx;
    float *yr = y + r * ldy;
    switch (row_end - r) {
    case 3: block(data, pairs, xr, ldx, 3, bias, lo, hi, yr, ldy, add); break;
    case 2: block(data, pairs, xr, ldx, 2, bias, lo, hi, yr, ldy, add); break;
    case 1: block(data, pairs, xr, ldx, 1, bias, lo, hi, yr, ldy, add); break;
    default: break;
    }
}

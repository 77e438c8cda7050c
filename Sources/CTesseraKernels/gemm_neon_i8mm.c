/*
 * The NEON i8mm product: smmla multiplies a 2x8 block of signed activation
 * bytes (two rows) by a 2x8 block of weights (two columns) into a 2x2 int32
 * tile [r0c0 r0c1 r1c0 r1c1]. Panels of 8 columns, groups of 8 k: one k group
 * of the panel is four vectors, one per column pair. Blocks of 8 rows (4 row
 * pairs) keep 16 tiles; an odd last row is paired with itself and its twin
 * discarded.
 */
#include "kernel.h"
#if defined(__aarch64__)
#include "neon_store.h"

#define TARGET __attribute__((target("arch=armv8.2-a+i8mm")))
#define MR 8
#define NR 8

TARGET static inline __attribute__((always_inline)) void
block(const int8_t *panel, size_t kp, const int8_t *xq, size_t ldq, const int mr, const float *xscale,
      const float *wscale, const float *bias, unsigned lo, unsigned hi, float *y, size_t ldy, int add)
{
    const int pairs = (mr + 1) / 2;
    const int8_t *row[MR];
    for (int r = 0; r < MR; r++) row[r] = xq + (size_t)(r < mr ? r : mr - 1) * ldq;
    int32x4_t acc[MR / 2][4];
    for (int p = 0; p < MR / 2; p++) {
        for (int c = 0; c < 4; c++) acc[p][c] = vdupq_n_s32(0);
    }
    for (size_t i = 0; i < kp; i += 8) {
        int8x16_t wv[4];
        for (int c = 0; c < 4; c++) wv[c] = vld1q_s8(panel + i * 8 + 16 * c);
        for (int p = 0; p < pairs; p++) {
            const int8x16_t a = vcombine_s8(vld1_s8(row[2 * p] + i), vld1_s8(row[2 * p + 1] + i));
            for (int c = 0; c < 4; c++) acc[p][c] = vmmlaq_s32(acc[p][c], a, wv[c]);
        }
    }
    for (int r = 0; r < mr; r++) {
        /* Row r's columns 0-3 are the matching halves of the tiles of pairs 0 and 1. */
        const int p = r / 2;
        const int64x2_t t0 = vreinterpretq_s64_s32(acc[p][0]), t1 = vreinterpretq_s64_s32(acc[p][1]);
        const int64x2_t t2 = vreinterpretq_s64_s32(acc[p][2]), t3 = vreinterpretq_s64_s32(acc[p][3]);
        const int32x4_t left = vreinterpretq_s32_s64(r % 2 == 0 ? vzip1q_s64(t0, t1) : vzip2q_s64(t0, t1));
        const int32x4_t right = vreinterpretq_s32_s64(r % 2 == 0 ? vzip1q_s64(t2, t3) : vzip2q_s64(t2, t3));
        const float32x4_t xs = vdupq_n_f32(xscale[r]);
        tk_neon_store4(left, xs, wscale, bias, y + r * ldy, 0, lo, hi, add);
        tk_neon_store4(right, xs, wscale + 4, bias + 4, y + r * ldy + 4, 4, lo, hi, add);
    }
}

#include "neon_panel.h"

const tk_kernel tk_kernel_neon_i8mm = {NR, 8, 0, compute_panel, tk_quantize_neon, tk_f16_neon, TK_BF16_NR_NEON,
                                      tk_bf16_panel_neon};
/* The same int8 products; bf16 ones by bfmlalt/bfmlalb. */
const tk_kernel tk_kernel_neon_bf16 = {NR, 8, 0, compute_panel, tk_quantize_neon, tk_f16_neon, TK_BF16_NR_NEON,
                                      tk_bf16_panel_neon_bf16};
#endif

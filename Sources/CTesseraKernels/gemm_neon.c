/*
 * The plain NEON product (aarch64 without dotprod): smull/smlal of 16 bytes
 * into int16 pair sums, which stay in range because |x| <= 127
 * (2 * 127 * 128 < 2^15), then sadalp into int32. Weights are plain padded
 * rows (group 0), four to a panel; blocks of 4 rows x 4 columns keep 16
 * accumulators, each reduced across its lanes at the end.
 */
#include "kernel.h"
#if defined(__aarch64__)
#include "neon_store.h"

#define MR 4
#define NR 4

static inline __attribute__((always_inline)) void
block(const int8_t *panel, size_t kp, const int8_t *xq, size_t ldq, const int mr, const float *xscale,
      const float *wscale, const float *bias, unsigned lo, unsigned hi, float *y, size_t ldy, int add)
{
    int32x4_t acc[MR][NR];
    for (int r = 0; r < MR; r++) {
        for (int c = 0; c < NR; c++) acc[r][c] = vdupq_n_s32(0);
    }
    for (size_t i = 0; i < kp; i += 16) {
        int8x16_t wv[NR];
        for (int c = 0; c < NR; c++) wv[c] = vld1q_s8(panel + c * kp + i);
        for (int r = 0; r < mr; r++) {
            const int8x16_t xv = vld1q_s8(xq + r * ldq + i);
            for (int c = 0; c < NR; c++) {
                int16x8_t pairs = vmull_s8(vget_low_s8(xv), vget_low_s8(wv[c]));
                pairs = vmlal_high_s8(pairs, xv, wv[c]);
                acc[r][c] = vpadalq_s16(acc[r][c], pairs);
            }
        }
    }
    for (int r = 0; r < mr; r++) {
        const int32x4_t sums = vpaddq_s32(vpaddq_s32(acc[r][0], acc[r][1]), vpaddq_s32(acc[r][2], acc[r][3]));
        tk_neon_store4(sums, vdupq_n_f32(xscale[r]), wscale, bias, y + r * ldy, 0, lo, hi, add);
    }
}

static void compute_panel(const tk_weights *w, const tk_rows *x, size_t row_begin, size_t row_end,
                   size_t panel, unsigned lo, unsigned hi, float *y, size_t ldy, int add)
{
    const size_t kp = w->kp, first = panel * NR, ldq = x->ldq;
    const int8_t *data = (const int8_t *)w->data + first * kp;
    const float *ws = w->scale + first, *bias = w->bias + first;
    size_t r = row_begin;
    for (; r + MR <= row_end; r += MR) {
        block(data, kp, x->q + r * ldq, ldq, MR, x->scale + r, ws, bias, lo, hi, y + r * ldy, ldy, add);
    }
    /* Each remainder gets its own unrolled copy. */
    const int8_t *xq = x->q + r * ldq;
    switch (row_end - r) {
    case 3: block(data, kp, xq, ldq, 3, x->scale + r, ws, bias, lo, hi, y + r * ldy, ldy, add); break;
    case 2: block(data, kp, xq, ldq, 2, x->scale + r, ws, bias, lo, hi, y + r * ldy, ldy, add); break;
    case 1: block(data, kp, xq, ldq, 1, x->scale + r, ws, bias, lo, hi, y + r * ldy, ldy, add); break;
    default: break;
    }
}

const tk_kernel tk_kernel_neon = {NR, 0, 0, compute_panel, tk_quantize_neon, tk_f16_neon, TK_BF16_NR_NEON, tk_bf16_panel_neon};
#endif

/*
 * The NEON dotprod product: sdot multiplies signed bytes four to an int32
 * lane. Panels of 8 columns, groups of 4 k: one k group of the panel is two
 * vectors (columns 0-3 and 4-7), and each row's 16 activation bytes cover four
 * groups, picked by sdot's lane index. Blocks of 8 rows keep 16 accumulators,
 * 8 activation and 2 weight vectors in the 32 registers.
 */
#include "kernel.h"
#if defined(__aarch64__)
#include "neon_store.h"

#define TARGET __attribute__((target("arch=armv8.2-a+dotprod")))
#define MR 8
#define NR 8

TARGET static inline __attribute__((always_inline)) void
block(const int8_t *panel, size_t kp, const int8_t *xq, size_t ldq, const int mr, const float *xscale,
      const float *wscale, const float *bias, unsigned lo, unsigned hi, float *y, size_t ldy, int add)
{
    int32x4_t acc[MR][2];
    for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = vdupq_n_s32(0);
    for (size_t i = 0; i < kp; i += 16) {
        int8x16_t xv[MR];
        for (int r = 0; r < mr; r++) xv[r] = vld1q_s8(xq + r * ldq + i);
        const int8_t *wp = panel + i * 8;
        /* The lane index must be a constant: one copy per k group. */
#define GROUP(g)                                                                  \
        {                                                                         \
            const int8x16_t w0 = vld1q_s8(wp + 32 * (g)), w1 = vld1q_s8(wp + 32 * (g) + 16); \
            for (int r = 0; r < mr; r++) {                                        \
                acc[r][0] = vdotq_laneq_s32(acc[r][0], w0, xv[r], g);             \
                acc[r][1] = vdotq_laneq_s32(acc[r][1], w1, xv[r], g);             \
            }                                                                     \
        }
        GROUP(0)
        GROUP(1)
        GROUP(2)
        GROUP(3)
#undef GROUP
    }
    for (int r = 0; r < mr; r++) {
        const float32x4_t xs = vdupq_n_f32(xscale[r]);
        tk_neon_store4(acc[r][0], xs, wscale, bias, y + r * ldy, 0, lo, hi, add);
        tk_neon_store4(acc[r][1], xs, wscale + 4, bias + 4, y + r * ldy + 4, 4, lo, hi, add);
    }
}

#include "neon_panel.h"

const tk_kernel tk_kernel_neon_dotprod = {NR, 4, 0, compute_panel, tk_quantize_neon, tk_f16_neon, TK_BF16_NR_NEON,
                                         tk_bf16_panel_neon};
#endif

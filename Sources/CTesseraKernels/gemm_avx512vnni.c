/*
 * The AVX-512 VNNI product. vpdpbusd multiplies unsigned by signed bytes, four
 * to an int32 lane, so the weights are packed as W + 128 (unsigned) and the
 * signed activations are broadcast four bytes at a time; subtracting
 * 128 * sum(x) per row afterwards leaves exactly sum(w * x).
 *
 * Panels of 64 columns (four zmm of 16 lanes); groups of 4 k. A block of 6 rows
 * keeps 24 accumulators and 4 weight vectors in the 32 zmm registers.
 */
#include "kernel.h"
#if defined(__x86_64__)

#include <immintrin.h>
#include <string.h>

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#define MR 6
#define NV 4

static inline int32_t four_bytes(const int8_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

TARGET static inline __attribute__((always_inline)) void
block(const uint8_t *panel, size_t groups, const int8_t *xq, size_t ldq, const int mr, const int nv,
      const float *xscale, const int32_t *xsum, const __m512 ws[NV], const __m512 bias[NV],
      const __mmask16 mask[NV], float *y, size_t ldy, int add)
{
    __m512i acc[MR][NV];
    for (int r = 0; r < MR; r++) {
        for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_si512();
    }
    for (size_t g = 0; g < groups; g++) {
        __m512i wv[NV];
        for (int v = 0; v < nv; v++) wv[v] = _mm512_load_si512(panel + g * 64 * NV + v * 64);
        for (int r = 0; r < mr; r++) {
            const __m512i xv = _mm512_set1_epi32(four_bytes(xq + r * ldq + 4 * g));
            for (int v = 0; v < nv; v++) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], wv[v], xv);
        }
    }
    for (int r = 0; r < mr; r++) {
        const __m512i offset = _mm512_set1_epi32(128 * xsum[r]);
        const __m512 xs = _mm512_set1_ps(xscale[r]);
        for (int v = 0; v < nv; v++) {
            __m512 f = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r][v], offset));
            f = _mm512_mul_ps(f, xs);
            f = _mm512_mul_ps(f, ws[v]);
            f = _mm512_add_ps(f, bias[v]);
            if (add) f = _mm512_add_ps(_mm512_maskz_loadu_ps(mask[v], y + r * ldy + 16 * v), f);
            _mm512_mask_storeu_ps(y + r * ldy + 16 * v, mask[v], f);
        }
    }
}

/* Rows [row_begin, row_end) of a panel, with the first nv of its vectors. */
TARGET static inline __attribute__((always_inline)) void
panel_rows(const uint8_t *data, size_t groups, const tk_rows *x, size_t row_begin, size_t row_end, const int nv,
           const __m512 ws[NV], const __m512 bias[NV], const __mmask16 mask[NV], float *y, size_t ldy, int add)
{
    const size_t ldq = x->ldq;
    size_t r = row_begin;
    for (; r + MR <= row_end; r += MR) {
        block(data, groups, x->q + r * ldq, ldq, MR, nv, x->scale + r, x->sum + r, ws, bias, mask, y + r * ldy, ldy, add);
    }
    /* Each remainder gets its own unrolled copy. */
    const int8_t *xq = x->q + r * ldq;
    const float *xs = x->scale + r;
    const int32_t *xsum = x->sum + r;
    float *yr = y + r * ldy;
    switch (row_end - r) {
    case 5: block(data, groups, xq, ldq, 5, nv, xs, xsum, ws, bias, mask, yr, ldy, add); break;
    case 4: block(data, groups, xq, ldq, 4, nv, xs, xsum, ws, bias, mask, yr, ldy, add); break;
    case 3: block(data, groups, xq, ldq, 3, nv, xs, xsum, ws, bias, mask, yr, ldy, add); break;
    case 2: block(data, groups, xq, ldq, 2, nv, xs, xsum, ws, bias, mask, yr, ldy, add); break;
    case 1: block(data, groups, xq, ldq, 1, nv, xs, xsum, ws, bias, mask, yr, ldy, add); break;
    default: break;
    }
}

/* Lanes [lo, hi) of the 16 starting at column `first`. */
static __mmask16 lanes(unsigned first, unsigned lo, unsigned hi)
{
    const unsigned a = lo > first ? lo - first : 0, b = hi > first ? hi - first : 0;
    const uint32_t below_b = b >= 16 ? 0xffffu : (1u << b) - 1, below_a = a >= 16 ? 0xffffu : (1u << a) - 1;
    return (__mmask16)(below_b & ~below_a);
}

TARGET static void compute_panel(const tk_weights *w, const tk_rows *x, size_t row_begin, size_t row_end,
                                size_t panel, unsigned lo, unsigned hi, float *y, size_t ldy, int add)
{
    const size_t kp = w->kp, first = panel * 16 * NV, groups = kp / 4;
    const uint8_t *data = w->data + first * kp;
    __m512 ws[NV], bias[NV];
    __mmask16 mask[NV];
    for (int v = 0; v < NV; v++) {
        ws[v] = _mm512_load_ps(w->scale + first + 16 * v);
        bias[v] = _mm512_load_ps(w->bias + first + 16 * v);
        mask[v] = lanes(16 * (unsigned)v, lo, hi);
    }
    /* A panel's columns past `hi` need no products: the attention's last panel of
     * 197 keys has 5 columns, one vector of the four. */
    switch ((hi + 15) / 16) {
    case 1: panel_rows(data, groups, x, row_begin, row_end, 1, ws, bias, mask, y, ldy, add); break;
    case 2: panel_rows(data, groups, x, row_begin, row_end, 2, ws, bias, mask, y, ldy, add); break;
    case 3: panel_rows(data, groups, x, row_begin, row_end, 3, ws, bias, mask, y, ldy, add); break;
    default: panel_rows(data, groups, x, row_begin, row_end, NV, ws, bias, mask, y, ldy, add); break;
    }
}

const tk_kernel tk_kernel_avx512vnni = {16 * NV, 4, 1, compute_panel, tk_quantize_avx512, tk_f16_f16c,
                                        TK_BF16_NR_AVX512, tk_bf16_panel_avx512};
/* The same int8 products; bf16 ones by vdpbf16ps. */
const tk_kernel tk_kernel_avx512bf16 = {16 * NV, 4, 1, compute_panel, tk_quantize_avx512, tk_f16_f16c,
                                        TK_BF16_NR_AVX512, tk_bf16_panel_avx512bf16};
#endif

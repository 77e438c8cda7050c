/*
 * The 256-bit x86 product, shared by the AVX2 and AVX-VNNI paths. The file
 * that includes it defines
 *   TILE_KERNEL  the name of the path's tk_kernel,
 *   TILE_TARGET  its target attribute,
 *   TILE_MR      rows per block,
 *   TILE_QUANTIZE the path's quantiser,
 *   TILE_VNNI    1: vpdpbusd (VEX) on W + 128 with the 128 * sum(x) correction,
 *                0: vpmaddubsw on |w| and x * sign(w), whose pair sums stay in
 *                   int16 because |x| <= 127 (2 * 128 * 127 < 2^15).
 * Panels of 16 columns (two ymm of 8 lanes); groups of 4 k. Only 16 ymm
 * registers: 2 * TILE_MR accumulators plus weights and temporaries.
 */
#include "kernel.h"

#include <immintrin.h>
#include <string.h>

#define NV 2

static inline int32_t four_bytes(const int8_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

TILE_TARGET static inline __attribute__((always_inline)) void
block(const uint8_t *panel, size_t groups, const int8_t *xq, size_t ldq, const int mr,
      const float *xscale, const int32_t *xsum, const __m256 ws[NV], const __m256 bias[NV],
      const __m256i mask[NV], int whole, float *y, size_t ldy, int add)
{
    __m256i acc[TILE_MR][NV];
    for (int r = 0; r < TILE_MR; r++) {
        for (int v = 0; v < NV; v++) acc[r][v] = _mm256_setzero_si256();
    }
#if !TILE_VNNI
    const __m256i ones = _mm256_set1_epi16(1);
#endif
    for (size_t g = 0; g < groups; g++) {
        __m256i wv[NV];
        for (int v = 0; v < NV; v++) wv[v] = _mm256_load_si256((const __m256i *)(panel + g * 32 * NV + v * 32));
#if TILE_VNNI
        for (int r = 0; r < mr; r++) {
            const __m256i xv = _mm256_set1_epi32(four_bytes(xq + r * ldq + 4 * g));
            for (int v = 0; v < NV; v++) acc[r][v] = _mm256_dpbusd_avx_epi32(acc[r][v], wv[v], xv);
        }
#else
        __m256i magnitude[NV];
        for (int v = 0; v < NV; v++) magnitude[v] = _mm256_abs_epi8(wv[v]);
        for (int r = 0; r < mr; r++) {
            const __m256i xv = _mm256_set1_epi32(four_bytes(xq + r * ldq + 4 * g));
            for (int v = 0; v < NV; v++) {
                const __m256i pairs = _mm256_maddubs_epi16(magnitude[v], _mm256_sign_epi8(xv, wv[v]));
                acc[r][v] = _mm256_add_epi32(acc[r][v], _mm256_madd_epi16(pairs, ones));
            }
        }
#endif
    }
    for (int r = 0; r < mr; r++) {
#if TILE_VNNI
        const __m256i offset = _mm256_set1_epi32(128 * xsum[r]);
#else
        const __m256i offset = _mm256_setzero_si256();
        (void)xsum;
#endif
        const __m256 xs = _mm256_set1_ps(xscale[r]);
        for (int v = 0; v < NV; v++) {
            __m256 f = _mm256_cvtepi32_ps(_mm256_sub_epi32(acc[r][v], offset));
            f = _mm256_mul_ps(f, xs);
            f = _mm256_mul_ps(f, ws[v]);
            f = _mm256_add_ps(f, bias[v]);
            if (add) {
                const __m256 old = whole ? _mm256_loadu_ps(y + r * ldy + 8 * v) : _mm256_maskload_ps(y + r * ldy + 8 * v, mask[v]);
                f = _mm256_add_ps(old, f);
            }
            if (whole) {
                _mm256_storeu_ps(y + r * ldy + 8 * v, f);
            } else {
                _mm256_maskstore_ps(y + r * ldy + 8 * v, mask[v], f);
            }
        }
    }
}

TILE_TARGET static void compute_panel(const tk_weights *w, const tk_rows *x, size_t row_begin, size_t row_end,
                            size_t panel, unsigned lo, unsigned hi, float *y, size_t ldy, int add)
{
    const size_t kp = w->kp, first = panel * 8 * NV, groups = kp / 4, ldq = x->ldq;
    const uint8_t *data = w->data + first * kp;
    const int whole = lo == 0 && hi == 8 * NV;
    __m256 ws[NV], bias[NV];
    __m256i mask[NV];
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int v = 0; v < NV; v++) {
        ws[v] = _mm256_load_ps(w->scale + first + 8 * v);
        bias[v] = _mm256_load_ps(w->bias + first + 8 * v);
        const __m256i column = _mm256_add_epi32(lane, _mm256_set1_epi32(8 * v));
        mask[v] = _mm256_and_si256(_mm256_cmpgt_epi32(column, _mm256_set1_epi32((int)lo - 1)),
                                   _mm256_cmpgt_epi32(_mm256_set1_epi32((int)hi), column));
    }
    size_t r = row_begin;
    for (; r + TILE_MR <= row_end; r += TILE_MR) {
        block(data, groups, x->q + r * ldq, ldq, TILE_MR, x->scale + r, x->sum + r, ws, bias, mask, whole,
              y + r * ldy, ldy, add);
    }
    /* Each remainder gets its own unrolled copy. */
    const int8_t *xq = x->q + r * ldq;
    const float *xs = x->scale + r;
    const int32_t *xsum = x->sum + r;
    float *yr = y + r * ldy;
    switch (row_end - r) {
#if TILE_MR > 5
    case 5: block(data, groups, xq, ldq, 5, xs, xsum, ws, bias, mask, whole, yr, ldy, add); break;
    case 4: block(data, groups, xq, ldq, 4, xs, xsum, ws, bias, mask, whole, yr, ldy, add); break;
#endif
    case 3: block(data, groups, xq, ldq, 3, xs, xsum, ws, bias, mask, whole, yr, ldy, add); break;
    case 2: block(data, groups, xq, ldq, 2, xs, xsum, ws, bias, mask, whole, yr, ldy, add); break;
    case 1: block(data, groups, xq, ldq, 1, xs, xsum, ws, bias, mask, whole, yr, ldy, add); break;
    default: break;
    }
}

const tk_kernel TILE_KERNEL = {8 * NV, 4, TILE_VNNI, compute_panel, TILE_QUANTIZE, tk_f16_f16c,
                               TK_BF16_NR_AVX2, tk_bf16_panel_avx2};

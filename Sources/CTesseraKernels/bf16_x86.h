/*
 * The x86 bf16 products, shared by three paths. The file that includes it defines
 *   BF16_PANEL   the panel function's name,
 *   BF16_TARGET  its target attribute,
 *   BF16_WIDTH   512 (zmm, 16 lanes) or 256 (ymm, 8 lanes),
 *   BF16_NV      vectors per panel (panel width: BF16_NV lanes-wide vectors),
 *   BF16_MR      rows per block,
 *   BF16_NATIVE  1: vdpbf16ps on the packed pairs (it always flushes subnormals);
 *                0: each pair widened to f32 (the odd k is the word's high half,
 *                   the even k its low half shifted up) and two fused multiply-adds,
 *                   odd first, with the CPU's flush-to-zero mode set for the loop.
 * Each k pair of a panel is BF16_NV vectors of packed words; each activation
 * row's pair is broadcast. The epilogue (bias, the add to y) runs in the caller's
 * mode, as the scalar path's does.
 */
#include "kernel.h"

#include <immintrin.h>

#if BF16_WIDTH == 512
#define LANES 16
#define VF __m512
#define VI __m512i
#define MASK __mmask16
#define LOADI(p) _mm512_load_si512((const void *)(p))
#define SET1I(v) _mm512_set1_epi32(v)
#define SET1F(v) _mm512_set1_ps(v)
#define ZERO() _mm512_setzero_ps()
#define HIGH(v) _mm512_castsi512_ps(_mm512_and_si512(v, _mm512_set1_epi32((int)0xffff0000u)))
#define LOW(v) _mm512_castsi512_ps(_mm512_slli_epi32(v, 16))
#define FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define ADD(a, b) _mm512_add_ps(a, b)
#define LOADF(p) _mm512_load_ps(p)
#define MASKED_LOAD(m, p) _mm512_maskz_loadu_ps(m, p)
#define MASKED_STORE(p, m, v) _mm512_mask_storeu_ps(p, m, v)
#define DOT(acc, w, x) _mm512_dpbf16_ps(acc, (__m512bh)(w), (__m512bh)(x))
#else
#define LANES 8
#define VF __m256
#define VI __m256i
#define MASK __m256i
#define LOADI(p) _mm256_load_si256((const void *)(p))
#define SET1I(v) _mm256_set1_epi32(v)
#define SET1F(v) _mm256_set1_ps(v)
#define ZERO() _mm256_setzero_ps()
#define HIGH(v) _mm256_castsi256_ps(_mm256_and_si256(v, _mm256_set1_epi32((int)0xffff0000u)))
#define LOW(v) _mm256_castsi256_ps(_mm256_slli_epi32(v, 16))
#define FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define ADD(a, b) _mm256_add_ps(a, b)
#define LOADF(p) _mm256_load_ps(p)
#define MASKED_LOAD(m, p) _mm256_maskload_ps(p, m)
#define MASKED_STORE(p, m, v) _mm256_maskstore_ps(p, m, v)
#endif

static inline int32_t pair_word(const uint16_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

BF16_TARGET static inline __attribute__((always_inline)) void
block(const uint16_t *panel, size_t pairs, const uint16_t *x, size_t ldx, const int mr, const int nv,
      const VF bias[BF16_NV], const MASK mask[BF16_NV], float *y, size_t ldy, int add)
{
    VF acc[BF16_MR][BF16_NV];
    for (int r = 0; r < BF16_MR; r++) {
        for (int v = 0; v < BF16_NV; v++) acc[r][v] = ZERO();
    }
#if !BF16_NATIVE
    const unsigned mode = _mm_getcsr();
    _mm_setcsr(mode | 0x8000u); /* flush to zero */
#endif
    for (size_t p = 0; p < pairs; p++) {
        const uint16_t *wp = panel + p * 2 * LANES * BF16_NV;
        VI wv[BF16_NV];
        for (int v = 0; v < nv; v++) wv[v] = LOADI(wp + 2 * LANES * v);
#if BF16_NATIVE
        for (int r = 0; r < mr; r++) {
            const VI xv = SET1I(pair_word(x + r * ldx + 2 * p));
            for (int v = 0; v < nv; v++) acc[r][v] = DOT(acc[r][v], wv[v], xv);
        }
#else
        VF odd[BF16_NV], even[BF16_NV];
        for (int v = 0; v < nv; v++) {
            odd[v] = HIGH(wv[v]);
            even[v] = LOW(wv[v]);
        }
        for (int r = 0; r < mr; r++) {
            const uint16_t *xp = x + r * ldx + 2 * p;
            const VF xo = SET1F(tk_bf16_widen(xp[1])), xe = SET1F(tk_bf16_widen(xp[0]));
            for (int v = 0; v < nv; v++) acc[r][v] = FMA(even[v], xe, FMA(odd[v], xo, acc[r][v]));
        }
#endif
    }
#if !BF16_NATIVE
    _mm_setcsr(mode);
#endif
    for (int r = 0; r < mr; r++) {
        for (int v = 0; v < nv; v++) {
            VF f = ADD(acc[r][v], bias[v]);
            if (add) f = ADD(MASKED_LOAD(mask[v], y + r * ldy + LANES * v), f);
            MASKED_STORE(y + r * ldy + LANES * v, mask[v], f);
        }
    }
}

/* Rows [row_begin, row_end) of a panel, with its first nv vectors. */
BF16_TARGET static inline __attribute__((always_inline)) void
panel_rows(const uint16_t *data, size_t pairs, const uint16_t *x, size_t ldx, size_t row_begin, size_t row_end,
           const int nv, const VF bias[BF16_NV], const MASK mask[BF16_NV], float *y, size_t ldy, int add)
{
    size_t r = row_begin;
    for (; r + BF16_MR <= row_end; r += BF16_MR) {
        block(data, pairs, x + r * ldx, ldx, BF16_MR, nv, bias, mask, y + r * ldy, ldy, add);
    }
    /* Each remainder gets its own unrolled copy. */
    const uint16_t *xr = x + r * ldx;
    float *yr = y + r * ldy;
    switch (row_end - r) {
#if BF16_MR > 5
    case 5: block(data, pairs, xr, ldx, 5, nv, bias, mask, yr, ldy, add); break;
    case 4: block(data, pairs, xr, ldx, 4, nv, bias, mask, yr, ldy, add); break;
#endif
    case 3: block(data, pairs, xr, ldx, 3, nv, bias, mask, yr, ldy, add); break;
    case 2: block(data, pairs, xr, ldx, 2, nv, bias, mask, yr, ldy, add); break;
    case 1: block(data, pairs, xr, ldx, 1, nv, bias, mask, yr, ldy, add); break;
    default: break;
    }
}

/* Lanes [lo, hi) of the LANES starting at column `first`. */
BF16_TARGET static inline MASK lanes(unsigned first, unsigned lo, unsigned hi)
{
    const unsigned a = lo > first ? lo - first : 0, b = hi > first ? hi - first : 0;
#if BF16_WIDTH == 512
    const uint32_t below_b = b >= 16 ? 0xffffu : (1u << b) - 1, below_a = a >= 16 ? 0xffffu : (1u << a) - 1;
    return (MASK)(below_b & ~below_a);
#else
    int32_t m[8];
    for (unsigned i = 0; i < 8; i++) m[i] = i >= a && i < b ? -1 : 0;
    return _mm256_loadu_si256((const __m256i *)m);
#endif
}

BF16_TARGET void BF16_PANEL(const tk_bf16_weights *w, const uint16_t *x, size_t ldx, size_t row_begin,
                            size_t row_end, size_t panel, unsigned lo, unsigned hi, float *y, size_t ldy, int add)
{
    const size_t first = panel * LANES * BF16_NV, pairs = w->kp / 2;
    const uint16_t *data = w->data + first * w->kp;
    VF bias[BF16_NV];
    MASK mask[BF16_NV];
    for (int v = 0; v < BF16_NV; v++) {
        bias[v] = LOADF(w->bias + first + LANES * v);
        mask[v] = lanes(LANES * (unsigned)v, lo, hi);
    }
    /* A panel's columns past `hi` need no products. */
    switch ((hi + LANES - 1) / LANES) {
    case 1: panel_rows(data, pairs, x, ldx, row_begin, row_end, 1, bias, mask, y, ldy, add); break;
#if BF16_NV > 2
    case 2: panel_rows(data, pairs, x, ldx, row_begin, row_end, 2, bias, mask, y, ldy, add); break;
    case 3: panel_rows(data, pairs, x, ldx, row_begin, row_end, 3, bias, mask, y, ldy, add); break;
#endif
    default: panel_rows(data, pairs, x, ldx, row_begin, row_end, BF16_NV, bias, mask, y, ldy, add); break;
    }
}

/* The operands of bf16 products between two f32 matrices (training's products): rows rounded
 * and weights packed from a matrix held either way, row by row or column by column, so that no
 * caller transposes first (tessera_kernels.h). Two of the four cases transpose: there AVX-512
 * rounds blocks of 16 rows by 32 values and transposes their 16 x 16 pairs in registers; the
 * portable loops below are the definition and do the edges. The same bits either way. */
#include "kernel.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* Rows [r0, r1), values [i0, k) (i0 even) of the transpose of x (element (r, i) at x[r + i*cs]) into out. */
static inline __attribute__((always_inline)) void
round_columns(const float *x, size_t cs, size_t r0, size_t r1, size_t i0, size_t k, uint16_t *out, size_t ldo)
{
    for (size_t r = r0; r < r1; r++) {
        for (size_t i = i0; i < k; i++) out[r * ldo + i] = tk_round_bf16(x[i * cs + r]);
        if (k % 2 == 1) out[r * ldo + k] = 0;
    }
}

/* Where column c's pair p of packed lives: data[panel(c) + (p*nr + c%nr)*2]. */
static inline uint16_t *packed_pair(const tk_bf16_weights *packed, size_t c, size_t p)
{
    const size_t nr = packed->kernel->bf16_nr;
    return packed->data + c / nr * nr * packed->kp + (p * nr + c % nr) * 2;
}

/* Columns [c0, c1), values [i0, k) (i0 even) of w held as rows (element (c, i) at w[c*rs + i]). */
static inline __attribute__((always_inline)) void
fill_rows(tk_bf16_weights *packed, const float *w, size_t rs, size_t c0, size_t c1, size_t i0)
{
    for (size_t c = c0; c < c1; c++) {
        for (size_t i = i0; i < packed->k; i++) packed_pair(packed, c, i / 2)[i % 2] = tk_round_bf16(w[c * rs + i]);
    }
}

/* Columns [c0, c1), values [i0, k) (i0 even) of w held as columns (element (c, i) at w[c + i*cs]):
 * each pair of source rows interleaved into a run of the panel's pair row. */
static inline __attribute__((always_inline)) void
fill_columns(tk_bf16_weights *packed, const float *w, size_t cs, size_t c0, size_t c1, size_t i0)
{
    const size_t nr = packed->kernel->bf16_nr, k = packed->k;
    for (size_t p0 = c0 / nr * nr; p0 < c1; p0 += nr) {
        const size_t lo = p0 > c0 ? p0 : c0, hi = p0 + nr < c1 ? p0 + nr : c1;
        for (size_t i = i0; i < k; i += 2) {
            const float *x0 = w + i * cs, *x1 = x0 + cs;
            uint16_t *dst = packed_pair(packed, lo, i / 2);
            if (i + 1 < k) {
                for (size_t c = lo; c < hi; c++) {
                    dst[(c - lo) * 2] = tk_round_bf16(x0[c]);
                    dst[(c - lo) * 2 + 1] = tk_round_bf16(x1[c]);
                }
            } else {
                for (size_t c = lo; c < hi; c++) dst[(c - lo) * 2] = tk_round_bf16(x0[c]);
            }
        }
    }
}

static void round_columns_portable(const float *x, size_t cs, size_t m, size_t k, uint16_t *out, size_t ldo)
{
    round_columns(x, cs, 0, m, 0, k, out, ldo);
}

static void fill_portable(tk_bf16_weights *packed, const float *w, size_t rs, size_t cs, size_t c0, size_t c1)
{
    if (cs == 1) {
        fill_rows(packed, w, rs, c0, c1, 0);
    } else {
        fill_columns(packed, w, cs, c0, c1, 0);
    }
}

#if defined(__x86_64__)
#define AVX512 __attribute__((target("avx512f,avx512bw")))

/* tk_round_bf16 of 16 floats, each in the low half of a 32-bit lane. */
AVX512 static inline __m512i round16(const float *x)
{
    const __m512i bits = _mm512_loadu_si512(x);
    const __m512i high = _mm512_srli_epi32(bits, 16);
    const __m512i magnitude = _mm512_and_si512(bits, _mm512_set1_epi32(0x7fffffff));
    const __m512i nan = _mm512_or_si512(high, _mm512_set1_epi32(0x40));
    const __m512i zero = _mm512_and_si512(high, _mm512_set1_epi32(0x8000));
    const __m512i odd = _mm512_and_si512(high, _mm512_set1_epi32(1));
    const __m512i rounded = _mm512_srli_epi32(_mm512_add_epi32(bits, _mm512_add_epi32(odd, _mm512_set1_epi32(0x7fff))), 16);
    __m512i out = _mm512_mask_blend_epi32(_mm512_cmplt_epu32_mask(magnitude, _mm512_set1_epi32(0x00800000)), rounded, zero);
    return _mm512_mask_blend_epi32(_mm512_cmpgt_epu32_mask(magnitude, _mm512_set1_epi32(0x7f800000)), out, nan);
}

/* Pairs: lane j = a[j] | b[j] << 16. */
AVX512 static inline __m512i pairs(__m512i a, __m512i b)
{
    return _mm512_or_si512(a, _mm512_slli_epi32(b, 16));
}

/* 32 consecutive floats as 16 pairs: lane p = (x[2p], x[2p + 1]). */
AVX512 static inline __m512i row_pairs(const float *x)
{
    const __m256i lo = _mm512_cvtepi32_epi16(round16(x)), hi = _mm512_cvtepi32_epi16(round16(x + 16));
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

/* v[a][b] becomes v[b][a], 32-bit lanes: for each bit s of the index, lanes with the bit set in
 * vector p (bit clear) swap with lanes with it clear in vector p | s. */
AVX512 static inline void transpose16(__m512i v[16])
{
    for (int s = 1; s < 16; s <<= 1) {
        int low[16], high[16];
        for (int r = 0; r < 16; r++) {
            low[r] = r & s ? 16 + r - s : r;
            high[r] = r & s ? 16 + r : r + s;
        }
        const __m512i lo = _mm512_loadu_si512(low), hi = _mm512_loadu_si512(high);
        for (int p = 0; p < 16; p++) {
            if (p & s) continue;
            const __m512i a = v[p], b = v[p | s];
            v[p] = _mm512_permutex2var_epi32(a, lo, b);
            v[p | s] = _mm512_permutex2var_epi32(a, hi, b);
        }
    }
}

AVX512 static void round_columns_avx512(const float *x, size_t cs, size_t m, size_t k, uint16_t *out, size_t ldo)
{
    const size_t whole = m / 16 * 16, deep = k / 32 * 32;
    for (size_t r = 0; r < whole; r += 16) {
        for (size_t i = 0; i < deep; i += 32) {
            __m512i v[16];  /* v[p]: lane q holds row r + q's pair p */
            for (int p = 0; p < 16; p++) v[p] = pairs(round16(x + (i + 2 * p) * cs + r), round16(x + (i + 2 * p + 1) * cs + r));
            transpose16(v);
            for (int q = 0; q < 16; q++) _mm512_storeu_si512(out + (r + q) * ldo + i, v[q]);
        }
        round_columns(x, cs, r, r + 16, deep, k, out, ldo);
    }
    round_columns(x, cs, whole, m, 0, k, out, ldo);
}

/* fill_columns 16 columns at a time: a pair of source rows rounded and interleaved in registers. */
AVX512 static void fill_columns_avx512(tk_bf16_weights *packed, const float *w, size_t cs, size_t c0, size_t c1)
{
    const size_t nr = packed->kernel->bf16_nr, even = packed->k / 2 * 2;
    size_t c = c0;
    while (c < c1) {
        if (c % nr + 16 > nr || c + 16 > c1) {
            fill_columns(packed, w, cs, c, c + 1, 0);
            c++;
            continue;
        }
        for (size_t i = 0; i < even; i += 2) {
            _mm512_storeu_si512(packed_pair(packed, c, i / 2), pairs(round16(w + i * cs + c), round16(w + (i + 1) * cs + c)));
        }
        fill_columns(packed, w, cs, c, c + 16, even);  /* an odd k's last value */
        c += 16;
    }
}

AVX512 static void fill_avx512(tk_bf16_weights *packed, const float *w, size_t rs, size_t cs, size_t c0, size_t c1)
{
    if (cs != 1) return fill_columns_avx512(packed, w, cs, c0, c1);
    const size_t nr = packed->kernel->bf16_nr, deep = packed->k / 32 * 32;
    size_t c = c0;
    while (c < c1) {
        if (c % nr + 16 > nr || c + 16 > c1) {  /* a block of 16 would leave the panel or the range */
            fill_rows(packed, w, rs, c, c + 1, 0);
            c++;
            continue;
        }
        for (size_t i = 0; i < deep; i += 32) {
            __m512i v[16];  /* v[j]: lane p holds column c + j's pair i/2 + p */
            for (int j = 0; j < 16; j++) v[j] = row_pairs(w + (c + (size_t)j) * rs + i);
            transpose16(v);
            for (int p = 0; p < 16; p++) _mm512_storeu_si512(packed_pair(packed, c, i / 2 + (size_t)p), v[p]);
        }
        fill_rows(packed, w, rs, c, c + 16, deep);
        c += 16;
    }
}
#endif

tk_status tk_bf16_round_strided(const float *x, size_t rs, size_t cs, size_t m, size_t k, uint16_t *out, size_t ldo)
{
    if (cs == 1) return tk_bf16_round_rows(x, rs, m, k, out, ldo);
    if (m == 0) return TK_OK;
    if (x == NULL || out == NULL || k == 0 || rs != 1 || cs < m || ldo < tk_bf16_padded_k(k)) return TK_ERR_ARGUMENT;
#if defined(__x86_64__)
    if (tk_path_supported(TK_PATH_AVX512VNNI)) {
        round_columns_avx512(x, cs, m, k, out, ldo);
        return TK_OK;
    }
#endif
    round_columns_portable(x, cs, m, k, out, ldo);
    return TK_OK;
}

tk_status tk_bf16_weights_fill_f32(tk_bf16_weights *weights, const float *w, size_t rs, size_t cs, size_t col_begin,
                                   size_t col_end)
{
    if (weights == NULL || w == NULL || col_begin > col_end || col_end > weights->n) return TK_ERR_ARGUMENT;
    if ((cs != 1 && rs != 1) || (cs == 1 ? rs < weights->k : cs < weights->n)) return TK_ERR_ARGUMENT;
#if defined(__x86_64__)
    if (tk_path_supported(TK_PATH_AVX512VNNI)) {
        fill_avx512(weights, w, rs, cs, col_begin, col_end);
        return TK_OK;
    }
#endif
    fill_portable(weights, w, rs, cs, col_begin, col_end);
    return TK_OK;
}

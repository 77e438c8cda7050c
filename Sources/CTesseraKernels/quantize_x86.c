/* The AVX-512 and AVX2 quantisers. Multiplying, rounding half to even
 * (explicitly, not through MXCSR) and clamping are exact steps, so they give
 * the scalar quantiser's bytes; the absmax is exact in any order. */
#include "kernel.h"
#if defined(__x86_64__)

#include <float.h>
#include <immintrin.h>

#define NEAREST_EVEN (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

/* Lanes [0, count) of 16, for a row's last partial vector. */
static inline __mmask16 first_lanes(size_t count)
{
    return count >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << count) - 1);
}

__attribute__((target("avx512f,avx512bw,avx512vl")))
static inline void quantize16(const float *from, __mmask16 valid, __m512 by, int8_t *to, __m512i *total)
{
    const __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(valid, from), by);
    __m512i n = _mm512_cvt_roundps_epi32(v, NEAREST_EVEN);
    n = _mm512_min_epi32(_mm512_max_epi32(n, _mm512_set1_epi32(-127)), _mm512_set1_epi32(127));
    *total = _mm512_add_epi32(*total, n);
    _mm_storeu_si128((__m128i *)to, _mm512_cvtepi32_epi8(n));
}

/* The largest magnitude of row xr[k], and whether it holds an infinity or NaN:
 * whole vectors unmasked, two running maxima. */
__attribute__((target("avx512f,avx512bw,avx512vl")))
static inline float row_absmax(const float *xr, size_t k, size_t whole, int *bad)
{
    const __m512 largest = _mm512_set1_ps(FLT_MAX);
    __m512 most = _mm512_setzero_ps(), most2 = _mm512_setzero_ps();
    __mmask16 nonfinite = 0;
    size_t i = 0;
    for (; i + 32 <= whole; i += 32) {
        const __m512 a = _mm512_abs_ps(_mm512_loadu_ps(xr + i)), b = _mm512_abs_ps(_mm512_loadu_ps(xr + i + 16));
        nonfinite |= _mm512_cmp_ps_mask(a, largest, _CMP_NLE_UQ) | _mm512_cmp_ps_mask(b, largest, _CMP_NLE_UQ);
        most = _mm512_max_ps(most, a);
        most2 = _mm512_max_ps(most2, b);
    }
    for (; i < k; i += 16) {
        const __m512 a = _mm512_abs_ps(_mm512_maskz_loadu_ps(first_lanes(k - i), xr + i));
        nonfinite |= _mm512_cmp_ps_mask(a, largest, _CMP_NLE_UQ);
        most = _mm512_max_ps(most, a);
    }
    *bad = nonfinite != 0;
    return _mm512_reduce_max_ps(_mm512_max_ps(most, most2));
}

/* Rows are taken in batches: their maxima first, then their scales in two
 * divisions for all (IEEE division is exact per lane, so these are
 * tk_row_scale's values), then their bytes. One row at a time, the chain
 * maximum -> reduction -> divisions -> bytes -> sum kept short rows (the
 * attention's heads of 64: 13 -> 10 ns a row on Zen 4) waiting on latency. A
 * batch holds at most TK_BATCH_FLOATS floats, so that the second pass finds its
 * rows still in L1. */
#define TK_BATCH 16
#define TK_BATCH_FLOATS 8192

__attribute__((target("avx512f,avx512bw,avx512vl")))
size_t tk_quantize_avx512(const float *x, size_t ldx, size_t m, size_t k,
                          int8_t *q, size_t ldq, float *scale, int32_t *sum)
{
    const size_t kp = tk_padded_k(k), whole = k / 16 * 16;
    const size_t batch = k >= TK_BATCH_FLOATS ? 1 : TK_BATCH_FLOATS / k < TK_BATCH ? TK_BATCH_FLOATS / k : TK_BATCH;
    size_t first_bad = m;
    for (size_t r0 = 0; r0 < m; r0 += batch) {
        const size_t rows = m - r0 < batch ? m - r0 : batch;
        float most[TK_BATCH], inverse[TK_BATCH];
        int bad[TK_BATCH];
        for (size_t r = 0; r < rows; r++) most[r] = row_absmax(x + (r0 + r) * ldx, k, whole, &bad[r]);
        const __mmask16 live = first_lanes(rows);
        const __m512 a = _mm512_maskz_loadu_ps(live, most);
        /* Below 2^-120 the inverse would overflow: such rows count as zero (tk_row_scale). */
        const __mmask16 zero = _mm512_cmp_ps_mask(a, _mm512_set1_ps(0x1p-120f), _CMP_LT_OQ);
        _mm512_mask_storeu_ps(scale + r0, live, _mm512_maskz_div_ps(~zero, a, _mm512_set1_ps(127.0f)));
        _mm512_mask_storeu_ps(inverse, live, _mm512_maskz_div_ps(~zero, _mm512_set1_ps(127.0f), a));
        for (size_t r = 0; r < rows; r++) {
            const float *xr = x + (r0 + r) * ldx;
            int8_t *qr = q + (r0 + r) * ldq;
            if (bad[r]) { /* infinities and NaNs */
                tk_quantize_bad_row(qr, kp, &scale[r0 + r], &sum[r0 + r]);
                if (first_bad == m) first_bad = r0 + r;
                continue;
            }
            const __m512 by = _mm512_set1_ps(inverse[r]);
            __m512i total = _mm512_setzero_si512();
            for (size_t i = 0; i < whole; i += 16) quantize16(xr + i, 0xffff, by, qr + i, &total);
            if (whole < k) quantize16(xr + whole, first_lanes(k - whole), by, qr + whole, &total); /* and the padding's zeros */
            sum[r0 + r] = _mm512_reduce_add_epi32(total);
        }
    }
    return first_bad;
}

__attribute__((target("avx2,fma")))
static __m256i quantize8(const float *xr, size_t i, size_t k, __m256 by)
{
    const __m256i valid = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(k > i ? k - i : 0)),
                                             _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const __m256 v = _mm256_mul_ps(_mm256_maskload_ps(xr + i, valid), by);
    const __m256i n = _mm256_cvtps_epi32(_mm256_round_ps(v, NEAREST_EVEN)); /* exact: integral */
    return _mm256_min_epi32(_mm256_max_epi32(n, _mm256_set1_epi32(-127)), _mm256_set1_epi32(127));
}

__attribute__((target("avx2,fma")))
size_t tk_quantize_avx2(const float *x, size_t ldx, size_t m, size_t k,
                        int8_t *q, size_t ldq, float *scale, int32_t *sum)
{
    const size_t kp = tk_padded_k(k);
    const __m256 largest = _mm256_set1_ps(FLT_MAX);
    const __m256 magnitude_bits = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    size_t first_bad = m;
    for (size_t r = 0; r < m; r++) {
        const float *xr = x + r * ldx;
        int8_t *qr = q + r * ldq;
        __m256 most = _mm256_setzero_ps(), bad = _mm256_setzero_ps();
        for (size_t i = 0; i < k; i += 8) {
            const __m256i valid = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(k - i)), lane);
            const __m256 a = _mm256_and_ps(_mm256_maskload_ps(xr + i, valid), magnitude_bits);
            bad = _mm256_or_ps(bad, _mm256_cmp_ps(a, largest, _CMP_NLE_UQ)); /* infinities and NaNs */
            most = _mm256_max_ps(most, a);
        }
        if (_mm256_movemask_ps(bad)) {
            tk_quantize_bad_row(qr, kp, &scale[r], &sum[r]);
            if (first_bad == m) first_bad = r;
            continue;
        }
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(most), _mm256_extractf128_ps(most, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
        float inverse;
        tk_row_scale(_mm_cvtss_f32(m4), &scale[r], &inverse);
        const __m256 by = _mm256_set1_ps(inverse);
        __m256i total = _mm256_setzero_si256();
        for (size_t i = 0; i < kp; i += 16) { /* the padding loads as 0 and stores zeros */
            const __m256i a = quantize8(xr, i, k, by), b = quantize8(xr, i + 8, k, by);
            total = _mm256_add_epi32(total, _mm256_add_epi32(a, b));
            /* packs works within 128-bit lanes: restore the order before the last pack. */
            const __m256i words = _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), 0xd8);
            const __m128i bytes = _mm_packs_epi16(_mm256_castsi256_si128(words), _mm256_extracti128_si256(words, 1));
            _mm_storeu_si128((__m128i *)(qr + i), bytes);
        }
        __m128i t4 = _mm_add_epi32(_mm256_castsi256_si128(total), _mm256_extracti128_si256(total, 1));
        t4 = _mm_add_epi32(t4, _mm_unpackhi_epi64(t4, t4));
        t4 = _mm_add_epi32(t4, _mm_shuffle_epi32(t4, 1));
        sum[r] = _mm_cvtsi128_si32(t4);
    }
    return first_bad;
}
#endif

/* bf16 products: rounding activations, the definition, packing weights once at
 * load, and the walk over a request's panels (tessera_kernels.h). */
#include "kernel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

size_t tk_bf16_padded_k(size_t k)
{
    return (k + 1) / 2 * 2;
}

static inline __attribute__((always_inline)) void
round_rows(const float *x, size_t ldx, size_t m, size_t k, uint16_t *out, size_t ldo)
{
    const size_t kp = tk_bf16_padded_k(k);
    for (size_t r = 0; r < m; r++) {
        const float *xr = x + r * ldx;
        uint16_t *o = out + r * ldo;
        for (size_t i = 0; i < k; i++) o[i] = tk_round_bf16(xr[i]);
        for (size_t i = k; i < kp; i++) o[i] = 0;
    }
}

static void round_portable(const float *x, size_t ldx, size_t m, size_t k, uint16_t *out, size_t ldo)
{
    round_rows(x, ldx, m, k, out, ldo);
}

#if defined(__x86_64__)
/* The same code at AVX-512's width (6x the portable SSE2 loop on Zen 4). */
__attribute__((target("avx512f,avx512bw")))
static void round_avx512(const float *x, size_t ldx, size_t m, size_t k, uint16_t *out, size_t ldo)
{
    round_rows(x, ldx, m, k, out, ldo);
}
#endif

#if defined(__x86_64__)
/* vcvtneps2bf16 rounds exactly as round_bf16 does (to nearest even, NaN made quiet with its top
 * payload, subnormal inputs taken as zero of their sign): 3x the AVX-512 integer code. */
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
static void round_avx512bf16(const float *x, size_t ldx, size_t m, size_t k, uint16_t *out, size_t ldo)
{
    const size_t kp = tk_bf16_padded_k(k);
    for (size_t r = 0; r < m; r++) {
        const float *xr = x + r * ldx;
        uint16_t *o = out + r * ldo;
        for (size_t i = 0; i < k; i += 16) {
            const __mmask16 lanes = k - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (k - i)) - 1);
            const __m256bh b = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(lanes, xr + i));
            _mm256_mask_storeu_epi16(o + i, lanes, (__m256i)b);
        }
        if (kp > k) o[k] = 0;
    }
}
#endif

tk_status tk_bf16_round_rows(const float *x, size_t ldx, size_t m, size_t k, uint16_t *out, size_t ldo)
{
    if (m == 0) return TK_OK;
    if (x == NULL || out == NULL || k == 0 || ldx < k || ldo < tk_bf16_padded_k(k)) return TK_ERR_ARGUMENT;
#if defined(__x86_64__)
    if (tk_path_supported(TK_PATH_AVX512BF16)) {
        round_avx512bf16(x, ldx, m, k, out, ldo);
        return TK_OK;
    }
    if (tk_path_supported(TK_PATH_AVX512VNNI)) {
        round_avx512(x, ldx, m, k, out, ldo);
        return TK_OK;
    }
#endif
    round_portable(x, ldx, m, k, out, ldo);
    return TK_OK;
}

float tk_bf16_dot(const uint16_t *x, const uint16_t *w, size_t kp)
{
    float acc = 0.0f;
    for (size_t i = 0; i + 1 < kp; i += 2) acc = tk_bf16_pair(acc, x[i], x[i + 1], w[i], w[i + 1]);
    return acc;
}

/* A weight as the products take it: subnormals are zero, as vdpbf16ps reads them. */
static inline uint16_t weight_value(uint16_t h)
{
    return (h & 0x7f80u) == 0 ? (uint16_t)(h & 0x8000u) : h;
}

tk_status tk_bf16_weights_pack(tk_path path, const uint16_t *w, size_t ldw, size_t n, size_t k,
                               const float *bias, tk_bf16_weights **out)
{
    if (out == NULL) return TK_ERR_ARGUMENT;
    *out = NULL;
    if (!tk_path_supported(path)) return TK_ERR_PATH;
    if (w == NULL || n == 0 || k == 0 || ldw < k) return TK_ERR_ARGUMENT;
    if (bias != NULL && !tk_all_finite(bias, n)) return TK_ERR_NONFINITE;
    tk_bf16_weights *packed;
    const tk_status status = tk_bf16_weights_alloc(path, n, k, &packed);
    if (status != TK_OK) return status;
    const size_t nr = packed->kernel->bf16_nr, kp = packed->kp;
    for (size_t c = 0; c < n; c++) {
        uint16_t *panel = packed->data + c / nr * nr * kp;
        const size_t j = c % nr;
        for (size_t i = 0; i < k; i++) panel[(i / 2 * nr + j) * 2 + i % 2] = weight_value(w[c * ldw + i]);
    }
    if (bias != NULL) memcpy(packed->bias, bias, n * sizeof(float));
    *out = packed;
    return TK_OK;
}

/* The layout of n columns of k for path: panels of nr columns, k padded to even. */
static int layout(tk_path path, size_t n, size_t k, size_t *columns, size_t *kp)
{
    const size_t nr = tk_kernel_for(path)->bf16_nr;
    *kp = tk_bf16_padded_k(k);
    *columns = (n + nr - 1) / nr * nr;
    return *columns <= SIZE_MAX / 4 / *kp;
}

/* Where place puts the parts: the struct, the data, the bias, each at a multiple of 64 bytes. */
static size_t round64(size_t bytes) { return (bytes + 63) / 64 * 64; }

size_t tk_bf16_weights_bytes(tk_path path, size_t n, size_t k)
{
    size_t columns, kp;
    if (!tk_path_supported(path) || n == 0 || k == 0 || !layout(path, n, k, &columns, &kp)) return 0;
    return round64(sizeof(tk_bf16_weights)) + round64(columns * kp * sizeof(uint16_t)) + columns * sizeof(float);
}

tk_status tk_bf16_weights_place(tk_path path, size_t n, size_t k, void *memory, size_t bytes, tk_bf16_weights **out)
{
    if (out == NULL) return TK_ERR_ARGUMENT;
    *out = NULL;
    if (!tk_path_supported(path)) return TK_ERR_PATH;
    const size_t need = tk_bf16_weights_bytes(path, n, k);
    if (need == 0 || memory == NULL || bytes < need || (uintptr_t)memory % 64 != 0) return TK_ERR_ARGUMENT;
    size_t columns, kp;
    layout(path, n, k, &columns, &kp);
    tk_bf16_weights *placed = memory;
    memset(placed, 0, sizeof *placed);
    placed->kernel = tk_kernel_for(path);
    placed->n = n;
    placed->k = k;
    placed->kp = kp;
    placed->panels = columns / placed->kernel->bf16_nr;
    placed->data = (uint16_t *)((char *)memory + round64(sizeof *placed));
    placed->bias = (float *)((char *)placed->data + round64(columns * kp * sizeof(uint16_t)));
    memset(placed->bias, 0, columns * sizeof(float));
    /* Only the pads: the columns past n, and an odd k's last pair's second value. */
    const size_t nr = placed->kernel->bf16_nr;
    memset(placed->data + n / nr * nr * kp, 0, (columns - n / nr * nr) * kp * sizeof(uint16_t));
    if (k % 2 == 1) {
        for (size_t c = 0; c < n / nr * nr; c++) placed->data[c / nr * nr * kp + ((kp / 2 - 1) * nr + c % nr) * 2 + 1] = 0;
    }
    *out = placed;
    return TK_OK;
}

tk_status tk_bf16_weights_alloc(tk_path path, size_t n, size_t k, tk_bf16_weights **out)
{
    if (out == NULL) return TK_ERR_ARGUMENT;
    *out = NULL;
    const size_t bytes = tk_bf16_weights_bytes(path, n, k);
    if (bytes == 0) return tk_path_supported(path) ? TK_ERR_ARGUMENT : TK_ERR_PATH;
    void *memory = aligned_alloc(64, round64(bytes));
    if (memory == NULL) return TK_ERR_MEMORY;
    const tk_status status = tk_bf16_weights_place(path, n, k, memory, bytes, out);
    if (status != TK_OK) {
        free(memory);
        return status;
    }
    (*out)->owned = 1;
    return TK_OK;
}

void tk_bf16_weights_free(tk_bf16_weights *weights)
{
    if (weights != NULL && weights->owned) free(weights);  /* one block: the struct, then its data and bias */
}

size_t tk_bf16_weights_column_block(const tk_bf16_weights *weights)
{
    return weights->kernel->bf16_nr;
}

tk_status tk_bf16_gemm(const tk_bf16_weights *weights, const uint16_t *x, size_t ldx,
                       size_t row_begin, size_t row_end, size_t col_begin, size_t col_end,
                       float *y, size_t ldy, int add)
{
    if (weights == NULL || x == NULL || y == NULL) return TK_ERR_ARGUMENT;
    if (row_begin > row_end || col_begin > col_end || col_end > weights->n) return TK_ERR_ARGUMENT;
    if (ldx < weights->kp || (row_end - row_begin > 1 && ldy < col_end)) return TK_ERR_ARGUMENT;
    if (row_begin == row_end || col_begin == col_end) return TK_OK;

    const tk_kernel *kernel = weights->kernel;
    const size_t nr = kernel->bf16_nr;
    for (size_t p = col_begin / nr; p * nr < col_end; p++) {
        const tk_panel_columns span = tk_panel_span(p, nr, col_begin, col_end);
        kernel->bf16_panel(weights, x, ldx, row_begin, row_end, p, span.lo, span.hi, y + p * nr, ldy, add);
    }
    return TK_OK;
}

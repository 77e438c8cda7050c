/* tk_softmax_quantize_rows: one definition compiled for each vector width,
 * like elementwise.c; one pass for the row's maximum, one that exponentiates,
 * sums and quantises without storing the exponentials. */
#include "float_math.h"

/* The largest of x[n], in lanes (a plain running maximum is a reduction the
 * compiler will not vectorise); NaNs are skipped, which is harmless here:
 * their exponentials are NaN whatever the maximum. */
static inline __attribute__((always_inline)) float row_max(const float *x, size_t n)
{
    float most[TK_LANES];
    for (size_t l = 0; l < TK_LANES; l++) most[l] = x[0];
    size_t i = 0;
    for (; i + TK_LANES <= n; i += TK_LANES) {
        for (size_t l = 0; l < TK_LANES; l++) most[l] = x[i + l] > most[l] ? x[i + l] : most[l];
    }
    for (; i < n; i++) most[0] = x[i] > most[0] ? x[i] : most[0];
    for (size_t l = 1; l < TK_LANES; l++) most[0] = most[l] > most[0] ? most[l] : most[0];
    return most[0];
}

/* TK_LANES values of x (count of them real, the rest padding, E = 0) into E:
 * their quantised bytes to out (count of them), E added into acc per lane. A
 * NaN's byte is 0 and its lane's sum NaN (E is otherwise in [0, 1], so the row's
 * sum of E is NaN exactly when the row held a NaN). */
static inline __attribute__((always_inline)) void
lanes(const float *x, size_t count, float most, float acc[TK_LANES], int8_t *out)
{
    int8_t bytes[TK_LANES];
    for (size_t l = 0; l < TK_LANES; l++) {
        const float e = l < count ? vexp(x[l] - most) : 0.0f;
        acc[l] += e;
        bytes[l] = (int8_t)(e <= 1.0f ? __builtin_roundevenf(e * 127.0f) : 0.0f); /* e <= 1 when x <= most */
    }
    memcpy(out, bytes, count);
}

#define TK_SOFTMAX_QUANTIZE(suffix, attributes)                                                   \
    attributes static size_t softmax_quantize_##suffix(const float *s, size_t lds, size_t m, size_t n, \
                                                       int8_t *q, size_t ldq, float *scale, int32_t *sum) \
    {                                                                                             \
        const size_t kp = tk_padded_k(n);                                                         \
        size_t first_bad = m;                                                                     \
        for (size_t r = 0; r < m; r++) {                                                          \
            const float *row = s + r * lds;                                                       \
            int8_t *qr = q + r * ldq;                                                             \
            const float most = row_max(row, n);                                                   \
            float acc[TK_LANES] = {0}, tail[TK_LANES];                                            \
            size_t start = 0;                                                                     \
            for (; start + TK_LANES <= n; start += TK_LANES) {                                    \
                lanes(row + start, TK_LANES, most, acc, qr + start);                              \
            }                                                                                     \
            if (start < n) {                                                                      \
                memcpy(tail, row + start, (n - start) * sizeof *tail);                            \
                lanes(tail, n - start, most, acc, qr + start);                                    \
            }                                                                                     \
            const float e_sum = tk_lanes_total(acc);                                              \
            if (isnan(e_sum)) {                                                                   \
                tk_quantize_bad_row(qr, kp, &scale[r], &sum[r]);                                  \
                if (first_bad == m) first_bad = r;                                                \
                continue;                                                                         \
            }                                                                                     \
            memset(qr + n, 0, kp - n);                                                            \
            int32_t total = 0;                                                                    \
            for (size_t i = 0; i < n; i++) total += qr[i];                                        \
            scale[r] = 1.0f / 127.0f / e_sum;                                                     \
            sum[r] = total;                                                                       \
        }                                                                                         \
        return first_bad;                                                                         \
    }

TK_SOFTMAX_QUANTIZE(portable, )
#if defined(__x86_64__)
TK_SOFTMAX_QUANTIZE(avx2, __attribute__((target("avx2,fma"))))
TK_SOFTMAX_QUANTIZE(avx512, __attribute__((target("avx512f,avx512bw,avx512vl,fma"))))
#endif

tk_status tk_softmax_quantize_rows(tk_path path, const float *s, size_t lds, size_t m, size_t n,
                                   int8_t *q, size_t ldq, float *scale, int32_t *sum, size_t *first_bad_row)
{
    if (!tk_path_supported(path)) return TK_ERR_PATH;
    if (s == NULL || q == NULL || scale == NULL || sum == NULL) return TK_ERR_ARGUMENT;
    if (n == 0 || n > TK_MAX_K || lds < n || ldq < tk_padded_k(n)) return TK_ERR_ARGUMENT;
    if (m == 0) return TK_OK;
    return tk_rows_status(TK_FOR_PATH(softmax_quantize, path)(s, lds, m, n, q, ldq, scale, sum), m, first_bad_row);
}

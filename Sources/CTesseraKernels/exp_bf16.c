/* tk_exp_bf16_rows: one definition compiled for each vector width, like layer_norm.c. Each
 * element's exponential is float_math.h's vexp (tk_exp's), its bf16 the rounding rule of
 * tk_round_bf16, and the sums run in TK_LANES lanes: every width gives the same bits. One pass
 * over the scores instead of three (exponentiate, sum, round). */
#include "float_math.h"
#include "kernel.h"

static inline __attribute__((always_inline)) float exp_round_row(const float *x, size_t n, float shift, uint16_t *q)
{
    float acc[TK_LANES] = {0};
    size_t i = 0;
    for (; i + TK_LANES <= n; i += TK_LANES) {
        for (size_t l = 0; l < TK_LANES; l++) {
            const float e = vexp(x[i + l] - shift);
            acc[l] += e;
            q[i + l] = tk_round_bf16(e);
        }
    }
    for (size_t l = 0; l < n - i; l++) {
        const float e = vexp(x[i + l] - shift);
        acc[l] += e;
        q[i + l] = tk_round_bf16(e);
    }
    return tk_lanes_total(acc);
}

#define TK_EXP_BF16(suffix, attributes)                                                              \
    attributes static void exp_bf16_##suffix(const float *s, size_t lds, size_t m, size_t n,         \
                                             const float *shift, uint16_t *q, size_t ldq, float *sum) \
    {                                                                                                \
        for (size_t r = 0; r < m; r++) {                                                             \
            sum[r] = exp_round_row(s + r * lds, n, shift[r], q + r * ldq);                           \
            if (n % 2 == 1) q[r * ldq + n] = 0;                                                      \
        }                                                                                            \
    }

TK_EXP_BF16(portable, )
#if defined(__x86_64__)
TK_EXP_BF16(avx2, __attribute__((target("avx2,fma"))))
TK_EXP_BF16(avx512, __attribute__((target("avx512f,avx512bw,fma"))))
#endif

tk_status tk_exp_bf16_rows(tk_path path, const float *s, size_t lds, size_t m, size_t n, const float *shift,
                           uint16_t *q, size_t ldq, float *sum)
{
    if (!tk_path_supported(path)) return TK_ERR_PATH;
    if (m == 0) return TK_OK;
    if (s == NULL || shift == NULL || q == NULL || sum == NULL || n == 0 || lds < n || ldq < tk_bf16_padded_k(n)) {
        return TK_ERR_ARGUMENT;
    }
    TK_FOR_PATH(exp_bf16, path)(s, lds, m, n, shift, q, ldq, sum);
    return TK_OK;
}

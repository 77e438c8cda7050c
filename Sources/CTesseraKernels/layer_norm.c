/* tk_layer_norm: one definition compiled for each vector width, like
 * elementwise.c. The row sums run in TK_LANES lanes (float_math.h), so every
 * width adds in the same order and gives the same bits (-ffp-contract=off
 * keeps every multiply and add separate). */
#include "float_math.h"

/* sum over i of (x[i] - shift)^2 when squared, else of x[i] - shift. */
static inline __attribute__((always_inline)) float lane_sum(const float *x, size_t n, float shift, int squared)
{
    float acc[TK_LANES] = {0};
    size_t i = 0;
    for (; i + TK_LANES <= n; i += TK_LANES) {
        for (size_t l = 0; l < TK_LANES; l++) {
            const float d = x[i + l] - shift;
            acc[l] += squared ? d * d : d;
        }
    }
    for (size_t l = 0; l < n - i; l++) {
        const float d = x[i + l] - shift;
        acc[l] += squared ? d * d : d;
    }
    return tk_lanes_total(acc);
}

#define TK_LAYER_NORM(suffix, attributes)                                                      \
    attributes static void layer_norm_##suffix(const float *x, float *y, size_t rows, size_t cols, \
                                               const float *weight, const float *bias, float eps, \
                                               float *mean, float *rstd)                        \
    {                                                                                          \
        for (size_t r = 0; r < rows; r++) {                                                    \
            const float *xr = x + r * cols;                                                    \
            float *yr = y + r * cols;                                                          \
            const float m = lane_sum(xr, cols, 0.0f, 0) / (float)cols;                         \
            const float s = 1.0f / sqrtf(lane_sum(xr, cols, m, 1) / (float)cols + eps);        \
            for (size_t c = 0; c < cols; c++) yr[c] = (xr[c] - m) * s * weight[c] + bias[c];   \
            if (mean != NULL) mean[r] = m;                                                     \
            if (rstd != NULL) rstd[r] = s;                                                     \
        }                                                                                      \
    }

TK_LAYER_NORM(portable, )
#if defined(__x86_64__)
TK_LAYER_NORM(avx2, __attribute__((target("avx2"))))
TK_LAYER_NORM(avx512, __attribute__((target("avx512f"))))
#endif

tk_status tk_layer_norm(tk_path path, const float *x, float *y, size_t rows, size_t cols,
                        const float *weight, const float *bias, float eps, float *mean, float *rstd)
{
    if (!tk_path_supported(path)) return TK_ERR_PATH;
    if (rows == 0) return TK_OK;
    if (x == NULL || y == NULL || weight == NULL || bias == NULL || cols == 0) return TK_ERR_ARGUMENT;
    TK_FOR_PATH(layer_norm, path)(x, y, rows, cols, weight, bias, eps, mean, rstd);
    return TK_OK;
}

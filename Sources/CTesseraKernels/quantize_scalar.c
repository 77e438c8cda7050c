/* The portable quantiser, the definition the SIMD ones reproduce. */
#include "kernel.h"

#include <float.h>
#include <math.h>
#include <string.h>

size_t tk_quantize_scalar(const float *x, size_t ldx, size_t m, size_t k,
                          int8_t *q, size_t ldq, float *scale, int32_t *sum)
{
    const size_t kp = tk_padded_k(k);
    size_t first_bad = m;
    for (size_t r = 0; r < m; r++) {
        const float *xr = x + r * ldx;
        int8_t *qr = q + r * ldq;
        float absmax = 0.0f;
        int finite = 1;
        for (size_t i = 0; i < k; i++) {
            const float a = fabsf(xr[i]);
            finite &= a <= FLT_MAX; /* false for infinities and NaNs */
            absmax = a > absmax ? a : absmax;
        }
        if (!finite) {
            tk_quantize_bad_row(qr, kp, &scale[r], &sum[r]);
            if (first_bad == m) first_bad = r;
            continue;
        }
        float inverse;
        tk_row_scale(absmax, &scale[r], &inverse);
        int32_t total = 0;
        for (size_t i = 0; i < k; i++) {
            float v = __builtin_roundevenf(xr[i] * inverse);
            v = v > 127.0f ? 127.0f : v < -127.0f ? -127.0f : v;
            qr[i] = (int8_t)v;
            total += qr[i];
        }
        memset(qr + k, 0, kp - k);
        sum[r] = total;
    }
    return first_bad;
}

/* tk_f16_to_f32 and the portable conversion the SIMD ones must match. */
#include "kernel.h"

#include <string.h>

tk_status tk_f16_to_f32(tk_path path, const uint16_t *src, float *dst, size_t n)
{
    if (!tk_path_supported(path)) return TK_ERR_PATH;
    if (n == 0) return TK_OK;
    if (src == NULL || dst == NULL) return TK_ERR_ARGUMENT;
    tk_kernel_for(path)->f16(src, dst, n);
    return TK_OK;
}

static float widen(uint16_t h)
{
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t exponent = h >> 10 & 0x1fu, mantissa = h & 0x3ffu;
    uint32_t bits;
    if (exponent == 0x1f) {
        /* Infinity, or NaN made quiet (bit 22) as the conversion instructions do. */
        bits = sign | 0x7f800000u | mantissa << 13 | (mantissa != 0 ? 0x400000u : 0);
    } else if (exponent != 0) {
        bits = sign | (exponent + 127 - 15) << 23 | mantissa << 13;
    } else {
        /* Zero or subnormal: mantissa * 2^-24, exact in float. */
        const float magnitude = (float)mantissa * 0x1p-24f;
        memcpy(&bits, &magnitude, sizeof bits);
        bits |= sign;
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

void tk_f16_scalar(const uint16_t *src, float *dst, size_t n)
{
    for (size_t i = 0; i < n; i++) dst[i] = widen(src[i]);
}

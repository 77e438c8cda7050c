/*
 * Float formulas shared by the float kernels (elementwise.c, layer_norm.c,
 * softmax_quantize.c), inlined into each kernel's compilation for each vector
 * width: every step is one correctly rounded operation in a fixed order, so
 * every width gives the same bits.
 */
#ifndef TESSERA_KERNELS_FLOAT_MATH_H
#define TESSERA_KERNELS_FLOAT_MATH_H

#include "kernel.h"

#include <math.h>
#include <string.h>

/* e^v: v = n ln2 + r with n rounded by the 1.5 * 2^23 trick, |r| <= ln2 / 2
 * (ln2 split in two, each product's rounding left to its fused subtraction),
 * e^r by its Taylor series to r^7 (truncation below 2^-27 relative), times 2^n
 * built in the exponent bits; v clamped to [-87.3, 88.37], so the result is
 * never a subnormal, zero or infinity (above 127.5 ln2 = 88.376, n would be 128,
 * and 2^128 is no float). */
static inline __attribute__((always_inline)) float vexp(float v)
{
    float x = v < -87.3f ? -87.3f : v;
    x = x > 88.37f ? 88.37f : x;
    const float magic = 12582912.0f;
    const float t = fmaf(x, 1.44269504088896341f, magic);
    const float n = t - magic;
    const float r = fmaf(-n, 1.428606765330187e-6f, fmaf(-n, 0.693145751953125f, x));
    float p = 1.0f / 5040.0f;
    p = fmaf(p, r, 1.0f / 720.0f);
    p = fmaf(p, r, 1.0f / 120.0f);
    p = fmaf(p, r, 1.0f / 24.0f);
    p = fmaf(p, r, 1.0f / 6.0f);
    p = fmaf(p, r, 0.5f);
    p = fmaf(p, r, 1.0f);
    p = fmaf(p, r, 1.0f);
    int32_t bits;
    memcpy(&bits, &t, sizeof bits);
    const int32_t exponent = (int32_t)((uint32_t)(bits - 0x4B400000 + 127) << 23);
    float scale;
    memcpy(&scale, &exponent, sizeof scale);
    return p * scale;
}

/* A float kernel `name` is compiled as name##_portable (SSE2 or NEON), and on
 * x86-64 also name##_avx2 and name##_avx512; TK_FOR_PATH picks the one that
 * serves `path`. */
#if defined(__x86_64__)
#define TK_FOR_PATH(name, path)                                         \
    ((path) == TK_PATH_AVX512VNNI || (path) == TK_PATH_AVX512BF16 ? name##_avx512 \
     : (path) == TK_PATH_AVX2 || (path) == TK_PATH_AVXVNNI          ? name##_avx2   \
                                                                  : name##_portable)
#else
#define TK_FOR_PATH(name, path) name##_portable
#endif

/* Sums in a fixed order whatever the vector width: element i of a row goes
 * into lane i % TK_LANES, and the lanes are then added by a fixed tree. */
#define TK_LANES 32

static inline __attribute__((always_inline)) float tk_lanes_total(float acc[TK_LANES])
{
    for (size_t width = TK_LANES / 2; width >= 1; width /= 2) {
        for (size_t l = 0; l < width; l++) acc[l] += acc[l + width];
    }
    return acc[0];
}

#endif

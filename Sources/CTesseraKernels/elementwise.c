/* Element-wise float kernels (exp, GELU and its derivative, the sigmoid), one
 * definition of each formula compiled for each vector width.
 *
 * Every step is one correctly rounded IEEE float operation in a fixed order:
 * the multiply-adds that are meant to be fused are written as fmaf(), and no
 * other is fused (the target builds with -ffp-contract=off). So the compiler's
 * vectorised loops for SSE2 / NEON, AVX2 and AVX-512 give the same bits as
 * scalar code: fmaf() becomes vfmadd on the AVX paths and fmla on NEON (on
 * x86 CPUs without AVX2 it stays a call to libm's fmaf, slow but exact). */
#include "float_math.h"

#include <string.h>

/* The standard normal CDF, (1 + erf(x / sqrt 2)) / 2: 1 - e/2 for x >= 0 and
 * e/2 below, e = erfc(z), z = |x| / sqrt 2, with erfc(z) = t exp(-z^2 + P(t)),
 * t = 1 / (1 + z/2), P Chebyshev-fitted (Numerical Recipes, 6.2): relative
 * error below 1.2e-7, in the negative tail too. t/2 = 1 / (2 + z) is computed
 * first, exactly half of t (an add instead of a multiply-add, and e/2 without a
 * multiply: the FMA units are the bottleneck). */
static inline __attribute__((always_inline)) float cdf(float x)
{
    const float z = (x < 0 ? -x : x) * 0.70710678118654752f;
    const float half_t = 1.0f / (2.0f + z);
    const float t = half_t + half_t;
    float p = 0.17087277f;
    p = fmaf(p, t, -0.82215223f);
    p = fmaf(p, t, 1.48851587f);
    p = fmaf(p, t, -1.13520398f);
    p = fmaf(p, t, 0.27886807f);
    p = fmaf(p, t, -0.18628806f);
    p = fmaf(p, t, 0.09678418f);
    p = fmaf(p, t, 0.37409196f);
    p = fmaf(p, t, 1.00002368f);
    p = fmaf(p, t, -1.26551223f);
    const float half = half_t * vexp(fmaf(-z, z, p));
    return x >= 0 ? 1.0f - half : half;
}

/* The exact GELU, x * cdf(x). */
static inline __attribute__((always_inline)) float gelu(float x)
{
    return x * cdf(x);
}

/* GELU's derivative, cdf(x) + x exp(-x^2 / 2) / sqrt(2 pi). */
static inline __attribute__((always_inline)) float gelu_derivative(float x)
{
    return fmaf(x, vexp(-(0.5f * x) * x) * 0.39894228040143268f, cdf(x));
}

/* 1 / (1 + e^-x). */
static inline __attribute__((always_inline)) float sigmoid(float x)
{
    return 1.0f / (1.0f + vexp(-x));
}

/* Each kernel's loop, compiled once per target; the compiler vectorises it to
 * the target's width. The input goes through a block on the stack first: y
 * may alias x, and with possibly overlapping arrays the vectorised loop would
 * not run. Each vector's formula is one long chain of dependent operations, so
 * the loop works on `interleave` vectors at once (on Zen 4, 4 at a time made
 * GELU 1.4x as fast, and 8 AVX-512 vectors 1.6x), and a block's tail is padded
 * with zeros to a whole step of the loop, so that short rows (the attention's
 * 197 tokens) never fall to scalar remainder code: 1.7x as fast for GELU on
 * such rows. Either way each element gets the same operations, so the same bits. */
#define TK_BLOCK 256
#define TK_PRAGMA(text) _Pragma(#text)
/* GCC (the aarch64 builds' compiler) knows no interleave count, and -Wall
 * rejects the clang pragma there. */
#if defined(__clang__)
#define TK_INTERLEAVE(count) TK_PRAGMA(clang loop interleave_count(count))
#else
#define TK_INTERLEAVE(count)
#endif
/* The steps of a block, `padded` (a multiple of the step) floats of `in` into
 * `out`; one copy per kernel and target, shared by whole and padded blocks. */
#define TK_LOOP(suffix, attributes, interleave, step, name, formula)                         \
    attributes __attribute__((noinline)) static void                                         \
    name##_steps_##suffix(const float *in, float *out, size_t padded, float shift)           \
    {                                                                                        \
        (void)shift;                                                                         \
        TK_INTERLEAVE(interleave)                                                            \
        for (size_t i = 0; i < padded; i++) out[i] = formula;                                \
    }                                                                                        \
    attributes static void name##_##suffix(const float *x, float *y, size_t n, float shift)  \
    {                                                                                        \
        float in[TK_BLOCK], out[TK_BLOCK];                                                   \
        for (size_t start = 0; start < n; start += TK_BLOCK) {                               \
            const size_t m = n - start < TK_BLOCK ? n - start : TK_BLOCK;                    \
            const size_t padded = (m + (step) - 1) / (step) * (step);                        \
            memcpy(in, x + start, m * sizeof *x);                                            \
            memset(in + m, 0, (padded - m) * sizeof *x);                                     \
            name##_steps_##suffix(in, m == padded ? y + start : out, padded, shift);         \
            if (m != padded) memcpy(y + start, out, m * sizeof *y);                          \
        }                                                                                    \
    }
/* `lanes` floats to a vector; TK_BLOCK must be a multiple of lanes * interleave. */
#define TK_ELEMENTWISE(suffix, attributes, lanes, interleave)                                              \
    TK_LOOP(suffix, attributes, interleave, (lanes) * (interleave), exp, vexp(in[i] - shift))              \
    TK_LOOP(suffix, attributes, interleave, (lanes) * (interleave), gelu, gelu(in[i]))                     \
    TK_LOOP(suffix, attributes, interleave, (lanes) * (interleave), gelu_derivative, gelu_derivative(in[i])) \
    TK_LOOP(suffix, attributes, interleave, (lanes) * (interleave), sigmoid, sigmoid(in[i]))

/* The AVX paths all have FMA (tk_detect_paths checks it), which AVX2 alone does not imply. */
TK_ELEMENTWISE(portable, , 4, 4)
#if defined(__x86_64__)
TK_ELEMENTWISE(avx2, __attribute__((target("avx2,fma"))), 8, 4)
TK_ELEMENTWISE(avx512, __attribute__((target("avx512f,fma"))), 16, 8)
#endif

typedef void variant_fn(const float *x, float *y, size_t n, float shift);

/* Checks the arguments and runs `kernel`, the variant for `path`. */
static tk_status run(variant_fn *kernel, tk_path path, const float *x, float *y, size_t n, float shift)
{
    if (!tk_path_supported(path)) return TK_ERR_PATH;
    if (n == 0) return TK_OK;
    if (x == NULL || y == NULL) return TK_ERR_ARGUMENT;
    kernel(x, y, n, shift);
    return TK_OK;
}

tk_status tk_exp(tk_path path, const float *x, float *y, size_t n, float shift)
{
    return run(TK_FOR_PATH(exp, path), path, x, y, n, shift);
}

tk_status tk_gelu(tk_path path, const float *x, float *y, size_t n)
{
    return run(TK_FOR_PATH(gelu, path), path, x, y, n, 0);
}

tk_status tk_gelu_derivative(tk_path path, const float *x, float *y, size_t n)
{
    return run(TK_FOR_PATH(gelu_derivative, path), path, x, y, n, 0);
}

tk_status tk_sigmoid(tk_path path, const float *x, float *y, size_t n)
{
    return run(TK_FOR_PATH(sigmoid, path), path, x, y, n, 0);
}

/* f16 to f32 with F16C's vcvtph2ps, which the x86 SIMD paths all have. */
#include "kernel.h"
#if defined(__x86_64__)

#include <immintrin.h>
#include <string.h>

__attribute__((target("avx,f16c")))
void tk_f16_f16c(const uint16_t *src, float *dst, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + i))));
    }
    if (i < n) {
        uint16_t in[8] = {0};
        float out[8];
        memcpy(in, src + i, (n - i) * sizeof *src);
        _mm256_storeu_ps(out, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)in)));
        memcpy(dst + i, out, (n - i) * sizeof *dst);
    }
}
#endif

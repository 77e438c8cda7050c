/* f16 to f32 with fcvtl, part of every aarch64. */
#include "kernel.h"
#if defined(__aarch64__)

#include <arm_neon.h>
#include <string.h>

void tk_f16_neon(const uint16_t *src, float *dst, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const float16x8_t h = vreinterpretq_f16_u16(vld1q_u16(src + i));
        vst1q_f32(dst + i, vcvt_f32_f16(vget_low_f16(h)));
        vst1q_f32(dst + i + 4, vcvt_high_f32_f16(h));
    }
    for (; i < n; i += 4) {
        uint16_t in[4] = {0, 0, 0, 0};
        float out[4];
        const size_t count = n - i < 4 ? n - i : 4;
        memcpy(in, src + i, count * sizeof *src);
        vst1q_f32(out, vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(in))));
        memcpy(dst + i, out, count * sizeof *dst);
    }
}
#endif

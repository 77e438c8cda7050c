/* Which x86 paths this CPU and OS support: cpuid for the instructions, xgetbv
 * for the OS saving the registers they use. */
#include "kernel.h"
#if defined(__x86_64__)

#include <cpuid.h>

unsigned tk_detect_paths(void)
{
    unsigned a, b, c, d;
    unsigned paths = 1u << TK_PATH_SCALAR;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return paths;
    const int fma = c >> 12 & 1, osxsave = c >> 27 & 1, avx = c >> 28 & 1, f16c = c >> 29 & 1;
    if (!osxsave || !avx) return paths;
    unsigned xcr0_lo, xcr0_hi;
    __asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    const int ymm_saved = (xcr0_lo & 0x6) == 0x6;   /* SSE and AVX state */
    const int zmm_saved = (xcr0_lo & 0xe6) == 0xe6; /* plus opmask and ZMM state */
    if (!ymm_saved || !__get_cpuid_count(7, 0, &a, &b, &c, &d)) return paths;
    const int avx2 = b >> 5 & 1, avx512f = b >> 16 & 1, avx512bw = b >> 30 & 1, avx512vl = b >> 31 & 1;
    const int avx512vnni = c >> 11 & 1;
    const unsigned leaf7_subleaves = a;
    int avxvnni = 0, avx512bf16 = 0;
    if (leaf7_subleaves >= 1 && __get_cpuid_count(7, 1, &a, &b, &c, &d)) {
        avxvnni = a >> 4 & 1;
        avx512bf16 = a >> 5 & 1;
    }

    const int base256 = avx2 && fma && f16c;
    if (base256) paths |= 1u << TK_PATH_AVX2;
    if (base256 && avxvnni) paths |= 1u << TK_PATH_AVXVNNI;
    if (base256 && zmm_saved && avx512f && avx512bw && avx512vl && avx512vnni) {
        paths |= 1u << TK_PATH_AVX512VNNI;
        if (avx512bf16) paths |= 1u << TK_PATH_AVX512BF16;
    }
    return paths;
}
#endif

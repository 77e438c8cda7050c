/* Which aarch64 paths this CPU supports: the kernel's hardware capabilities on
 * Linux, sysctl on Apple platforms. Advanced SIMD is part of every aarch64. */
#include "kernel.h"
#if defined(__aarch64__)

#if defined(__APPLE__)
#include <sys/sysctl.h>

static int has_feature(const char *name)
{
    int value = 0;
    size_t size = sizeof value;
    return sysctlbyname(name, &value, &size, NULL, 0) == 0 && value != 0;
}

unsigned tk_detect_paths(void)
{
    unsigned paths = 1u << TK_PATH_SCALAR | 1u << TK_PATH_NEON;
    if (has_feature("hw.optional.arm.FEAT_DotProd")) paths |= 1u << TK_PATH_NEON_DOTPROD;
    if (has_feature("hw.optional.arm.FEAT_I8MM")) paths |= 1u << TK_PATH_NEON_I8MM;
    if ((paths >> TK_PATH_NEON_I8MM & 1u) && has_feature("hw.optional.arm.FEAT_BF16")) paths |= 1u << TK_PATH_NEON_BF16;
    return paths;
}
#else
#include <sys/auxv.h>

/* From the kernel's uapi asm/hwcap.h, spelled out for older C libraries. */
#define HWCAP_ASIMDDP_BIT (1ul << 20)
#define HWCAP2_I8MM_BIT (1ul << 13)
#define HWCAP2_BF16_BIT (1ul << 14)

unsigned tk_detect_paths(void)
{
    unsigned paths = 1u << TK_PATH_SCALAR | 1u << TK_PATH_NEON;
    if (getauxval(AT_HWCAP) & HWCAP_ASIMDDP_BIT) paths |= 1u << TK_PATH_NEON_DOTPROD;
    if (getauxval(AT_HWCAP2) & HWCAP2_I8MM_BIT) paths |= 1u << TK_PATH_NEON_I8MM;
    if ((getauxval(AT_HWCAP2) & (HWCAP2_I8MM_BIT | HWCAP2_BF16_BIT)) == (HWCAP2_I8MM_BIT | HWCAP2_BF16_BIT)) {
        paths |= 1u << TK_PATH_NEON_BF16;
    }
    return paths;
}
#endif
#endif

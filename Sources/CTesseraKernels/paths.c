/* The path table: names, what each path packs and runs, and which one to use. */
#include "kernel.h"

#include <string.h>

static const char *const names[TK_PATH_COUNT] = {
    [TK_PATH_SCALAR] = "scalar",
    [TK_PATH_AVX2] = "avx2",
    [TK_PATH_AVXVNNI] = "avxvnni",
    [TK_PATH_AVX512VNNI] = "avx512vnni",
    [TK_PATH_NEON] = "neon",
    [TK_PATH_NEON_DOTPROD] = "neon-dotprod",
    [TK_PATH_NEON_I8MM] = "neon-i8mm",
    [TK_PATH_AVX512BF16] = "avx512bf16",
    [TK_PATH_NEON_BF16] = "neon-bf16",
};

static const tk_kernel *const kernels[TK_PATH_COUNT] = {
    [TK_PATH_SCALAR] = &tk_kernel_scalar,
#if defined(__x86_64__)
    [TK_PATH_AVX2] = &tk_kernel_avx2,
    [TK_PATH_AVXVNNI] = &tk_kernel_avxvnni,
    [TK_PATH_AVX512VNNI] = &tk_kernel_avx512vnni,
    [TK_PATH_AVX512BF16] = &tk_kernel_avx512bf16,
#endif
#if defined(__aarch64__)
    [TK_PATH_NEON] = &tk_kernel_neon,
    [TK_PATH_NEON_DOTPROD] = &tk_kernel_neon_dotprod,
    [TK_PATH_NEON_I8MM] = &tk_kernel_neon_i8mm,
    [TK_PATH_NEON_BF16] = &tk_kernel_neon_bf16,
#endif
};

/* Fastest first. */
static const tk_path preference[TK_PATH_COUNT] = {
    TK_PATH_AVX512BF16, TK_PATH_AVX512VNNI, TK_PATH_AVXVNNI, TK_PATH_AVX2,
    TK_PATH_NEON_BF16, TK_PATH_NEON_I8MM, TK_PATH_NEON_DOTPROD, TK_PATH_NEON,
    TK_PATH_SCALAR,
};

const char *tk_path_name(tk_path path)
{
    return (unsigned)path < TK_PATH_COUNT ? names[path] : NULL;
}

tk_status tk_path_from_name(const char *name, tk_path *path)
{
    if (name == NULL || path == NULL) return TK_ERR_ARGUMENT;
    for (unsigned i = 0; i < TK_PATH_COUNT; i++) {
        if (strcmp(name, names[i]) == 0) {
            *path = (tk_path)i;
            return TK_OK;
        }
    }
    return TK_ERR_ARGUMENT;
}

const tk_kernel *tk_kernel_for(tk_path path)
{
    return (unsigned)path < TK_PATH_COUNT ? kernels[path] : NULL;
}

#if !defined(__x86_64__) && !defined(__aarch64__)
unsigned tk_detect_paths(void)
{
    return 1u << TK_PATH_SCALAR;
}
#endif

static unsigned cpu_paths(void)
{
    /* Detected once; threads racing here store the same value. */
    static unsigned cached; /* 0: not yet detected (scalar's bit is always set) */
    unsigned paths = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (paths == 0) {
        paths = tk_detect_paths();
        __atomic_store_n(&cached, paths, __ATOMIC_RELAXED);
    }
    return paths;
}

int tk_path_supported(tk_path path)
{
    return tk_kernel_for(path) != NULL && (cpu_paths() >> path & 1u) != 0;
}

tk_path tk_best_path(void)
{
    for (unsigned i = 0; i < TK_PATH_COUNT; i++) {
        if (tk_path_supported(preference[i])) return preference[i];
    }
    return TK_PATH_SCALAR;
}

size_t tk_padded_k(size_t k)
{
    return (k + 15) / 16 * 16;
}

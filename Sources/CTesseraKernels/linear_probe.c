/* The linear probe's two products (tk_probe_logits, tk_probe_accumulate): one
 * definition compiled for each vector width, like layer_norm.c. The batch's
 * rows of x are read in place through their indices (no copies, no packing),
 * and the classes are taken TK_PROBE_GROUP at a time so that each load of x
 * serves several of them. Every multiply-add is fmaf() (vfmadd on the AVX
 * paths; a call to libm's exact fmaf on x86 CPUs without FMA) and nothing else
 * is fused (-ffp-contract=off), so every width gives the same bits. */
#include "float_math.h"

/* Lanes of a logit's sum (element j into lane j % TK_PROBE_LANES, then a fixed
 * tree), and classes handled together. */
#define TK_PROBE_LANES 16
#define TK_PROBE_GROUP 4

static inline __attribute__((always_inline)) float probe_lanes_total(float acc[TK_PROBE_LANES])
{
    for (size_t width = TK_PROBE_LANES / 2; width >= 1; width /= 2) {
        for (size_t l = 0; l < width; l++) acc[l] += acc[l + width];
    }
    return acc[0];
}

/* z[k] = w[k, :] . xr for the `group` (1 ... TK_PROBE_GROUP, a constant once
 * inlined) classes whose rows start at w. */
static inline __attribute__((always_inline)) void probe_logits_group(const float *xr, const float *w, size_t dim,
                                                                     size_t group, float *z)
{
    float acc[TK_PROBE_GROUP][TK_PROBE_LANES] = {{0}};
    size_t j = 0;
    for (; j + TK_PROBE_LANES <= dim; j += TK_PROBE_LANES) {
        for (size_t k = 0; k < group; k++) {
            for (size_t l = 0; l < TK_PROBE_LANES; l++) acc[k][l] = fmaf(w[k * dim + j + l], xr[j + l], acc[k][l]);
        }
    }
    for (size_t k = 0; k < group; k++) {
        for (size_t l = 0; j + l < dim; l++) acc[k][l] = fmaf(w[k * dim + j + l], xr[j + l], acc[k][l]);
        z[k] = probe_lanes_total(acc[k]);
    }
}

/* dw[k, :] += sum over i in order of g[i, k] x[rows[i], :] for the `group`
 * classes starting at class k0: columns TK_PROBE_LANES at a time, the group's
 * sums held in registers over all the rows. */
static inline __attribute__((always_inline)) void probe_accumulate_group(const float *x, size_t dim, const intptr_t *rows,
                                                                         size_t count, const float *g, size_t classes,
                                                                         size_t k0, size_t group, float *dw)
{
    size_t j = 0;
    for (; j + TK_PROBE_LANES <= dim; j += TK_PROBE_LANES) {
        float acc[TK_PROBE_GROUP][TK_PROBE_LANES];
        for (size_t k = 0; k < group; k++) {
            for (size_t l = 0; l < TK_PROBE_LANES; l++) acc[k][l] = dw[(k0 + k) * dim + j + l];
        }
        for (size_t i = 0; i < count; i++) {
            const float *xr = x + (size_t)rows[i] * dim + j;
            for (size_t k = 0; k < group; k++) {
                const float gk = g[i * classes + k0 + k];
                for (size_t l = 0; l < TK_PROBE_LANES; l++) acc[k][l] = fmaf(gk, xr[l], acc[k][l]);
            }
        }
        for (size_t k = 0; k < group; k++) {
            for (size_t l = 0; l < TK_PROBE_LANES; l++) dw[(k0 + k) * dim + j + l] = acc[k][l];
        }
    }
    for (; j < dim; j++) {
        for (size_t k = 0; k < group; k++) {
            float sum = dw[(k0 + k) * dim + j];
            for (size_t i = 0; i < count; i++) sum = fmaf(g[i * classes + k0 + k], x[(size_t)rows[i] * dim + j], sum);
            dw[(k0 + k) * dim + j] = sum;
        }
    }
}

/* Calls `call` with the class group's size as a constant, so each size gets its own unrolled loop. */
#define TK_PROBE_GROUPS(remaining, call)             \
    switch ((remaining) < TK_PROBE_GROUP ? (remaining) : TK_PROBE_GROUP) { \
    case 1: call(1); break;                          \
    case 2: call(2); break;                          \
    case 3: call(3); break;                          \
    default: call(TK_PROBE_GROUP); break;            \
    }

#define TK_PROBE(suffix, attributes)                                                                       \
    attributes static void probe_logits_##suffix(const float *x, size_t dim, const intptr_t *rows, size_t count, \
                                                 const float *w, size_t classes, float *z)                 \
    {                                                                                                      \
        for (size_t i = 0; i < count; i++) {                                                               \
            const float *xr = x + (size_t)rows[i] * dim;                                                   \
            for (size_t k = 0; k < classes; k += TK_PROBE_GROUP) {                                         \
                const size_t remaining = classes - k;                                                      \
                TK_PROBE_LOGITS_CALL                                                                       \
            }                                                                                              \
        }                                                                                                  \
    }                                                                                                      \
    attributes static void probe_accumulate_##suffix(const float *x, size_t dim, const intptr_t *rows,     \
                                                     size_t count, const float *g, size_t classes, float *dw) \
    {                                                                                                      \
        for (size_t k = 0; k < classes; k += TK_PROBE_GROUP) {                                             \
            const size_t remaining = classes - k;                                                          \
            TK_PROBE_ACCUMULATE_CALL                                                                       \
        }                                                                                                  \
    }
#define TK_PROBE_LOGITS_ONE(size) probe_logits_group(xr, w + k * dim, dim, size, z + i * classes + k)
#define TK_PROBE_LOGITS_CALL TK_PROBE_GROUPS(remaining, TK_PROBE_LOGITS_ONE)
#define TK_PROBE_ACCUMULATE_ONE(size) probe_accumulate_group(x, dim, rows, count, g, classes, k, size, dw)
#define TK_PROBE_ACCUMULATE_CALL TK_PROBE_GROUPS(remaining, TK_PROBE_ACCUMULATE_ONE)

TK_PROBE(portable, )
#if defined(__x86_64__)
TK_PROBE(avx2, __attribute__((target("avx2,fma"))))
TK_PROBE(avx512, __attribute__((target("avx512f,fma"))))
#endif

/* The arguments both kernels share: every row index inside x's n_rows rows. */
static tk_status probe_check(tk_path path, const float *x, size_t n_rows, size_t dim, const intptr_t *rows, size_t count,
                             const float *a, size_t classes, const float *b)
{
    if (!tk_path_supported(path)) return TK_ERR_PATH;
    if (count == 0) return TK_OK;
    if (x == NULL || rows == NULL || a == NULL || b == NULL || dim == 0 || classes == 0) return TK_ERR_ARGUMENT;
    if (n_rows > SIZE_MAX / dim) return TK_ERR_ARGUMENT;
    for (size_t i = 0; i < count; i++) {
        if (rows[i] < 0 || (size_t)rows[i] >= n_rows) return TK_ERR_ARGUMENT;
    }
    return TK_OK;
}

tk_status tk_probe_logits(tk_path path, const float *x, size_t n_rows, size_t dim, const intptr_t *rows, size_t count,
                          const float *w, size_t classes, float *z)
{
    const tk_status status = probe_check(path, x, n_rows, dim, rows, count, w, classes, z);
    if (status != TK_OK || count == 0) return status;
    TK_FOR_PATH(probe_logits, path)(x, dim, rows, count, w, classes, z);
    return TK_OK;
}

tk_status tk_probe_accumulate(tk_path path, const float *x, size_t n_rows, size_t dim, const intptr_t *rows, size_t count,
                              const float *g, size_t classes, float *dw)
{
    const tk_status status = probe_check(path, x, n_rows, dim, rows, count, g, classes, dw);
    if (status != TK_OK || count == 0) return status;
    TK_FOR_PATH(probe_accumulate, path)(x, dim, rows, count, g, classes, dw);
    return TK_OK;
}

/* Packing int8 weights once, at load, into the layout a path's kernel reads. */
#include "kernel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void *tk_zeroed_aligned(size_t size)
{
    /* 64 bytes: a cache line, and the widest vector any kernel loads. */
    if (size > SIZE_MAX - 64) return NULL;
    const size_t rounded = size == 0 ? 64 : (size + 63) / 64 * 64; /* aligned_alloc wants a multiple */
    void *p = aligned_alloc(64, rounded);
    if (p != NULL) memset(p, 0, size);
    return p;
}

/* The panels' runs of `group` bytes in the order they are stored (the
 * stores contiguous, the loads strided: 2.5x as fast as the other way round):
 * run g of column c (k from g * group) lies at
 * panel(c) + g * nr * group + (c % nr) * group. */
static inline __attribute__((always_inline)) void
copy_columns(uint8_t *data, const int8_t *w, size_t ldw, size_t n, size_t k, size_t kp, size_t nr,
             size_t group, uint8_t flip)
{
    const size_t whole = k / group * group;
    for (size_t first = 0; first < n; first += nr) {
        uint8_t *panel = data + first * kp;
        const size_t columns = n - first < nr ? n - first : nr;
        for (size_t start = 0; start < whole; start += group) {
            uint8_t *run = panel + start * nr;
            for (size_t j = 0; j < columns; j++) {
                const int8_t *src = w + (first + j) * ldw + start;
                for (size_t i = 0; i < group; i++) run[j * group + i] = (uint8_t)src[i] ^ flip;
            }
        }
        for (size_t j = 0; j < columns && whole < k; j++) {
            const int8_t *src = w + (first + j) * ldw;
            for (size_t i = whole; i < k; i++) panel[whole * nr + j * group + i - whole] = (uint8_t)src[i] ^ flip;
        }
    }
}

int tk_all_finite(const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) return 0;
    }
    return 1;
}

tk_status tk_weights_pack(tk_path path, const int8_t *w, size_t ldw, size_t n, size_t k,
                          const float *scale, const float *bias, tk_weights **out)
{
    if (out == NULL) return TK_ERR_ARGUMENT;
    *out = NULL;
    if (!tk_path_supported(path)) return TK_ERR_PATH;
    if (w == NULL || scale == NULL || n == 0 || k == 0 || k > TK_MAX_K || ldw < k) return TK_ERR_ARGUMENT;
    if (!tk_all_finite(scale, n) || (bias != NULL && !tk_all_finite(bias, n))) return TK_ERR_NONFINITE;

    const tk_kernel *kernel = tk_kernel_for(path);
    const size_t nr = kernel->nr, kp = tk_padded_k(k);
    const size_t panels = (n + nr - 1) / nr, columns = panels * nr;
    if (columns > SIZE_MAX / kp) return TK_ERR_ARGUMENT;
    tk_weights *packed = calloc(1, sizeof *packed);
    if (packed == NULL) return TK_ERR_MEMORY;
    packed->kernel = kernel;
    packed->path = path;
    packed->n = n;
    packed->k = k;
    packed->kp = kp;
    packed->panels = panels;
    packed->data = tk_zeroed_aligned(columns * kp);
    packed->scale = tk_zeroed_aligned(columns * sizeof(float));
    packed->bias = tk_zeroed_aligned(columns * sizeof(float));
    if (packed->data == NULL || packed->scale == NULL || packed->bias == NULL) {
        tk_weights_free(packed);
        return TK_ERR_MEMORY;
    }

    /* Unsigned-times-signed kernels see W + 128, padding included. */
    const uint8_t flip = kernel->unsigned_weights ? 0x80 : 0;
    if (flip) memset(packed->data, flip, columns * kp);
    const size_t group = kernel->group ? kernel->group : kp;
    /* The int8 attention packs its keys and values per (image, head), so this
     * copy is on the hot path: the common group sizes get their own unrolled
     * copies (8.6 -> 1.5 us for 197 keys of 64 on Zen 4). */
    switch (group) {
    case 4: copy_columns(packed->data, w, ldw, n, k, kp, nr, 4, flip); break;
    case 8: copy_columns(packed->data, w, ldw, n, k, kp, nr, 8, flip); break;
    default: copy_columns(packed->data, w, ldw, n, k, kp, nr, group, flip); break;
    }
    memcpy(packed->scale, scale, n * sizeof(float));
    if (bias != NULL) memcpy(packed->bias, bias, n * sizeof(float));
    *out = packed;
    return TK_OK;
}

void tk_weights_free(tk_weights *weights)
{
    if (weights == NULL) return;
    free(weights->data);
    free(weights->scale);
    free(weights->bias);
    free(weights);
}

tk_path tk_weights_path(const tk_weights *weights)
{
    return weights->path;
}

size_t tk_weights_column_block(const tk_weights *weights)
{
    return weights->kernel->nr;
}

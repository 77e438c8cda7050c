/*
 * What every path provides, and the shared pieces of the int8 product.
 *
 * Build with -ffp-contract=off: the paths only agree bit for bit if no
 * compiler fuses the epilogue's multiply and add into one rounding.
 */
#ifndef TESSERA_KERNELS_KERNEL_H
#define TESSERA_KERNELS_KERNEL_H

#include "tessera_kernels.h"

#include <math.h>
#include <string.h>

/* Quantised activation rows as tk_quantize_rows writes them. */
typedef struct tk_rows {
    const int8_t *q;
    size_t ldq;
    const float *scale;
    const int32_t *sum;
} tk_rows;

/*
 * Packed weights. Columns are cut into panels of `nr`; inside a panel the
 * padded k is cut into groups of `group` bytes, and each group stores the
 * panel's nr columns one after another:
 *     data[p*nr*kp + (i/group)*nr*group + j*group + i%group] = W[p*nr + j, i]
 * (group == kp gives plain padded rows). Padding holds weight 0. Paths whose
 * instructions multiply unsigned by signed bytes store W + 128 instead.
 */
struct tk_weights {
    const struct tk_kernel *kernel;
    tk_path path;
    size_t n, k, kp, panels;
    uint8_t *data;
    float *scale; /* panels*nr entries, 0 past n */
    float *bias;  /* panels*nr entries, 0 past n or without bias */
};

/*
 * Computes rows [row_begin, row_end) of panel `panel`, storing only its
 * columns [lo, hi) (relative to the panel), or adding them to what y holds
 * (y + result, one more rounding) when `add`; y points at the panel's column 0
 * of row 0.
 */
typedef void tk_panel_fn(const tk_weights *w, const tk_rows *x, size_t row_begin, size_t row_end,
                         size_t panel, unsigned lo, unsigned hi, float *y, size_t ldy, int add);

/* Quantises m rows, as tk_quantize_rows documents; returns the first row with
 * a non-finite value, or m when there is none. */
typedef size_t tk_quantize_fn(const float *x, size_t ldx, size_t m, size_t k,
                              int8_t *q, size_t ldq, float *scale, int32_t *sum);

typedef void tk_f16_fn(const uint16_t *src, float *dst, size_t n);

/*
 * Packed bf16 weights. Columns are cut into panels of the path's `bf16_nr`;
 * inside a panel, k pair p of column j is one 32-bit word (its even k in the low
 * half, its odd k in the high half, as vdpbf16ps reads them):
 *     data[p*nr*kp + 2*(q*nr + j) + e] = W[p*nr + j, 2*q + e]
 * Padding (k past the weights' k, columns past n) holds zero.
 */
struct tk_bf16_weights {
    const struct tk_kernel *kernel;
    size_t n, k, kp, panels;
    uint16_t *data;
    float *bias; /* panels*nr entries, 0 past n or without bias */
    int owned;   /* 1: tk_bf16_weights_alloc's block, freed by tk_bf16_weights_free; 0: the caller's memory */
};

/* tk_bf16_weights_place in a block of its own (owned), the pads zero: tk_bf16_weights_pack fills the rest. */
tk_status tk_bf16_weights_alloc(tk_path path, size_t n, size_t k, struct tk_bf16_weights **out);

/* As tk_panel_fn, for bf16 weights and activation rows x (row stride ldx). */
typedef void tk_bf16_panel_fn(const tk_bf16_weights *w, const uint16_t *x, size_t ldx, size_t row_begin,
                              size_t row_end, size_t panel, unsigned lo, unsigned hi, float *y, size_t ldy, int add);

typedef struct tk_kernel {
    unsigned nr;
    unsigned group; /* 0: the whole padded row */
    int unsigned_weights;
    tk_panel_fn *panel;
    tk_quantize_fn *quantize;
    tk_f16_fn *f16;
    unsigned bf16_nr;
    tk_bf16_panel_fn *bf16_panel;
} tk_kernel;

/* The path's kernel, or NULL when it is not built for this architecture. */
const tk_kernel *tk_kernel_for(tk_path path);

/* The columns [lo, hi) of panel p (of nr columns) that the request [col_begin, col_end) covers,
 * relative to the panel: both products walk p from col_begin / nr while p * nr < col_end. */
typedef struct tk_panel_columns {
    unsigned lo, hi;
} tk_panel_columns;

static inline tk_panel_columns tk_panel_span(size_t p, size_t nr, size_t col_begin, size_t col_end)
{
    const size_t first = p * nr;
    const tk_panel_columns span = {(unsigned)(col_begin > first ? col_begin - first : 0),
                                   (unsigned)(col_end < first + nr ? col_end - first : nr)};
    return span;
}

/* size bytes of zeros, 64-byte aligned (a cache line, and the widest vector any
 * kernel loads); free with free(). NULL when out of memory. */
void *tk_zeroed_aligned(size_t size);

/* 1 when none of v[0..n) is an infinity or NaN. */
int tk_all_finite(const float *v, size_t n);

/* Bit i set when path i is usable on this CPU (one file per architecture). */
unsigned tk_detect_paths(void);

/* The epilogue every path must reproduce: three roundings, in this order. */
static inline float tk_dequantize(int32_t acc, float xscale, float wscale, float bias)
{
    float y = (float)acc * xscale;
    y = y * wscale;
    return y + bias;
}

/* A row's scale and its inverse from its largest magnitude. Below 2^-120 the
 * inverse would overflow, so such rows count as zero. */
static inline void tk_row_scale(float absmax, float *scale, float *inverse)
{
    if (absmax < 0x1p-120f) {
        *scale = 0.0f;
        *inverse = 0.0f;
        return;
    }
    *scale = absmax / 127.0f;
    *inverse = 127.0f / absmax;
}

/* What quantisers store for a row holding a non-finite value. */
void tk_quantize_bad_row(int8_t *q, size_t kp, float *scale, int32_t *sum);

/* A quantiser's status from the first of its m rows that was bad (m: none),
 * stored in *first_bad_row when there was one and the pointer is not NULL. */
static inline tk_status tk_rows_status(size_t bad, size_t m, size_t *first_bad_row)
{
    if (bad == m) return TK_OK;
    if (first_bad_row != NULL) *first_bad_row = bad;
    return TK_ERR_NONFINITE;
}

/* The bf16 definition's flush: a result below 2^-126 in magnitude becomes zero
 * of its sign (the SIMD paths get it from the CPU's flush-to-zero mode instead). */
static inline float tk_flush(float v)
{
    return v > -0x1p-126f && v < 0x1p-126f ? v * 0.0f : v;
}

/* f32 to bf16 by the rule of tk_bf16_round_rows; branch-free, so that loops over it vectorise
 * to their target's width. */
static inline __attribute__((always_inline)) uint16_t tk_round_bf16(float v)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    const uint32_t magnitude = bits & 0x7fffffffu;
    const uint32_t nan = (bits >> 16) | 0x40u;     /* quiet, sign and top payload kept */
    const uint32_t zero = (bits >> 16) & 0x8000u;  /* subnormal or zero: zero of its sign */
    /* Round to nearest even on the low half; a carry may reach infinity, as it should. */
    const uint32_t rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
    return (uint16_t)(magnitude > 0x7f800000u ? nan : magnitude < 0x00800000u ? zero : rounded);
}

static inline float tk_bf16_widen(uint16_t h)
{
    const uint32_t bits = (uint32_t)h << 16;
    float v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

/* One pair of k of the bf16 definition: odd k first, then even, each a flushed fma. */
static inline float tk_bf16_pair(float acc, uint16_t x_even, uint16_t x_odd, uint16_t w_even, uint16_t w_odd)
{
    acc = tk_flush(fmaf(tk_bf16_widen(x_odd), tk_bf16_widen(w_odd), acc));
    return tk_flush(fmaf(tk_bf16_widen(x_even), tk_bf16_widen(w_even), acc));
}

/* Each path's kernel is defined beside its panel function, whose registers
 * decide the panel width and group. */
extern const tk_kernel tk_kernel_scalar;
tk_quantize_fn tk_quantize_scalar;
tk_f16_fn tk_f16_scalar;
tk_bf16_panel_fn tk_bf16_panel_scalar;

#if defined(__x86_64__)
extern const tk_kernel tk_kernel_avx2, tk_kernel_avxvnni, tk_kernel_avx512vnni, tk_kernel_avx512bf16;
tk_quantize_fn tk_quantize_avx2, tk_quantize_avx512;
tk_f16_fn tk_f16_f16c;
tk_bf16_panel_fn tk_bf16_panel_avx2, tk_bf16_panel_avx512, tk_bf16_panel_avx512bf16;
#define TK_BF16_NR_AVX2 16
#define TK_BF16_NR_AVX512 64
#endif

#if defined(__aarch64__)
extern const tk_kernel tk_kernel_neon, tk_kernel_neon_dotprod, tk_kernel_neon_i8mm, tk_kernel_neon_bf16;
tk_quantize_fn tk_quantize_neon;
tk_f16_fn tk_f16_neon;
tk_bf16_panel_fn tk_bf16_panel_neon, tk_bf16_panel_neon_bf16;
#define TK_BF16_NR_NEON 16
#endif

#endif

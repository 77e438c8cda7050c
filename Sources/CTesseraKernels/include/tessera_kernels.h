/*
 * Tessera's int8 and f16-weight CPU kernels.
 *
 * Int8 linear layers compute, for the rows and columns a caller asks for,
 *
 *     Y[m,n] = ((float)A[m,n] * xscale[m]) * wscale[n] + bias[n],
 *     A[m,n] = sum_k Xq[m,k] * Wq[n,k]        (exact, in int32)
 *
 * with the float steps done in exactly that order, one rounding each, so every
 * path gives the same bits. Wq is int8 per output channel (row n of W), with
 * wscale[n] its f32 scale; Xq is f32 activations quantised per row at run time
 * by tk_quantize_rows. Several instruction-set paths implement this; they all
 * give the same int32 accumulations and the same f32 outputs as the portable
 * scalar path.
 *
 * All functions are reentrant and never print; callers split work over their
 * own threads by calling tk_gemm on disjoint row or column ranges.
 */
#ifndef TESSERA_KERNELS_H
#define TESSERA_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The largest reduction length: with activations in [-127, 127] and weights
 * in [-128, 127], every accumulation then fits in int32 (65536*127*128 < 2^31). */
#define TK_MAX_K 65536

typedef enum tk_status {
    TK_OK = 0,
    TK_ERR_PATH = 1,      /* the path is not built for this architecture or the CPU lacks it */
    TK_ERR_ARGUMENT = 2,  /* a size, stride or range is out of bounds, or a pointer is NULL */
    TK_ERR_NONFINITE = 3, /* an input held an infinity or NaN */
    TK_ERR_MEMORY = 4,    /* an allocation failed */
} tk_status;

/* The kernel implementations. A path exists on one architecture only. */
typedef enum tk_path {
    TK_PATH_SCALAR = 0,       /* "scalar": portable C, every build */
    TK_PATH_AVX2 = 1,         /* "avx2": x86-64 AVX2 + FMA + F16C */
    TK_PATH_AVXVNNI = 2,      /* "avxvnni": x86-64 AVX-VNNI (256-bit vpdpbusd) */
    TK_PATH_AVX512VNNI = 3,   /* "avx512vnni": x86-64 AVX-512 F/BW/VL + VNNI */
    TK_PATH_NEON = 4,         /* "neon": aarch64 Advanced SIMD */
    TK_PATH_NEON_DOTPROD = 5, /* "neon-dotprod": aarch64 sdot */
    TK_PATH_NEON_I8MM = 6,    /* "neon-i8mm": aarch64 smmla */
    TK_PATH_AVX512BF16 = 7,   /* "avx512bf16": avx512vnni's int8 products, bf16 ones by vdpbf16ps */
    TK_PATH_NEON_BF16 = 8,    /* "neon-bf16": neon-i8mm's int8 products, bf16 ones by bfmlalt/bfmlalb */
} tk_path;

#define TK_PATH_COUNT 9

/* The path's name as listed above, or NULL for a value outside the enum. */
const char *tk_path_name(tk_path path);

/* The path named `name`, in *path; TK_ERR_ARGUMENT for an unknown name. */
tk_status tk_path_from_name(const char *name, tk_path *path);

/* 1 when the path is built for this architecture and the CPU (and the OS,
 * for the wide registers) supports it, else 0. */
int tk_path_supported(tk_path path);

/* The fastest supported path on this CPU, detected once at first use. */
tk_path tk_best_path(void);

/* The row stride, in bytes, quantised activations need at least: k rounded up
 * to a multiple of 16. Bytes k..tk_padded_k(k)-1 of each row hold zeros. */
size_t tk_padded_k(size_t k);

/*
 * Quantises rows 0..m-1 of x (m rows of k floats, row stride ldx floats):
 *   absmax = max |x[r,:]|, scale[r] = absmax / 127,
 *   q[r,i] = roundeven(x[r,i] * (127 / absmax)), clamped to [-127, 127]
 * (round half to even, whatever the FPU rounding mode; a row whose absmax is
 * below 2^-120, all-zero rows included, gets scale 0 and zeros),
 * sum[r] = sum_i q[r,i]. Rows of q have stride ldq >= tk_padded_k(k) bytes and
 * are zero-filled from k to tk_padded_k(k).
 * A row holding an infinity or NaN gets zeros, sum 0 and scale NaN (so its
 * outputs are NaN); the call then returns TK_ERR_NONFINITE and stores the first
 * such row in *first_bad_row when that pointer is not NULL.
 * Every path gives the same bytes and scales.
 */
tk_status tk_quantize_rows(tk_path path, const float *x, size_t ldx, size_t m, size_t k,
                           int8_t *q, size_t ldq, float *scale, int32_t *sum,
                           size_t *first_bad_row);

/*
 * The int8 attention's probabilities: for each of m rows of s (n floats, row
 * stride lds), E = exp(s - max(s)) with tk_exp's formula, quantised exactly as
 * tk_quantize_rows would quantise E (whose largest value is exactly 1, so
 * q = roundeven(127 E) and the scale is 1/127), then scale[r] divided by the
 * sum of E's row (added in a fixed order: the same bits on every path), so
 * that scale[r] * q[r, :] approximates softmax(s[r, :]). The exponentials are
 * never stored; s is only read. A row holding a NaN or +infinity comes out as
 * tk_quantize_rows's bad rows do (zeros, sum 0, scale NaN), and the call then
 * returns TK_ERR_NONFINITE with the first such row in *first_bad_row.
 */
tk_status tk_softmax_quantize_rows(tk_path path, const float *s, size_t lds, size_t m, size_t n,
                                   int8_t *q, size_t ldq, float *scale, int32_t *sum, size_t *first_bad_row);

/* Int8 weights packed for one path. Opaque; immutable once packed, so one
 * packing may serve many threads at once. */
typedef struct tk_weights tk_weights;

/*
 * Packs W (n rows = output channels, k int8 each, row stride ldw bytes) with
 * its per-channel scale[n] and optional bias[n] (NULL: no bias, i.e. zero) for
 * `path`, into a new allocation stored in *out (free with tk_weights_free).
 * Needs 1 <= k <= TK_MAX_K, n >= 1, finite scales and biases.
 */
tk_status tk_weights_pack(tk_path path, const int8_t *w, size_t ldw, size_t n, size_t k,
                          const float *scale, const float *bias, tk_weights **out);

void tk_weights_free(tk_weights *weights);

tk_path tk_weights_path(const tk_weights *weights);

/* Column ranges starting at multiples of this split without repeated work. */
size_t tk_weights_column_block(const tk_weights *weights);

/*
 * Y rows [row_begin, row_end) x columns [col_begin, col_end) of the product
 * defined at the top. q, xscale and xsum are tk_quantize_rows's output, with
 * the weights' k, for all rows (row r at q + r*ldq, so activations lie in
 * [-127, 127], which some paths rely on); y is the whole output
 * matrix (element [r, c] at y[r*ldy + c]). Only the requested block of y is
 * written. Needs ldq >= tk_padded_k(k), col_end <= n, ldy >= col_end.
 */
tk_status tk_gemm(const tk_weights *weights, const int8_t *q, size_t ldq,
                  const float *xscale, const int32_t *xsum,
                  size_t row_begin, size_t row_end, size_t col_begin, size_t col_end,
                  float *y, size_t ldy);

/* As tk_gemm, but adds the block of the product to what y holds:
 * y[r, c] = y[r, c] + Y[r, c], one more rounding after the three (a residual
 * add fused into the product's last step). */
tk_status tk_gemm_add(const tk_weights *weights, const int8_t *q, size_t ldq,
                      const float *xscale, const int32_t *xsum,
                      size_t row_begin, size_t row_end, size_t col_begin, size_t col_end,
                      float *y, size_t ldy);

/* Widens n IEEE binary16 values to float32 (exact; a signalling NaN comes out
 * quiet, its payload kept), with the path's conversion instructions (F16C on
 * the x86 paths, fcvtl on the arm ones) or portable code for "scalar". */
tk_status tk_f16_to_f32(tk_path path, const uint16_t *src, float *dst, size_t n);

/*
 * The element-wise float kernels below compute each formula with lane-wise
 * float operations in one fixed order, each correctly rounded (the fused
 * multiply-adds of their polynomials and range reductions included): every
 * path gives the same bits. On x86's "scalar" path (CPUs without AVX2) the
 * fused steps are calls to libm's fmaf: the same bits, 20 to 25 times as slow
 * as before they were fused. y may alias x. They return TK_ERR_PATH for a path
 * this CPU lacks and TK_ERR_ARGUMENT for a NULL x or y when n > 0.
 */

/*
 * y[i] = e^(x[i] - shift): n = round((x - shift) log2 e), e^r for the rest
 * r (|r| <= ln2 / 2) by its Taylor series to r^7, times 2^n (within 2 ulp of
 * expf over the normal range; x - shift is clamped to [-87.3, 88.37], so the
 * result is never a subnormal, zero or infinity).
 */
tk_status tk_exp(tk_path path, const float *x, float *y, size_t n, float shift);

/*
 * The exact GELU, y[i] = x[i] * cdf(x[i]) (PyTorch's approximate='none'), with
 * the standard normal CDF cdf(x) = (1 + erf(x / sqrt 2)) / 2 from
 * erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z/2) (relative error below 1.2e-7,
 * the negative tail included), and exp as tk_exp computes it.
 */
tk_status tk_gelu(tk_path path, const float *x, float *y, size_t n);

/*
 * GELU's derivative, y[i] = cdf(x) + x exp(-x^2 / 2) / sqrt(2 pi) at x = x[i],
 * with cdf and exp as in tk_gelu.
 */
tk_status tk_gelu_derivative(tk_path path, const float *x, float *y, size_t n);

/* The logistic sigmoid, y[i] = 1 / (1 + e^-x[i]), with exp as tk_exp computes it. */
tk_status tk_sigmoid(tk_path path, const float *x, float *y, size_t n);

/*
 * LayerNorm over rows of `cols` floats (torch.nn.LayerNorm, biased variance):
 *   mean = sum(x) / cols, rstd = 1 / sqrt(sum((x - mean)^2) / cols + eps),
 *   y[c] = (x[c] - mean) * rstd * weight[c] + bias[c]   (rounded in that order),
 * storing mean[r] and rstd[r] when those pointers are not NULL. The sums add
 * element i into lane i % 32 and then reduce the lanes by a fixed tree, so
 * every path gives the same bits. y may alias x (rows are contiguous).
 */
tk_status tk_layer_norm(tk_path path, const float *x, float *y, size_t rows, size_t cols,
                        const float *weight, const float *bias, float eps, float *mean, float *rstd);

/*
 * The linear probe's products over a batch of rows of x (n_rows rows of dim
 * floats, contiguous), picked by index in place: rows[i] for i < count, each in
 * [0, n_rows). w and dw are [classes, dim], z and g [count, classes].
 *
 * tk_probe_logits: z[i, k] = sum_j w[k, j] x[rows[i], j], element j multiplied
 * and added into lane j % 16 by fmaf, the 16 lanes then added by a fixed tree.
 * tk_probe_accumulate: dw[k, j] = fmaf(g[i, k], x[rows[i], j], dw[k, j]) for
 * i = 0, 1, ..., count - 1 in that order (dw is added to, not overwritten).
 *
 * Every path gives the same bits. A row index out of range, a NULL pointer or a
 * zero width is TK_ERR_ARGUMENT (nothing written); count 0 does nothing.
 */
tk_status tk_probe_logits(tk_path path, const float *x, size_t n_rows, size_t dim, const intptr_t *rows, size_t count,
                          const float *w, size_t classes, float *z);
tk_status tk_probe_accumulate(tk_path path, const float *x, size_t n_rows, size_t dim, const intptr_t *rows, size_t count,
                              const float *g, size_t classes, float *dw);

/*
 * bf16 linear layers compute, for the rows and columns a caller asks for,
 *
 *     Y[m,n] = A[m,n] + bias[n],
 *     A[m,n] = 0, then for each pair p = 0, 1, ... of k (k padded to even with zeros):
 *              A = fma(X[m,2p+1], W[n,2p+1], A); A = fma(X[m,2p], W[n,2p], A)
 *
 * with X and W bf16 (the upper halves of f32, rounded to nearest even by
 * tk_bf16_round_rows), every fma one f32 rounding of the exact value, and a
 * result below 2^-126 in magnitude flushed to zero of its sign. That is what
 * AVX512-BF16's vdpbf16ps computes, lane by lane; the other paths widen bf16 to
 * f32 (exact) and reproduce it with f32 fused multiply-adds in the same order,
 * so every path gives the same bits. Reference: tk_bf16_dot (below) and the
 * double-precision check in Tests/CrossKernels/test_kernels.c.
 */

/* Rows of bf16 activations hold k rounded up to even; the pad is zero. */
size_t tk_bf16_padded_k(size_t k);

/*
 * Rounds rows 0..m-1 of x (k floats each, row stride ldx floats) to bf16, row
 * stride ldo >= tk_bf16_padded_k(k) values, zero from k to the padded k:
 * round to nearest even; subnormals become zero of their sign; an infinity stays
 * one; a NaN stays a NaN (made quiet, sign and top payload kept). The same on
 * every CPU (one portable implementation).
 */
tk_status tk_bf16_round_rows(const float *x, size_t ldx, size_t m, size_t k, uint16_t *out, size_t ldo);

/* The definition above for one output, in portable C (the scalar path's own
 * arithmetic): the dot product of kp bf16 values x and w, both padded alike. */
float tk_bf16_dot(const uint16_t *x, const uint16_t *w, size_t kp);

/*
 * The bf16 attention's weights, for each of m rows of s (n floats, row stride lds) with its
 * shift[r] (the row's maximum, say): e = e^(s - shift[r]) as tk_exp computes it, rounded to
 * bf16 as tk_bf16_round_rows rounds into q (row stride ldq >= tk_bf16_padded_k(n), the pad
 * zeroed), and sum[r] = the sum of the f32 e, element i added into lane i % 32 and the 32 lanes
 * then added by a fixed tree: the same bits on every path. s is only read.
 */
tk_status tk_exp_bf16_rows(tk_path path, const float *s, size_t lds, size_t m, size_t n, const float *shift,
                           uint16_t *q, size_t ldq, float *sum);

/* bf16 weights packed for one path. Opaque; immutable once packed (or filled). */
typedef struct tk_bf16_weights tk_bf16_weights;

/*
 * Packs W (n rows = output channels of k bf16 values, row stride ldw values, as
 * tk_bf16_round_rows writes them or a bf16 file holds them; subnormals are
 * taken as zero) with an optional f32 bias[n] (NULL: zero) for `path`, into a
 * new allocation in *out (free with tk_bf16_weights_free). Needs n, k >= 1.
 */
tk_status tk_bf16_weights_pack(tk_path path, const uint16_t *w, size_t ldw, size_t n, size_t k,
                               const float *bias, tk_bf16_weights **out);

void tk_bf16_weights_free(tk_bf16_weights *weights);

/*
 * The operands of a product of two f32 matrices in bf16 (a training step's products), from a
 * matrix held either way: element (r, i) of its m (or n) rows of k at x[r*rs + i*cs], with cs = 1
 * (rows in place, rs >= k) or rs = 1 (the transpose in place, cs >= the row count). The same
 * rounding as tk_bf16_round_rows; weights as tk_bf16_weights_pack packs the rounded rows (no
 * bias): tk_bf16_weights_place lays them out in the caller's memory (64-byte aligned, at least
 * tk_bf16_weights_bytes long; nothing to free), zeroing only their pads, and
 * tk_bf16_weights_fill_f32 fills columns [col_begin, col_end), for which disjoint ranges may be
 * filled by different threads at once. tk_bf16_weights_bytes is 0 for an impossible request.
 */
tk_status tk_bf16_round_strided(const float *x, size_t rs, size_t cs, size_t m, size_t k, uint16_t *out, size_t ldo);
size_t tk_bf16_weights_bytes(tk_path path, size_t n, size_t k);
tk_status tk_bf16_weights_place(tk_path path, size_t n, size_t k, void *memory, size_t bytes, tk_bf16_weights **out);
tk_status tk_bf16_weights_fill_f32(tk_bf16_weights *weights, const float *w, size_t rs, size_t cs, size_t col_begin,
                                   size_t col_end);

/* Column ranges starting at multiples of this split without repeated work. */
size_t tk_bf16_weights_column_block(const tk_bf16_weights *weights);

/*
 * Y rows [row_begin, row_end) x columns [col_begin, col_end) of the product
 * above, into y (element [r, c] at y[r*ldy + c]), or, when `add`, added to what
 * y holds (y + Y, one more rounding). x holds all rows as tk_bf16_round_rows
 * writes them (row r at x + r*ldx, ldx >= tk_bf16_padded_k(k)).
 */
tk_status tk_bf16_gemm(const tk_bf16_weights *weights, const uint16_t *x, size_t ldx,
                       size_t row_begin, size_t row_end, size_t col_begin, size_t col_end,
                       float *y, size_t ldy, int add);

#ifdef __cplusplus
}
#endif

#endif

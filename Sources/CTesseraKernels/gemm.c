/* tk_gemm: checks the request and walks it panel by panel through the
 * weights' kernel. */
#include "kernel.h"

static tk_status product(const tk_weights *weights, const int8_t *q, size_t ldq,
                         const float *xscale, const int32_t *xsum,
                         size_t row_begin, size_t row_end, size_t col_begin, size_t col_end,
                         float *y, size_t ldy, int add)
{
    if (weights == NULL || q == NULL || xscale == NULL || xsum == NULL || y == NULL) return TK_ERR_ARGUMENT;
    if (row_begin > row_end || col_begin > col_end || col_end > weights->n) return TK_ERR_ARGUMENT;
    if (ldq < weights->kp || (row_end - row_begin > 1 && ldy < col_end)) return TK_ERR_ARGUMENT;
    if (row_begin == row_end || col_begin == col_end) return TK_OK;

    const tk_rows rows = {q, ldq, xscale, xsum};
    const tk_kernel *kernel = weights->kernel;
    const size_t nr = kernel->nr;
    for (size_t p = col_begin / nr; p * nr < col_end; p++) {
        const tk_panel_columns span = tk_panel_span(p, nr, col_begin, col_end);
        kernel->panel(weights, &rows, row_begin, row_end, p, span.lo, span.hi, y + p * nr, ldy, add);
    }
    return TK_OK;
}

tk_status tk_gemm(const tk_weights *weights, const int8_t *q, size_t ldq,
                  const float *xscale, const int32_t *xsum,
                  size_t row_begin, size_t row_end, size_t col_begin, size_t col_end,
                  float *y, size_t ldy)
{
    return product(weights, q, ldq, xscale, xsum, row_begin, row_end, col_begin, col_end, y, ldy, 0);
}

tk_status tk_gemm_add(const tk_weights *weights, const int8_t *q, size_t ldq,
                      const float *xscale, const int32_t *xsum,
                      size_t row_begin, size_t row_end, size_t col_begin, size_t col_end,
                      float *y, size_t ldy)
{
    return product(weights, q, ldq, xscale, xsum, row_begin, row_end, col_begin, col_end, y, ldy, 1);
}

/* tk_quantize_rows: checks the request and runs the path's quantiser. */
#include "kernel.h"

#include <math.h>
#include <string.h>

tk_status tk_quantize_rows(tk_path path, const float *x, size_t ldx, size_t m, size_t k,
                           int8_t *q, size_t ldq, float *scale, int32_t *sum,
                           size_t *first_bad_row)
{
    if (!tk_path_supported(path)) return TK_ERR_PATH;
    if (x == NULL || q == NULL || scale == NULL || sum == NULL) return TK_ERR_ARGUMENT;
    if (k == 0 || k > TK_MAX_K || ldx < k || ldq < tk_padded_k(k)) return TK_ERR_ARGUMENT;
    if (m == 0) return TK_OK;
    return tk_rows_status(tk_kernel_for(path)->quantize(x, ldx, m, k, q, ldq, scale, sum), m, first_bad_row);
}

void tk_quantize_bad_row(int8_t *q, size_t kp, float *scale, int32_t *sum)
{
    memset(q, 0, kp);
    *scale = NAN;
    *sum = 0;
}

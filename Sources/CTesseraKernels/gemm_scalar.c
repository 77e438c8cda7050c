/* The portable int8 product: plain loops, the definition every other path
 * reproduces. Weights are plain padded rows (group 0), four to a panel. */
#include "kernel.h"

static void compute_panel(const tk_weights *w, const tk_rows *x, size_t row_begin, size_t row_end,
                     size_t panel, unsigned lo, unsigned hi, float *y, size_t ldy, int add)
{
    const size_t kp = w->kp, first = panel * w->kernel->nr;
    for (size_t r = row_begin; r < row_end; r++) {
        const int8_t *xr = x->q + r * x->ldq;
        for (unsigned j = lo; j < hi; j++) {
            const int8_t *wc = (const int8_t *)w->data + (first + j) * kp;
            int32_t acc = 0;
            for (size_t i = 0; i < kp; i++) acc += xr[i] * wc[i];
            const float v = tk_dequantize(acc, x->scale[r], w->scale[first + j], w->bias[first + j]);
            y[r * ldy + j] = add ? y[r * ldy + j] + v : v;
        }
    }
}

const tk_kernel tk_kernel_scalar = {4, 0, 0, compute_panel, tk_quantize_scalar, tk_f16_scalar, 4, tk_bf16_panel_scalar};

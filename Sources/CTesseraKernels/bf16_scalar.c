/* The portable bf16 product: the definition (tk_bf16_pair) in plain loops over
 * the packed panels, four columns wide. */
#include "kernel.h"

void tk_bf16_panel_scalar(const tk_bf16_weights *w, const uint16_t *x, size_t ldx, size_t row_begin,
                          size_t row_end, size_t panel, unsigned lo, unsigned hi, float *y, size_t ldy, int add)
{
    const size_t nr = w->kernel->bf16_nr, kp = w->kp, first = panel * nr;
    const uint16_t *data = w->data + first * kp;
    for (size_t r = row_begin; r < row_end; r++) {
        const uint16_t *xr = x + r * ldx;
        for (unsigned j = lo; j < hi; j++) {
            float acc = 0.0f;
            for (size_t i = 0; i < kp; i += 2) {
                const uint16_t *wp = data + (i / 2 * nr + j) * 2;
                acc = tk_bf16_pair(acc, xr[i], xr[i + 1], wp[0], wp[1]);
            }
            const float v = acc + w->bias[first + j];
            y[r * ldy + j] = add ? y[r * ldy + j] + v : v;
        }
    }
}

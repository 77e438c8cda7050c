/*
 * The panel walk shared by the 8-row NEON paths (dotprod and i8mm). The file
 * that includes it defines TARGET, MR (8), NR and its own block(): rows
 * [0, mr) of one panel, mr <= MR a constant, into (or added to) y.
 */
#ifndef TESSERA_KERNELS_NEON_PANEL_H
#define TESSERA_KERNELS_NEON_PANEL_H

TARGET static void compute_panel(const tk_weights *w, const tk_rows *x, size_t row_begin, size_t row_end,
                                  size_t panel, unsigned lo, unsigned hi, float *y, size_t ldy, int add)
{
    const size_t kp = w->kp, first = panel * NR, ldq = x->ldq;
    const int8_t *data = (const int8_t *)w->data + first * kp;
    const float *ws = w->scale + first, *bias = w->bias + first;
    size_t r = row_begin;
    for (; r + MR <= row_end; r += MR) {
        block(data, kp, x->q + r * ldq, ldq, MR, x->scale + r, ws, bias, lo, hi, y + r * ldy, ldy, add);
    }
    /* Each remainder gets its own unrolled copy. */
    const int8_t *xq = x->q + r * ldq;
    const float *xs = x->scale + r;
    float *yr = y + r * ldy;
    switch (row_end - r) {
    case 7: block(data, kp, xq, ldq, 7, xs, ws, bias, lo, hi, yr, ldy, add); break;
    case 6: block(data, kp, xq, ldq, 6, xs, ws, bias, lo, hi, yr, ldy, add); break;
    case 5: block(data, kp, xq, ldq, 5, xs, ws, bias, lo, hi, yr, ldy, add); break;
    case 4: block(data, kp, xq, ldq, 4, xs, ws, bias, lo, hi, yr, ldy, add); break;
    case 3: block(data, kp, xq, ldq, 3, xs, ws, bias, lo, hi, yr, ldy, add); break;
    case 2: block(data, kp, xq, ldq, 2, xs, ws, bias, lo, hi, yr, ldy, add); break;
    case 1: block(data, kp, xq, ldq, 1, xs, ws, bias, lo, hi, yr, ldy, add); break;
    default: break;
    }
}

#endif

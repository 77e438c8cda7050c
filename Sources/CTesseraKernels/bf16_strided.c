/* The operands of bf16 products between two f32 matrices (training's products): rows rounded
 * and weights packed from a matrix held either way, row by row or column by column, so that no
 * caller transposes first (tessera_kernels.h). */
#include "kernel.h"

/* Rows of the transposed source (element (r, i) at x[r + i*cs]) in blocks of this many, so each
 * read of the source is a run of consecutive floats. */
enum { ROW_BLOCK = 16 };

tk_status tk_bf16_round_strided(const float *x, size_t rs, size_t cs, size_t m, size_t k, uint16_t *out, size_t ldo)
{
    if (cs == 1) return tk_bf16_round_rows(x, rs, m, k, out, ldo);
    if (m == 0) return TK_OK;
    if (x == NULL || out == NULL || k == 0 || rs != 1 || cs < m || ldo < tk_bf16_padded_k(k)) return TK_ERR_ARGUMENT;
    const size_t kp = tk_bf16_padded_k(k);
    for (size_t r0 = 0; r0 < m; r0 += ROW_BLOCK) {
        const size_t r1 = r0 + ROW_BLOCK < m ? r0 + ROW_BLOCK : m;
        for (size_t i = 0; i < k; i++) {
            const float *column = x + i * cs;
            for (size_t r = r0; r < r1; r++) out[r * ldo + i] = tk_round_bf16(column[r]);
        }
        if (kp > k)
            for (size_t r = r0; r < r1; r++) out[r * ldo + k] = 0;
    }
    return TK_OK;
}

tk_status tk_bf16_weights_pack_f32(tk_path path, const float *w, size_t rs, size_t cs, size_t n, size_t k,
                                   tk_bf16_weights **out)
{
    if (out == NULL) return TK_ERR_ARGUMENT;
    *out = NULL;
    if (!tk_path_supported(path)) return TK_ERR_PATH;
    if (w == NULL || n == 0 || k == 0 || (cs != 1 && rs != 1) || (cs == 1 ? rs < k : cs < n)) return TK_ERR_ARGUMENT;
    tk_bf16_weights *packed;
    const tk_status status = tk_bf16_weights_alloc(path, n, k, &packed);
    if (status != TK_OK) return status;
    const size_t nr = packed->kernel->bf16_nr, kp = packed->kp;
    if (cs == 1) {
        for (size_t c = 0; c < n; c++) {
            uint16_t *panel = packed->data + c / nr * nr * kp + c % nr * 2;
            const float *row = w + c * rs;
            for (size_t i = 0; i < k; i++) panel[i / 2 * nr * 2 + i % 2] = tk_round_bf16(row[i]);
        }
    } else {
        for (size_t i = 0; i < k; i++) {
            const float *column = w + i * cs;
            for (size_t c = 0; c < n; c++) {
                packed->data[c / nr * nr * kp + (i / 2 * nr + c % nr) * 2 + i % 2] = tk_round_bf16(column[c]);
            }
        }
    }
    *out = packed;
    return TK_OK;
}

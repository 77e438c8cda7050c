/*
 * Runs every path this CPU supports against the scalar path and a plain
 * reference, outside SwiftPM, so the aarch64 paths can be checked under
 * qemu-user (scripts/check-kernels-aarch64). Exits 1 after any difference.
 */
#include "tessera_kernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
/* AVX-VNNI's code, built with the EVEX form of the same instruction so that
 * CPUs with AVX-512 VNNI but without AVX-VNNI (Zen 4, Ice Lake) can run it. */
#include <immintrin.h>
#define _mm256_dpbusd_avx_epi32 _mm256_dpbusd_epi32
#define TILE_KERNEL avxvnni_as_evex
#define TILE_QUANTIZE tk_quantize_avx2
#define TILE_TARGET __attribute__((target("avx2,fma,avx512vl,avx512vnni")))
#define TILE_MR 6
#define TILE_VNNI 1
#include "gemm_x86_256.h"

/* AVX2's packing (same panels and groups) with AVX-VNNI's W + 128. */
static tk_weights *as_avxvnni(tk_weights *avx2)
{
    for (size_t i = 0; i < avx2->panels * avxvnni_as_evex.nr * avx2->kp; i++) avx2->data[i] ^= 0x80;
    avx2->kernel = &avxvnni_as_evex;
    return avx2;
}
#endif

static uint64_t state = 0x9e3779b97f4a7c15u;

static uint32_t next(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (uint32_t)(state >> 16);
}

static float uniform(void) /* [-1, 1) */
{
    return (float)(next() & 0xffffff) / 8388608.0f - 1.0f;
}

static int failures;

static void fail(const char *path, const char *what, size_t m, size_t n, size_t k, size_t at)
{
    if (failures++ < 20) fprintf(stderr, "FAIL %s: %s (m %zu n %zu k %zu) at %zu\n", path, what, m, n, k, at);
}

static void *must(void *p)
{
    if (p == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

/* The definition: exact integer dot product, then the three roundings. */
static float reference(const int8_t *xq, float xs, const int8_t *wr, float ws, float b, size_t k)
{
    int64_t acc = 0;
    for (size_t i = 0; i < k; i++) acc += (int64_t)xq[i] * wr[i];
    float y = (float)(int32_t)acc * xs;
    y = y * ws;
    return y + b;
}

/* tk_gemm_add on a block in the middle of y: inside it y + the product y0
 * (as tk_gemm wrote it), one rounding; outside it y untouched. */
static void check_add(const tk_weights *packed, const char *name, const int8_t *q0, size_t ldq, const float *s0,
                      const int32_t *sum0, const float *y0, float *y, size_t m, size_t n, size_t k, size_t ldy)
{
    const size_t r0 = m / 4, r1 = m - m / 3, c0 = n / 5, c1 = n - n / 3;
    for (size_t i = 0; i < m * ldy; i++) y[i] = -7.0f + (float)(i % 5);
    tk_gemm_add(packed, q0, ldq, s0, sum0, r0, r1, c0, c1, y, ldy);
    for (size_t r = 0; r < m; r++) {
        for (size_t c = 0; c < ldy; c++) {
            const float before = -7.0f + (float)((r * ldy + c) % 5);
            const int inside = r >= r0 && r < r1 && c >= c0 && c < c1;
            const float want = inside ? before + y0[r * ldy + c] : before;
            if (memcmp(&want, &y[r * ldy + c], sizeof want) != 0) fail(name, "add", m, n, k, r * ldy + c);
        }
    }
}

static void check_shape(size_t m, size_t n, size_t k, int with_bias)
{
    const size_t kp = tk_padded_k(k), ldx = k + 3, ldq = kp + 16, ldy = n + 5;
    float *x = must(malloc(m * ldx * sizeof *x));
    int8_t *w = must(malloc(n * k));
    float *ws = must(malloc(n * sizeof *ws)), *bias = must(malloc(n * sizeof *bias));
    for (size_t r = 0; r < m; r++) {
        const float row_scale = r % 3 == 0 ? 1.0f : r % 3 == 1 ? 1e-3f : 40.0f;
        for (size_t i = 0; i < ldx; i++) x[r * ldx + i] = uniform() * row_scale;
        if (r == 1 && k > 2) x[r * ldx + 2] = 0; /* an exact zero among the values */
    }
    if (m > 2) memset(x + 2 * ldx, 0, k * sizeof *x); /* an all-zero row */
    for (size_t i = 0; i < n * k; i++) w[i] = (int8_t)(next() & 0xff);
    if (n * k > 0) w[0] = -128;
    for (size_t c = 0; c < n; c++) {
        ws[c] = 0.001f + fabsf(uniform()) * 0.01f;
        bias[c] = uniform();
    }

    int8_t *q0 = must(calloc(m * ldq, 1)), *q = must(calloc(m * ldq, 1));
    float *s0 = must(malloc(m * sizeof(float))), *s = must(malloc(m * sizeof(float)));
    int32_t *sum0 = must(malloc(m * sizeof(int32_t))), *sum = must(malloc(m * sizeof(int32_t)));
    float *y0 = must(malloc(m * ldy * sizeof(float))), *y = must(malloc(m * ldy * sizeof(float)));
    if (tk_quantize_rows(TK_PATH_SCALAR, x, ldx, m, k, q0, ldq, s0, sum0, NULL) != TK_OK) fail("scalar", "quantize", m, n, k, 0);

    tk_weights *packed0;
    if (tk_weights_pack(TK_PATH_SCALAR, w, k, n, k, ws, with_bias ? bias : NULL, &packed0) != TK_OK) {
        fail("scalar", "pack", m, n, k, 0);
        return;
    }
    memset(y0, 0, m * ldy * sizeof(float));
    tk_gemm(packed0, q0, ldq, s0, sum0, 0, m, 0, n, y0, ldy);
    for (size_t r = 0; r < m; r++) {
        for (size_t c = 0; c < n; c++) {
            const float want = reference(q0 + r * ldq, s0[r], w + c * k, ws[c], with_bias ? bias[c] : 0.0f, k);
            if (memcmp(&want, &y0[r * ldy + c], sizeof want) != 0) fail("scalar", "vs reference", m, n, k, r * n + c);
        }
    }
    check_add(packed0, "scalar", q0, ldq, s0, sum0, y0, y, m, n, k, ldy);

    for (int p = 0; p < TK_PATH_COUNT; p++) {
        if (p == TK_PATH_SCALAR || !tk_path_supported((tk_path)p)) continue;
        const char *name = tk_path_name((tk_path)p);
        memset(q, 0x55, m * ldq);
        if (tk_quantize_rows((tk_path)p, x, ldx, m, k, q, ldq, s, sum, NULL) != TK_OK) fail(name, "quantize", m, n, k, 0);
        for (size_t r = 0; r < m; r++) {
            if (memcmp(q + r * ldq, q0 + r * ldq, kp) != 0) fail(name, "quantized bytes", m, n, k, r);
            if (memcmp(&s[r], &s0[r], sizeof(float)) != 0 || sum[r] != sum0[r]) fail(name, "row scale or sum", m, n, k, r);
        }
        tk_weights *packed;
        if (tk_weights_pack((tk_path)p, w, k, n, k, ws, with_bias ? bias : NULL, &packed) != TK_OK) {
            fail(name, "pack", m, n, k, 0);
            continue;
        }
        memset(y, 0, m * ldy * sizeof(float));
        tk_gemm(packed, q0, ldq, s0, sum0, 0, m, 0, n, y, ldy);
        for (size_t r = 0; r < m; r++) {
            if (memcmp(y + r * ldy, y0 + r * ldy, n * sizeof(float)) != 0) fail(name, "output vs scalar", m, n, k, r);
        }
        /* A block in the middle: only it is written. */
        const size_t r0 = m / 3, r1 = m - m / 4, c0 = n / 3, c1 = n - n / 5;
        for (size_t i = 0; i < m * ldy; i++) y[i] = -7.0f;
        tk_gemm(packed, q0, ldq, s0, sum0, r0, r1, c0, c1, y, ldy);
        for (size_t r = 0; r < m; r++) {
            for (size_t c = 0; c < ldy; c++) {
                const int inside = r >= r0 && r < r1 && c >= c0 && c < c1;
                const float want = inside ? y0[r * ldy + c] : -7.0f;
                if (memcmp(&want, &y[r * ldy + c], sizeof want) != 0) fail(name, "sub-range", m, n, k, r * ldy + c);
            }
        }
        check_add(packed, name, q0, ldq, s0, sum0, y0, y, m, n, k, ldy);
        tk_weights_free(packed);
    }
#if defined(__x86_64__)
    tk_weights *evex;
    if (tk_path_supported(TK_PATH_AVX512VNNI) && tk_weights_pack(TK_PATH_AVX2, w, k, n, k, ws, with_bias ? bias : NULL, &evex) == TK_OK) {
        memset(y, 0, m * ldy * sizeof(float));
        tk_gemm(as_avxvnni(evex), q0, ldq, s0, sum0, 0, m, 0, n, y, ldy);
        for (size_t r = 0; r < m; r++) {
            if (memcmp(y + r * ldy, y0 + r * ldy, n * sizeof(float)) != 0) fail("avxvnni as evex", "output vs scalar", m, n, k, r);
        }
        tk_weights_free(evex);
    }
#endif
    tk_weights_free(packed0);
    free(x); free(w); free(ws); free(bias); free(q0); free(q); free(s0); free(s);
    free(sum0); free(sum); free(y0); free(y);
}

static void check_f16(void)
{
    uint16_t *in = must(malloc(65536 * sizeof *in));
    float *want = must(malloc(65536 * sizeof *want)), *got = must(malloc(65536 * sizeof *got));
    for (size_t i = 0; i < 65536; i++) in[i] = (uint16_t)i;
    tk_f16_to_f32(TK_PATH_SCALAR, in, want, 65536);
    if (want[0x3c00] != 1.0f || want[0xc000] != -2.0f || want[0x0001] != 0x1p-24f || !isinf(want[0x7c00])) {
        fail("scalar", "f16 known values", 0, 0, 0, 0);
    }
    for (int p = 0; p < TK_PATH_COUNT; p++) {
        if (p == TK_PATH_SCALAR || !tk_path_supported((tk_path)p)) continue;
        for (size_t n = 65536; n > 65525; n--) { /* odd lengths exercise the tails */
            memset(got, 0, 65536 * sizeof *got);
            tk_f16_to_f32((tk_path)p, in, got, n);
            for (size_t i = 0; i < n; i++) {
                if (memcmp(&got[i], &want[i], sizeof(float)) != 0) {
                    fail(tk_path_name((tk_path)p), "f16", 0, 0, n, i);
                    break;
                }
            }
        }
    }
    free(in); free(want); free(got);
}

/* bf16: the definition (tk_bf16_dot) against a double-precision dot product of
 * the same bf16 values, every path against it bit for bit, sub-ranges and adds. */
static float bf16_value(uint16_t h)
{
    const uint32_t bits = (uint32_t)h << 16;
    float v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

/* The training products' operands: x and w held as rows and as their transposes, rounded and
 * packed in place, give the rows tk_bf16_round_rows gives (xb) and the products y0 (no bias). */
static void check_bf16_strided(tk_path path, const float *x, size_t ldx, const float *wf, const uint16_t *xb, size_t ldb,
                               size_t m, size_t n, size_t k, const float *y0, size_t ldy)
{
    char name[64];
    snprintf(name, sizeof name, "bf16 strided %s", tk_path_name(path));
    const size_t ldt = m + 2, ldw = n + 3;
    float *xt = must(malloc(k * ldt * sizeof *xt)), *wt = must(malloc(k * ldw * sizeof *wt));
    float *y = must(malloc(m * ldy * sizeof *y));
    uint16_t *xs = must(malloc(m * ldb * sizeof *xs));
    for (size_t r = 0; r < m; r++)
        for (size_t i = 0; i < k; i++) xt[i * ldt + r] = x[r * ldx + i];
    for (size_t c = 0; c < n; c++)
        for (size_t i = 0; i < k; i++) wt[i * ldw + c] = wf[c * k + i];
    memset(xs, 0xff, m * ldb * sizeof *xs);
    if (tk_bf16_round_strided(xt, 1, ldt, m, k, xs, ldb) != TK_OK) fail(name, "round status", m, n, k, 0);
    for (size_t r = 0; r < m; r++) {
        if (memcmp(xs + r * ldb, xb + r * ldb, tk_bf16_padded_k(k) * sizeof *xs) != 0) fail(name, "rounded columns", m, n, k, r);
    }
    for (int held = 0; held < 2; held++) {
        /* Placed over memory full of NaNs: placing zeroes the pads, filling writes the rest. */
        const size_t bytes = tk_bf16_weights_bytes(path, n, k);
        void *memory = must(aligned_alloc(64, (bytes + 63) / 64 * 64));
        memset(memory, 0xff, bytes); /* every bf16 a NaN: a pad left unzeroed shows */
        tk_bf16_weights *packed;
        if (bytes == 0 || tk_bf16_weights_place(path, n, k, memory, bytes, &packed) != TK_OK) {
            fail(name, "place", m, n, k, held);
            free(memory);
            continue;
        }
        /* Two ranges, the second first, split inside a panel: each fills only its own columns. */
        const size_t split = n / 2 + n % 3;
        const size_t rs = held == 0 ? k : 1, cs = held == 0 ? 1 : ldw;
        const float *source = held == 0 ? wf : wt;
        if (tk_bf16_weights_fill_f32(packed, source, rs, cs, split < n ? split : n, n) != TK_OK
            || tk_bf16_weights_fill_f32(packed, source, rs, cs, 0, split < n ? split : n) != TK_OK) {
            fail(name, "fill f32", m, n, k, held);
        }
        tk_bf16_gemm(packed, xs, ldb, 0, m, 0, n, y, ldy, 0);
        for (size_t r = 0; r < m; r++)
            for (size_t c = 0; c < n; c++)
                if (y[r * ldy + c] != y0[r * ldy + c]) fail(name, held ? "packed columns" : "packed rows", m, n, k, r * n + c);
        tk_bf16_weights_free(packed);  /* placed: frees nothing */
        free(memory);
    }
    free(xt); free(wt); free(y); free(xs);
}

/* The transposing roundings on the rule's edge cases (NaN, infinities, carries to infinity, ties,
 * subnormals, signed zeros), in a block large enough for the vector code: as tk_bf16_round_rows. */
static void check_bf16_strided_specials(void)
{
    static const uint32_t specials[] = {0x7fc00001u, 0xff812345u, 0x7f800000u, 0xff800000u, 0x7f7fffffu, 0x3f808000u,
                                        0x3f818000u, 0x00000001u, 0x807fffffu, 0x80000000u, 0x00800000u, 0x3f800001u};
    enum { M = 48, K = 70 };
    static float rows[M * K], columns[K * M];
    static uint16_t want[M * K], got[M * K];
    for (size_t i = 0; i < M * K; i++) {
        const uint32_t bits = specials[(i * 7) % (sizeof specials / sizeof specials[0])] ^ (uint32_t)(i % 3 == 0 ? 0 : 0x80000000u);
        memcpy(&rows[i], &bits, sizeof bits);
    }
    for (size_t r = 0; r < M; r++)
        for (size_t i = 0; i < K; i++) columns[i * M + r] = rows[r * K + i];
    if (tk_bf16_round_rows(rows, K, M, K, want, K) != TK_OK || tk_bf16_round_strided(columns, 1, M, M, K, got, K) != TK_OK
        || memcmp(want, got, sizeof want) != 0) {
        fail("bf16 strided", "special values", M, 0, K, 0);
    }
}

static void check_bf16_shape(size_t m, size_t n, size_t k, int with_bias)
{
    const size_t kp = tk_bf16_padded_k(k), ldx = k + 3, ldb = kp + 6, ldy = n + 5;
    float *x = must(malloc(m * ldx * sizeof *x)), *wf = must(malloc(n * k * sizeof *wf));
    float *bias = must(malloc(n * sizeof *bias));
    for (size_t r = 0; r < m; r++) {
        /* Row 3 is tiny: its products and sums fall below 2^-126 and are flushed. */
        const float row_scale = r % 4 == 0 ? 1.0f : r % 4 == 1 ? 1e-3f : r % 4 == 2 ? 40.0f : 1e-37f;
        for (size_t i = 0; i < ldx; i++) x[r * ldx + i] = uniform() * row_scale;
        if (r == 1 && k > 2) x[r * ldx + 2] = 0x1p-130f; /* a subnormal: read as zero */
    }
    for (size_t i = 0; i < n * k; i++) wf[i] = uniform() * (i % 7 == 3 ? 1e-20f : 0.05f);
    if (n * k > 1) wf[1] = 0x1p-128f;
    for (size_t c = 0; c < n; c++) bias[c] = uniform();

    uint16_t *xb = must(malloc(m * ldb * sizeof *xb)), *wb = must(malloc(n * kp * sizeof *wb));
    if (tk_bf16_round_rows(x, ldx, m, k, xb, ldb) != TK_OK || tk_bf16_round_rows(wf, k, n, k, wb, kp) != TK_OK) {
        fail("bf16", "round", m, n, k, 0);
        return;
    }
    wb[1] = 0x0020; /* the subnormal as a file might hold it: packing reads it as zero */
    uint16_t *w_taken = must(malloc(n * kp * sizeof *w_taken));
    memcpy(w_taken, wb, n * kp * sizeof *wb);
    w_taken[1] = 0;

    float *y0 = must(malloc(m * ldy * sizeof(float))), *y = must(malloc(m * ldy * sizeof(float)));
    for (size_t r = 0; r < m; r++) {
        for (size_t c = 0; c < n; c++) {
            const uint16_t *xr = xb + r * ldb, *wr = w_taken + c * kp;
            const float b = with_bias ? bias[c] : 0.0f;
            y0[r * ldy + c] = tk_bf16_dot(xr, wr, kp) + b;
            double exact = b, magnitude = fabs(b);
            for (size_t i = 0; i < kp; i++) {
                const double term = (double)bf16_value(xr[i]) * (double)bf16_value(wr[i]);
                exact += term;
                magnitude += fabs(term);
            }
            const double bound = 1.01 * (double)(kp + 1) * 0x1p-24 * magnitude + (double)kp * 0x1p-126;
            if (fabs((double)y0[r * ldy + c] - exact) > bound) fail("bf16", "definition vs double", m, n, k, r * n + c);
        }
    }

    for (int p = 0; p < TK_PATH_COUNT; p++) {
        if (!tk_path_supported((tk_path)p)) continue;
        char name[64];
        snprintf(name, sizeof name, "bf16 %s", tk_path_name((tk_path)p));
        tk_bf16_weights *packed;
        if (tk_bf16_weights_pack((tk_path)p, wb, kp, n, k, with_bias ? bias : NULL, &packed) != TK_OK) {
            fail(name, "pack", m, n, k, 0);
            continue;
        }
        memset(y, 0, m * ldy * sizeof(float));
        tk_bf16_gemm(packed, xb, ldb, 0, m, 0, n, y, ldy, 0);
        for (size_t r = 0; r < m; r++) {
            for (size_t c = 0; c < n; c++) {
                if (memcmp(&y[r * ldy + c], &y0[r * ldy + c], sizeof(float)) != 0) {
                    fail(name, "output vs definition", m, n, k, r * n + c);
                }
            }
        }
        /* A block in the middle, written, then added to. */
        const size_t r0 = m / 3, r1 = m - m / 4, c0 = n / 3, c1 = n - n / 5;
        for (size_t i = 0; i < m * ldy; i++) y[i] = -7.0f + (float)(i % 5);
        tk_bf16_gemm(packed, xb, ldb, r0, r1, c0, c1, y, ldy, 1);
        for (size_t r = 0; r < m; r++) {
            for (size_t c = 0; c < ldy; c++) {
                const float before = -7.0f + (float)((r * ldy + c) % 5);
                const int inside = r >= r0 && r < r1 && c >= c0 && c < c1;
                const float want = inside ? before + y0[r * ldy + c] : before;
                if (memcmp(&want, &y[r * ldy + c], sizeof want) != 0) fail(name, "add to a block", m, n, k, r * ldy + c);
            }
        }
        tk_bf16_weights_free(packed);
        if (!with_bias) check_bf16_strided((tk_path)p, x, ldx, wf, xb, ldb, m, n, k, y0, ldy);
    }
    free(x); free(wf); free(bias); free(xb); free(wb); free(w_taken); free(y0); free(y);
}

/* Rounding to bf16: ties to even, carries into the exponent and to infinity,
 * subnormals to signed zero, NaN kept quiet, the pad zeroed. */
static void check_bf16_rounding(void)
{
    static const struct { uint32_t in; uint16_t out; } cases[] = {
        {0x3f800000u, 0x3f80}, {0x3f808000u, 0x3f80}, {0x3f818000u, 0x3f82}, {0x3f808001u, 0x3f81},
        {0x3fff8000u, 0x4000}, {0x7f7fffffu, 0x7f80}, {0xff800000u, 0xff80}, {0x7fc00001u, 0x7fc0},
        {0x7f800001u, 0x7fc0}, {0xffa00000u, 0xffe0}, {0x00400000u, 0x0000}, {0x807fffffu, 0x8000},
        {0x00800000u, 0x0080}, {0xbf7fffffu, 0xbf80},
    };
    const size_t count = sizeof cases / sizeof cases[0];
    float in[sizeof cases / sizeof cases[0]];
    uint16_t out[sizeof cases / sizeof cases[0] + 1];
    for (size_t i = 0; i < count; i++) memcpy(&in[i], &cases[i].in, sizeof(float));
    memset(out, 0x55, sizeof out);
    if (tk_bf16_round_rows(in, count, 1, count, out, count + 1) != TK_OK) fail("bf16", "round status", 1, 0, count, 0);
    for (size_t i = 0; i < count; i++) {
        if (out[i] != cases[i].out) fail("bf16", "rounding", 1, 0, count, i);
    }
    if (count % 2 == 1 && out[count] != 0) fail("bf16", "pad not zero", 1, 0, count, count);
}

/* The portable rounding rule, written out again: the reference for every float's bits. */
static uint16_t bf16_reference(uint32_t bits)
{
    const uint32_t magnitude = bits & 0x7fffffffu;
    if (magnitude > 0x7f800000u) return (uint16_t)(bits >> 16 | 0x40u);
    if (magnitude < 0x00800000u) return (uint16_t)(bits >> 16 & 0x8000u);
    return (uint16_t)((bits + 0x7fffu + (bits >> 16 & 1u)) >> 16);
}

/* tk_bf16_round_rows (whichever code this CPU runs) against the rule: every one of the 2^32
 * floats natively on x86-64 (a few seconds), a stride through them elsewhere (qemu). */
static void check_bf16_every_float(void)
{
    enum { CHUNK = 1 << 20 };
    float *in = must(malloc(CHUNK * sizeof *in));
    uint16_t *out = must(malloc(CHUNK * sizeof *out));
#if defined(__x86_64__)
    const uint64_t step = 1;
#else
    const uint64_t step = 4099;
#endif
    for (uint64_t start = 0; start < (1ull << 32); start += (uint64_t)CHUNK * step) {
        size_t n = 0;
        for (uint64_t b = start; b < (1ull << 32) && n < CHUNK; b += step, n++) {
            const uint32_t bits = (uint32_t)b;
            memcpy(&in[n], &bits, sizeof bits);
        }
        if (tk_bf16_round_rows(in, n, 1, n, out, n + (n % 2)) != TK_OK) {
            fail("bf16", "round status", 1, 0, n, 0);
            break;
        }
        for (size_t i = 0; i < n; i++) {
            uint32_t bits;
            memcpy(&bits, &in[i], sizeof bits);
            if (out[i] != bf16_reference(bits)) {
                fail("bf16", "rounding of a float", 1, 0, n, bits);
                break;
            }
        }
    }
    free(in);
    free(out);
}

/* tk_exp_bf16_rows: every path against tk_exp's exponentials rounded by the rule and summed in
 * lane i % 32, then the fixed tree, written out here. */
static void check_exp_bf16(void)
{
    static const size_t widths[] = {1, 7, 32, 33, 197, 1000};
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        const size_t n = widths[w], m = 3, lds = n + 5, ldq = tk_bf16_padded_k(n) + 4;
        float *x = must(malloc(m * lds * sizeof *x)), *e = must(malloc(n * sizeof *e));
        float shift[3], sum[3], want_sum[3];
        uint16_t *want = must(malloc(m * ldq * sizeof *want)), *q = must(malloc(m * ldq * sizeof *q));
        for (size_t i = 0; i < m * lds; i++) x[i] = uniform() * 30.0f;
        for (size_t r = 0; r < m; r++) {
            shift[r] = r == 2 ? 200.0f : 15.0f; /* row 2: every exponential clamped at its floor */
            tk_exp(TK_PATH_SCALAR, x + r * lds, e, n, shift[r]);
            float acc[32] = {0};
            for (size_t i = 0; i < n; i++) acc[i % 32] += e[i];
            for (size_t width = 16; width >= 1; width /= 2) {
                for (size_t l = 0; l < width; l++) acc[l] += acc[l + width];
            }
            want_sum[r] = acc[0];
            tk_bf16_round_rows(e, n, 1, n, want + r * ldq, ldq);
        }
        for (int p = 0; p < TK_PATH_COUNT; p++) {
            if (!tk_path_supported((tk_path)p)) continue;
            memset(q, 0x55, m * ldq * sizeof *q);
            if (tk_exp_bf16_rows((tk_path)p, x, lds, m, n, shift, q, ldq, sum) != TK_OK) fail(tk_path_name((tk_path)p), "exp bf16", m, 0, n, 0);
            for (size_t r = 0; r < m; r++) {
                if (memcmp(q + r * ldq, want + r * ldq, tk_bf16_padded_k(n) * sizeof *q) != 0) {
                    fail(tk_path_name((tk_path)p), "exp bf16 values", m, 0, n, r);
                }
                if (memcmp(&sum[r], &want_sum[r], sizeof(float)) != 0) fail(tk_path_name((tk_path)p), "exp bf16 sum", m, 0, n, r);
            }
        }
        free(x); free(e); free(want); free(q);
    }
}

int main(void)
{
    printf("best path: %s\nsupported:", tk_path_name(tk_best_path()));
    for (int p = 0; p < TK_PATH_COUNT; p++) {
        if (tk_path_supported((tk_path)p)) printf(" %s", tk_path_name((tk_path)p));
    }
    printf("\n");
#if defined(__x86_64__)
    if (tk_path_supported(TK_PATH_AVX512VNNI)) printf("also: avxvnni's code through EVEX vpdpbusd\n");
#endif
    static const size_t shapes[][3] = {
        {1, 1, 1}, {1, 1, 17}, {3, 5, 1}, {7, 13, 31}, {1, 64, 384}, {197, 1, 384}, {13, 67, 100},
        {9, 17, 33}, {8, 8, 16}, {17, 129, 48}, {6, 64, 4}, {5, 130, 257}, {2, 3, 4096}, {197, 1152, 384},
        {11, 40, 70}, {197, 197, 64}, {197, 64, 197},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        check_shape(shapes[i][0], shapes[i][1], shapes[i][2], (int)(i % 2));
    }
    check_f16();
    check_bf16_rounding();
    check_bf16_every_float();
    check_exp_bf16();
    check_bf16_strided_specials();
    static const size_t bf16_shapes[][3] = {
        {1, 1, 1}, {4, 3, 5}, {7, 13, 31}, {9, 65, 100}, {13, 130, 257}, {6, 64, 2}, {25, 200, 768}, {2, 17, 1536},
        {40, 150, 99}, {33, 97, 64},
    };
    for (size_t i = 0; i < sizeof bf16_shapes / sizeof bf16_shapes[0]; i++) {
        check_bf16_shape(bf16_shapes[i][0], bf16_shapes[i][1], bf16_shapes[i][2], (int)(i % 2));
    }
    if (failures) {
        printf("%d failures\n", failures);
        return 1;
    }
    printf("all paths match scalar and the reference (int8, f16, bf16)\n");
    return 0;
}

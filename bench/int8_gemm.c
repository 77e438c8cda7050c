/*
 * Times the int8 GEMM of CTesseraKernels on every path this CPU supports, on
 * the linear layers of ViT-S and ViT-B at batch 8 (m = 8 * 197 tokens), one
 * thread, beside OpenBLAS's one-thread cblas_sgemm on the same shapes, in
 * CPU time of the calling thread.
 * Built and run by bench/int8_gemm.sh [SECONDS [PATH...]] (PATH: only those
 * paths, e.g. avx512vnni). Prints one line per layer and path:
 * best and median milliseconds of the GEMM, its GOP/s (2mnk / best time),
 * the quantisation time of the activations, and the sgemm figures.
 */
#include "kernel_bench.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>

typedef void (*work_fn)(void *);

/* Best and median seconds over repetitions filling about `budget` seconds. */
static void measure(work_fn work, void *context, double budget, double *best, double *median)
{
    double times[200];
    int n = 0;
    work(context); /* warm-up: caches, page faults */
    const double start = now();
    while (n < 200 && (n < 5 || now() - start < budget)) {
        const double t0 = now();
        work(context);
        times[n++] = now() - t0;
    }
    qsort(times, (size_t)n, sizeof times[0], by_value);
    *best = times[0];
    *median = times[n / 2];
}

typedef struct layer {
    size_t m, n, k;
    float *x, *wf, *y;
    int8_t *q;
    float *xscale;
    int32_t *xsum;
    tk_weights *packed;
    tk_path path;
} layer;

static void run_gemm(void *context)
{
    layer *l = context;
    tk_gemm(l->packed, l->q, tk_padded_k(l->k), l->xscale, l->xsum, 0, l->m, 0, l->n, l->y, l->n);
}

static void run_quantize(void *context)
{
    layer *l = context;
    tk_quantize_rows(l->path, l->x, l->k, l->m, l->k, l->q, tk_padded_k(l->k), l->xscale, l->xsum, NULL);
}

static void run_sgemm(void *context)
{
    layer *l = context;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)l->m, (int)l->n, (int)l->k, 1.0f, l->x, (int)l->k,
                l->wf, (int)l->k, 0.0f, l->y, (int)l->n);
}

static void *must(void *p)
{
    if (p == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

int main(int argc, char **argv)
{
    const double budget = argc > 1 ? atof(argv[1]) : 0.5;
    openblas_set_num_threads(1);
    printf("best path: %s; sgemm: OpenBLAS %s, 1 thread\n", tk_path_name(tk_best_path()), openblas_get_corename());
    printf("%-6s %-5s %5s %5s %5s  %-11s %8s %8s %7s %8s | %8s %7s %6s\n", "model", "layer", "m", "n", "k", "path",
           "best ms", "med ms", "GOP/s", "quant ms", "sgemm ms", "GFLOP/s", "ratio");
    const struct { const char *model; size_t d; } models[] = {{"ViT-S", 384}, {"ViT-B", 768}};
    for (size_t mi = 0; mi < 2; mi++) {
        const size_t d = models[mi].d, m = 8 * 197;
        const struct { const char *name; size_t n, k; } layers[] = {
            {"qkv", 3 * d, d}, {"proj", d, d}, {"fc1", 4 * d, d}, {"fc2", d, 4 * d},
        };
        double total_best[TK_PATH_COUNT] = {0}, total_quant[TK_PATH_COUNT] = {0}, total_sgemm = 0;
        for (size_t li = 0; li < 4; li++) {
            layer l = {.m = m, .n = layers[li].n, .k = layers[li].k};
            const size_t kp = tk_padded_k(l.k);
            l.x = must(malloc(m * l.k * sizeof(float)));
            l.wf = must(malloc(l.n * l.k * sizeof(float)));
            l.y = must(malloc(m * l.n * sizeof(float)));
            l.q = must(malloc(m * kp));
            l.xscale = must(malloc(m * sizeof(float)));
            l.xsum = must(malloc(m * sizeof(int32_t)));
            int8_t *w = must(malloc(l.n * l.k));
            float *wscale = must(malloc(l.n * sizeof(float)));
            srand(1);
            for (size_t i = 0; i < m * l.k; i++) l.x[i] = (float)rand() / (float)RAND_MAX - 0.5f;
            for (size_t i = 0; i < l.n * l.k; i++) {
                w[i] = (int8_t)(rand() % 255 - 127);
                l.wf[i] = (float)w[i] * 0.01f;
            }
            for (size_t i = 0; i < l.n; i++) wscale[i] = 0.01f;

            double sgemm_best, sgemm_median;
            measure(run_sgemm, &l, budget, &sgemm_best, &sgemm_median);
            total_sgemm += sgemm_best;
            const double ops = 2.0 * (double)m * (double)l.n * (double)l.k;
            for (int p = 0; p < TK_PATH_COUNT; p++) {
                if (!wanted((tk_path)p, argc, argv)) continue;
                l.path = (tk_path)p;
                if (tk_weights_pack(l.path, w, l.k, l.n, l.k, wscale, NULL, &l.packed) != TK_OK) return 1;
                double quant_best, quant_median, best, median;
                measure(run_quantize, &l, budget / 4, &quant_best, &quant_median);
                measure(run_gemm, &l, budget, &best, &median);
                total_best[p] += best;
                total_quant[p] += quant_best;
                printf("%-6s %-5s %5zu %5zu %5zu  %-11s %8.3f %8.3f %7.1f %8.3f | %8.3f %7.1f %6.2f\n", models[mi].model,
                       layers[li].name, m, l.n, l.k, tk_path_name(l.path), 1e3 * best, 1e3 * median, ops / best * 1e-9,
                       1e3 * quant_best, 1e3 * sgemm_best, ops / sgemm_best * 1e-9, sgemm_best / best);
                tk_weights_free(l.packed);
            }
            free(l.x); free(l.wf); free(l.y); free(l.q); free(l.xscale); free(l.xsum); free(w); free(wscale);
        }
        for (int p = 0; p < TK_PATH_COUNT; p++) {
            if (!wanted((tk_path)p, argc, argv)) continue;
            const double linear = total_best[p] + total_quant[p];
            printf("%-6s all four linears, %-11s gemm %8.3f + quantise %6.3f = %8.3f ms (sgemm %8.3f ms, %.2fx); "
                   "per tile x12 blocks: %.2f ms\n", models[mi].model, tk_path_name((tk_path)p), 1e3 * total_best[p],
                   1e3 * total_quant[p], 1e3 * linear, 1e3 * total_sgemm, total_sgemm / linear, 12e3 * linear / 8);
        }
    }
    return 0;
}

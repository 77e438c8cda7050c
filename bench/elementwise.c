/*
 * Times CTesseraKernels' element-wise kernels (tk_gelu, tk_exp,
 * tk_gelu_derivative, tk_sigmoid) on every path this CPU supports, one thread,
 * in nanoseconds per float (CPU time of the calling thread): on a long array
 * (65,536 floats, in and out in L2) and on rows of 197 floats (the ViT tile
 * encoder's tokens, as its softmax calls tk_exp: one call per row).
 * Built and run by bench/elementwise.sh [SECONDS [PATH...]] (PATH: only those
 * paths, e.g. avx512vnni). Prints one line per kernel and path: best and
 * median ns per float for each shape.
 */
#include "kernel_bench.h"

#include <stdio.h>
#include <stdlib.h>

typedef tk_status kernel_fn(tk_path path, const float *x, float *y, size_t n);

static tk_status exp_kernel(tk_path path, const float *x, float *y, size_t n)
{
    return tk_exp(path, x, y, n, 0.5f);
}

enum { LONG = 65536, ROW = 197, ROWS = 333 };

/* Applies the kernel to `total` floats of x into y, in calls of `length`. */
typedef struct job {
    kernel_fn *kernel;
    tk_path path;
    const float *x;
    float *y;
    size_t total, length;
} job;

static void run(const job *j)
{
    for (size_t start = 0; start < j->total; start += j->length) {
        if (j->kernel(j->path, j->x + start, j->y + start, j->length) != TK_OK) {
            fprintf(stderr, "kernel failed on path %s\n", tk_path_name(j->path));
            exit(2);
        }
    }
}

/* Best and median ns per float over repetitions filling about `budget` seconds. */
static void measure(const job *j, double budget, double *best, double *median)
{
    double times[500];
    int n = 0;
    run(j); /* warm-up: caches, page faults */
    const double start = now();
    while (n < 500 && (n < 5 || now() - start < budget)) {
        const double t0 = now();
        run(j);
        times[n++] = (now() - t0) * 1e9 / (double)j->total;
    }
    qsort(times, (size_t)n, sizeof times[0], by_value);
    *best = times[0];
    *median = times[n / 2];
}

int main(int argc, char **argv)
{
    const double budget = argc > 1 ? atof(argv[1]) : 0.5;
    static float x[LONG], y[LONG];
    srand(1);
    /* [-6, 6]: GELU's and the sigmoid's interesting range; exp sees x - 0.5. */
    for (size_t i = 0; i < LONG; i++) x[i] = 12.0f * ((float)rand() / (float)RAND_MAX - 0.5f);
    const struct { const char *name; kernel_fn *kernel; } kernels[] = {
        {"gelu", tk_gelu}, {"exp", exp_kernel}, {"gelu_derivative", tk_gelu_derivative}, {"sigmoid", tk_sigmoid},
    };
    printf("%-16s %-11s %12s %12s %12s %12s\n", "kernel", "path", "long best", "long median", "197 best", "197 median");
    for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++) {
        for (int p = 0; p < TK_PATH_COUNT; p++) {
            if (!wanted((tk_path)p, argc, argv)) continue;
            job whole = {kernels[k].kernel, (tk_path)p, x, y, LONG, LONG};
            job rows = {kernels[k].kernel, (tk_path)p, x, y, ROW * ROWS, ROW};
            double long_best, long_median, row_best, row_median;
            measure(&whole, budget, &long_best, &long_median);
            measure(&rows, budget, &row_best, &row_median);
            printf("%-16s %-11s %12.3f %12.3f %12.3f %12.3f\n", kernels[k].name, tk_path_name((tk_path)p), long_best,
                   long_median, row_best, row_median);
        }
    }
    return 0;
}

/*
 * What the kernel micro-benchmarks (bench/int8_gemm.c, bench/elementwise.c)
 * share: the clock, sorting of timings, and the command line's path filter.
 */
#ifndef TESSERA_BENCH_KERNEL_BENCH_H
#define TESSERA_BENCH_KERNEL_BENCH_H

#include "tessera_kernels.h"

#include <string.h>
#include <time.h>

/* The thread's CPU time: on a shared machine, time given to other processes
 * does not count (their cache traffic still does). */
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* qsort's order for doubles. */
static int by_value(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Whether the command line (argv[2...]) asks for this path (no names: every path). */
static int wanted(tk_path path, int argc, char **argv)
{
    if (!tk_path_supported(path)) return 0;
    if (argc <= 2) return 1;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], tk_path_name(path)) == 0) return 1;
    }
    return 0;
}

#endif

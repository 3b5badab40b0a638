/* stats.h -- what the benchmark's C harnesses (xgb_bench.c, model_bench.c)
 * share: CPU time of this thread, and quantiles of the rounds' times. */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* the q-quantile of v[0..n), interpolated */
static double quantile(const double *v, int n, double q)
{
    double *s = malloc(sizeof *s * (size_t)n), r;
    int lo;
    if (!s)
        abort();
    memcpy(s, v, sizeof *s * (size_t)n);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    lo = (int)(q * (n - 1));
    r = lo + 1 < n ? s[lo] + (s[lo + 1] - s[lo]) * (q * (n - 1) - lo) : s[lo];
    free(s);
    return r;
}

#endif

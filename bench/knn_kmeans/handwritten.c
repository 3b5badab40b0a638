/* handwritten.c -- the k-NN regression and the k-means distance as a
 * programmer would write them by hand, for bench.c to time beside nerva's
 * generated code.
 *
 * Straightforward C over the same numbers (hw_data.h): one squared distance
 * per training instance or center, summed over the fields in order; the K
 * nearest kept sorted by insertion (the earlier instance first among equal
 * distances); the average of their targets summed in rank order.  That is
 * the standard's arithmetic in the reference evaluator's order, so the
 * results are nerva's bit for bit (bench.c checks it).  Where a hand-writer
 * would save work -- comparing squared distances and taking one square root
 * at the end -- this does, since sqrt is monotone and correctly rounded the
 * results are the same. */
#include <math.h>

#include "handwritten.h"
#include "hw_data.h"

double hw_knn(const double *x)
{
    double best[K];
    int idx[K], have = 0;
    for (int r = 0; r < NINST; r++) {
        double t = 0;
        for (int f = 0; f < KDIM; f++) {
            double d = x[f] - hw_inst[r][f];
            t += d * d;
        }
        int j = have;
        while (j > 0 && t < best[j - 1])
            j--;
        if (j >= K)
            continue;
        if (have < K)
            have++;
        for (int m = have - 1; m > j; m--) {
            best[m] = best[m - 1];
            idx[m] = idx[m - 1];
        }
        best[j] = t;
        idx[j] = r;
    }
    double s = 0;
    for (int j = 0; j < K; j++)
        s += hw_y[idx[j]];
    return s / K;
}

double hw_kmeans(const double *x)
{
    double best = INFINITY;
    for (int c = 0; c < NCLUS; c++) {
        double t = 0;
        for (int f = 0; f < CDIM; f++) {
            double d = x[f] - hw_centers[c][f];
            t += d * d;
        }
        if (t < best)
            best = t;
    }
    return sqrt(best);
}

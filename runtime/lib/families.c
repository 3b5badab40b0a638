/* families.c -- run-time support of PMML's model families beyond the
 * regressions and trees: rankings (reason codes, votes), the comparison
 * measures of clustering and k-nearest-neighbour models over their tables
 * of centers and training instances, and the item sets of association
 * rules.  The per-component arithmetic of distances and similarities is
 * the kernel PFA's metric.* functions use too (kernels.c, kernel_metric);
 * what is here walks the model's constant tables with it.
 *
 * Every function computes exactly what the reference evaluator (JPMML)
 * computes, in its order of operations; each says how it orders ties. */

/*@ section family_rank needs prelude */
/* The index of the rank-th greatest of v[0..n) (rank 1 is the greatest),
   NaN values left out; of equal values the one with the smaller key[i]
   ranks first, then the one with the smaller i.  -1 when fewer than rank
   values are left.  Compares only (exact); O(n^2), for the few values of a
   scorecard's reason codes. */
NV_RT int nv_rank_desc(const double *v, const double *key, int n, int rank)
{
    int i, j, above;
    for (i = 0; i < n; i++) {
        if (v[i] != v[i])
            continue;
        above = 0;
        for (j = 0; j < n; j++)
            if (j != i && v[j] == v[j] &&
                (v[j] > v[i] || (v[j] == v[i] && (key[j] < key[i] || (key[j] == key[i] && j < i)))))
                above++;
        if (above == rank - 1)
            return i;
    }
    return -1;
}

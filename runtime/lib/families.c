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

/*@ section family_measure needs kernel_metric */
/* PMML's ComparisonMeasure between a record and the rows of a model's
   table (cluster centers, training instances).  The record and each row
   are nf numbers; a categorical value is its index in the field's list of
   categories (the compiler encodes both sides alike).  A missing value of
   the record is NaN.

   Distances (kind NV_EUCLID .. NV_MINKOWSKI of kernel_metric): each field
   the record has compares by its function c (absDiff |x - y|, gaussSim,
   delta 0 when equal else 1, equal 1 when equal else 0, table: the
   field's matrix at [x][y]), raised to the metric's inner power and
   multiplied by the field's weight; the terms add up in field order (the
   greatest for chebychev), are multiplied by the adjustment for missing
   values, sum of q over sum of q of the fields present, and take the
   outer power -- JPMML's order of operations, so results agree to the
   last bit.  Similarities (NV_BINSIM): the counts of the (record, row)
   pairs 00, 01, 10, 11 of 0/1 values, weighed by c and d.  NaN when the
   measure is undefined (every field missing, a value not 0 or 1 for a
   similarity, a zero denominator). */
enum { NV_BINSIM = 5 };
enum { NV_CF_ABS_DIFF, NV_CF_GAUSS_SIM, NV_CF_DELTA, NV_CF_EQUAL, NV_CF_TABLE };

typedef struct nv_mfield {
    int cmp;               /* NV_CF_* */
    double weight;         /* fieldWeight */
    double scale;          /* similarityScale */
    double q;              /* missing value weight */
    int msize;             /* table: msize x msize */
    const double *matrix;
} nv_mfield;

typedef struct nv_measure {
    int kind;
    double p;              /* minkowski */
    double c[4], d[4];     /* binary similarity: 00, 01, 10, 11 */
    int nf;
    const nv_mfield *f;
    int absdiff;           /* every field compares by absDiff (the fast path) */
} nv_measure;

/* sum of q over sum of q of the fields the record has; NaN when none */
NV_RT double nv_measure_adjust(const nv_measure *m, const double *x)
{
    double all = 0, have = 0;
    int i;
    for (i = 0; i < m->nf; i++) {
        all += m->f[i].q;
        if (x[i] == x[i])
            have += m->f[i].q;
    }
    return have == 0 ? NAN : all / have;
}

NV_RT double nv_measure_row(const nv_measure *m, const double *x, double adjust, const double *row)
{
    int i;
    if (m->kind == NV_BINSIM) {
        /* the counts in JPMML's order of summation, 11, 10, 01, 00 */
        double a[4] = {0, 0, 0, 0}, c[4], d[4];
        for (i = 0; i < m->nf; i++) {
            if ((x[i] != 0 && x[i] != 1) || (row[i] != 0 && row[i] != 1))
                return NAN;
            a[3 - ((int)x[i] * 2 + (int)row[i])] += 1;
        }
        for (i = 0; i < 4; i++) {
            c[i] = m->c[3 - i];
            d[i] = m->d[3 - i];
        }
        return nv_binary_similarity(a, c, d);
    }
    double tally = 0, c;
    for (i = 0; i < m->nf; i++) {
        const nv_mfield *f = &m->f[i];
        double y = row[i];
        if (x[i] != x[i])
            continue;
        switch (f->cmp) {
        case NV_CF_ABS_DIFF:
            c = fabs(x[i] - y);
            break;
        case NV_CF_GAUSS_SIM:
            c = nv_gauss_sim(x[i], y, f->scale);
            break;
        case NV_CF_DELTA:
            c = x[i] == y ? 0 : 1;
            break;
        case NV_CF_EQUAL:
            c = x[i] == y ? 1 : 0;
            break;
        default:
            if (!(x[i] >= 0 && x[i] < f->msize && y >= 0 && y < f->msize))
                return NAN;
            c = f->matrix[(int)x[i] * f->msize + (int)y];
            break;
        }
        tally = nv_metric_add(m->kind, tally, c, f->weight, m->p);
    }
    return nv_metric_end(m->kind, tally * adjust, m->p);
}

/* The k rows of rows[0..n) (nf numbers each) nearest the record: the
   smallest distances (greatest similarities) first, of equal measures the
   earlier row; rows whose measure is undefined are left out.  idx[0..k)
   gets their numbers (-1 past the last), val[0..k) their measures (NaN
   past the last).  One pass, O(n k). */
NV_RT void nv_nearest(const nv_measure *m, const double *x, const double *rows, int n, int k, int *idx,
                      double *val)
{
    double adjust = m->kind == NV_BINSIM ? 1 : nv_measure_adjust(m, x), v;
    int i, j, have = 0, sim = m->kind == NV_BINSIM;
    for (i = 0; i < k; i++) {
        idx[i] = -1;
        val[i] = NAN;
    }
    int fast = m->absdiff && (m->kind == NV_EUCLID || m->kind == NV_SQEUCLID || m->kind == NV_CITYBLOCK);
    int unit = 1;          /* every field weight 1: d d 1 is d d */
    for (i = 0; i < m->nf; i++) {
        fast &= x[i] == x[i];
        unit &= m->f[i].weight == 1;
    }
    /* euclidean: a row whose squared sum passes `cut` cannot be kept, so
       its root is not taken.  cut = v^2 (1 + 1e-15) for v = val[k-1], the
       worst kept: a sum above it has a root above v by more than half an
       ulp (sqrt is correctly rounded), so this skips only rows that the
       test below would skip. */
    double cut = INFINITY;
    int nf = m->nf;
    for (i = 0; i < n; i++) {
        const double *row = rows + (size_t)i * (size_t)nf;
        if (fast) {
            /* the same sums as nv_metric_add's, without its switches: every
               field present, compared by |x - y| (d d w is (|d| |d|) w) */
            double t = 0, d;
            int f;
            if (m->kind == NV_CITYBLOCK)
                for (f = 0; f < nf; f++)
                    t = t + fabs(x[f] - row[f]) * m->f[f].weight;
            else if (unit)
                for (f = 0; f < nf; f++) {
                    d = x[f] - row[f];
                    t = t + d * d;
                }
            else
                for (f = 0; f < nf; f++) {
                    d = x[f] - row[f];
                    t = t + d * d * m->f[f].weight;
                }
            t = t * adjust;
            if (t > cut)
                continue;
            v = m->kind == NV_EUCLID ? sqrt(t) : t;
        } else
            v = nv_measure_row(m, x, adjust, row);
        if (v != v)
            continue;
        /* where it goes: after every kept row at least as good */
        for (j = have; j > 0 && (sim ? v > val[j - 1] : v < val[j - 1]); j--)
            ;
        if (j >= k)
            continue;
        if (have < k)
            have++;
        memmove(idx + j + 1, idx + j, sizeof *idx * (size_t)(have - 1 - j));
        memmove(val + j + 1, val + j, sizeof *val * (size_t)(have - 1 - j));
        idx[j] = i;
        val[j] = v;
        if (fast && m->kind == NV_EUCLID && have == k)
            cut = val[k - 1] * val[k - 1] * (1 + 1e-15);
    }
}

/*@ section family_vote needs prelude */
/* Majority votes of k nearest neighbours (PMML NearestNeighborModel): the
   label (a category's code) of lab[0..k) whose weights w[] sum the
   greatest, each label's sum added in neighbour order; a tie goes to the
   label with the greater count cnt[] of training instances, then to the
   smaller ord[] (its place in the order of values) -- the standard's rule,
   as JPMML applies it.  -1 when k is 0.  Exact sums in JPMML's order;
   O(k^2), k is small. */
NV_RT double nv_vote(const double *lab, const double *w, const double *cnt, const double *ord, int k)
{
    int i, j, best = -1;
    double bs = 0, s;
    for (i = 0; i < k; i++) {
        for (j = 0; j < i && lab[j] != lab[i]; j++)
            ;
        if (j < i)
            continue; /* counted with its first neighbour */
        s = 0;
        for (j = i; j < k; j++)
            if (lab[j] == lab[i])
                s += w[j];
        if (best < 0 || s > bs ||
            (s == bs && (cnt[i] > cnt[best] || (cnt[i] == cnt[best] && ord[i] < ord[best])))) {
            best = i;
            bs = s;
        }
    }
    return best < 0 ? -1 : lab[best];
}

/*@ section family_median needs prelude */
/* The median of v[0..n) as JPMML computes it (commons-math Percentile(50),
   its default estimation): the middle value, or of the two middle ones a
   and b, a + (b - a) / 2.  Sorts v in place.  NaN when n is 0.  Exact as
   that formula rounds. */
NV_RT double nv_percentile_median(double *v, int n)
{
    int i, j;
    double x;
    if (n <= 0)
        return NAN;
    for (i = 1; i < n; i++)
        for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
            x = v[j];
            v[j] = v[j - 1];
            v[j - 1] = x;
        }
    if (n % 2)
        return v[n / 2];
    return v[n / 2 - 1] + 0.5 * (v[n / 2] - v[n / 2 - 1]);
}

/*@ section family_assoc needs intern */
/* An association model's rules (PMML AssociationModel): items, itemsets
   (lists of items), rules (an antecedent and a consequent itemset). */
typedef struct nv_assoc {
    int nitems;
    const char *const *values;   /* the items' values, sorted (nv_intern) */
    const int *item;             /* the item of each sorted value */
    int nsets;
    const int *set_start;        /* itemset s: set_items[set_start[s] .. set_start[s + 1]) */
    const int *set_items;
    int nrules;
    const int *rules;            /* per rule: antecedent, consequent */
} nv_assoc;

/* present[i] = 1 when the set of values (NULL-terminated) holds item i */
NV_RT void nv_assoc_present(const nv_assoc *a, const char *const *set, unsigned char *present)
{
    int i;
    memset(present, 0, (size_t)a->nitems);
    for (; *set; set++) {
        i = nv_intern(*set, a->values, a->nitems);
        if (i >= 0)
            present[a->item[i]] = 1;
    }
}

NV_RT int nv_assoc_holds(const nv_assoc *a, const unsigned char *present, int s)
{
    int k;
    for (k = a->set_start[s]; k < a->set_start[s + 1]; k++)
        if (!present[a->set_items[k]])
            return 0;
    return 1;
}

/* The rank-th (1-based) rule that the items present select, ordered by
   key[] (descending or not), rules of equal keys in document order; -1 when
   fewer rules are selected.  algorithm 0 (recommendation): the antecedent
   is present; 1 (exclusiveRecommendation): and the consequent is not
   wholly present; 2 (ruleAssociation): both are.  Compares only (exact);
   rank passes over the rules. */
NV_RT int nv_assoc_rule(const nv_assoc *a, const unsigned char *present, int algorithm, const double *key,
                        int descending, int rank)
{
    int r, i, best = -1, prev = -1;
    for (r = 0; r < rank; r++) {
        best = -1;
        for (i = 0; i < a->nrules; i++) {
            int ante = nv_assoc_holds(a, present, a->rules[2 * i]), cons;
            double k = key[i], kb, kp;
            if (!ante)
                continue;
            if (algorithm != 0) {
                cons = nv_assoc_holds(a, present, a->rules[2 * i + 1]);
                if (algorithm == 1 ? cons : !cons)
                    continue;
            }
            /* after the previous one in the order (key, then position) */
            if (prev >= 0) {
                kp = key[prev];
                if (descending ? k > kp : k < kp)
                    continue;
                if (k == kp && i <= prev)
                    continue;
            }
            if (best >= 0) {
                kb = key[best];
                if (descending ? k <= kb : k >= kb)
                    continue;
            }
            best = i;
        }
        if (best < 0)
            return -1;
        prev = best;
    }
    return best;
}

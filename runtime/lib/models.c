/* models.c -- the evaluators of PMML model families whose numbers are long
 * lists: a neural network's layers (PMML NeuralNetwork) and a support
 * vector machine's vectors (SupportVectorMachineModel).
 *
 * Why data and a loop, not code: a network of 100,000 weights printed as
 * 100,000 lines of C takes the C compiler minutes, and a vector machine's
 * support vectors are the same kernel applied to each of a long list.  The
 * backend prints the model's numbers as static const tables laid out for
 * these loops (compiler/c/emit_kernels.c), and a unit carries these
 * functions.  The arithmetic is the reference evaluator's (JPMML), in its
 * order: sums start from 0 and add their terms in the document's order, so
 * results are the same bits wherever the kernels (kernels.c) are.
 *
 * The functions are pure: all state is the caller's arrays. */

/*@ section pmml_net needs kernel_activation kernel_link */
/* One layer of a network.  The network's values (its inputs, then each
   layer's neurons) are one array; the layer writes [dst, dst + n).  A dense
   layer's neurons read [src, src + nsrc), every neuron every source in
   order, with the weight of source j for neuron i at w[j * n + i], so that
   the inner loop runs over the neurons, contiguous and free of a chain of
   dependent additions (it vectorises without reassociating any sum).
   Another layer lists each neuron's connections: from[c] and w[c] for c in
   [start[i], start[i + 1]); such a neuron may read an earlier neuron of its
   own layer, which it sees activated but not yet normalised (as JPMML).
   bias holds -0.0 where a neuron has none (adding it changes nothing);
   radialBasis layers have a width and altitude per neuron. */
typedef struct nv_layer {
    int act, norm, n, dst;
    int dense, src, nsrc;
    const double *w;
    const int *from, *start;
    const double *bias, *width, *alt;
    double threshold, leakage;
    int leaky;
} nv_layer;

enum { NV_LNORM_NONE, NV_LNORM_SIMPLEMAX, NV_LNORM_SOFTMAX };

/* radialBasis: exp(z / (-2 width^2) + k ln(altitude)) for a neuron whose
   squared distance z comes from k connections (JPMML's order of operations;
   the altitude's term is left out when it is 1) */
NV_RT double nv_rbf_unit(double z, double width, double alt, int k)
{
    z /= (width * width) * -2.0;
    if (alt != 1.0)
        z += log(alt) * (double)k;
    return exp(z);
}

/* the layer's values from the values before it; 0, or -1 when it has no
   result (simplemax over a sum of 0) */
NV_RT int nv_layer_eval(const nv_layer *L, double *v)
{
    double *restrict o = v + L->dst;
    const double *w = L->w;
    int n = L->n, i, j, c, rbf = L->act == NV_ACT_RADIAL_BASIS;
    if (L->dense) {
        const double *x = v + L->src;
        for (i = 0; i < n; i++)
            o[i] = 0.0;
        for (j = 0; j < L->nsrc; j++) {
            const double xj = x[j], *wj = w + (size_t)j * (size_t)n;
            if (rbf)
                for (i = 0; i < n; i++) {
                    double d = xj - wj[i];
                    o[i] += d * d;
                }
            else
                for (i = 0; i < n; i++)
                    o[i] += wj[i] * xj;
        }
        if (rbf)
            for (i = 0; i < n; i++)
                o[i] = nv_rbf_unit(o[i], L->width[i], L->alt[i], L->nsrc);
        else {
            for (i = 0; i < n; i++)
                o[i] += L->bias[i];
            nv_activate(L->act, o, n, L->threshold, L->leakage, L->leaky);
        }
    } else
        /* neuron by neuron: a neuron may read one before it */
        for (i = 0; i < n; i++) {
            double s = 0.0;
            for (c = L->start[i]; c < L->start[i + 1]; c++) {
                if (rbf) {
                    double d = v[L->from[c]] - w[c];
                    s += d * d;
                } else
                    s += w[c] * v[L->from[c]];
            }
            if (rbf)
                s = nv_rbf_unit(s, L->width[i], L->alt[i], L->start[i + 1] - L->start[i]);
            else {
                s += L->bias[i];
                nv_activate(L->act, &s, 1, L->threshold, L->leakage, L->leaky);
            }
            o[i] = s;
        }
    if (L->norm == NV_LNORM_SOFTMAX)
        nv_softmax(o, n);
    else if (L->norm == NV_LNORM_SIMPLEMAX && n > 0) {
        /* each value over their sum, which starts from the first */
        double s = o[0];
        for (i = 1; i < n; i++)
            s += o[i];
        if (s == 0.0)
            return -1;
        if (s != 1.0)
            for (i = 0; i < n; i++)
                o[i] /= s;
    }
    return 0;
}

/* the network's layers L[0..nl) in order over the values v (its inputs
   set); 0, or -1 when a layer has no result */
NV_RT int nv_net(const nv_layer *L, int nl, double *v)
{
    int l;
    for (l = 0; l < nl; l++)
        if (nv_layer_eval(&L[l], v))
            return -1;
    return 0;
}

/*@ section pmml_svm needs kernel_svm */
/* A support vector machine model: support vectors vec[v * dim ..) (a
   sparse array's absent entries are 0), and machines: machine m sums
   coef[t] * K(x, vector idx[t]) for t in [start[m], start[m + 1]), in that
   order, from 0, then adds b[m].  With linear_coefs (PMML's Coefficients
   representation) there are no vectors and a term is coef[t] * x[idx[t]]. */
typedef struct nv_svm {
    int kernel;
    double gamma, coef0, degree;
    int dim, nvec;
    const double *vec;
    int nmach;
    const int *start, *idx;
    const double *coef, *b;
    int linear_coefs;
} nv_svm;

enum { NV_SVK_LINEAR, NV_SVK_POLY, NV_SVK_RBF, NV_SVK_SIGMOID };

/* the kernel of x and the support vector y */
NV_RT double nv_svm_kernel(const nv_svm *M, const double *x, const double *y)
{
    switch (M->kernel) {
    case NV_SVK_POLY:
        return nv_kernel_poly(x, y, M->dim, M->gamma, M->coef0, M->degree);
    case NV_SVK_RBF:
        return nv_kernel_rbf(x, y, M->dim, M->gamma);
    case NV_SVK_SIGMOID:
        return nv_kernel_sigmoid(x, y, M->dim, M->gamma, M->coef0);
    default:
        return nv_dot(x, y, M->dim);
    }
}

/* every machine's value at x into out[0..nmach).  kv, when not NULL, has
   room for nvec kernel values: each vector's kernel is then computed once
   for all the machines that use it (one against one shares them) */
NV_RT void nv_svm_eval(const nv_svm *M, const double *x, double *kv, double *out)
{
    int v, m, t;
    if (kv && !M->linear_coefs)
        for (v = 0; v < M->nvec; v++)
            kv[v] = nv_svm_kernel(M, x, M->vec + (size_t)v * (size_t)M->dim);
    for (m = 0; m < M->nmach; m++) {
        double s = 0.0;
        for (t = M->start[m]; t < M->start[m + 1]; t++) {
            int k = M->idx[t];
            double kx = M->linear_coefs ? x[k]
                        : kv          ? kv[k]
                                      : nv_svm_kernel(M, x, M->vec + (size_t)k * (size_t)M->dim);
            s += M->coef[t] * kx;
        }
        out[m] = s + M->b[m];
    }
}

/* Java's Double.compare, the order JPMML ranks values by: NaN above
   everything, -0.0 below 0.0 */
NV_RT int nv_dcompare(double a, double b)
{
    int an = a != a, bn = b != b;
    if (an || bn)
        return an - bn;
    if (a < b)
        return -1;
    if (a > b)
        return 1;
    return (b == 0.0 && signbit(a) && !signbit(b)) ? -1 : (a == 0.0 && signbit(b) && !signbit(a)) ? 1 : 0;
}

/* One against all: each category's value (the last machine that names it)
   into per_cat[0..ncats), and the category whose value is least (greatest
   when max_wins) as Double.compare ranks them, the first on ties.  The
   categories are numbered in the order the machines first name them (every
   one is named), which is the order JPMML breaks ties in. */
NV_RT int nv_svm_best(const double *val, const int *cat, int nmach, int ncats, int max_wins, double *per_cat)
{
    int m, c, best = 0;
    for (m = 0; m < nmach; m++)
        per_cat[cat[m]] = val[m];
    for (c = 1; c < ncats; c++)
        if (max_wins ? nv_dcompare(per_cat[c], per_cat[best]) > 0 : nv_dcompare(per_cat[c], per_cat[best]) < 0)
            best = c;
    return best;
}

/* Voting (one against one, and binary machines): machine m votes for
   cat[m] when its value is below thr[m] (above, when max_wins), else for
   alt[m]; with alt_binary, for cat[m] when the value rounds to 1 and alt[m]
   when it rounds to 0 (as Java rounds: NaN to 0), and any other value gives
   no result (-1).  Each category's votes over the number of machines into
   prob[0..ncats); returns the category with most votes, on ties the one
   that got its first vote first (first[0..ncats) is scratch space). */
NV_RT int nv_svm_vote(const double *val, const int *cat, const int *alt, const double *thr, int nmach, int ncats,
                      int max_wins, int alt_binary, double *prob, int *first)
{
    int m, c, best = -1;
    for (c = 0; c < ncats; c++) {
        prob[c] = 0;
        first[c] = -1;
    }
    for (m = 0; m < nmach; m++) {
        double x = val[m];
        int to;
        if (alt_binary) {
            double r = x != x ? 0.0 : floor(x + 0.5);
            if (r == 1.0)
                to = cat[m];
            else if (r == 0.0)
                to = alt[m];
            else
                return -1;
        } else if (max_wins)
            to = nv_dcompare(x, thr[m]) > 0 ? cat[m] : alt[m];
        else
            to = nv_dcompare(x, thr[m]) < 0 ? cat[m] : alt[m];
        if (first[to] < 0)
            first[to] = m;
        prob[to] += 1;
    }
    for (c = 0; c < ncats; c++)
        if (first[c] >= 0 && (best < 0 || prob[c] > prob[best] || (prob[c] == prob[best] && first[c] < first[best])))
            best = c;
    for (c = 0; c < ncats; c++)
        prob[c] /= nmach;
    return best;
}

/* The vector kernels of a PMML program (IrKernel: neural networks, support
 * vector machines) in C: the model's numbers as static const tables laid
 * out for the loops of runtime/lib/models.c, and the call that runs them on
 * a record.  A network of a million weights is a million numbers of data
 * and one call, never a million lines of code: the C compiler reads data
 * fast, and the loops over it are the same whatever the model's size.
 *
 * Names: a kernel's data is knK (the layers or the machine) and knK_*
 * arrays; the call's locals (kx, ky, kk, kf, kok, kw) live in the braces of
 * its statement, so they cannot meet the backend's vN and tN. */
#include "program.h"

#include <string.h>

static const char *const act_consts[ACT__COUNT] = {
#define X(k, s) [ACT_##k] = "NV_ACT_" #k,
    IR_ACTIVATIONS(X)
#undef X
};

/* static const double NAME[] = {v[0..n)} (one dummy 0 when n is 0: C has
   no empty arrays) */
static void print_doubles(Em *m, const char *name, const double *v, long n)
{
    StrBuf *o = &m->dict_text;
    sb_printf(o, "static const double %s[] = {", name);
    for (long i = 0; i < n; i++)
        sb_printf(o, "%s%s,", i % 6 == 0 ? "\n    " : " ", c_double(&m->a, v[i]));
    sb_puts(o, n ? "\n};\n" : "0};\n");
}

static void print_ints(Em *m, const char *name, const int *v, long n)
{
    StrBuf *o = &m->dict_text;
    sb_printf(o, "static const int %s[] = {", name);
    for (long i = 0; i < n; i++)
        sb_printf(o, "%s%d,", i % 12 == 0 ? "\n    " : " ", v[i]);
    sb_puts(o, n ? "\n};\n" : "0};\n");
}

static void print_net(Em *m, int id, const IrNet *net)
{
    StrBuf *o = &m->dict_text;
    for (int l = 0; l < net->nlayers; l++) {
        const IrLayer *ly = &net->layers[l];
        print_doubles(m, arena_printf(&m->a, "kn%d_w%d", id, l), ly->w, ly->nconn);
        if (!ly->dense) {
            print_ints(m, arena_printf(&m->a, "kn%d_from%d", id, l), ly->from, ly->nconn);
            print_ints(m, arena_printf(&m->a, "kn%d_start%d", id, l), ly->start, ly->n + 1);
        }
        if (ly->act == ACT_RADIAL_BASIS) {
            print_doubles(m, arena_printf(&m->a, "kn%d_width%d", id, l), ly->width, ly->n);
            print_doubles(m, arena_printf(&m->a, "kn%d_alt%d", id, l), ly->altitude, ly->n);
        } else
            print_doubles(m, arena_printf(&m->a, "kn%d_bias%d", id, l), ly->bias, ly->n);
    }
    sb_printf(o, "static const nv_layer kn%d[%d] = {\n", id, net->nlayers);
    static const char *const norms[] = {"NV_LNORM_NONE", "NV_LNORM_SIMPLEMAX", "NV_LNORM_SOFTMAX"};
    for (int l = 0; l < net->nlayers; l++) {
        const IrLayer *ly = &net->layers[l];
        int rbf = ly->act == ACT_RADIAL_BASIS;
        sb_printf(o, "    {%s, %s, %d, %d, %d, %d, %d, kn%d_w%d, ", act_consts[ly->act], norms[ly->norm], ly->n, ly->dst,
                  ly->dense, ly->src, ly->nsrc, id, l);
        if (ly->dense)
            sb_puts(o, "0, 0, ");
        else
            sb_printf(o, "kn%d_from%d, kn%d_start%d, ", id, l, id, l);
        if (rbf)
            sb_printf(o, "0, kn%d_width%d, kn%d_alt%d, ", id, l, id, l);
        else
            sb_printf(o, "kn%d_bias%d, 0, 0, ", id, l);
        sb_printf(o, "%s, %s, %d},\n", c_double(&m->a, ly->threshold), c_double(&m->a, ly->leakage), ly->leaky);
    }
    sb_puts(o, "};\n");
}

static const char *const svk_consts[] = {"NV_SVK_LINEAR", "NV_SVK_POLY", "NV_SVK_RBF", "NV_SVK_SIGMOID"};

static void print_svm(Em *m, int id, const IrSvm *v)
{
    StrBuf *o = &m->dict_text;
    int nterms = v->start[v->nmach];
    print_doubles(m, arena_printf(&m->a, "kn%d_vec", id), v->vec, (long)v->nvec * v->dim);
    print_ints(m, arena_printf(&m->a, "kn%d_start", id), v->start, v->nmach + 1);
    print_ints(m, arena_printf(&m->a, "kn%d_idx", id), v->idx, nterms);
    print_doubles(m, arena_printf(&m->a, "kn%d_coef", id), v->coef, nterms);
    print_doubles(m, arena_printf(&m->a, "kn%d_b", id), v->b, v->nmach);
    if (v->mode != SVM_VALUES)
        print_ints(m, arena_printf(&m->a, "kn%d_cat", id), v->cat, v->nmach);
    if (v->mode == SVM_VOTES) {
        print_ints(m, arena_printf(&m->a, "kn%d_alt", id), v->alt, v->nmach);
        print_doubles(m, arena_printf(&m->a, "kn%d_thr", id), v->thr, v->nmach);
    }
    sb_printf(o, "static const nv_svm kn%d = {%s, %s, %s, %s, %d, %d, kn%d_vec, %d, kn%d_start, kn%d_idx, kn%d_coef, "
                 "kn%d_b, %d};\n",
              id, svk_consts[v->kernel], c_double(&m->a, v->gamma), c_double(&m->a, v->coef0),
              c_double(&m->a, v->degree), v->dim, v->nvec, id, v->nmach, id, id, id, id, v->linear_coefs);
}

/* Kernel s->var on the inputs x[0..k->nin): prints its data (once) and the
   lines that run it, which leave "kok" true when the outputs are valid;
   returns the C text of output j (valid when kok). */
const char **kernels_call(Em *m, const IrKernel *k, int id, const CVal *x)
{
    const char **outs = ARENA_ARRAY(&m->a, const char *, k->nouts + 1);
    /* the inputs: all present, or no result */
    const char **nulls = ARENA_ARRAY(&m->a, const char *, k->nin + 1);
    int nn = 0;
    for (int i = 0; i < k->nin; i++)
        if (strcmp(x[i].n, "0") != 0)
            nulls[nn++] = x[i].n;
    em_line(m, "int kok = %s;", nn ? arena_printf(&m->a, "!(%s)", em_join(m, nulls, nn, " || ")) : "1");
    if (k->kind == KERNEL_NET) {
        const IrNet *net = k->net;
        print_net(m, id, net);
        em_line(m, "double kx[%d];", net->nvalues);
        em_line(m, "if (kok) {");
        m->ind++;
        for (int i = 0; i < k->nin; i++)
            em_line(m, "kx[%d] = %s;", i, x[i].v);
        em_line(m, "kok = %s(kn%d, %d, kx) == 0;", rt_call(m, "nv_net"), id, net->nlayers);
        m->ind--;
        em_line(m, "}");
        for (int j = 0; j < k->nouts; j++)
            outs[j] = arena_printf(&m->a, "kx[%d]", net->out_value[j]);
        return outs;
    }
    const IrSvm *v = k->svm;
    print_svm(m, id, v);
    int cache = !v->linear_coefs && v->nmach > 1 && v->nvec <= 8192;
    int extra = v->mode == SVM_VALUES ? 0 : v->ncats;
    em_line(m, "double kx[%d], ky[%d];", v->dim, v->nmach + extra);
    if (cache)
        em_line(m, "double kk[%d];", v->nvec);
    if (v->mode == SVM_VOTES)
        em_line(m, "int kf[%d];", v->ncats);
    if (v->mode != SVM_VALUES)
        em_line(m, "int kw = -1;");
    em_line(m, "if (kok) {");
    m->ind++;
    for (int i = 0; i < k->nin; i++)
        em_line(m, "kx[%d] = %s;", i, x[i].v);
    em_line(m, "%s(&kn%d, kx, %s, ky);", rt_call(m, "nv_svm_eval"), id, cache ? "kk" : "0");
    if (v->mode == SVM_ONE_AGAINST_ALL)
        em_line(m, "kw = %s(ky, kn%d_cat, %d, %d, %d, ky + %d);", rt_call(m, "nv_svm_best"), id, v->nmach, v->ncats,
                v->max_wins, v->nmach);
    else if (v->mode == SVM_VOTES)
        em_line(m, "kw = %s(ky, kn%d_cat, kn%d_alt, kn%d_thr, %d, %d, %d, %d, ky + %d, kf);", rt_call(m, "nv_svm_vote"),
                id, id, id, v->nmach, v->ncats, v->max_wins, v->alt_binary, v->nmach);
    if (v->mode != SVM_VALUES)
        em_line(m, "kok = kw >= 0;");
    m->ind--;
    em_line(m, "}");
    for (int j = 0; j < k->nouts; j++)
        outs[j] = v->mode == SVM_VALUES ? arena_printf(&m->a, "ky[%d]", j)
                  : j == 0              ? "kw"
                                        : arena_printf(&m->a, "ky[%d]", v->nmach + j - 1);
    return outs;
}

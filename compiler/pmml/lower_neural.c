/* NeuralNetwork to IR: the network becomes one vector kernel (IrNet, run by
 * runtime/lib/models.c), its inputs the NeuralInputs' derived fields and its
 * outputs the neurons the NeuralOutputs read; classification and
 * regression are then ordinary IR over those outputs.
 *
 * The neurons and inputs are numbered in document order (the network's
 * values); a layer whose every neuron reads the same run of earlier values
 * in order, all of them, is dense (a matrix of weights laid out for a loop
 * over its neurons), any other keeps its connections as lists.  Both add
 * the terms in the document's order, as the reference evaluator does, so
 * the results are the same bits.  Semantics follow PMML 4.4 (NeuralNetwork)
 * and, where it is silent, JPMML: a missing input makes the whole result
 * missing; a neuron may read any value computed before it. */
#include "bounds.h"
#include "lower_pmml.h"

#include <math.h>
#include <string.h>

/* the network's or layer's settings a layer uses */
typedef struct LayerAttrs {
    IrActivation act;
    IrLayerNorm norm;
    double threshold, leakage, width, altitude;
    int leaky, has_width;
} LayerAttrs;

static int parse_activation(Lower *L, const XElem *e, IrActivation *out)
{
    const char *s = xattr(e, "activationFunction");
    if (!s)
        return 0;
    for (int a = 0; a < ACT__COUNT; a++)
        if (!strcmp(s, ir_activation_name((IrActivation)a))) {
            *out = (IrActivation)a;
            return 1;
        }
    diag_error(L->d, aloc(L, e, "activationFunction"), "activationFunction '%s' is not known", s);
    return -1;
}

static int parse_norm(Lower *L, const XElem *e, IrLayerNorm *out)
{
    const char *s = xattr(e, "normalizationMethod");
    if (!s)
        return 0;
    if (!strcmp(s, "none"))
        *out = LNORM_NONE;
    else if (!strcmp(s, "simplemax"))
        *out = LNORM_SIMPLEMAX;
    else if (!strcmp(s, "softmax"))
        *out = LNORM_SOFTMAX;
    else {
        diag_error(L->d, aloc(L, e, "normalizationMethod"), "normalizationMethod '%s' is not known", s);
        return -1;
    }
    return 1;
}

/* e's own settings over those of `base` (the network's for a layer) */
static int layer_attrs(Lower *L, const XElem *e, const LayerAttrs *base, LayerAttrs *a)
{
    *a = *base;
    if (parse_activation(L, e, &a->act) < 0 || parse_norm(L, e, &a->norm) < 0)
        return 0;
    if (!attr_double(L, e, "threshold", a->threshold, &a->threshold) ||
        !attr_double(L, e, "altitude", a->altitude, &a->altitude) ||
        !attr_double(L, e, "width", a->width, &a->width) || !attr_double(L, e, "leakage", a->leakage, &a->leakage))
        return 0;
    a->leaky |= xattr(e, "leakage") != NULL;
    a->has_width |= xattr(e, "width") != NULL;
    return 1;
}

/* the expression of a NeuralOutput's DerivedField; a FieldRef to a derived
   field stands for that field's expression (once, as JPMML reads it) */
static const XElem *output_expr(Lower *L, Scope *s, const XElem *df)
{
    const XElem *ex = NULL;
    for (int k = 0; k < df->nkids && !ex; k++)
        if (strcmp(df->kids[k]->name, "Extension") != 0 && strcmp(df->kids[k]->name, "Value") != 0)
            ex = df->kids[k];
    if (ex && !strcmp(ex->name, "FieldRef")) {
        const char *name = xattr(ex, "field");
        Field *f = name ? scope_find(s, name) : NULL;
        if (f && f->info && f->info->elem && !strcmp(f->info->elem->name, "DerivedField"))
            return output_expr(L, NULL, f->info->elem);
    }
    return ex;
}

/* JPMML's denormalisation of NormContinuous: between the two points whose
   norms hold x, ((x - n0) / (n1 - n0)) * (o1 - o0) + o0; outside them the
   nearest piece is extended */
static IrExpr *denormalize(Lower *L, const XElem *nc, IrExpr *x)
{
    IrBuilder *b = &L->b;
    IrType *dt = ir_type(T_DOUBLE);
    int n = xcount(nc, "LinearNorm");
    double *o = ARENA_ARRAY(L->a, double, n + 1), *nm = ARENA_ARRAY(L->a, double, n + 1);
    int k = 0;
    for (int j = 0; j < nc->nkids; j++) {
        const XElem *ln = nc->kids[j];
        if (strcmp(ln->name, "LinearNorm") != 0)
            continue;
        if (!xattr(ln, "orig") || !xattr(ln, "norm")) {
            diag_error(L->d, lloc(L, ln), "LinearNorm needs orig and norm");
            return NULL;
        }
        if (!attr_double(L, ln, "orig", 0, &o[k]) || !attr_double(L, ln, "norm", 0, &nm[k]))
            return NULL;
        if (k > 0 && !(nm[k] > nm[k - 1])) {
            diag_error(L->d, aloc(L, ln, "norm"), "the norms of a NeuralOutput's NormContinuous must increase");
            return NULL;
        }
        k++;
    }
    if (k < 2) {
        diag_error(L->d, lloc(L, nc), "NormContinuous needs two LinearNorms or more");
        return NULL;
    }
    IrExpr *r = NULL;
    for (int i = k - 2; i >= 0; i--) {
        IrExpr *f = ir_call2(b, FN_DIV, dt, ir_call2(b, FN_SUB, dt, x, ir_lit_double(b, nm[i])),
                             ir_lit_double(b, nm[i + 1] - nm[i]));
        f = ir_call2(b, FN_ADD, dt, ir_call2(b, FN_MUL, dt, f, ir_lit_double(b, o[i + 1] - o[i])),
                     ir_lit_double(b, o[i]));
        r = r ? ir_if(b, ir_call2(b, FN_LE, ir_type(T_BOOL), x, ir_lit_double(b, nm[i + 1])), f, r) : f;
    }
    return r;
}

/* the connections of layer ly's neurons (cfrom, cw, cstart) as its weights:
   dense when every neuron reads the same run of earlier values, in order */
static void lay_out(Lower *L, IrLayer *ly, const int *cfrom, const double *cw, const int *cstart)
{
    int n = ly->n, c0 = n ? cstart[1] - cstart[0] : 0, dense = n > 0;
    int src = c0 ? cfrom[0] : 0;
    for (int i = 0; i < n && dense; i++) {
        if (cstart[i + 1] - cstart[i] != c0)
            dense = 0;
        for (int j = 0; j < c0 && dense; j++)
            if (cfrom[cstart[i] + j] != src + j)
                dense = 0;
    }
    if (dense && src + c0 > ly->dst)
        dense = 0;
    ly->nconn = cstart[n];
    ly->w = ARENA_ARRAY(L->a, double, ly->nconn + 1);
    if (dense) {
        ly->dense = 1;
        ly->src = src;
        ly->nsrc = c0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < c0; j++)
                ly->w[(size_t)j * (size_t)n + (size_t)i] = cw[cstart[i] + j];
        return;
    }
    ly->from = ARENA_ARRAY(L->a, int, ly->nconn + 1);
    ly->start = ARENA_ARRAY(L->a, int, n + 1);
    memcpy(ly->from, cfrom, sizeof(int) * (size_t)ly->nconn);
    memcpy(ly->w, cw, sizeof(double) * (size_t)ly->nconn);
    memcpy(ly->start, cstart, sizeof(int) * (size_t)(n + 1));
}

/* the layer element e into ly, its neurons numbered from *nvals on */
static int lower_layer(Lower *L, const XElem *e, const LayerAttrs *net, IrLayer *ly, NameIndex *ids, int *nvals)
{
    LayerAttrs a;
    if (!layer_attrs(L, e, net, &a))
        return 0;
    int rbf = a.act == ACT_RADIAL_BASIS;
    ly->loc = lloc(L, e);
    ly->act = a.act;
    ly->norm = a.norm;
    ly->threshold = a.threshold;
    ly->leakage = a.leakage;
    ly->leaky = a.leaky;
    ly->dst = *nvals;
    ly->n = xcount(e, "Neuron");
    ly->bias = ARENA_ARRAY(L->a, double, ly->n + 1);
    if (rbf) {
        ly->width = ARENA_ARRAY(L->a, double, ly->n + 1);
        ly->altitude = ARENA_ARRAY(L->a, double, ly->n + 1);
    }
    int *cfrom = NULL, ncon = 0, cap = 0, capw = 0, nw = 0;
    double *cw = NULL;
    int *cstart = ARENA_ARRAY(L->a, int, ly->n + 1);
    int i = 0;
    for (int k = 0; k < e->nkids; k++) {
        const XElem *ne = e->kids[k];
        if (strcmp(ne->name, "Neuron") != 0)
            continue;
        const char *id = xattr(ne, "id");
        if (!id) {
            diag_error(L->d, lloc(L, ne), "<Neuron> without an id");
            return 0;
        }
        if (*nvals >= nv_limits.stack_values) {
            /* the network's values are one array on the scoring function's stack */
            diag_error(L->d, lloc(L, ne), "the network has more than %ld neurons and inputs%s",
                       nv_limits.stack_values, limits_hint("stack-values"));
            return 0;
        }
        if (names_get(ids, id) >= 0) {
            diag_error(L->d, aloc(L, ne, "id"), "neuron id '%s' is used twice", id);
            return 0;
        }
        cstart[i] = ncon;
        for (int j = 0; j < ne->nkids; j++) {
            const XElem *ce = ne->kids[j];
            if (strcmp(ce->name, "Con") != 0)
                continue;
            const char *from = xattr(ce, "from");
            double w;
            if (!from || !xattr(ce, "weight")) {
                diag_error(L->d, lloc(L, ce), "<Con> needs from and weight");
                return 0;
            }
            if (!attr_double(L, ce, "weight", 0, &w))
                return 0;
            int v = names_get(ids, from);
            if (v < 0) {
                diag_error(L->d, aloc(L, ce, "from"), "Con from '%s': no input or neuron before it has that id",
                           from);
                return 0;
            }
            VEC_PUSH(L->a, cfrom, ncon, cap, v);
            VEC_PUSH(L->a, cw, nw, capw, w);
        }
        double bias = -0.0; /* adds nothing, even to -0.0 */
        if (!attr_double(L, ne, "bias", bias, &bias))
            return 0;
        ly->bias[i] = bias;
        if (rbf) {
            if (!xattr(ne, "width") && !a.has_width) {
                diag_error(L->d, lloc(L, ne), "a radialBasis neuron needs a width (on it, its layer or the "
                           "network)");
                return 0;
            }
            if (!attr_double(L, ne, "width", a.width, &ly->width[i]) ||
                !attr_double(L, ne, "altitude", a.altitude, &ly->altitude[i]))
                return 0;
        }
        names_put(L->a, ids, id, (*nvals)++);
        i++;
    }
    cstart[i] = ncon;
    if (ly->n == 0) {
        diag_error(L->d, lloc(L, e), "NeuralLayer has no neurons");
        return 0;
    }
    lay_out(L, ly, cfrom, cw, cstart);
    return 1;
}

int lower_neural_network(Lower *L, const XElem *m, Scope *s, IrBlock *blk, ModelResult *r)
{
    IrBuilder *b = &L->b;
    IrType *dt = ir_type(T_DOUBLE);
    if (L->float_ctx) {
        diag_error(L->d, lloc(L, m), "NeuralNetwork in float arithmetic (x-mathContext) is not supported yet");
        return 1;
    }
    if (r->func != FUNC_REGRESSION && r->func != FUNC_CLASSIFICATION) {
        diag_error(L->d, aloc(L, m, "functionName"), "NeuralNetwork for this function is not supported");
        return 1;
    }
    LayerAttrs base = {.norm = LNORM_NONE, .altitude = 1};
    int ra = parse_activation(L, m, &base.act);
    if (ra == 0)
        diag_error(L->d, lloc(L, m), "NeuralNetwork needs an activationFunction");
    if (ra <= 0 || parse_norm(L, m, &base.norm) < 0 || !layer_attrs(L, m, &base, &base))
        return 1;

    /* inputs: the values 0 .. nin-1 */
    const XElem *ins = xchild(m, "NeuralInputs");
    if (!ins) {
        diag_error(L->d, lloc(L, m), "NeuralNetwork has no <NeuralInputs>");
        return 1;
    }
    NameIndex ids = {0};
    IrExpr **xs = NULL;
    int nin = 0, capx = 0, nvals = 0;
    for (int k = 0; k < ins->nkids; k++) {
        const XElem *ni = ins->kids[k];
        if (strcmp(ni->name, "NeuralInput") != 0)
            continue;
        const char *id = xattr(ni, "id");
        const XElem *df = xchild(ni, "DerivedField");
        if (!id || !df) {
            diag_error(L->d, lloc(L, ni), "<NeuralInput> needs an id and a DerivedField");
            return 1;
        }
        if (names_get(&ids, id) >= 0) {
            diag_error(L->d, aloc(L, ni, "id"), "neuron id '%s' is used twice", id);
            return 1;
        }
        if (nvals >= nv_limits.stack_values) {
            diag_error(L->d, lloc(L, ni), "the network has more than %ld inputs%s", nv_limits.stack_values,
                       limits_hint("stack-values"));
            return 1;
        }
        IrType *t;
        IrExpr *x = lower_derived_value(L, s, df, blk, &t);
        if (!x)
            return 1;
        if (!ir_is_numeric(t) && t->kind != T_BOOL) {
            diag_error(L->d, lloc(L, df), "NeuralInput '%s' is not a number (%s)", id, ir_type_name(t));
            return 1;
        }
        names_put(L->a, &ids, id, nvals++);
        VEC_PUSH(L->a, xs, nin, capx, ir_cast(b, dt, x));
    }
    if (nin == 0) {
        diag_error(L->d, lloc(L, ins), "NeuralInputs has no inputs");
        return 1;
    }

    /* layers */
    IrNet *net = ARENA_NEW(L->a, IrNet);
    net->nlayers = xcount(m, "NeuralLayer");
    net->layers = ARENA_ARRAY(L->a, IrLayer, net->nlayers + 1);
    if (net->nlayers == 0) {
        diag_error(L->d, lloc(L, m), "NeuralNetwork has no <NeuralLayer>");
        return 1;
    }
    int l = 0;
    for (int k = 0; k < m->nkids; k++)
        if (!strcmp(m->kids[k]->name, "NeuralLayer"))
            if (!lower_layer(L, m->kids[k], &base, &net->layers[l++], &ids, &nvals))
                return 1;
    net->nvalues = nvals;

    /* outputs: the neurons they read, each once */
    const XElem *outs = xchild(m, "NeuralOutputs");
    if (!outs || !xcount(outs, "NeuralOutput")) {
        diag_error(L->d, lloc(L, m), "NeuralNetwork has no <NeuralOutput>");
        return 1;
    }
    int nout = xcount(outs, "NeuralOutput");
    IrKernel *kn = ARENA_NEW(L->a, IrKernel);
    kn->kind = KERNEL_NET;
    kn->name = xattr(m, "modelName");
    kn->loc = lloc(L, m);
    kn->net = net;
    kn->outs = ARENA_ARRAY(L->a, int, nout + 1);
    net->out_value = ARENA_ARRAY(L->a, int, nout + 1);
    const char **cats = ARENA_ARRAY(L->a, const char *, nout + 1);
    int *cat_var = ARENA_ARRAY(L->a, int, nout + 1), ncats = 0;
    const XElem *reg_expr = NULL;
    int reg_var = -1;
    for (int k = 0; k < outs->nkids; k++) {
        const XElem *no = outs->kids[k];
        if (strcmp(no->name, "NeuralOutput") != 0)
            continue;
        const char *on = xattr(no, "outputNeuron");
        const XElem *df = xchild(no, "DerivedField");
        if (!on || !df) {
            diag_error(L->d, lloc(L, no), "<NeuralOutput> needs an outputNeuron and a DerivedField");
            return 1;
        }
        int v = names_get(&ids, on);
        if (v < 0) {
            diag_error(L->d, aloc(L, no, "outputNeuron"), "outputNeuron '%s' is no neuron of the network", on);
            return 1;
        }
        int var = -1;
        for (int j = 0; j < kn->nouts; j++)
            if (net->out_value[j] == v)
                var = kn->outs[j];
        if (var < 0) {
            var = ir_add_var(b, arena_printf(L->a, "neuron %s", on), dt);
            net->out_value[kn->nouts] = v;
            kn->outs[kn->nouts++] = var;
        }
        const XElem *ex = output_expr(L, s, df);
        const char *field = ex ? xattr(ex, "field") : NULL;
        if (!ex || !field) {
            diag_error(L->d, lloc(L, df), "a NeuralOutput's DerivedField must name the target field");
            return 1;
        }
        if (r->target && strcmp(field, r->target) != 0) {
            diag_error(L->d, aloc(L, ex, "field"), "NeuralOutput for '%s', not the target '%s': several targets "
                       "are not supported yet", field, r->target);
            return 1;
        }
        if (!r->target) {
            r->target = field;
            r->target_info = find_datafield(L, field);
        }
        if (r->func == FUNC_CLASSIFICATION) {
            const char *val = xattr(ex, "value");
            if (strcmp(ex->name, "NormDiscrete") != 0 || !val) {
                diag_error(L->d, lloc(L, ex), "a classification's NeuralOutput must be a NormDiscrete of the "
                           "target, not <%s>", ex->name);
                return 1;
            }
            int c = 0;
            while (c < ncats && strcmp(cats[c], val) != 0)
                c++;
            if (c == ncats)
                cats[ncats++] = val;
            cat_var[c] = var; /* a later output of the same class replaces an earlier one */
        } else {
            if (reg_var >= 0) {
                diag_error(L->d, lloc(L, no), "a regression network has one NeuralOutput per target");
                return 1;
            }
            if (strcmp(ex->name, "FieldRef") != 0 && strcmp(ex->name, "NormContinuous") != 0) {
                diag_error(L->d, lloc(L, ex), "a regression's NeuralOutput must be a FieldRef or NormContinuous "
                           "of the target, not <%s>", ex->name);
                return 1;
            }
            reg_expr = ex;
            reg_var = var;
        }
    }
    IrStmt *st = ir_kernel(b, blk, kn, xs, nin);
    st->comment = arena_printf(L->a, "NeuralNetwork: %d inputs, %d layers, %d neurons", nin, net->nlayers,
                               nvals - nin);
    if (r->func == FUNC_REGRESSION) {
        IrExpr *x = ir_var(b, reg_var);
        if (!strcmp(reg_expr->name, "NormContinuous") && !(x = denormalize(L, reg_expr, x)))
            return 1;
        r->value = ir_add_var(b, "predicted", ir_nullable(L->a, dt));
        IrStmt *sv = ir_set(b, blk, r->value, x);
        sv->comment = "NeuralOutput";
        sv->loc = lloc(L, reg_expr);
        return 0;
    }
    r->ncats = ncats;
    r->cats = cats;
    r->probs = cat_var;
    result_argmax(L, blk, r);
    return 0;
}

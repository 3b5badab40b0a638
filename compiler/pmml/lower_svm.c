/* SupportVectorMachineModel to IR: the machines become one vector kernel
 * (IrSvm, run by runtime/lib/models.c) over the VectorFields, with the
 * support vectors as a dense table laid out for the kernel function; the
 * classification (one against all, or votes) happens in that kernel too,
 * and the IR reads the winner and the per-class numbers it leaves.
 *
 * Semantics: PMML 4.4 (Vector Machine) and, where it leaves a choice, the
 * reference evaluator JPMML: each machine sums coefficient times kernel in
 * document order from 0, then adds absoluteValue; a classificationMethod
 * left out is one against one when the machines name alternate categories;
 * vote ties go to the category voted for first.  Where JPMML refuses what
 * the standard defines (maxWins, the Coefficients representation, a binary
 * model declared one against all), the standard is followed. */
#include "bounds.h"
#include "lower_pmml.h"

#include <math.h>
#include <string.h>

/* the numbers of VectorInstance vi, dense, dim of them; NULL after an error */
static double *vector_values(Lower *L, const XElem *vi, int dim)
{
    double *row = ARENA_ARRAY(L->a, double, dim + 1);
    const XElem *arr = xchild(vi, "Array");
    const XElem *sp = xchild(vi, "REAL-SparseArray");
    if (!sp)
        sp = xchild(vi, "INT-SparseArray");
    if (!arr)
        arr = xchild(vi, "REAL-Array");
    if ((arr != NULL) == (sp != NULL)) {
        diag_error(L->d, lloc(L, vi), "<VectorInstance> needs one Array or REAL-SparseArray");
        return NULL;
    }
    if (arr) {
        double *v;
        int n = read_num_array(L, arr, &v);
        if (n < 0)
            return NULL;
        if (n != dim) {
            diag_error(L->d, lloc(L, arr), "the vector has %d numbers, and there are %d VectorFields", n, dim);
            return NULL;
        }
        memcpy(row, v, sizeof(double) * (size_t)dim);
        return row;
    }
    double dflt, nattr;
    if (!attr_double(L, sp, "defaultValue", 0, &dflt) || !attr_double(L, sp, "n", dim, &nattr))
        return NULL;
    if (nattr != dim) {
        diag_error(L->d, aloc(L, sp, "n"), "the sparse array has n=%s, and there are %d VectorFields",
                   xattr(sp, "n"), dim);
        return NULL;
    }
    for (int i = 0; i < dim; i++)
        row[i] = dflt;
    const XElem *ix = xchild(sp, "Indices");
    const XElem *en = xchild(sp, "REAL-Entries");
    if (!en)
        en = xchild(sp, "INT-Entries");
    double *iv = NULL, *ev = NULL;
    int ni = ix ? read_num_array(L, ix, &iv) : 0, ne = en ? read_num_array(L, en, &ev) : 0;
    if (ni < 0 || ne < 0)
        return NULL;
    if (ni != ne) {
        diag_error(L->d, lloc(L, sp), "the sparse array has %d indices and %d entries", ni, ne);
        return NULL;
    }
    for (int i = 0; i < ni; i++) {
        if (!(iv[i] >= 1 && iv[i] <= dim && iv[i] == floor(iv[i]))) {
            diag_error(L->d, lloc(L, ix), "sparse array index %g is not one of 1..%d", iv[i], dim);
            return NULL;
        }
        row[(int)iv[i] - 1] = ev[i];
    }
    return row;
}

/* the index of category c in cats (added when new) */
static int cat_of(Lower *L, const char ***cats, int *n, int *cap, const char *c)
{
    for (int i = 0; i < *n; i++)
        if (!strcmp((*cats)[i], c))
            return i;
    VEC_PUSH(L->a, *cats, *n, *cap, c);
    return *n - 1;
}

/* the kernel element and its parameters */
static int read_kernel(Lower *L, const XElem *m, IrSvm *v)
{
    static const char *const names[] = {"LinearKernelType", "PolynomialKernelType", "RadialBasisKernelType",
                                        "SigmoidKernelType"};
    const XElem *ke = NULL;
    for (int k = 0; k < m->nkids && !ke; k++)
        for (int i = 0; i < 4; i++)
            if (!strcmp(m->kids[k]->name, names[i])) {
                ke = m->kids[k];
                v->kernel = (IrSvmKernel)i;
            }
    if (!ke) {
        diag_error(L->d, lloc(L, m), "SupportVectorMachineModel has no kernel (LinearKernelType, "
                   "PolynomialKernelType, RadialBasisKernelType or SigmoidKernelType)");
        return 0;
    }
    return attr_double(L, ke, "gamma", 1, &v->gamma) && attr_double(L, ke, "coef0", 1, &v->coef0) &&
           attr_double(L, ke, "degree", 1, &v->degree);
}

/* the VectorFields as the kernel's inputs, into *xs; their count, or -1 */
static int vector_fields(Lower *L, Scope *s, const XElem *vf, IrExpr ***xs)
{
    IrBuilder *b = &L->b;
    IrType *dt = ir_type(T_DOUBLE);
    int n = 0, cap = 0;
    for (int k = 0; k < vf->nkids; k++) {
        const XElem *f = vf->kids[k];
        IrExpr *x = NULL;
        if (!strcmp(f->name, "FieldRef")) {
            if (!(x = lower_expr(L, s, f)))
                return -1;
            if (!ir_is_numeric(x->type) && ir_base(x->type)->kind != T_BOOL) {
                diag_error(L->d, lloc(L, f), "VectorField '%s' is not a number (%s)", xattr(f, "field"),
                           ir_type_name(x->type));
                return -1;
            }
            x = ir_cast(b, dt, x);
        } else if (!strcmp(f->name, "CategoricalPredictor")) {
            /* 1 when the field holds the value, else 0 */
            Field *fd = need_field(L, s, xattr(f, "name"), f);
            const char *val = xattr(f, "value");
            double coef;
            if (!fd || !attr_double(L, f, "coefficient", 1, &coef))
                return -1;
            if (!val) {
                diag_error(L->d, lloc(L, f), "CategoricalPredictor without a value");
                return -1;
            }
            if (coef != 1) {
                diag_error(L->d, aloc(L, f, "coefficient"), "a VectorField's CategoricalPredictor has coefficient "
                           "1");
                return -1;
            }
            IrExpr *fv = ir_var(b, fd->var), *c = lower_constant_for(L, val, fv->type, f);
            if (!c)
                return -1;
            x = ir_if(b, ir_call2(b, FN_EQ, ir_type(T_BOOL), fv, c), ir_lit_double(b, 1), ir_lit_double(b, 0));
        } else if (!strcmp(f->name, "Extension"))
            continue;
        else {
            diag_error(L->d, lloc(L, f), "<%s> is no VectorField (FieldRef or CategoricalPredictor)", f->name);
            return -1;
        }
        VEC_PUSH(L->a, *xs, n, cap, x);
    }
    return n;
}

int lower_svm_model(Lower *L, const XElem *m, Scope *s, IrBlock *blk, ModelResult *r)
{
    IrBuilder *b = &L->b;
    IrType *dt = ir_type(T_DOUBLE);
    if (L->float_ctx) {
        diag_error(L->d, lloc(L, m), "SupportVectorMachineModel in float arithmetic (x-mathContext) is not "
                   "supported yet");
        return 1;
    }
    if (r->func != FUNC_REGRESSION && r->func != FUNC_CLASSIFICATION) {
        diag_error(L->d, aloc(L, m, "functionName"), "SupportVectorMachineModel for this function is not "
                   "supported");
        return 1;
    }
    IrSvm *v = ARENA_NEW(L->a, IrSvm);
    if (!read_kernel(L, m, v))
        return 1;
    const char *rep = xattr(m, "svmRepresentation");
    if (rep && strcmp(rep, "SupportVectors") != 0 && strcmp(rep, "Coefficients") != 0) {
        diag_error(L->d, aloc(L, m, "svmRepresentation"), "svmRepresentation '%s' is not known", rep);
        return 1;
    }
    v->linear_coefs = rep && !strcmp(rep, "Coefficients");
    if (v->linear_coefs && v->kernel != SVK_LINEAR) {
        diag_error(L->d, aloc(L, m, "svmRepresentation"), "the Coefficients representation needs a "
                   "LinearKernelType");
        return 1;
    }
    double model_thr;
    const char *mw = xattr(m, "maxWins");
    if (!attr_double(L, m, "threshold", 0, &model_thr))
        return 1;
    v->max_wins = mw && (!strcmp(mw, "true") || !strcmp(mw, "1"));

    /* the input vector */
    const XElem *vd = xchild(m, "VectorDictionary");
    const XElem *vf = vd ? xchild(vd, "VectorFields") : NULL;
    if (!vf) {
        diag_error(L->d, lloc(L, vd ? vd : m), "SupportVectorMachineModel needs a VectorDictionary with "
                   "VectorFields");
        return 1;
    }
    IrExpr **xs = NULL;
    int dim = vector_fields(L, s, vf, &xs);
    if (dim < 0)
        return 1;
    if (dim == 0) {
        diag_error(L->d, lloc(L, vf), "VectorFields names no field");
        return 1;
    }
    v->dim = dim;
    /* the vectors, by id; only those a machine uses are kept */
    NameIndex ids = {0};
    const XElem **inst = NULL;
    int ninst = 0, capi = 0;
    for (int k = 0; k < vd->nkids; k++) {
        const XElem *vi = vd->kids[k];
        if (strcmp(vi->name, "VectorInstance") != 0)
            continue;
        const char *id = xattr(vi, "id");
        if (!id) {
            diag_error(L->d, lloc(L, vi), "<VectorInstance> without an id");
            return 1;
        }
        if (names_get(&ids, id) >= 0) {
            diag_error(L->d, aloc(L, vi, "id"), "VectorInstance id '%s' is used twice", id);
            return 1;
        }
        names_put(L->a, &ids, id, ninst);
        VEC_PUSH(L->a, inst, ninst, capi, vi);
    }
    int *row_of = ARENA_ARRAY(L->a, int, ninst + 1); /* instance -> its row in vec, or -1 */
    for (int i = 0; i < ninst; i++)
        row_of[i] = -1;
    double *vec = NULL;
    size_t capv = 0;

    /* the machines */
    const char *alt_binary = xattr(m, "alternateBinaryTargetCategory");
    const char **cats = NULL;
    int ncats = 0, capc = 0, nterms = 0, ncoef = 0, nidx = 0, capt = 0, capm = 0, nm = 0, any_alt = 0;
    int *cat = NULL, *alt = NULL, capa = 0, capk = 0, nalt = 0, ncat = 0;
    double *thr = NULL, *bs = NULL;
    int capth = 0, nthr = 0, nb = 0, capb = 0;
    int *start = NULL, nstart = 0, caps = 0;
    VEC_PUSH(L->a, start, nstart, caps, 0);
    for (int k = 0; k < m->nkids; k++) {
        const XElem *me = m->kids[k];
        if (strcmp(me->name, "SupportVectorMachine") != 0)
            continue;
        const XElem *svs = xchild(me, "SupportVectors");
        const XElem *cs = xchild(me, "Coefficients");
        if (!cs) {
            diag_error(L->d, lloc(L, me), "<SupportVectorMachine> has no Coefficients");
            return 1;
        }
        double bv, tv;
        if (!attr_double(L, cs, "absoluteValue", 0, &bv) || !attr_double(L, me, "threshold", model_thr, &tv))
            return 1;
        /* its terms: support vector (or field) and coefficient, in order */
        int nc = xcount(cs, "Coefficient"), nsv = svs ? xcount(svs, "SupportVector") : 0;
        if (v->linear_coefs ? nc != dim : (!svs || nsv != nc)) {
            diag_error(L->d, lloc(L, cs), v->linear_coefs ? "%d Coefficients for %d VectorFields"
                                                         : "%d Coefficients for %d SupportVectors",
                       nc, v->linear_coefs ? dim : nsv);
            return 1;
        }
        int t0 = nterms, j = 0;
        for (int c = 0; c < cs->nkids; c++) {
            const XElem *ce = cs->kids[c];
            double cv;
            if (strcmp(ce->name, "Coefficient") != 0)
                continue;
            if (!attr_double(L, ce, "value", 0, &cv))
                return 1;
            VEC_PUSH(L->a, v->coef, ncoef, capt, cv);
            VEC_PUSH(L->a, v->idx, nidx, capk, j++);
        }
        if (!v->linear_coefs) {
            j = t0;
            for (int c = 0; c < svs->nkids; c++) {
                const XElem *sv = svs->kids[c];
                if (strcmp(sv->name, "SupportVector") != 0)
                    continue;
                const char *vid = xattr(sv, "vectorId");
                int i = vid ? names_get(&ids, vid) : -1;
                if (i < 0) {
                    diag_error(L->d, vid ? aloc(L, sv, "vectorId") : lloc(L, sv),
                               "SupportVector '%s' is no VectorInstance", vid ? vid : "");
                    return 1;
                }
                if (row_of[i] < 0) {
                    if ((double)(v->nvec + 1) * dim > (double)nv_limits.svm_numbers) {
                        diag_error(L->d, lloc(L, sv), "the support vectors hold more than %ld numbers%s",
                                   nv_limits.svm_numbers, limits_hint("svm-numbers"));
                        return 1;
                    }
                    double *row = vector_values(L, inst[i], dim);
                    if (!row)
                        return 1;
                    if ((size_t)(v->nvec + 1) * (size_t)dim > capv) {
                        size_t nc2 = capv ? capv * 2 : (size_t)dim * 16;
                        while (nc2 < (size_t)(v->nvec + 1) * (size_t)dim)
                            nc2 *= 2;
                        double *nv = ARENA_ARRAY(L->a, double, nc2);
                        if (vec)
                            memcpy(nv, vec, sizeof(double) * (size_t)v->nvec * (size_t)dim);
                        vec = nv;
                        capv = nc2;
                    }
                    memcpy(vec + (size_t)v->nvec * (size_t)dim, row, sizeof(double) * (size_t)dim);
                    row_of[i] = v->nvec++;
                }
                v->idx[j++] = row_of[i];
            }
        }
        nterms = t0 + nc;
        VEC_PUSH(L->a, start, nstart, caps, nterms);
        VEC_PUSH(L->a, bs, nb, capb, bv);
        VEC_PUSH(L->a, thr, nthr, capth, tv);
        /* its categories */
        if (r->func == FUNC_CLASSIFICATION) {
            const char *tc = xattr(me, "targetCategory"), *ac = xattr(me, "alternateTargetCategory");
            if (!tc) {
                diag_error(L->d, lloc(L, me), "a classifying SupportVectorMachine needs a targetCategory");
                return 1;
            }
            int ci = cat_of(L, &cats, &ncats, &capc, tc);
            VEC_PUSH(L->a, cat, ncat, capm, ci);
            any_alt |= ac != NULL;
            const char *a = alt_binary ? alt_binary : ac;
            int ai = a ? cat_of(L, &cats, &ncats, &capc, a) : -1;
            VEC_PUSH(L->a, alt, nalt, capa, ai);
        }
        nm++;
    }
    v->vec = vec ? vec : ARENA_ARRAY(L->a, double, 1);
    v->nmach = nm;
    v->start = start;
    v->b = bs;
    v->cat = cat;
    v->alt = alt;
    v->thr = thr;
    v->ncats = ncats;
    if (nm == 0) {
        diag_error(L->d, lloc(L, m), "SupportVectorMachineModel has no SupportVectorMachine");
        return 1;
    }
    /* the fields, the machines' values and the classes' are arrays on the
       scoring function's stack */
    if ((double)dim + nm + ncats > (double)nv_limits.stack_values) {
        diag_error(L->d, lloc(L, m), "%d VectorFields, %d machines and %d classes hold more than %ld numbers%s", dim,
                   nm, ncats, nv_limits.stack_values, limits_hint("stack-values"));
        return 1;
    }

    /* what the outputs are */
    IrKernel *kn = ARENA_NEW(L->a, IrKernel);
    kn->kind = KERNEL_SVM;
    kn->name = xattr(m, "modelName");
    kn->loc = lloc(L, m);
    kn->svm = v;
    const char *cm = xattr(m, "classificationMethod");
    if (r->func == FUNC_REGRESSION) {
        if (nm != 1) {
            diag_error(L->d, lloc(L, m), "a regression SupportVectorMachineModel has one SupportVectorMachine, not "
                       "%d", nm);
            return 1;
        }
        v->mode = SVM_VALUES;
        r->value = ir_add_var(b, "predicted", dt);
        kn->outs = ARENA_ARRAY(L->a, int, 1);
        kn->outs[0] = r->value;
        kn->nouts = 1;
        IrStmt *st = ir_kernel(b, blk, kn, xs, dim);
        st->comment = arena_printf(L->a, "SupportVectorMachineModel: %d support vectors of %d fields", v->nvec, dim);
        return 0;
    }
    if (cm && strcmp(cm, "OneAgainstAll") != 0 && strcmp(cm, "OneAgainstOne") != 0) {
        diag_error(L->d, aloc(L, m, "classificationMethod"), "classificationMethod '%s' is not known", cm);
        return 1;
    }
    /* one against one, or a binary machine with an alternate category
       (the standard's binary case), vote; else one against all */
    int votes = cm ? !strcmp(cm, "OneAgainstOne") || (nm == 1 && (any_alt || alt_binary)) : any_alt || alt_binary;
    v->mode = votes ? SVM_VOTES : SVM_ONE_AGAINST_ALL;
    v->alt_binary = votes && alt_binary;
    if (votes)
        for (int i = 0; i < nm; i++)
            if (alt[i] < 0) {
                diag_error(L->d, lloc(L, m), "voting SupportVectorMachines need an alternateTargetCategory each");
                return 1;
            }
    kn->nouts = 1 + ncats;
    kn->outs = ARENA_ARRAY(L->a, int, kn->nouts);
    kn->outs[0] = ir_add_var(b, "winner", ir_type(T_INT));
    for (int c = 0; c < ncats; c++)
        kn->outs[1 + c] = ir_add_var(b, arena_printf(L->a, "%s(%s)", votes ? "probability" : "value", cats[c]), dt);
    IrStmt *st = ir_kernel(b, blk, kn, xs, dim);
    st->comment = arena_printf(L->a, "SupportVectorMachineModel: %d machines, %d support vectors of %d fields (%s)",
                               nm, v->nvec, dim, votes ? "votes" : "one against all");
    IrTable *names = ir_table(b, ir_type(T_STRING), ncats, 1);
    for (int c = 0; c < ncats; c++)
        names->str[c] = cats[c];
    r->value = ir_add_var(b, "predicted", ir_nullable(L->a, ir_type(T_STRING)));
    ir_set(b, blk, r->value, ir_lookup(b, ir_var(b, kn->outs[0]), names));
    if (votes) {
        /* the share of votes is each class's probability */
        r->ncats = ncats;
        r->cats = cats;
        r->probs = kn->outs + 1;
    } else {
        /* no probabilities, but the labels are known (a MiningModel's votes) */
        r->nlabels = ncats;
        r->labels = cats;
    }
    return 0;
}

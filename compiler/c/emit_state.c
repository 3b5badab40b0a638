/* The per-entity state of a PMML program with Lag or Aggregate reads
 * (IrStateRead): the slot each entity keeps (one C struct per key list),
 * the state object of the generated API (P_state: created, reset and freed
 * by the host, docs/generated-code.md), and the state step the score
 * function starts with.  Finding, bounding and forgetting entities is the
 * run-time library's (runtime/lib/state.c); what is printed here is only
 * this model's layout and the code that reads and fills it.
 *
 * A slot holds, per field that Lags read, the last D values (D the
 * deepest n) in a ring: the count held, the next position, the values and
 * their missing flags (a string field: heap copies, NULL when missing);
 * and per field that Aggregates read, its running count, sum, mean,
 * minimum and maximum. */
#include "program.h"

#include <string.h>

/* what a map's slot holds of one field */
typedef struct SField {
    int input;
    int depth;       /* ring of the last `depth` values (0: none) */
    int running;     /* running aggregates */
    int str;         /* a string field */
} SField;

/* the fields of map k's slot, in input order (n fields into *out) */
static SField *slot_fields(Em *m, int k, int *out)
{
    const IrProgram *p = m->p;
    SField *f = ARENA_ARRAY(&m->a, SField, p->ninputs + 1);
    int n = 0;
    for (int i = 0; i < p->ninputs; i++) {
        SField s = {.input = i, .str = ir_base(p->inputs[i].type)->kind == T_STRING};
        for (int r = 0; r < p->nsreads; r++) {
            const IrStateRead *sr = &p->sreads[r];
            if (sr->map != k || sr->input != i)
                continue;
            if (sr->kind == SR_RUNNING)
                s.running = 1;
            else if (sr->n > s.depth)
                s.depth = sr->n;
        }
        if (s.depth || s.running)
            f[n++] = s;
    }
    *out = n;
    return f;
}

/* the value of input i as the program holds it (a date: plus its offset) */
static const char *input_value(Em *m, int i, const char *name)
{
    IrTemporal k = ir_temporal(m->p->inputs[i].type);
    double off = k ? ir_temporal_offset(k) : 0;
    if (off != 0)
        return arena_printf(&m->a, "((double)in->%s + %s)", name, c_double(&m->a, off));
    return arena_printf(&m->a, "(double)in->%s", name);
}

void state_types(Em *m, StrBuf *c, const char *pfx)
{
    const IrProgram *p = m->p;
    for (int k = 0; k < p->nsmaps; k++) {
        int n;
        SField *f = slot_fields(m, k, &n);
        sb_printf(c, "/* what each entity of key list %d keeps (", k);
        for (int j = 0; j < p->smaps[k].nkeys; j++) {
            if (j)
                sb_puts(c, ", ");
            comment_text(c, p->inputs[p->smaps[k].keys[j]].name, 60);
        }
        sb_printf(c, "%s) */\ntypedef struct nv_ent%d {\n", p->smaps[k].nkeys ? "" : "one entity", k);
        int strs = 0;
        for (int j = 0; j < n; j++) {
            int i = f[j].input, d = f[j].depth;
            sb_puts(c, "    /* ");
            comment_text(c, p->inputs[i].name, 60);
            sb_puts(c, " */\n");
            if (d && f[j].str) {
                sb_printf(c, "    int c%d, h%d;\n    char *s%d[%d];\n", i, i, i, d);
                strs = 1;
            } else if (d)
                sb_printf(c, "    int c%d, h%d;\n    double v%d[%d];\n    unsigned char m%d[%d];\n", i, i, i, d, i, d);
            if (f[j].running)
                sb_printf(c, "    double n%d, sum%d, mean%d, min%d, max%d;\n", i, i, i, i, i);
        }
        sb_printf(c, "} nv_ent%d;\n", k);
        if (strs) {
            sb_printf(c, "static void nv_ent%d_free(void *slot)\n{\n    nv_ent%d *e = (nv_ent%d *)slot;\n    int k;\n", k,
                      k, k);
            for (int j = 0; j < n; j++)
                if (f[j].depth && f[j].str)
                    sb_printf(c, "    for (k = 0; k < %d; k++) free(e->s%d[k]);\n", f[j].depth, f[j].input);
            sb_puts(c, "}\n");
        }
        sb_puts(c, "\n");
    }
    const char *nw = rt_call(m, "nv_smap_new"), *rs = rt_call(m, "nv_smap_reset"), *fr = rt_call(m, "nv_smap_free");
    sb_printf(c, "struct %s_state {\n    nv_smap *maps[%d];\n    nv_key key;\n};\n\n", pfx, p->nsmaps);
    sb_printf(c, "%s_state *%s_state_new(size_t max_entities)\n{\n"
                 "    %s_state *s = (%s_state *)calloc(1, sizeof *s);\n    if (!s) return NULL;\n",
              pfx, pfx, pfx, pfx);
    for (int k = 0; k < p->nsmaps; k++) {
        int n, strs = 0;
        SField *f = slot_fields(m, k, &n);
        for (int j = 0; j < n; j++)
            strs |= f[j].depth && f[j].str;
        sb_printf(c, "    if (!(s->maps[%d] = %s(sizeof(nv_ent%d), max_entities, %s))) {\n"
                     "        %s_state_free(s);\n        return NULL;\n    }\n",
                  k, nw, k, strs ? arena_printf(&m->a, "nv_ent%d_free", k) : "NULL", pfx);
    }
    sb_printf(c, "    return s;\n}\n\nvoid %s_state_reset(%s_state *s)\n{\n    int k;\n"
                 "    for (k = 0; k < %d; k++) %s(s->maps[k]);\n}\n\n",
              pfx, pfx, p->nsmaps, rs);
    sb_printf(c, "void %s_state_free(%s_state *s)\n{\n    int k;\n    if (!s) return;\n"
                 "    for (k = 0; k < %d; k++) %s(s->maps[k]);\n    free(s->key.buf);\n    free(s);\n}\n\n",
              pfx, pfx, p->nsmaps, fr);
    sb_printf(c, "void %s_state_stats(const %s_state *s, size_t *entities, unsigned long long *evicted)\n{\n"
                 "    int k;\n    *entities = 0;\n    *evicted = 0;\n"
                 "    for (k = 0; k < %d; k++) {\n        if (!s->maps[k]) continue;\n"
                 "        *entities += s->maps[k]->n;\n        *evicted += s->maps[k]->evicted;\n    }\n}\n\n",
              pfx, pfx, p->nsmaps);
}

void state_header(Em *m, StrBuf *h, const char *pfx)
{
    (void)m;
    sb_printf(h, "/* The per-entity state this model reads (PMML's Lag and Aggregate): the host\n"
                 "   makes one (max_entities 0: no bound; beyond it the entity seen least\n"
                 "   recently is forgotten), scores a stream's records through it in order,\n"
                 "   and resets or frees it.  NULL when memory runs out.  One state must not\n"
                 "   be used by two threads at once. */\n"
                 "typedef struct %s_state %s_state;\n"
                 "%s_state *%s_state_new(size_t max_entities);\n"
                 "void %s_state_reset(%s_state *state);\n"
                 "void %s_state_free(%s_state *state);\n"
                 "/* the entities it holds, and how many were forgotten to keep the bound */\n"
                 "void %s_state_stats(const %s_state *state, size_t *entities, unsigned long long *evicted);\n",
              pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx);
}

/* the state step: each entity's slot; the running aggregates take this
   record; every read gets its value; the Lag rings take this record */
void state_step(Em *m, const char **in_names)
{
    const IrProgram *p = m->p;
    const char *st = m->stref;
    em_line(m, "{");
    m->ind++;
    for (int k = 0; k < p->nsmaps; k++)
        em_line(m, "nv_ent%d *e%d;", k, k);
    em_line(m, "int k_;");
    em_line(m, "(void)k_;");
    for (int k = 0; k < p->nsmaps; k++) {
        const IrStateMap *sm = &p->smaps[k];
        em_line(m, "%s(&%s->key);", rt_call(m, "nv_key_reset"), st);
        for (int j = 0; j < sm->nkeys; j++) {
            int i = sm->keys[j];
            if (ir_base(p->inputs[i].type)->kind == T_STRING)
                em_line(m, "%s(&%s->key, in->state[%d] == NERVA_PRESENT ? in->%s : NULL);", rt_call(m, "nv_key_str"),
                        st, i, in_names[i]);
            else
                em_line(m, "%s(&%s->key, in->state[%d] == NERVA_PRESENT, %s);", rt_call(m, "nv_key_num"), st, i,
                        input_value(m, i, in_names[i]));
        }
        em_line(m, "if (%s->key.oom || !(e%d = (nv_ent%d *)%s(%s->maps[%d], %s->key.buf, %s->key.len))) return "
                   "NERVA_ERROR;", st, k, k, rt_call(m, "nv_smap_get"), st, k, st, st);
    }
    /* running aggregates take this record first: an Aggregate counts it */
    for (int k = 0; k < p->nsmaps; k++) {
        int n;
        SField *f = slot_fields(m, k, &n);
        for (int j = 0; j < n; j++) {
            int i = f[j].input;
            if (!f[j].running || f[j].str)
                continue;
            em_line(m, "if (in->state[%d] == NERVA_PRESENT) {", i);
            em_line(m, "    double x_ = %s;", input_value(m, i, in_names[i]));
            em_line(m, "    e%d->n%d += 1;", k, i);
            em_line(m, "    e%d->sum%d = e%d->n%d == 1 ? x_ : e%d->sum%d + x_;", k, i, k, i, k, i);
            em_line(m, "    e%d->mean%d += (x_ - e%d->mean%d) / e%d->n%d;", k, i, k, i, k, i);
            em_line(m, "    if (e%d->n%d == 1 || x_ < e%d->min%d) e%d->min%d = x_;", k, i, k, i, k, i);
            em_line(m, "    if (e%d->n%d == 1 || x_ > e%d->max%d) e%d->max%d = x_;", k, i, k, i, k, i);
            em_line(m, "}");
        }
        for (int j = 0; j < n; j++)
            if (f[j].running && f[j].str)
                em_line(m, "if (in->state[%d] == NERVA_PRESENT) e%d->n%d += 1;", f[j].input, k, f[j].input);
    }
    /* the reads */
    for (int r = 0; r < p->nsreads; r++) {
        const IrStateRead *sr = &p->sreads[r];
        int k = sr->map, i = sr->input, v = sr->var;
        if (!m->var_used[v])
            continue;
        const char *vn = m->vname[v], *nn = m->nname[v];
        IrTypeKind tk = ir_base(p->vars[v].type)->kind;
        if (sr->kind == SR_RUNNING) {
            static const char *const acc[] = {[SA_AVG] = "mean", [SA_MAX] = "max", [SA_MIN] = "min",
                                              [SA_SUM] = "sum", [SA_COUNT] = "n"};
            if (sr->fn == SA_COUNT)
                em_line(m, "%s = e%d->n%d; %s = 0;", vn, k, i, nn);
            else
                em_line(m, "%s = e%d->%s%d; %s = e%d->n%d == 0;", vn, k, acc[sr->fn], i, nn, k, i);
            continue;
        }
        int d = 0, nf;
        SField *f = slot_fields(m, k, &nf);
        for (int j = 0; j < nf; j++)
            if (f[j].input == i)
                d = f[j].depth;
        if (sr->kind == SR_LAG) {
            const char *at = arena_printf(&m->a, "(e%d->h%d + %d) %% %d", k, i, d - sr->n, d);
            if (ir_base(p->inputs[i].type)->kind == T_STRING) {
                m->scratch = 1;
                em_line(m, "if (e%d->c%d >= %d && e%d->s%d[%s]) { %s = %s(&%s, e%d->s%d[%s]); %s = 0; } else %s = 1;", k,
                        i, sr->n, k, i, at, vn, rt_call(m, "nv_state_text"), m->scr, k, i, at, nn, nn);
            } else
                em_line(m, "if (e%d->c%d >= %d && !e%d->m%d[%s]) { %s = (%s)e%d->v%d[%s]; %s = 0; } else %s = 1;", k, i,
                        sr->n, k, i, at, vn, em_ctype(p->vars[v].type), k, i, at, nn, nn);
            (void)tk;
            continue;
        }
        /* a Lag's aggregate over the previous n records, oldest first */
        em_line(m, "{");
        em_line(m, "    double a_[%d];", sr->n);
        em_line(m, "    unsigned char m_[%d];", sr->n);
        em_line(m, "    for (k_ = 0; k_ < %d; k_++) {", sr->n);
        em_line(m, "        int back_ = %d - k_, at_ = (e%d->h%d + %d - back_) %% %d;", sr->n, k, i, d, d);
        em_line(m, "        m_[k_] = (unsigned char)(back_ > e%d->c%d || e%d->m%d[at_]);", k, i, k, i);
        em_line(m, "        a_[k_] = e%d->v%d[at_];", k, i);
        em_line(m, "    }");
        em_line(m, "    %s = !%s(%d, a_, m_, %d, &%s);", nn, rt_call(m, "nv_lag_agg"), sr->fn, sr->n, vn);
        em_line(m, "}");
    }
    /* the rings take this record */
    for (int k = 0; k < p->nsmaps; k++) {
        int n;
        SField *f = slot_fields(m, k, &n);
        for (int j = 0; j < n; j++) {
            int i = f[j].input, d = f[j].depth;
            if (!d)
                continue;
            if (f[j].str) {
                em_line(m, "free(e%d->s%d[e%d->h%d]);", k, i, k, i);
                em_line(m, "e%d->s%d[e%d->h%d] = NULL;", k, i, k, i);
                em_line(m, "if (in->state[%d] == NERVA_PRESENT && !(e%d->s%d[e%d->h%d] = %s(in->%s))) return NERVA_ERROR;",
                        i, k, i, k, i, rt_call(m, "nv_heap_strdup"), in_names[i]);
            } else {
                em_line(m, "e%d->m%d[e%d->h%d] = in->state[%d] != NERVA_PRESENT;", k, i, k, i, i);
                em_line(m, "e%d->v%d[e%d->h%d] = in->state[%d] == NERVA_PRESENT ? %s : 0;", k, i, k, i, i,
                        input_value(m, i, in_names[i]));
            }
            em_line(m, "e%d->h%d = (e%d->h%d + 1) %% %d;", k, i, k, i, d);
            em_line(m, "if (e%d->c%d < %d) e%d->c%d++;", k, i, d, k, i);
        }
    }
    m->ind--;
    em_line(m, "}");
}

/* codec_csv.c: CSV records, one row per message, in a fixed column order
 * (--columns, or the model's inputs in order).  Quoting is RFC 4180's.  As in
 * `nerva score`, an empty cell is a missing value and a cell that does not
 * read as its field's type is an invalid value (the model's
 * invalidValueTreatment decides); a row with the wrong number of cells or
 * broken quoting is a bad record. */
#include "codec_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int nvc_csv_setup(nvc_codec *c, char *err, size_t errlen)
{
    const nerva_model *m = c->m;
    if (c->o.in_format != NVC_CSV)
        return 0;
    if (!c->o.columns) {
        c->ncols = m->n_inputs;
        c->col_field = calloc((size_t)(c->ncols ? c->ncols : 1), sizeof *c->col_field);
        for (int k = 0; k < c->ncols; k++)
            c->col_field[k] = k;
        return 0;
    }
    const char *p = c->o.columns;
    c->ncols = 1;
    for (const char *q = p; *q; q++)
        c->ncols += *q == ',';
    c->col_field = calloc((size_t)c->ncols, sizeof *c->col_field);
    int used = 0;
    for (int k = 0; k < c->ncols; k++) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        c->col_field[k] = nvc_input_index(c, p, n);
        used += c->col_field[k] >= 0;
        p += n + (e != NULL);
    }
    if (m->n_inputs > 0 && used == 0) {
        snprintf(err, errlen, "--columns names none of the model's input fields");
        return -1;
    }
    return 0;
}

/* the next cell of a row: [*b, *e) raw (with quotes), unquoted into tmp */
static int cell(const char **pp, const char *end, const char **b, const char **e, nvc_buf *tmp)
{
    const char *p = *pp;
    tmp->len = 0;
    *b = p;
    if (p < end && *p == '"') {
        p++;
        for (;;) {
            if (p >= end)
                return -1;
            if (*p == '"') {
                if (p + 1 < end && p[1] == '"') {
                    nvc_buf_put(tmp, "\"", 1);
                    p += 2;
                    continue;
                }
                p++;
                break;
            }
            nvc_buf_put(tmp, p, 1);
            p++;
        }
        if (p < end && *p != ',' && *p != '\r' && *p != '\n')
            return -1;
    } else {
        while (p < end && *p != ',' && *p != '\r' && *p != '\n') {
            if (*p == '"')
                return -1;
            p++;
        }
        nvc_buf_put(tmp, *b, (size_t)(p - *b));
    }
    *e = p;
    *pp = p;
    return 0;
}

int nvc_csv_decode(nvc_batch *b, size_t i, const char *p, size_t len)
{
    const nvc_codec *c = b->c;
    const char *end = p + len, *q = p;
    /* one trailing line end is allowed */
    if (end > p && end[-1] == '\n')
        end--;
    if (end > p && end[-1] == '\r')
        end--;
    nvc_buf tmp = {0};
    int k = 0, rc = 0;
    for (;;) {
        const char *cb, *ce;
        if (cell(&q, end, &cb, &ce, &tmp)) {
            rc = nvc_bad(b, i, "parse", "CSV: bad quoting in cell %d", k + 1);
            break;
        }
        if (k < c->ncols) {
            int f = c->col_field[k];
            if (f >= 0) {
                if (tmp.len == 0)
                    nvc_set_state(b, i, f, NERVA_MISSING);
                else if (memchr(tmp.data, 0, tmp.len) || nvc_set_text(b, i, f, tmp.data, tmp.len))
                    nvc_set_state(b, i, f, NERVA_INVALID);
            }
            if (c->o.passthrough)
                nvc_span_add(b, i, (size_t)(cb - p), (size_t)(ce - cb), k);
        }
        k++;
        if (q >= end)
            break;
        if (*q != ',') {
            rc = nvc_bad(b, i, "parse", "CSV: a message holds one row");
            break;
        }
        q++;
    }
    if (!rc && k != c->ncols)
        rc = nvc_bad(b, i, "parse", "CSV: %d cells, expected %d", k, c->ncols);
    nvc_buf_free(&tmp);
    return rc;
}

static void put_cell(nvc_buf *out, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        nvc_buf_puts(out, s);
        return;
    }
    nvc_buf_put(out, "\"", 1);
    for (; *s; s++) {
        if (*s == '"')
            nvc_buf_put(out, "\"", 1);
        nvc_buf_put(out, s, 1);
    }
    nvc_buf_put(out, "\"", 1);
}

/* a cell, after a comma unless it is the first; a missing value is empty */
static void put_typed(nvc_buf *out, int *first, nvc_value v)
{
    char num[64];
    if (!*first)
        nvc_buf_put(out, ",", 1);
    *first = 0;
    if (v.state != NERVA_PRESENT)
        return;
    switch (v.type) {
    case NERVA_DOUBLE:
    case NERVA_FLOAT: nvc_buf_put(out, num, (size_t)nvc_format_double(v.d, num, sizeof num)); break;
    case NERVA_LONG: nvc_buf_put(out, num, (size_t)snprintf(num, sizeof num, "%lld", v.l)); break;
    case NERVA_BOOL: nvc_buf_puts(out, v.l ? "true" : "false"); break;
    case NERVA_STRING: put_cell(out, v.s); break;
    default: break;
    }
}

int nvc_csv_encode(nvc_batch *b, size_t i, nvc_buf *out)
{
    const nvc_codec *c = b->c;
    const nerva_model *m = c->m;
    int first = 1;
    if (c->o.passthrough && c->o.in_format == NVC_CSV) {
        for (size_t k = 0; k < b->span_count[i]; k++) {
            const nvc_span *sp = &b->spans[b->span_first[i] + k];
            if (!first)
                nvc_buf_put(out, ",", 1);
            nvc_buf_put(out, b->src[i] + sp->off, sp->len);
            first = 0;
        }
    } else if (c->o.passthrough) {
        for (int j = 0; j < m->n_inputs; j++)
            put_typed(out, &first, nvc_in_value(b, i, j));
    }
    for (int j = 0; j < m->n_outputs; j++)
        put_typed(out, &first, nvc_out_value(b, i, j));
    return 0;
}

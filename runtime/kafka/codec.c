/* codec.c: the format-independent half of the record codec: binding a
 * model's fields by name, the batch (input and output structs, statuses,
 * per-batch string storage), scoring through score_batch, and typed stores
 * into input structs that every format's decoder shares.  Formats live in
 * codec_json.c, codec_csv.c and codec_avro.c. */
#include "codec_int.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fputs("nerva-kafka: out of memory\n", stderr);
        abort();
    }
    return p;
}

static uint32_t name_hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static int *build_table(const nerva_field *f, int n, unsigned *mask)
{
    unsigned size = 8;
    while (size < (unsigned)n * 2 + 2)
        size *= 2;
    int *slots = xcalloc(size, sizeof *slots);
    for (int i = 0; i < n; i++) {
        unsigned h = name_hash(f[i].name, strlen(f[i].name)) & (size - 1);
        while (slots[h])
            h = (h + 1) & (size - 1);
        slots[h] = i + 1;
    }
    *mask = size - 1;
    return slots;
}

static int lookup(const nerva_field *f, const int *slots, unsigned mask, const char *name, size_t len)
{
    unsigned h = name_hash(name, len) & mask;
    for (; slots[h]; h = (h + 1) & mask) {
        const char *k = f[slots[h] - 1].name;
        if (strncmp(k, name, len) == 0 && k[len] == 0)
            return slots[h] - 1;
    }
    return -1;
}

int nvc_input_index(const nvc_codec *c, const char *name, size_t len)
{
    return lookup(c->m->inputs, c->in_slot, c->in_mask, name, len);
}

int nvc_output_index(const nvc_codec *c, const char *name, size_t len)
{
    return lookup(c->m->outputs, c->out_slot, c->out_mask, name, len);
}

/* ---- growable byte buffers ---- */

void nvc_buf_need(nvc_buf *buf, size_t more)
{
    if (buf->cap - buf->len >= more)
        return;
    size_t cap = buf->cap ? buf->cap : 256;
    while (cap - buf->len < more)
        cap *= 2;
    char *p = realloc(buf->data, cap);
    if (!p) {
        fputs("nerva-kafka: out of memory\n", stderr);
        abort();
    }
    buf->data = p;
    buf->cap = cap;
}

void nvc_buf_put(nvc_buf *buf, const void *p, size_t n)
{
    if (n == 0)
        return;
    nvc_buf_need(buf, n);
    memcpy(buf->data + buf->len, p, n);
    buf->len += n;
}

void nvc_buf_puts(nvc_buf *buf, const char *s) { nvc_buf_put(buf, s, strlen(s)); }

void nvc_buf_free(nvc_buf *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
}

size_t nvc_utf8_len(const char *p, size_t avail)
{
    const unsigned char *s = (const unsigned char *)p;
    if (!avail)
        return 0;
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t n = c >= 0xC2 && c < 0xE0 ? 2 : c >= 0xE0 && c < 0xF0 ? 3 : c >= 0xF0 && c < 0xF5 ? 4 : 0;
    if (!n || avail < n)
        return 0; /* a continuation byte, C0/C1 (overlong), F5..FF, or cut short */
    for (size_t k = 1; k < n; k++)
        if ((s[k] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xF0 && s[1] < 0x90))
        return 0; /* overlong */
    if ((c == 0xED && s[1] >= 0xA0) || (c == 0xF4 && s[1] >= 0x90))
        return 0; /* a surrogate, or past U+10FFFF */
    return n;
}

int nvc_json_string(nvc_buf *buf, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    nvc_buf_need(buf, n * 6 + 2); /* the worst case: every byte as \u00XX */
    char *d = buf->data + buf->len;
    *d++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x80) {
            /* JSON text is UTF-8: a string that is not cannot be written */
            size_t k = nvc_utf8_len(s + i, n - i);
            if (!k)
                return -1;
            memcpy(d, s + i, k);
            d += k;
            i += k - 1;
        } else if (ch >= 0x20 && ch != '"' && ch != '\\') {
            *d++ = (char)ch;
        } else if (ch == '"' || ch == '\\' || ch == '\n' || ch == '\t' || ch == '\r') {
            *d++ = '\\';
            *d++ = ch == '\n' ? 'n' : ch == '\t' ? 't' : ch == '\r' ? 'r' : (char)ch;
        } else {
            memcpy(d, "\\u00", 4);
            d[4] = hex[ch >> 4];
            d[5] = hex[ch & 15];
            d += 6;
        }
    }
    *d++ = '"';
    buf->len = (size_t)(d - buf->data);
    return 0;
}

/* Exact 15-, 16- and 17-digit candidates for d = m * 2^e (e < 0) in 128-bit
   integers, each checked to read back to d; 0 when d is outside the range
   this handles (the caller then uses snprintf and strtod). */
static int fast_double(double d, char *buf)
{
    typedef unsigned __int128 u128;
    /* d = m * 2^e, read from its bits (frexp, ldexp and log10 cost more
       than the rest of this function) */
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    int neg = (int)(bits >> 63), be = (int)((bits >> 52) & 0x7ff);
    uint64_t frac = bits & (((uint64_t)1 << 52) - 1);
    double ax = neg ? -d : d;
    if (be == 0 || be == 0x7ff || ax < 1e-5 || ax >= 1e15)
        return 0;
    uint64_t m = frac | (uint64_t)1 << 52;
    int e = be - 1075;
    if (frac == 0 || e >= 0 || e < -110)
        return 0; /* a power of two has an uneven rounding interval */
    static const uint64_t p5[28] = {
        1ull, 5ull, 25ull, 125ull, 625ull, 3125ull, 15625ull, 78125ull, 390625ull, 1953125ull, 9765625ull,
        48828125ull, 244140625ull, 1220703125ull, 6103515625ull, 30517578125ull, 152587890625ull,
        762939453125ull, 3814697265625ull, 19073486328125ull, 95367431640625ull, 476837158203125ull,
        2384185791015625ull, 11920928955078125ull, 59604644775390625ull, 298023223876953125ull,
        1490116119384765625ull, 7450580596923828125ull};
    /* 17 significant digits: D17 = round(d * 10^k) in [10^16, 10^17); the
       decimal exponent from the binary one is low by at most one, which the
       loop below corrects */
    int L = (int)floor((double)(be - 1023) * 0.30102999566398120), k = 16 - L;
    uint64_t D = 0;
    for (int tries = 0; tries < 3; tries++) {
        if (k < 0 || k > 27 || -e - k <= 0)
            return 0;
        int sh = -e - k;
        u128 n = (u128)m * p5[k];
        u128 q = n >> sh, r = n - (q << sh), half = (u128)1 << (sh - 1);
        if (r > half || (r == half && (q & 1)))
            q++;
        D = (uint64_t)q;
        if (D >= 100000000000000000ull)
            k--;
        else if (D < 10000000000000000ull)
            k++;
        else
            break;
    }
    if (D < 10000000000000000ull || D >= 100000000000000000ull)
        return 0;
    uint64_t digits = D;
    int kp = k;
    for (int drop = 2; drop >= 1; drop--) {
        uint64_t div = drop == 2 ? 100 : 10, c = D / div, r = D % div;
        if (r > div / 2 || (r == div / 2 && (c & 1)))
            c++;
        int kc = k - drop, sh = -e - kc;
        if (kc < 0 || sh < 0 || sh > 70)
            continue;
        /* reads back iff |c / 10^kc - d| < half an ulp, i.e.
           |2 c 2^sh - 2 m 5^kc| < 5^kc */
        u128 a = (u128)c << (sh + 1), b = (u128)m * p5[kc] * 2;
        if ((a > b ? a - b : b - a) < (u128)p5[kc]) {
            digits = c;
            kp = kc;
            break;
        }
    }
    while (digits % 10 == 0 && kp > 0) {
        digits /= 10;
        kp--;
    }
    /* the digits, last first, two at a time */
    static const char two[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                              "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                              "8081828384858687888990919293949596979899";
    char tmp[32];
    int n = 0;
    while (digits >= 100) {
        unsigned r = (unsigned)(digits % 100);
        digits /= 100;
        tmp[n++] = two[2 * r + 1];
        tmp[n++] = two[2 * r];
    }
    if (digits >= 10) {
        tmp[n++] = (char)('0' + digits % 10);
        tmp[n++] = (char)('0' + digits / 10);
    } else {
        tmp[n++] = (char)('0' + digits);
    }
    char *o = buf;
    if (neg)
        *o++ = '-';
    if (kp >= n) {
        *o++ = '0';
        *o++ = '.';
        for (int z = 0; z < kp - n; z++)
            *o++ = '0';
        while (n)
            *o++ = tmp[--n];
    } else {
        while (n) {
            if (n == kp)
                *o++ = '.';
            *o++ = tmp[--n];
        }
    }
    *o = 0;
    return (int)(o - buf);
}

int nvc_format_double(double d, char *buf, size_t size)
{
    if (d != d)
        return snprintf(buf, size, "NaN");
    if (isinf(d))
        return snprintf(buf, size, d > 0 ? "Infinity" : "-Infinity");
    if (size >= 48) {
        int n = fast_double(d, buf);
        if (n)
            return n;
    }
    /* 15 significant digits always read back to themselves; when they do not
       give d back, 17 always do */
    int n = snprintf(buf, size, "%.15g", d);
    if (strtod(buf, NULL) != d)
        n = snprintf(buf, size, "%.17g", d);
    return n;
}

/* ---- the codec ---- */

static char *json_key(const char *name, size_t *len)
{
    nvc_buf b = {0};
    if (nvc_json_string(&b, name, strlen(name))) {
        nvc_buf_free(&b);
        return NULL;
    }
    nvc_buf_put(&b, ":", 2);
    *len = b.len - 1;
    return b.data;
}

nvc_codec *nvc_new(const nerva_model *m, const nvc_options *o, char *err, size_t errlen)
{
    if (m->abi != NERVA_MODEL_ABI) {
        snprintf(err, errlen, "model ABI %d, this harness reads ABI %d", m->abi, NERVA_MODEL_ABI);
        return NULL;
    }
    for (int j = 0; j < m->n_inputs; j++)
        if (m->inputs[j].type == NERVA_STRINGS) {
            /* an association model's transaction: rows that make one record */
            snprintf(err, errlen, "input field '%s' is a set of items, which the harness's records do not "
                     "carry yet", m->inputs[j].name);
            return NULL;
        }
    nvc_codec *c = xcalloc(1, sizeof *c);
    c->m = m;
    c->o = *o;
    c->in_slot = build_table(m->inputs, m->n_inputs, &c->in_mask);
    c->out_slot = build_table(m->outputs, m->n_outputs, &c->out_mask);
    c->out_key = xcalloc((size_t)m->n_outputs, sizeof *c->out_key);
    c->out_key_len = xcalloc((size_t)m->n_outputs, sizeof *c->out_key_len);
    int bad = 0;
    for (int j = 0; j < m->n_outputs; j++)
        if (!(c->out_key[j] = json_key(m->outputs[j].name, &c->out_key_len[j])) && !bad)
            bad = snprintf(err, errlen, "output field %d: its name is not UTF-8", j + 1) > 0;
    c->in_key = xcalloc((size_t)m->n_inputs, sizeof *c->in_key);
    c->in_key_len = xcalloc((size_t)m->n_inputs, sizeof *c->in_key_len);
    for (int j = 0; j < m->n_inputs; j++)
        if (!(c->in_key[j] = json_key(m->inputs[j].name, &c->in_key_len[j])) && !bad)
            bad = snprintf(err, errlen, "input field %d: its name is not UTF-8", j + 1) > 0;
    if (!bad && (o->in_format == NVC_CSV || o->out_format == NVC_CSV))
        bad |= nvc_csv_setup(c, err, errlen);
    if (!bad && (o->in_format == NVC_AVRO || o->out_format == NVC_AVRO))
        bad |= nvc_avro_setup(c, err, errlen);
    if (bad) {
        nvc_free(c);
        return NULL;
    }
    return c;
}

void nvc_free(nvc_codec *c)
{
    if (!c)
        return;
    for (int j = 0; j < c->m->n_outputs; j++)
        free(c->out_key[j]);
    for (int j = 0; j < c->m->n_inputs; j++)
        free(c->in_key[j]);
    free(c->out_key);
    free(c->out_key_len);
    free(c->in_key);
    free(c->in_key_len);
    free(c->in_slot);
    free(c->out_slot);
    free(c->col_field);
    nvc_avro_free(c);
    free(c);
}

const nerva_model *nvc_model(const nvc_codec *c) { return c->m; }

int nvc_compatible(const nvc_codec *c, const nerva_model *next, char *err, size_t errlen)
{
    if (next->abi != NERVA_MODEL_ABI) {
        snprintf(err, errlen, "model ABI %d, this harness reads ABI %d", next->abi, NERVA_MODEL_ABI);
        return -1;
    }
    for (int i = 0; i < next->n_inputs; i++) {
        const nerva_field *f = &next->inputs[i];
        int k = nvc_input_index(c, f->name, strlen(f->name));
        if (k < 0) {
            snprintf(err, errlen, "input field '%s' is new (the running model has no such input)", f->name);
            return -1;
        }
        if (c->m->inputs[k].type != f->type) {
            snprintf(err, errlen, "input field '%s' changed type", f->name);
            return -1;
        }
    }
    return 0;
}

/* ---- batches ---- */

nvc_batch *nvc_batch_new(nvc_codec *c, size_t cap)
{
    if (cap == 0)
        cap = 1;
    nvc_batch *b = xcalloc(1, sizeof *b);
    b->c = c;
    b->cap = cap;
    b->in = xcalloc(cap, c->m->input_size);
    b->out = xcalloc(cap, c->m->output_size);
    b->status = xcalloc(cap, sizeof *b->status);
    b->src = xcalloc(cap, sizeof *b->src);
    b->srclen = xcalloc(cap, sizeof *b->srclen);
    b->ekind = xcalloc(cap, sizeof *b->ekind);
    b->edetail = xcalloc(cap, sizeof *b->edetail);
    b->span_first = xcalloc(cap, sizeof *b->span_first);
    b->span_count = xcalloc(cap, sizeof *b->span_count);
    b->view = xcalloc(cap, sizeof *b->view);
    b->states = xcalloc(cap, sizeof *b->states);
    return b;
}

static void free_chunks(nvc_chunk *ch)
{
    while (ch) {
        nvc_chunk *n = ch->next;
        free(ch);
        ch = n;
    }
}

void nvc_batch_free(nvc_batch *b)
{
    if (!b)
        return;
    free(b->in);
    free(b->out);
    free(b->status);
    free(b->src);
    free(b->srclen);
    free(b->ekind);
    free(b->edetail);
    free(b->span_first);
    free(b->span_count);
    free(b->spans);
    free_chunks(b->strings);
    free(b->view);
    free(b->states);
    nvc_buf_free(&b->scratch);
    free(b);
}

void nvc_batch_reset(nvc_batch *b)
{
    memset(b->states, 0, b->n * sizeof *b->states);
    b->n = 0;
    b->nspans = 0;
    if (b->strings) {
        /* keep the newest chunk (the biggest), drop the rest */
        free_chunks(b->strings->next);
        b->strings->next = NULL;
        b->strings->used = 0;
    }
}

size_t nvc_count(const nvc_batch *b) { return b->n; }
size_t nvc_capacity(const nvc_batch *b) { return b->cap; }
int nvc_status(const nvc_batch *b, size_t i) { return b->status[i]; }
const char *nvc_error_kind(const nvc_batch *b, size_t i) { return b->ekind[i] ? b->ekind[i] : ""; }
const char *nvc_error(const nvc_batch *b, size_t i) { return b->edetail[i]; }

char *nvc_strdup_batch(nvc_batch *b, const char *s, size_t len)
{
    nvc_chunk *ch = b->strings;
    if (!ch || ch->cap - ch->used < len + 1) {
        size_t cap = 65536;
        while (cap < len + 1)
            cap *= 2;
        ch = malloc(sizeof *ch + cap);
        if (!ch) {
            fputs("nerva-kafka: out of memory\n", stderr);
            abort();
        }
        ch->used = 0;
        ch->cap = cap;
        ch->next = b->strings;
        b->strings = ch;
    }
    char *d = ch->data + ch->used;
    memcpy(d, s, len);
    d[len] = 0;
    ch->used += len + 1;
    return d;
}

int nvc_bad(nvc_batch *b, size_t i, const char *kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->edetail[i], NVC_ERR_LEN, fmt, ap);
    va_end(ap);
    b->ekind[i] = kind;
    b->status[i] = !strcmp(kind, "score") ? NVC_SCORE_ERROR : NVC_BAD_INPUT;
    return -1;
}

void nvc_span_add(nvc_batch *b, size_t i, size_t off, size_t len, int tag)
{
    if (b->nspans == b->spans_cap) {
        b->spans_cap = b->spans_cap ? b->spans_cap * 2 : 1024;
        b->spans = realloc(b->spans, b->spans_cap * sizeof *b->spans);
        if (!b->spans) {
            fputs("nerva-kafka: out of memory\n", stderr);
            abort();
        }
    }
    if (b->span_count[i] == 0)
        b->span_first[i] = b->nspans;
    b->spans[b->nspans++] = (nvc_span){(uint32_t)off, (uint32_t)len, tag};
    b->span_count[i]++;
}

/* every input missing: what a record that did not decode is scored as */
static void all_missing(nvc_batch *b, size_t i)
{
    const nerva_model *m = b->c->m;
    char *in = b->in + i * m->input_size;
    for (int f = 0; f < m->n_inputs; f++)
        in[m->inputs[f].state_offset] = NERVA_MISSING;
}

long nvc_decode(nvc_batch *b, const void *msg, size_t len)
{
    if (b->n == b->cap)
        return -1;
    size_t i = b->n++;
    const nerva_model *m = b->c->m;
    memset(b->in + i * m->input_size, 0, m->input_size);
    all_missing(b, i); /* until the message gives a value */
    b->status[i] = NVC_OK;
    b->ekind[i] = NULL;
    b->edetail[i][0] = 0;
    b->src[i] = msg;
    b->srclen[i] = len;
    b->span_count[i] = 0;
    b->view[i] = NULL;
    int rc;
    if (!msg) {
        rc = nvc_bad(b, i, "parse", "the message has no value");
    } else if (len > UINT32_MAX) {
        rc = nvc_bad(b, i, "parse", "the message is larger than 4 GiB");
    } else {
        switch (b->c->o.in_format) {
        case NVC_CSV: rc = nvc_csv_decode(b, i, msg, len); break;
        case NVC_AVRO: rc = nvc_avro_decode(b, i, msg, len); break;
        default: rc = nvc_json_decode(b, i, msg, len); break;
        }
    }
    if (rc)
        all_missing(b, i);
    return (long)i;
}

void nvc_set_record_state(nvc_batch *b, size_t i, void *state)
{
    if (i < b->n)
        b->states[i] = state;
}

void nvc_score(nvc_batch *b)
{
    const nerva_model *m = b->c->m;
    if (b->n == 0)
        return;
    int *st = malloc(b->n * sizeof *st);
    if (!st) {
        fputs("nerva-kafka: out of memory\n", stderr);
        abort();
    }
    if (m->score_state) {
        /* record by record, in order, each in its entity's state */
        for (size_t i = 0; i < b->n; i++)
            st[i] = b->status[i] != NVC_OK ? NERVA_OK
                  : b->states[i] ? m->score_state(b->states[i], b->in + i * m->input_size, b->out + i * m->output_size)
                                 : NERVA_ERROR;
    } else
        m->score_batch(b->in, b->out, st, b->n);
    for (size_t i = 0; i < b->n; i++) {
        if (b->status[i] != NVC_OK)
            continue;
        if (st[i] == NERVA_RESULT_INVALID)
            b->status[i] = NVC_INVALID;
        else if (st[i] != NERVA_OK)
            nvc_bad(b, i, "score", "the model failed on this record (status %d)", st[i]);
    }
    free(st);
}

void nvc_no_score(nvc_batch *b)
{
    const nerva_model *m = b->c->m;
    for (size_t i = 0; i < b->n; i++)
        for (int j = 0; j < m->n_outputs; j++)
            b->out[i * m->output_size + m->outputs[j].state_offset] = NERVA_MISSING;
}

int nvc_encode(nvc_batch *b, size_t i, nvc_buf *out)
{
    out->len = 0;
    if (b->status[i] < 0)
        return -1;
    switch (b->c->o.out_format) {
    case NVC_CSV: return nvc_csv_encode(b, i, out);
    case NVC_AVRO: return nvc_avro_encode(b, i, out);
    default: return nvc_json_encode(b, i, out);
    }
}

/* ---- typed stores into the input struct ---- */

static char *in_ptr(nvc_batch *b, size_t i, int f)
{
    const nerva_model *m = b->c->m;
    return b->in + i * m->input_size + m->inputs[f].offset;
}

void nvc_set_state(nvc_batch *b, size_t i, int f, int state)
{
    const nerva_model *m = b->c->m;
    b->in[i * m->input_size + m->inputs[f].state_offset] = (char)state;
}

static int blank(char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n'; }

/* A decimal number (no hex, no inf/nan words) filling all of [s, s+len) but
   blanks.  Exact: numbers of up to 15 digits with a small exponent are
   computed as integer * or / power of ten, both exact in a double, so one
   correctly rounded operation gives the correctly rounded result (Clinger's
   fast path); anything else goes to strtod. */
static int text_number(const char *s, size_t len, double *out)
{
    static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    char small[128];
    while (len && blank(*s))
        s++, len--;
    while (len && blank(s[len - 1]))
        len--;
    if (len == 0 || len >= sizeof small)
        return -1;
    size_t k = 0;
    int neg = 0, digits = 0, frac = 0, any = 0;
    uint64_t mant = 0;
    if (s[k] == '-' || s[k] == '+')
        neg = s[k++] == '-';
    for (; k < len && s[k] >= '0' && s[k] <= '9'; k++, any = 1)
        if (mant || s[k] != '0')
            mant = mant * 10 + (uint64_t)(s[k] - '0'), digits++;
    if (k < len && s[k] == '.')
        for (k++; k < len && s[k] >= '0' && s[k] <= '9'; k++, any = 1) {
            if (mant || s[k] != '0')
                mant = mant * 10 + (uint64_t)(s[k] - '0'), digits++;
            frac++;
        }
    if (k == len && any && digits <= 15 && frac <= 22) {
        double d = (double)mant / p10[frac];
        *out = neg ? -d : d;
        return 0;
    }
    for (k = 0; k < len; k++)
        switch (s[k]) {
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
        case '+': case '-': case '.': case 'e': case 'E': break;
        default: return -1;
        }
    memcpy(small, s, len);
    small[len] = 0;
    char *end;
    double d = strtod(small, &end);
    if (*end || end == small)
        return -1;
    *out = d;
    return 0;
}

int nvc_set_number(nvc_batch *b, size_t i, int f, double d)
{
    char *p = in_ptr(b, i, f);
    switch (b->c->m->inputs[f].type) {
    case NERVA_DOUBLE:
        memcpy(p, &d, sizeof d);
        break;
    case NERVA_FLOAT: {
        float x = (float)d;
        memcpy(p, &x, sizeof x);
        break;
    }
    case NERVA_LONG: {
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || d != floor(d))
            return -1;
        long long l = (long long)d;
        memcpy(p, &l, sizeof l);
        break;
    }
    case NERVA_BOOL: {
        if (d != 0 && d != 1)
            return -1;
        int v = d == 1;
        memcpy(p, &v, sizeof v);
        break;
    }
    default:
        return -1;
    }
    nvc_set_state(b, i, f, NERVA_PRESENT);
    return 0;
}

int nvc_set_bool(nvc_batch *b, size_t i, int f, int v)
{
    if (b->c->m->inputs[f].type != NERVA_BOOL)
        return -1;
    memcpy(in_ptr(b, i, f), &v, sizeof v);
    nvc_set_state(b, i, f, NERVA_PRESENT);
    return 0;
}

static int word_eq(const char *s, size_t len, const char *w)
{
    size_t n = strlen(w);
    if (len != n)
        return 0;
    for (size_t k = 0; k < n; k++) {
        char ch = s[k];
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        if (ch != w[k])
            return 0;
    }
    return 1;
}

int nvc_set_text(nvc_batch *b, size_t i, int f, const char *s, size_t len)
{
    int type = b->c->m->inputs[f].type;
    if (type == NERVA_DATE || type == NERVA_TIME || type == NERVA_DATETIME) {
        /* ISO 8601 text, read by the model as it reads its dates */
        const nerva_model *m = b->c->m;
        char small[128];
        if (!m->read_text || len >= sizeof small || memchr(s, 0, len))
            return -1;
        memcpy(small, s, len);
        small[len] = 0;
        return m->read_text(b->in + i * m->input_size, f, small) == NERVA_PRESENT ? 0 : -1;
    }
    if (type == NERVA_STRING) {
        const char *d = nvc_strdup_batch(b, s, len);
        memcpy(in_ptr(b, i, f), &d, sizeof d);
        nvc_set_state(b, i, f, NERVA_PRESENT);
        return 0;
    }
    if (type == NERVA_BOOL) {
        const char *t = s;
        size_t n = len;
        while (n && blank(*t))
            t++, n--;
        while (n && blank(t[n - 1]))
            n--;
        if (word_eq(t, n, "true") || word_eq(t, n, "1"))
            return nvc_set_bool(b, i, f, 1);
        if (word_eq(t, n, "false") || word_eq(t, n, "0"))
            return nvc_set_bool(b, i, f, 0);
        return -1;
    }
    double d;
    if (text_number(s, len, &d))
        return -1;
    if (type == NERVA_LONG) {
        /* exact for integers beyond 2^53 */
        char small[128], *end;
        size_t k = 0;
        while (k < len && blank(s[k]))
            k++;
        size_t n = len - k;
        while (n && blank(s[k + n - 1]))
            n--;
        if (n < sizeof small) {
            memcpy(small, s + k, n);
            small[n] = 0;
            errno = 0;
            long long l = strtoll(small, &end, 10);
            if (!*end && end != small && errno == 0) {
                memcpy(in_ptr(b, i, f), &l, sizeof l);
                nvc_set_state(b, i, f, NERVA_PRESENT);
                return 0;
            }
        }
    }
    return nvc_set_number(b, i, f, d);
}

/* ---- reading values back ---- */

static nvc_value field_value(nvc_batch *b, const nerva_field *fd, const char *base)
{
    nvc_value v = {fd->type, NERVA_MISSING, 0, 0, NULL};
    const char *p = base + fd->offset;
    char text[96];
    int n;
    if (base[fd->state_offset] != NERVA_PRESENT)
        return v;
    switch (fd->type) {
    case NERVA_DATE:
    case NERVA_TIME:
    case NERVA_DATETIME:
        /* dates and times travel as ISO 8601 text */
        v.type = NERVA_STRING;
        if ((n = nvc_time_text(fd->type, p, text, sizeof text)) < 0 || (size_t)n >= sizeof text)
            return v;
        v.s = nvc_strdup_batch(b, text, (size_t)n);
        break;
    case NERVA_DOUBLE: memcpy(&v.d, p, sizeof v.d); break;
    case NERVA_FLOAT: {
        float x;
        memcpy(&x, p, sizeof x);
        v.d = x;
        break;
    }
    case NERVA_LONG: memcpy(&v.l, p, sizeof v.l); v.d = (double)v.l; break;
    case NERVA_BOOL: {
        int x;
        memcpy(&x, p, sizeof x);
        v.l = x;
        v.d = x;
        break;
    }
    case NERVA_STRING:
        memcpy(&v.s, p, sizeof v.s);
        if (!v.s)
            return v;
        break;
    default: return v;
    }
    v.state = NERVA_PRESENT;
    return v;
}

nvc_value nvc_out_value(const nvc_batch *b, size_t i, int j)
{
    const nerva_model *m = b->c->m;
    if (b->status[i] != NVC_OK) {
        nvc_value none = {m->outputs[j].type, NERVA_MISSING, 0, 0, NULL};
        return none;
    }
    return field_value((nvc_batch *)b, &m->outputs[j], b->out + i * m->output_size);
}

nvc_value nvc_in_value(const nvc_batch *b, size_t i, int j)
{
    const nerva_model *m = b->c->m;
    return field_value((nvc_batch *)b, &m->inputs[j], b->in + i * m->input_size);
}

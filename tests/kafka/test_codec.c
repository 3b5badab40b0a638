/* Unit tests for the record codec (runtime/kafka/nerva_codec.h), with no
 * broker and no compiled model: a hand-written model below stands in for
 * generated code, binding through the same descriptor.
 *
 * Why these matter: the codec is where untrusted Kafka messages become model
 * inputs and results become messages.  A field bound to the wrong slot, a
 * number parsed inexactly, a result that does not read back, or a malformed
 * message that crashes or passes as good would each corrupt a stream
 * silently; the harness's dead-letter and counting logic trusts the statuses
 * these tests pin down. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nerva_codec.h"

/* ---- a model: y = 2x, label = s, flag = b, cnt = n + 1, g = f ---- */
typedef struct tin {
    double x;
    long long n;
    const char *s;
    int b;
    float f;
    unsigned char state[5];
} tin;

typedef struct tout {
    double y;
    const char *label;
    int flag;
    long long cnt;
    double g;
    unsigned char state[5];
} tout;

static const nerva_field tin_fields[] = {
    {"x", NERVA_DOUBLE, offsetof(tin, x), offsetof(tin, state) + 0},
    {"n", NERVA_LONG, offsetof(tin, n), offsetof(tin, state) + 1},
    {"s", NERVA_STRING, offsetof(tin, s), offsetof(tin, state) + 2},
    {"b", NERVA_BOOL, offsetof(tin, b), offsetof(tin, state) + 3},
    {"f", NERVA_FLOAT, offsetof(tin, f), offsetof(tin, state) + 4},
};
static const nerva_field tout_fields[] = {
    {"y", NERVA_DOUBLE, offsetof(tout, y), offsetof(tout, state) + 0},
    {"label", NERVA_STRING, offsetof(tout, label), offsetof(tout, state) + 1},
    {"flag", NERVA_BOOL, offsetof(tout, flag), offsetof(tout, state) + 2},
    {"cnt", NERVA_LONG, offsetof(tout, cnt), offsetof(tout, state) + 3},
    {"g", NERVA_DOUBLE, offsetof(tout, g), offsetof(tout, state) + 4},
};

static int tscore(const void *vin, void *vout)
{
    const tin *in = vin;
    tout *out = vout;
    for (int k = 0; k < 5; k++)
        if (in->state[k] == NERVA_INVALID) {
            memset(out->state, NERVA_MISSING, 5);
            return NERVA_RESULT_INVALID;
        }
    if (in->state[2] == NERVA_PRESENT && !strcmp(in->s, "boom"))
        return NERVA_ERROR;
    out->y = in->x * 2;
    out->state[0] = in->state[0];
    out->label = in->s;
    out->state[1] = in->state[2];
    out->flag = in->b;
    out->state[2] = in->state[3];
    out->cnt = in->n + 1;
    out->state[3] = in->state[1];
    out->g = in->f;
    out->state[4] = in->state[4];
    return NERVA_OK;
}

static size_t tbatch(const void *in, void *out, int *status, size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        int st = tscore((const tin *)in + i, (tout *)out + i);
        if (status)
            status[i] = st;
        bad += st != NERVA_OK;
    }
    return bad;
}

static const nerva_model tmodel = {"t", NERVA_MODEL_ABI, sizeof(tin), sizeof(tout), 5, tin_fields,
                                   5, tout_fields, tscore, tbatch, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};

static nvc_codec *codec(nvc_format in, nvc_format out, int passthrough)
{
    nvc_options o = {in, out, NULL, NULL, NULL, 0, -1, passthrough, 0};
    char err[256];
    nvc_codec *c = nvc_new(&tmodel, &o, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    return c;
}

/* decode one message, score, encode; returns the status, result in *out */
static int one(nvc_codec *c, const char *msg, size_t len, nvc_buf *out)
{
    nvc_batch *b = nvc_batch_new(c, 4);
    long i = nvc_decode(b, msg, len);
    ck_assert_int_eq(i, 0);
    nvc_score(b);
    int st = nvc_status(b, 0);
    if (st >= 0 && nvc_encode(b, 0, out) != 0)
        st = nvc_status(b, 0); /* the result cannot be encoded: a bad record */
    if (st < 0) {
        out->len = 0;
        nvc_buf_put(out, nvc_error_kind(b, 0), strlen(nvc_error_kind(b, 0)));
        nvc_buf_put(out, ": ", 2);
        nvc_buf_put(out, nvc_error(b, 0), strlen(nvc_error(b, 0)));
    }
    nvc_buf_put(out, "", 1);
    out->len--;
    nvc_batch_free(b);
    return st;
}

static int js(nvc_codec *c, const char *msg, nvc_buf *out) { return one(c, msg, strlen(msg), out); }

START_TEST(test_json_round_trip)
{
    nvc_codec *c = codec(NVC_JSON, NVC_JSON, 0);
    nvc_buf out = {0};
    ck_assert_int_eq(js(c, "{\"x\": 1.25, \"n\": 41, \"s\": \"a\\\"b\\u00e9\\ud83d\\ude00\", \"b\": true, "
                           "\"f\": 0.1, \"other\": {\"deep\": [1, {\"z\": null}]}}", &out), NVC_OK);
    ck_assert_str_eq(out.data, "{\"y\":2.5,\"label\":\"a\\\"b\xc3\xa9\xf0\x9f\x98\x80\",\"flag\":true,"
                               "\"cnt\":42,\"g\":0.10000000149011612}");
    /* absent and null are missing; numbers given as strings are read */
    ck_assert_int_eq(js(c, "{\"x\": \"3\", \"s\": null}", &out), NVC_OK);
    ck_assert_str_eq(out.data, "{\"y\":6,\"label\":null,\"flag\":null,\"cnt\":null,\"g\":null}");
    /* big integers stay exact */
    ck_assert_int_eq(js(c, "{\"n\": 9007199254740993}", &out), NVC_OK);
    ck_assert_ptr_nonnull(strstr(out.data, "\"cnt\":9007199254740994"));
    nvc_buf_free(&out);
    nvc_free(c);
}
END_TEST

START_TEST(test_json_bad_records)
{
    nvc_codec *c = codec(NVC_JSON, NVC_JSON, 0);
    nvc_buf out = {0};
    static const struct { const char *msg, *want; } cases[] = {
        {"{\"x\": 1", "parse: JSON at byte 7: expected ',' or '}'"},
        {"[1, 2]", "parse: JSON at byte 0: a record must be a JSON object"},
        {"{\"x\": 1} x", "parse: JSON at byte 9: text after the record"},
        {"{\"x\": 01}", "parse: JSON at byte 7: expected ',' or '}'"},
        {"{\"s\": \"a\x01\"}", "parse: JSON at byte 8: control character in a string"},
        {"{\"s\": \"\\ud800\"}", "parse: JSON at byte 13: unpaired surrogate in \\u escape"},
        {"{\"x\": \"abc\"}", "type: field 'x': \"abc\" is not a number"},
        {"{\"x\": [1]}", "type: field 'x': an array where the model wants a value"},
        {"{\"b\": 2}", "type: field 'b': 2 is not a value of its type"},
        {"{\"n\": 1.5}", "type: field 'n': 1.5 is not a value of its type"},
        {"{\"x\": true}", "type: field 'x': a boolean where the model wants a number"},
        {"{\"s\": \"\\u0000\"}", "type: field 's': NUL character in a string"},
        {"", "parse: JSON at byte 0: a record must be a JSON object"},
        /* text that is not UTF-8, in a value, a member name, a skipped
           member, after an escape: JSON text is Unicode, and a passthrough
           copy of it would not be JSON */
        {"{\"s\": \"a\xff\"}", "parse: JSON at byte 8: invalid UTF-8 in a string"},
        {"{\"s\": \"\xc0\xaf\"}", "parse: JSON at byte 7: invalid UTF-8 in a string"},
        {"{\"s\": \"\xe0\x80\xaf\"}", "parse: JSON at byte 7: invalid UTF-8 in a string"},
        {"{\"s\": \"\xed\xa0\x80\"}", "parse: JSON at byte 7: invalid UTF-8 in a string"},
        {"{\"s\": \"\xf4\x90\x80\x80\"}", "parse: JSON at byte 7: invalid UTF-8 in a string"},
        {"{\"s\": \"\xc3\"}", "parse: JSON at byte 7: invalid UTF-8 in a string"},
        {"{\"\xfe\": 1}", "parse: JSON at byte 2: invalid UTF-8 in a string"},
        {"{\"z\": [\"\x80\"]}", "parse: JSON at byte 8: invalid UTF-8 in a string"},
        {"{\"s\": \"\\n\xff\"}", "parse: JSON at byte 9: invalid UTF-8 in a string"},
        {"{\"s\": \"\\udc00\"}", "parse: JSON at byte 13: unpaired surrogate in \\u escape"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        ck_assert_int_eq(js(c, cases[k].msg, &out), NVC_BAD_INPUT);
        ck_assert_str_eq(out.data, cases[k].want);
    }
    /* nesting is bounded, not recursed into without end */
    char deep[3000];
    int n = snprintf(deep, sizeof deep, "{\"o\": ");
    for (int k = 0; k < 1000; k++)
        deep[n++] = '[';
    deep[n] = 0;
    ck_assert_int_eq(js(c, deep, &out), NVC_BAD_INPUT);
    ck_assert_ptr_nonnull(strstr(out.data, "nested too deeply"));
    /* a NULL value (a tombstone) is bad, not a crash */
    nvc_batch *b = nvc_batch_new(c, 1);
    ck_assert_int_eq(nvc_decode(b, NULL, 0), 0);
    ck_assert_int_eq(nvc_status(b, 0), NVC_BAD_INPUT);
    ck_assert_int_eq(nvc_decode(b, "{}", 2), -1); /* full */
    nvc_batch_free(b);
    nvc_buf_free(&out);
    nvc_free(c);
}
END_TEST

START_TEST(test_score_statuses)
{
    nvc_codec *c = codec(NVC_JSON, NVC_JSON, 0);
    nvc_buf out = {0};
    ck_assert_int_eq(js(c, "{\"s\": \"boom\"}", &out), NVC_SCORE_ERROR);
    ck_assert_str_eq(out.data, "score: the model failed on this record (status 2)");
    /* a batch: good, bad, good keep their own statuses and outputs */
    nvc_batch *b = nvc_batch_new(c, 8);
    const char *m[] = {"{\"x\": 1}", "{\"x\": ", "{\"x\": 3}", "{\"s\": \"boom\"}"};
    for (int k = 0; k < 4; k++)
        ck_assert_int_eq(nvc_decode(b, m[k], strlen(m[k])), k);
    nvc_score(b);
    ck_assert_int_eq(nvc_status(b, 0), NVC_OK);
    ck_assert_int_eq(nvc_status(b, 1), NVC_BAD_INPUT);
    ck_assert_int_eq(nvc_status(b, 2), NVC_OK);
    ck_assert_int_eq(nvc_status(b, 3), NVC_SCORE_ERROR);
    ck_assert_int_eq(nvc_encode(b, 2, &out), 0);
    ck_assert_int_eq(strncmp(out.data, "{\"y\":6,", 7), 0);
    ck_assert_int_eq(nvc_encode(b, 1, &out), -1);
    nvc_batch_reset(b);
    ck_assert_uint_eq(nvc_count(b), 0);
    nvc_batch_free(b);
    nvc_buf_free(&out);
    nvc_free(c);
}
END_TEST

START_TEST(test_json_passthrough)
{
    nvc_codec *c = codec(NVC_JSON, NVC_JSON, 1);
    nvc_buf out = {0};
    /* every input member kept as written, except one an output replaces */
    ck_assert_int_eq(js(c, " { \"id\" : \"k1\",\"x\":2 , \"y\": \"old\", \"z\": [1, 2] } ", &out), NVC_OK);
    ck_assert_str_eq(out.data, "{\"id\" : \"k1\",\"x\":2,\"z\": [1, 2],\"y\":4,\"label\":null,\"flag\":null,"
                               "\"cnt\":null,\"g\":null}");
    ck_assert_int_eq(js(c, "{}", &out), NVC_OK);
    ck_assert_str_eq(out.data, "{\"y\":null,\"label\":null,\"flag\":null,\"cnt\":null,\"g\":null}");
    /* UTF-8 passes through unchanged, escapes after it too */
    ck_assert_int_eq(js(c, "{\"z\": \"caf\xc3\xa9 \xf0\x9f\x98\x80\\u00e9\", \"s\": \"\xe2\x82\xac\\t\xe2\x82\xac\"}", &out),
                     NVC_OK);
    ck_assert_str_eq(out.data, "{\"z\": \"caf\xc3\xa9 \xf0\x9f\x98\x80\\u00e9\",\"s\": \"\xe2\x82\xac\\t\xe2\x82\xac\","
                               "\"y\":null,\"label\":\"\xe2\x82\xac\\t\xe2\x82\xac\",\"flag\":null,\"cnt\":null,\"g\":null}");
    nvc_free(c);
    /* CSV text that is not UTF-8 cannot become JSON: the record is bad
       ("encode"), never a result that is not JSON */
    c = codec(NVC_CSV, NVC_JSON, 1);
    ck_assert_int_eq(js(c, "1,2,ok\xff,true,0.5", &out), NVC_BAD_INPUT);
    ck_assert_str_eq(out.data, "encode: input field 's': the text is not UTF-8, so not JSON");
    c = (nvc_free(c), codec(NVC_CSV, NVC_JSON, 0));
    ck_assert_int_eq(js(c, "1,2,ok\xff,true,0.5", &out), NVC_BAD_INPUT);
    ck_assert_str_eq(out.data, "encode: output field 'label': the text is not UTF-8, so not JSON");
    nvc_buf_free(&out);
    nvc_free(c);
}
END_TEST

START_TEST(test_csv)
{
    nvc_options o = {NVC_CSV, NVC_CSV, "id,x,s,,b", NULL, NULL, 0, -1, 1, 0};
    char err[256];
    nvc_codec *c = nvc_new(&tmodel, &o, err, sizeof err);
    ck_assert_ptr_nonnull(c);
    nvc_buf out = {0};
    ck_assert_int_eq(js(c, "r1,1.5,\"a,\"\"b\",ignored,true\n", &out), NVC_OK);
    ck_assert_str_eq(out.data, "r1,1.5,\"a,\"\"b\",ignored,true,3,\"a,\"\"b\",true,,");
    /* an empty cell is missing; a cell that is not its type is invalid, and
       the model decides (this one returns invalid: every output empty) */
    ck_assert_int_eq(js(c, "r2,,x,,", &out), NVC_OK);
    ck_assert_str_eq(out.data, "r2,,x,,,,x,,,");
    ck_assert_int_eq(js(c, "r3,abc,x,,", &out), NVC_INVALID);
    ck_assert_str_eq(out.data, "r3,abc,x,,,,,,,");
    ck_assert_int_eq(js(c, "r4,1,2", &out), NVC_BAD_INPUT);
    ck_assert_str_eq(out.data, "parse: CSV: 3 cells, expected 5");
    ck_assert_int_eq(js(c, "r5,\"1,x,,", &out), NVC_BAD_INPUT);
    ck_assert_int_eq(js(c, "a,1,x,,\nb,2,y,,", &out), NVC_BAD_INPUT);
    ck_assert_str_eq(out.data, "parse: CSV: a message holds one row");
    nvc_free(c);
    /* default columns: the model's inputs in order; no passthrough */
    c = codec(NVC_CSV, NVC_JSON, 0);
    ck_assert_int_eq(js(c, "2,7,hi,false,0.5", &out), NVC_OK);
    ck_assert_str_eq(out.data, "{\"y\":4,\"label\":\"hi\",\"flag\":false,\"cnt\":8,\"g\":0.5}");
    nvc_free(c);
    o.columns = "p,q";
    ck_assert_ptr_null(nvc_new(&tmodel, &o, err, sizeof err));
    ck_assert_str_eq(err, "--columns names none of the model's input fields");
    nvc_buf_free(&out);
}
END_TEST

/* ---- Avro ---- */
static void zz(nvc_buf *b, long long v)
{
    unsigned long long z = ((unsigned long long)v << 1) ^ (unsigned long long)(v >> 63);
    do {
        unsigned char byte = z & 127;
        z >>= 7;
        byte |= z ? 128 : 0;
        nvc_buf_put(b, &byte, 1);
    } while (z);
}

static void dbl(nvc_buf *b, double d)
{
    unsigned char raw[8];
    memcpy(raw, &d, 8); /* little-endian host, as Avro */
    nvc_buf_put(b, raw, 8);
}

static const char in_schema[] =
    "{\"type\": \"record\", \"name\": \"In\", \"namespace\": \"t\", \"fields\": ["
    " {\"name\": \"id\", \"type\": \"string\"},"
    " {\"name\": \"x\", \"type\": [\"null\", \"double\"]},"
    " {\"name\": \"n\", \"type\": \"long\"},"
    " {\"name\": \"s\", \"type\": {\"type\": \"enum\", \"name\": \"E\", \"symbols\": [\"p\", \"q\"]}},"
    " {\"name\": \"tags\", \"type\": {\"type\": \"array\", \"items\": \"string\"}},"
    " {\"name\": \"b\", \"type\": \"boolean\"}]}";
static const char out_schema[] =
    "{\"type\": \"record\", \"name\": \"Out\", \"fields\": ["
    " {\"name\": \"id\", \"type\": \"string\"},"
    " {\"name\": \"y\", \"type\": [\"null\", \"double\"]},"
    " {\"name\": \"cnt\", \"type\": \"int\"},"
    " {\"name\": \"label\", \"type\": \"string\"},"
    " {\"name\": \"x\", \"type\": [\"null\", \"double\"]},"
    " {\"name\": \"note\", \"type\": [\"null\", \"string\"]}]}";

static void avro_in(nvc_buf *b, int framed, int with_x)
{
    b->len = 0;
    if (framed)
        nvc_buf_put(b, "\0\0\0\0\7", 5);
    zz(b, 2);
    nvc_buf_put(b, "k9", 2); /* id */
    zz(b, with_x);             /* union branch */
    if (with_x)
        dbl(b, 1.5);
    zz(b, -7);                 /* n */
    zz(b, 1);                  /* s = "q" */
    zz(b, 2);                  /* tags: a block of 2 */
    zz(b, 1);
    nvc_buf_put(b, "a", 1);
    zz(b, 1);
    nvc_buf_put(b, "b", 1);
    zz(b, 0);
    nvc_buf_put(b, "\1", 1);   /* b = true */
}

START_TEST(test_avro)
{
    nvc_options o = {NVC_AVRO, NVC_AVRO, NULL, in_schema, out_schema, 1, 42, 1, 0};
    char err[256];
    nvc_codec *c = nvc_new(&tmodel, &o, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    nvc_buf in = {0}, out = {0}, want = {0};
    avro_in(&in, 1, 1);
    ck_assert_int_eq(one(c, in.data, in.len, &out), NVC_OK);
    nvc_buf_put(&want, "\0\0\0\0\x2a", 5); /* schema id 42 */
    zz(&want, 2);
    nvc_buf_put(&want, "k9", 2);             /* id: copied from the input */
    zz(&want, 1);
    dbl(&want, 3.0);                         /* y = 2x */
    zz(&want, -6);                           /* cnt = n + 1 */
    zz(&want, 1);
    nvc_buf_put(&want, "q", 1);              /* label = s */
    zz(&want, 1);
    dbl(&want, 1.5);                         /* x: the input's */
    zz(&want, 0);                            /* note: null */
    ck_assert_uint_eq(out.len, want.len);
    ck_assert_int_eq(memcmp(out.data, want.data, want.len), 0);
    /* x null: y is null (the union's null branch) */
    avro_in(&in, 1, 0);
    ck_assert_int_eq(one(c, in.data, in.len, &out), NVC_OK);
    /* not framed, truncated, trailing bytes */
    avro_in(&in, 0, 1);
    ck_assert_int_eq(one(c, in.data, in.len, &out), NVC_BAD_INPUT);
    ck_assert_str_eq(out.data, "parse: not in the Confluent wire format (magic byte 0 and a schema id)");
    avro_in(&in, 1, 1);
    ck_assert_int_eq(one(c, in.data, in.len - 3, &out), NVC_BAD_INPUT);
    avro_in(&in, 1, 1);
    nvc_buf_put(&in, "x", 1);
    ck_assert_int_eq(one(c, in.data, in.len, &out), NVC_BAD_INPUT);
    ck_assert_str_eq(out.data, "parse: Avro: 1 bytes after the record");
    /* a huge length prefix is refused, not allocated */
    in.len = 0;
    nvc_buf_put(&in, "\0\0\0\0\7", 5);
    zz(&in, 1LL << 40);
    ck_assert_int_eq(one(c, in.data, in.len, &out), NVC_BAD_INPUT);
    ck_assert_str_eq(out.data, "parse: Avro field 'id' at byte 11: string or bytes length out of range");
    /* a skipped array whose block count is INT64_MIN: a bad record, not a
       negation that overflows (fuzz_codec found it; UBSan saw the overflow) */
    in.len = 0;
    nvc_buf_put(&in, "\0\0\0\0\7", 5);
    zz(&in, 2);
    nvc_buf_put(&in, "k9", 2);
    zz(&in, 0);
    zz(&in, -7);
    zz(&in, 1);
    zz(&in, INT64_MIN); /* tags: a block of -2^63 items */
    zz(&in, 8);
    ck_assert_int_eq(one(c, in.data, in.len, &out), NVC_BAD_INPUT);
    ck_assert_str_eq(out.data, "parse: Avro field 'tags' at byte 21: block count out of range");
    nvc_free(c);
    /* an output schema field nothing can fill is a configuration error */
    o.out_schema = "{\"type\": \"record\", \"name\": \"O\", \"fields\": [{\"name\": \"zz\", \"type\": \"long\"}]}";
    ck_assert_ptr_null(nvc_new(&tmodel, &o, err, sizeof err));
    ck_assert_str_eq(err, "output schema: field 'zz' is not an output of the model or a field of the input and is not nullable");
    o.out_schema = "{\"type\": \"record\", \"name\": \"O\", \"fields\": [{\"name\": \"y\", \"type\": \"Nope\"}]}";
    ck_assert_ptr_null(nvc_new(&tmodel, &o, err, sizeof err));
    ck_assert_str_eq(err, "output schema: unknown type 'Nope'");
    o.out_schema = "{\"type\": \"record\", \"name\": \"O\", \"fields\": [";
    ck_assert_ptr_null(nvc_new(&tmodel, &o, err, sizeof err));
    ck_assert_str_eq(err, "output schema: line 1: ']' expected near end of file");
    nvc_buf_free(&in);
    nvc_buf_free(&out);
    nvc_buf_free(&want);
}
END_TEST

/* a passed-through input field into an output field of another type,
   resolved as Avro says: a string into ["null", "string"] is the string */
START_TEST(test_avro_passthrough_resolved)
{
    const char *os = "{\"type\": \"record\", \"name\": \"O\", \"fields\": ["
                     " {\"name\": \"id\", \"type\": [\"null\", \"string\"]},"
                     " {\"name\": \"n\", \"type\": \"double\"},"
                     " {\"name\": \"y\", \"type\": [\"null\", \"double\"]}]}";
    nvc_options o = {NVC_AVRO, NVC_AVRO, NULL, in_schema, os, 1, -1, 1, 0};
    char err[256];
    nvc_codec *c = nvc_new(&tmodel, &o, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    nvc_buf in = {0}, out = {0}, want = {0};
    avro_in(&in, 1, 1);
    ck_assert_int_eq(one(c, in.data, in.len, &out), NVC_OK);
    zz(&want, 1);                 /* id: the union's string branch */
    zz(&want, 2);
    nvc_buf_put(&want, "k9", 2);
    dbl(&want, -7);               /* n: the input's long, as a double */
    zz(&want, 1);
    dbl(&want, 3.0);              /* y = 2x */
    ck_assert_uint_eq(out.len, want.len);
    ck_assert_int_eq(memcmp(out.data, want.data, want.len), 0);
    ck_assert_str_eq(nvc_notes(c), "");
    nvc_free(c);
    nvc_buf_free(&in);
    nvc_buf_free(&out);
    nvc_buf_free(&want);
}
END_TEST

/* writer schemas by id, resolved into the reader's: promotions, a field
   the reader lacks (skipped), one the writer lacks (its default), reordered
   fields and enum symbols, and writers that cannot be read */
static const char reader_schema[] =
    "{\"type\": \"record\", \"name\": \"In\", \"namespace\": \"t\", \"fields\": ["
    " {\"name\": \"x\", \"type\": [\"null\", \"double\"], \"default\": null},"
    " {\"name\": \"n\", \"type\": \"long\"},"
    " {\"name\": \"s\", \"type\": \"string\", \"aliases\": [\"label_old\"]},"
    " {\"name\": \"k\", \"type\": {\"type\": \"enum\", \"name\": \"K\", \"symbols\": [\"a\", \"b\"], \"default\": \"a\"}},"
    " {\"name\": \"f\", \"type\": \"float\", \"default\": 2.5}]}";
static const char writer_v2[] =
    "{\"type\": \"record\", \"name\": \"In\", \"namespace\": \"other\", \"fields\": ["
    " {\"name\": \"n\", \"type\": \"int\"},"
    " {\"name\": \"extra\", \"type\": {\"type\": \"map\", \"values\": \"long\"}},"
    " {\"name\": \"x\", \"type\": \"float\"},"
    " {\"name\": \"k\", \"type\": {\"type\": \"enum\", \"name\": \"K\", \"symbols\": [\"c\", \"b\"]}},"
    " {\"name\": \"label_old\", \"type\": \"bytes\"}]}";

static void framed(nvc_buf *b, long id)
{
    unsigned char h[5] = {0, (unsigned char)(id >> 24), (unsigned char)(id >> 16), (unsigned char)(id >> 8),
                          (unsigned char)id};
    b->len = 0;
    nvc_buf_put(b, h, 5);
}

START_TEST(test_avro_resolution)
{
    nvc_options o = {NVC_AVRO, NVC_JSON, NULL, reader_schema, NULL, 0, -1, 0, 1};
    char err[512];
    nvc_codec *c = nvc_new(&tmodel, &o, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    nvc_buf in = {0}, out = {0};
    /* id 7: the reader's own schema, read straight */
    ck_assert_int_eq(nvc_avro_add_writer(c, 7, reader_schema, err, sizeof err), 0);
    framed(&in, 7);
    zz(&in, 1);
    dbl(&in, 0.25); /* x */
    zz(&in, 40);    /* n */
    zz(&in, 2);
    nvc_buf_put(&in, "hi", 2);
    zz(&in, 1);     /* k = b */
    float f = 1.5f;
    nvc_buf_put(&in, &f, 4);
    ck_assert_int_eq(one(c, in.data, in.len, &out), NVC_OK);
    ck_assert_str_eq(out.data, "{\"y\":0.5,\"label\":\"hi\",\"flag\":null,\"cnt\":41,\"g\":1.5}");
    /* id 9: an evolved writer */
    ck_assert_msg(nvc_avro_add_writer(c, 9, writer_v2, err, sizeof err) == 0, "%s", err);
    framed(&in, 9);
    zz(&in, -3);            /* n: int, read as long */
    zz(&in, 1);             /* extra: a map the reader does not have */
    zz(&in, 1);
    nvc_buf_put(&in, "z", 1);
    zz(&in, 5);
    zz(&in, 0);
    f = 0.75f;
    nvc_buf_put(&in, &f, 4); /* x: float, read as ["null", "double"] */
    zz(&in, 0);              /* k = c: not a reader symbol: its default, a */
    zz(&in, 3);
    nvc_buf_put(&in, "old", 3); /* label_old (bytes) read as s (string), by alias */
    ck_assert_int_eq(one(c, in.data, in.len, &out), NVC_OK);
    /* f is absent from the writer: its default 2.5 */
    ck_assert_str_eq(out.data, "{\"y\":1.5,\"label\":\"old\",\"flag\":null,\"cnt\":-2,\"g\":2.5}");
    /* a truncated evolved record is a parse error naming the id */
    ck_assert_int_eq(one(c, in.data, in.len - 2, &out), NVC_BAD_INPUT);
    ck_assert_ptr_nonnull(strstr(out.data, "parse: Avro (schema id 9)"));
    /* a writer that lacks a reader field without a default */
    const char *w3 = "{\"type\": \"record\", \"name\": \"In\", \"fields\": [{\"name\": \"x\", \"type\": \"double\"}]}";
    ck_assert_int_eq(nvc_avro_add_writer(c, 11, w3, err, sizeof err), -1);
    ck_assert_str_eq(err, "cannot be read as the input schema: the reader's field t.In.n is not in the writer's "
                          "schema and has no default");
    framed(&in, 11);
    dbl(&in, 1);
    ck_assert_int_eq(one(c, in.data, in.len, &out), NVC_BAD_INPUT);
    ck_assert_str_eq(out.data, "schema: schema id 11: cannot be read as the input schema: the reader's field t.In.n "
                               "is not in the writer's schema and has no default");
    /* a long read as an int, an unknown id, one the registry does not have */
    const char *w4 = "{\"type\": \"record\", \"name\": \"In\", \"fields\": [{\"name\": \"n\", \"type\": \"string\"}]}";
    ck_assert_int_eq(nvc_avro_add_writer(c, 12, w4, err, sizeof err), -1);
    ck_assert_str_eq(err, "cannot be read as the input schema: the writer's string cannot be read as long");
    framed(&in, 13);
    ck_assert_int_eq(one(c, in.data, in.len, &out), NVC_BAD_INPUT);
    ck_assert_str_eq(out.data, "schema: schema id 13: not known (not fetched from the registry)");
    nvc_avro_bad_writer(c, 13, "HTTP 404, error 40403: Schema not found");
    ck_assert_int_eq(one(c, in.data, in.len, &out), NVC_BAD_INPUT);
    ck_assert_str_eq(out.data, "schema: schema id 13: HTTP 404, error 40403: Schema not found");
    nvc_free(c);
    /* no reader's schema: each writer's records are read as written */
    o.in_schema = NULL;
    c = nvc_new(&tmodel, &o, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_int_eq(nvc_avro_add_writer(c, 9, writer_v2, err, sizeof err), 0);
    framed(&in, 9);
    zz(&in, -3);
    zz(&in, 0);
    f = 0.75f;
    nvc_buf_put(&in, &f, 4);
    zz(&in, 1);
    zz(&in, 3);
    nvc_buf_put(&in, "old", 3);
    ck_assert_int_eq(one(c, in.data, in.len, &out), NVC_OK);
    ck_assert_str_eq(out.data, "{\"y\":1.5,\"label\":null,\"flag\":null,\"cnt\":-2,\"g\":null}");
    nvc_free(c);
    nvc_buf_free(&in);
    nvc_buf_free(&out);
}
END_TEST

START_TEST(test_avro_encode_errors)
{
    /* a missing value where the schema has no null is an "encode" error */
    const char *os = "{\"type\": \"record\", \"name\": \"O\", \"fields\": [{\"name\": \"y\", \"type\": \"double\"},"
                     " {\"name\": \"label\", \"type\": {\"type\": \"enum\", \"name\": \"E\", \"symbols\": [\"a\"]}}]}";
    nvc_options o = {NVC_JSON, NVC_AVRO, NULL, NULL, os, 0, -1, 0, 0};
    char err[256];
    nvc_codec *c = nvc_new(&tmodel, &o, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    nvc_batch *b = nvc_batch_new(c, 4);
    nvc_buf out = {0};
    const char *m[] = {"{\"x\": 1, \"s\": \"a\"}", "{\"s\": \"a\"}", "{\"x\": 1, \"s\": \"zzz\"}"};
    for (int k = 0; k < 3; k++)
        nvc_decode(b, m[k], strlen(m[k]));
    nvc_score(b);
    ck_assert_int_eq(nvc_encode(b, 0, &out), 0);
    ck_assert_uint_eq(out.len, 9);
    ck_assert_int_eq(nvc_encode(b, 1, &out), -1);
    ck_assert_str_eq(nvc_error_kind(b, 1), "encode");
    ck_assert_str_eq(nvc_error(b, 1), "output field 'y': a missing value does not fit its Avro type");
    ck_assert_int_eq(nvc_encode(b, 2, &out), -1);
    ck_assert_str_eq(nvc_error(b, 2), "output field 'label': the value does not fit its Avro type");
    nvc_batch_free(b);
    nvc_buf_free(&out);
    nvc_free(c);
}
END_TEST

START_TEST(test_compatible)
{
    nvc_codec *c = codec(NVC_JSON, NVC_JSON, 0);
    char err[256];
    ck_assert_int_eq(nvc_compatible(c, &tmodel, err, sizeof err), 0);
    nerva_field f[2] = {tin_fields[0], {"new", NERVA_DOUBLE, 0, 8}};
    nerva_model m = tmodel;
    m.inputs = f;
    m.n_inputs = 1; /* fewer inputs: fine */
    ck_assert_int_eq(nvc_compatible(c, &m, err, sizeof err), 0);
    m.n_inputs = 2;
    ck_assert_int_eq(nvc_compatible(c, &m, err, sizeof err), -1);
    ck_assert_str_eq(err, "input field 'new' is new (the running model has no such input)");
    f[1] = tin_fields[1];
    f[1].type = NERVA_DOUBLE;
    ck_assert_int_eq(nvc_compatible(c, &m, err, sizeof err), -1);
    ck_assert_str_eq(err, "input field 'n' changed type");
    m.abi = 99;
    ck_assert_int_eq(nvc_compatible(c, &m, err, sizeof err), -1);
    nvc_free(c);
}
END_TEST

START_TEST(test_format_double)
{
    char buf[64];
    static const struct { double d; const char *t; } fixed[] = {
        {0.5, "0.5"}, {0.1, "0.1"}, {-2.25, "-2.25"}, {100, "100"}, {1e21, "1e+21"}, {0, "0"},
        {1.0 / 3, "0.3333333333333333"}, {NAN, "NaN"}, {-INFINITY, "-Infinity"}, {5e-324, "4.94065645841247e-324"},
    };
    for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++) {
        nvc_format_double(fixed[k].d, buf, sizeof buf);
        ck_assert_str_eq(buf, fixed[k].t);
    }
    /* every value reads back to itself, and is never longer than %.17g */
    uint64_t s = 88172645463325252ull;
    for (int i = 0; i < 200000; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        double d;
        if (i % 2) {
            memcpy(&d, &s, sizeof d);
            if (!isfinite(d))
                continue;
        } else {
            d = (double)(s >> 11) / 9007199254740992.0 * pow(10, (int)(s % 30) - 10);
        }
        int n = nvc_format_double(d, buf, sizeof buf);
        ck_assert_int_eq(n, (int)strlen(buf));
        ck_assert_msg(strtod(buf, NULL) == d, "%.17g printed as %s", d, buf);
    }
}
END_TEST

/* random and mutated messages: never a crash, always a definite status */
START_TEST(test_hostile_messages)
{
    nvc_options o = {NVC_AVRO, NVC_JSON, NULL, in_schema, NULL, 0, -1, 1, 0};
    char err[256];
    nvc_codec *cs[3] = {codec(NVC_JSON, NVC_JSON, 1), codec(NVC_CSV, NVC_CSV, 1), nvc_new(&tmodel, &o, err, sizeof err)};
    ck_assert_ptr_nonnull(cs[2]);
    nvc_buf seed = {0}, out = {0};
    avro_in(&seed, 0, 1);
    const char *json = "{\"x\": 1.5, \"s\": \"a\\u00e9\", \"n\": 3, \"z\": [{}], \"b\": false}";
    uint64_t r = 12345;
    for (int it = 0; it < 30000; it++) {
        nvc_codec *c = cs[it % 3];
        char msg[128];
        size_t len;
        const char *base = it % 3 == 2 ? seed.data : it % 3 == 1 ? "1,2,\"x\",true,0.5" : json;
        size_t blen = it % 3 == 2 ? seed.len : strlen(base);
        memcpy(msg, base, blen);
        len = blen;
        for (int m = 0; m < 1 + it % 4; m++) {
            r ^= r << 13;
            r ^= r >> 7;
            r ^= r << 17;
            size_t at = (size_t)(r % (len ? len : 1));
            switch ((r >> 20) % 3) {
            case 0: msg[at] = (char)(r >> 32); break;
            case 1: len = at; break;
            default: if (len < sizeof msg) msg[len++] = (char)(r >> 40); break;
            }
        }
        nvc_batch *b = nvc_batch_new(c, 1);
        char *copy = malloc(len ? len : 1); /* exactly len bytes: ASan sees overreads */
        memcpy(copy, msg, len);
        nvc_decode(b, copy, len);
        nvc_score(b);
        int st = nvc_status(b, 0);
        ck_assert(st == NVC_OK || st == NVC_INVALID || st == NVC_BAD_INPUT || st == NVC_SCORE_ERROR);
        if (st >= 0 && nvc_encode(b, 0, &out) != 0) {
            /* only text that is not UTF-8 fails to become JSON */
            ck_assert_str_eq(nvc_error_kind(b, 0), "encode");
            ck_assert_ptr_nonnull(strstr(nvc_error(b, 0), "not UTF-8"));
            st = nvc_status(b, 0);
        }
        if (st < 0)
            ck_assert(*nvc_error_kind(b, 0) && *nvc_error(b, 0));
        free(copy);
        nvc_batch_free(b);
    }
    for (int k = 0; k < 3; k++)
        nvc_free(cs[k]);
    nvc_buf_free(&seed);
    nvc_buf_free(&out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("codec");
    TCase *tc = tcase_create("codec");
    tcase_add_test(tc, test_json_round_trip);
    tcase_add_test(tc, test_json_bad_records);
    tcase_add_test(tc, test_score_statuses);
    tcase_add_test(tc, test_json_passthrough);
    tcase_add_test(tc, test_csv);
    tcase_add_test(tc, test_avro);
    tcase_add_test(tc, test_avro_encode_errors);
    tcase_add_test(tc, test_avro_passthrough_resolved);
    tcase_add_test(tc, test_avro_resolution);
    tcase_add_test(tc, test_compatible);
    tcase_add_test(tc, test_format_double);
    tcase_add_test(tc, test_hostile_messages);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

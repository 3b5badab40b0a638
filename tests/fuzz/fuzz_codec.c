/* Arbitrary Kafka messages must never crash, hang or leak the record codec:
 * it is the first code to touch them.  The first byte picks the format
 * (JSON, CSV or Avro, with --passthrough), the rest is the message; every
 * record is decoded, scored by a small stand-in model, and encoded. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nerva_codec.h"

typedef struct fin {
    double x;
    long long n;
    const char *s;
    int b;
    unsigned char state[4];
} fin;

typedef struct fout {
    double y;
    const char *s;
    unsigned char state[2];
} fout;

static const nerva_field fin_fields[] = {
    {"x", NERVA_DOUBLE, offsetof(fin, x), offsetof(fin, state) + 0},
    {"n", NERVA_LONG, offsetof(fin, n), offsetof(fin, state) + 1},
    {"s", NERVA_STRING, offsetof(fin, s), offsetof(fin, state) + 2},
    {"b", NERVA_BOOL, offsetof(fin, b), offsetof(fin, state) + 3},
};
static const nerva_field fout_fields[] = {
    {"y", NERVA_DOUBLE, offsetof(fout, y), offsetof(fout, state) + 0},
    {"s", NERVA_STRING, offsetof(fout, s), offsetof(fout, state) + 1},
};

static int fscore(const void *vin, void *vout)
{
    const fin *in = vin;
    fout *out = vout;
    out->y = in->x + (double)in->n;
    out->state[0] = in->state[0];
    out->s = in->s; /* reading it lets the sanitizer check the string */
    out->state[1] = in->state[2];
    if (in->state[2] == NERVA_PRESENT)
        (void)strlen(in->s);
    return in->state[3] == NERVA_INVALID ? NERVA_RESULT_INVALID : NERVA_OK;
}

static size_t fbatch(const void *in, void *out, int *status, size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        int st = fscore((const fin *)in + i, (fout *)out + i);
        if (status)
            status[i] = st;
        bad += st != NERVA_OK;
    }
    return bad;
}

/* designated, so that fields a later ABI adds start out NULL */
static const nerva_model fmodel = {.name = "f", .abi = NERVA_MODEL_ABI, .input_size = sizeof(fin),
                                   .output_size = sizeof(fout), .n_inputs = 4, .inputs = fin_fields,
                                   .n_outputs = 2, .outputs = fout_fields, .score = fscore,
                                   .score_batch = fbatch};

static const char avsc[] =
    "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"x\",\"type\":[\"null\",\"double\"]},"
    "{\"name\":\"n\",\"type\":\"long\"},{\"name\":\"s\",\"type\":{\"type\":\"enum\",\"name\":\"E\","
    "\"symbols\":[\"a\",\"b\"]}},{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"string\"}},"
    "{\"name\":\"b\",\"type\":\"boolean\"}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    nvc_format fmt = data[0] % 3 == 0 ? NVC_JSON : data[0] % 3 == 1 ? NVC_CSV : NVC_AVRO;
    nvc_options o = {fmt, fmt == NVC_AVRO ? NVC_AVRO : NVC_JSON, NULL, avsc, avsc, 0, -1, 1, 0};
    char err[256];
    nvc_codec *c = nvc_new(&fmodel, &o, err, sizeof err);
    if (!c)
        __builtin_trap();
    nvc_batch *b = nvc_batch_new(c, 2);
    nvc_buf out = {0};
    nvc_decode(b, data + 1, size - 1);
    nvc_decode(b, data + 1, (size - 1) / 2);
    nvc_score(b);
    for (size_t i = 0; i < nvc_count(b); i++)
        if (nvc_status(b, i) >= 0)
            nvc_encode(b, i, &out);
    nvc_buf_free(&out);
    nvc_batch_free(b);
    nvc_free(c);
    return 0;
}

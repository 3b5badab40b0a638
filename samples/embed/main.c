/* A downstream program that embeds four models compiled by nerva at build time
 * (see Makefile, CMakeLists.txt or meson.build beside it, and
 * docs/build-integration.md).  It scores a few records with each model and
 * prints the results; `make check` compares them with expected.txt.
 *
 * fraud is bound through its typed structs, by the members named after its
 * fields (a retrained model that renamed one would not compile; one that
 * reordered them still scores right), and checked against the interface this
 * file was written for (FRAUD_INTERFACE_HASH); iris through its descriptor table, by field name, the way
 * a host that does not know the model in advance binds it; velocity, a PFA
 * model, is an engine with state (per-card pools) that reads and writes Avro
 * JSON text; risk, written in PrettyPFA (risk.ppfa), is an engine too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fraud.h"
#include "iris.h"
#include "velocity.h"
#include "risk.h"

/* the fraud model this code was written for: same fields, same types
   (nerva info --json samples/embed/fraud.pmml gives the hash) */
#if FRAUD_INTERFACE_HASH != 0xb96d06ad7754a977ULL
#error "fraud.pmml's fields changed: check score_fraud() against fraud.h"
#endif

static void score_fraud(void)
{
    static const struct { const char *id; double amount; const char *merchant; double hour, mismatch, age; } tx[] = {
        {"T10000", 136.34, "fuel", 22, 0, 1411.6},
        {"T10004", 98.72, NULL, 22, 0, 424.6},          /* no merchant category */
        {"T10009", 15.98, "fuel", 0, 0, -1},            /* card age unknown */
        {"T10042", 42.02, "travel", 24, 0, 690.5},      /* hour 24: invalid */
        {"X1", 2450.00, "crypto_exchange", 3, 1, -1},
    };
    enum { N = sizeof tx / sizeof tx[0] };
    fraud_input in[N];
    fraud_output out[N];
    int status[N];
    memset(in, 0, sizeof in);                    /* every field NERVA_PRESENT */
    for (int i = 0; i < N; i++) {
        in[i].amount = tx[i].amount;
        in[i].merchant_category = tx[i].merchant;
        in[i].state[fraud_in_merchant_category] = tx[i].merchant ? NERVA_PRESENT : NERVA_MISSING;
        in[i].hour = tx[i].hour;
        in[i].country_mismatch = tx[i].mismatch;
        in[i].card_age_days = tx[i].age;         /* -1 is the model's "missing" */
    }
    fraud_score_batch(in, out, status, N);
    for (int i = 0; i < N; i++) {
        if (status[i] != NERVA_OK) {
            printf("fraud %s: no result (status %d)\n", tx[i].id, status[i]);
            continue;
        }
        printf("fraud %s: is_fraud=%s probability=%.6f decision=%s\n", tx[i].id,
               out[i].is_fraud, out[i].fraud_probability, out[i].decision);
    }
}

/* the descriptor field called name, or NULL */
static const nerva_field *field(const nerva_field *f, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(f[i].name, name) == 0)
            return &f[i];
    return NULL;
}

static void score_iris(void)
{
    static const char *names[] = {"petal_length", "petal_width", "sepal_width"};
    static const double flowers[][3] = {{1.4, 0.2, 3.5}, {4.5, 1.4, 2.9}, {5.4, 2.1, 3.1}, {4.9, 1.8, 3.0}};
    const nerva_model *m = &iris_model;
    const nerva_field *species = field(m->outputs, m->n_outputs, "species");
    char *in = malloc(m->input_size), *out = malloc(m->output_size);
    if (!in || !out || !species)
        exit(1);
    for (size_t r = 0; r < sizeof flowers / sizeof flowers[0]; r++) {
        memset(in, 0, m->input_size);
        for (int k = 0; k < 3; k++) {
            const nerva_field *f = field(m->inputs, m->n_inputs, names[k]);
            if (!f || f->type != NERVA_DOUBLE)
                exit(1);
            memcpy(in + f->offset, &flowers[r][k], sizeof(double));
        }
        if (m->score(in, out) != NERVA_OK || out[species->state_offset] != NERVA_PRESENT)
            exit(1);
        const char *label;
        memcpy(&label, out + species->offset, sizeof label);
        printf("iris %zu: %s", r + 1, label);
        for (int j = 0; j < m->n_outputs; j++)
            if (m->outputs[j].type == NERVA_DOUBLE) {
                double p;
                memcpy(&p, out + m->outputs[j].offset, sizeof p);
                printf(" %s=%.6f", m->outputs[j].name, p);
            }
        printf("\n");
    }
    free(in);
    free(out);
}

/* velocity's results: printed as they come */
static void print_result(void *ctx, const char *json, size_t len)
{
    printf("velocity %s: %.*s\n", (const char *)ctx, (int)len, json);
}

static void print_risk(void *ctx, const char *json, size_t len)
{
    printf("risk %s: %.*s\n", (const char *)ctx, (int)len, json);
}

static void score_velocity(void)
{
    static const char *payments[] = {
        "{\"card\": \"4111\", \"amount\": 20.0}",
        "{\"card\": \"4111\", \"amount\": 30.0}",
        "{\"card\": \"5500\", \"amount\": 12.5}",
        "{\"card\": \"4111\", \"amount\": 400.0}",
        "{\"card\": \"5500\", \"amount\": -3.0}",      /* the model raises an error */
        "{\"card\": \"5500\", \"amount\": 13.5}",
        "{\"card\": 5500}",                             /* not a Payment */
    };
    /* the engine's state is a block the host allocates: one per stream or thread */
    velocity_engine *e = malloc(velocity_engine_size());
    if (!e || velocity_init(e) != NERVA_PFA_OK)
        exit(1);
    for (size_t r = 0; r < sizeof payments / sizeof payments[0]; r++) {
        char id[16];
        snprintf(id, sizeof id, "%zu", r + 1);
        int st = velocity_action(e, payments[r], strlen(payments[r]), print_result, id);
        if (st != NERVA_PFA_OK) {
            const char *msg;
            int code = velocity_last_error(e, &msg, NULL);
            if (st == NERVA_PFA_BAD_INPUT)
                printf("velocity %s: bad input: %s\n", id, msg);
            else
                printf("velocity %s: error %d: %s\n", id, code, msg);
        }
    }
    velocity_free(e);
    free(e);
}

/* risk, written in PrettyPFA (risk.ppfa): the same entry points as velocity's */
static void score_risk(void)
{
    static const char *payments[] = {
        "{\"card\": \"4111\", \"amount\": 20.0, \"country\": \"US\"}",
        "{\"card\": \"4111\", \"amount\": 900.0, \"country\": \"FR\"}",
        "{\"card\": \"5500\", \"amount\": 150.0, \"country\": \"DE\"}",
        "{\"card\": \"5500\", \"amount\": -1.0, \"country\": \"US\"}",   /* the model raises an error */
        "{\"card\": \"5500\", \"amount\": 12.0, \"country\": \"CA\"}",
    };
    risk_engine *e = malloc(risk_engine_size());
    if (!e || risk_init(e) != NERVA_PFA_OK)
        exit(1);
    for (size_t r = 0; r < sizeof payments / sizeof payments[0]; r++) {
        char id[16];
        snprintf(id, sizeof id, "%zu", r + 1);
        if (risk_action(e, payments[r], strlen(payments[r]), print_risk, id) != NERVA_PFA_OK) {
            const char *msg;
            int code = risk_last_error(e, &msg, NULL);
            printf("risk %s: error %d: %s\n", id, code, msg);
        }
    }
    risk_free(e);
    free(e);
}

int main(void)
{
    score_fraud();
    score_iris();
    score_velocity();
    score_risk();
    return 0;
}

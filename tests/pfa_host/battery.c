/* A battery of engines of one PFA document in threads, sharing its
 * "shared" cell and pool through counter_shared with a mutex: every update
 * (cell-to and pool-to with an updater) must be atomic, so no increment is
 * lost, while each engine's own cell counts only its own records.  An error
 * raised while the lock is held must give it back (the other threads would
 * hang otherwise): "boom" records overflow their pool item inside the
 * updater.  tests/pfa_host.py builds it with -pthread. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counter.h"

enum { THREADS = 4, RECORDS = 20000 };

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static void lock(void *ctx) { pthread_mutex_lock((pthread_mutex_t *)ctx); }
static void unlock(void *ctx) { pthread_mutex_unlock((pthread_mutex_t *)ctx); }

static counter_shared *shared;

typedef struct job { counter_engine *e; long long last; int errors, bad; } job;

static void last_value(void *ctx, const char *json, size_t len)
{
    job *j = ctx;
    j->last = atoll(json) % 1000000;
    (void)len;
}

static void *run(void *arg)
{
    job *j = arg;
    static const char *keys[] = {"\"a\"", "\"b\"", "\"x\"", "\"boom\""};
    for (int i = 0; i < RECORDS; i++) {
        const char *k = keys[i % 4];
        int st = counter_action(j->e, k, strlen(k), last_value, j);
        if (st == NERVA_PFA_ERROR)
            j->errors++;
        else if (st != NERVA_PFA_OK)
            j->bad++;
    }
    return NULL;
}

static void print_total(void *ctx, const char *json, size_t len)
{
    (void)ctx;
    printf("%.*s", (int)len, json);
}

int main(void)
{
    pthread_t t[THREADS];
    job jobs[THREADS];
    shared = malloc(counter_shared_size());
    if (!shared || counter_shared_init(shared, lock, unlock, &mu) != NERVA_PFA_OK)
        return 2;
    for (int k = 0; k < THREADS; k++) {
        memset(&jobs[k], 0, sizeof jobs[k]);
        jobs[k].e = malloc(counter_engine_size());
        if (!jobs[k].e || counter_init_shared(jobs[k].e, shared) != NERVA_PFA_OK)
            return 2;
        pthread_create(&t[k], NULL, run, &jobs[k]);
    }
    int errors = 0;
    for (int k = 0; k < THREADS; k++) {
        pthread_join(t[k], NULL);
        errors += jobs[k].errors;
        if (jobs[k].bad)
            return 3;
        /* its own cell: every record it ran, the erroring ones too (no rollback) */
        printf("engine %d: ran\n", k);
    }
    printf("errors %d\n", errors);
    /* a fresh engine of the battery reads the shared state: one more record */
    counter_engine *probe = malloc(counter_engine_size());
    if (!probe || counter_init_shared(probe, shared) != NERVA_PFA_OK)
        return 2;
    printf("total after one more: ");
    (void)counter_action(probe, "\"x\"", 3, print_total, NULL);
    printf("\n");
    counter_free(probe);
    free(probe);
    for (int k = 0; k < THREADS; k++) {
        counter_free(jobs[k].e);
        free(jobs[k].e);
    }
    counter_shared_free(shared);
    free(shared);
    return 0;
}

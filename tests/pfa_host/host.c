/* A C host of a generated fold engine, the way a program that scores in
 * parallel uses one: two engines side by side (each folds half of a stream;
 * their states must not touch), then the document's "merge" of the two
 * tallies, which must equal the tally of one engine that folded it all.
 * tests/pfa_host.py builds it with the engine `nerva compile` writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tally.h"

static char last[2][256];

static void keep(void *ctx, const char *json, size_t len)
{
    char *dst = ctx;
    snprintf(dst, 256, "%.*s", (int)len, json);
}

static tally_engine *engine(void)
{
    tally_engine *e = malloc(tally_engine_size());
    if (!e || tally_init(e) != NERVA_PFA_OK)
        exit(2);
    return e;
}

int main(void)
{
    static const char *stream[] = {"1.5", "null", "2.5", "4", "null", "-3", "10"};
    enum { N = sizeof stream / sizeof stream[0] };
    tally_engine *part[2] = {engine(), engine()}, *all = engine();
    char whole[256] = "";
    for (int i = 0; i < N; i++) {
        /* odd records to one engine, even to the other */
        if (tally_action(part[i % 2], stream[i], strlen(stream[i]), keep, last[i % 2]) != NERVA_PFA_OK)
            return 3;
        if (tally_action(all, stream[i], strlen(stream[i]), keep, whole) != NERVA_PFA_OK)
            return 3;
    }
    printf("part0 %s\npart1 %s\nall %s\n", last[0], last[1], whole);
    char merged[256] = "";
    if (tally_merge(part[0], last[0], strlen(last[0]), last[1], strlen(last[1]), keep, merged) != NERVA_PFA_OK)
        return 4;
    printf("merged %s\n", merged);
    /* a tally that is not one: refused, with a message */
    const char *msg;
    int st = tally_merge(part[0], "{\"n\": 1}", 8, last[1], strlen(last[1]), keep, merged);
    tally_last_error(part[0], &msg, NULL);
    printf("bad tally: status %d: %s\n", st, msg);
    for (int k = 0; k < 2; k++) {
        tally_free(part[k]);
        free(part[k]);
    }
    tally_free(all);
    free(all);
    return strcmp(merged, whole) != 0;
}

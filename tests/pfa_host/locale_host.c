/* A host that sets its own locale before running an engine: the engine's
 * regular expressions must mean the same whatever the host's LC_CTYPE is
 * (UTF-8 characters for strings, bytes for bytes).  Runs the engine under
 * the locale named on the command line ("" for the environment's). */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relocale.h"

static void print(void *ctx, const char *json, size_t len)
{
    (void)ctx;
    printf("%.*s\n", (int)len, json);
}

int main(int argc, char **argv)
{
    static const char *inputs[] = {"\"\\u00e9\"", "\"a\\u00e9b\"", "\"ab\""};
    relocale_engine *e;
    size_t i;
    if (argc > 1 && !setlocale(LC_ALL, argv[1])) {
        printf("no locale %s\n", argv[1]);
        return 0;
    }
    e = (relocale_engine *)malloc(relocale_engine_size());
    if (!e || relocale_init(e) != NERVA_PFA_OK)
        return 1;
    for (i = 0; i < sizeof inputs / sizeof inputs[0]; i++)
        if (relocale_action(e, inputs[i], strlen(inputs[i]), print, NULL) != NERVA_PFA_OK) {
            const char *msg;
            relocale_last_error(e, &msg, NULL);
            printf("error: %s\n", msg);
        }
    relocale_free(e);
    free(e);
    return 0;
}

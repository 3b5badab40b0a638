/* `nerva convert`: a PFA document from one syntax to the other.
 *   nerva convert MODEL.ppfa [-o FILE]            PrettyPFA -> PFA (JSON)
 *   nerva convert MODEL.pfa --to ppfa [-o FILE]   PFA (JSON) -> PrettyPFA
 * The JSON is the canonical form of Titus's PrettyPFA converter; converting
 * back gives an equivalent document.  Conversion reads the syntax only (the
 * syntax check of read_pfa.c included) and not the types, so a document that
 * uses a function nerva cannot compile yet still converts. */
#include "convert.h"

#include "ppfa.h"
#include "write_json.h"
#include "write_ppfa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

static int write_out(const char *out, const StrBuf *b)
{
    if (!out || !strcmp(out, "-")) {
        int ok = fwrite(b->data, 1, b->len, stdout) == b->len;
        ok &= fflush(stdout) == 0;
        if (!ok)
            fprintf(stderr, "nerva: cannot write the standard output\n");
        return ok ? 0 : 3;
    }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp%d", out, (int)getpid());
    FILE *f = fopen(tmp, "wb");
    int ok = f && fwrite(b->data, 1, b->len, f) == b->len;
    ok &= f && fclose(f) == 0;
    if (!ok || rename(tmp, out)) {
        remove(tmp);
        fprintf(stderr, "nerva: cannot write %s\n", out);
        return 3;
    }
    return 0;
}

int cmd_convert(const char *model, const char *out, const char *to)
{
    int from_ppfa = ends_with(model, ".ppfa");
    int to_ppfa;
    if (!to)
        to_ppfa = !from_ppfa;
    else if (!strcmp(to, "ppfa"))
        to_ppfa = 1;
    else if (!strcmp(to, "pfa") || !strcmp(to, "json"))
        to_ppfa = 0;
    else {
        fprintf(stderr, "nerva: --to takes pfa (JSON) or ppfa (PrettyPFA), not %s\ntry 'nerva --help'\n", to);
        return 2;
    }
    char *data;
    size_t len;
    int rc = read_file(model, &data, &len, (size_t)256 << 20);
    if (rc) {
        fprintf(stderr, "%s: error: %s\n", model,
                rc == -2 ? "the file is larger than 256 MiB" : "cannot read the file");
        return 1;
    }
    Arena a;
    Diags d;
    arena_init(&a);
    diags_init(&d);
    JVal *root = from_ppfa ? ppfa_to_json(&a, &d, model, data, len, NULL)
                           : read_json(&a, &d, model, data, len, NULL);
    free(data);
    PfaDoc *doc = root && !d.errors ? pfa_doc_from_json(&a, &d, model, root) : NULL;
    if (!doc || d.errors) {
        arena_free(&a);
        return 1;
    }
    StrBuf o;
    sb_init(&o);
    if (to_ppfa)
        rc = write_ppfa(&o, doc, &d);
    else {
        json_write(&o, root, 1);
        sb_putc(&o, '\n');
    }
    if (!rc)
        rc = write_out(out, &o);
    else
        rc = 1;
    sb_free(&o);
    arena_free(&a);
    return rc;
}

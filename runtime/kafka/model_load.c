/* model_load.c: getting a compiled model into the harness's process.
 *
 * Why this way: the compiler is another program (nerva), so the harness runs
 * `nerva compile --shared MODEL -o TMP.so` -- nerva caches the C compiler's
 * work by content hash under NERVA_CACHE_DIR -- and dlopens the result.  Each
 * load gets a fresh file (dlopen returns the old handle for a path it already
 * has open), unlinked once mapped.  The object exports one symbol,
 * nerva_model_entry() (PMML: a stateless scorer) or nerva_pfa_entry() (PFA:
 * an engine whose state the harness allocates), returning the generated
 * descriptor; its `abi` must be the one this harness was built with. */
#include "harness.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

static int copy_file(const char *from, const char *to)
{
    char *data = NULL;
    FILE *f = fopen(from, "rb");
    if (!f)
        return -1;
    size_t cap = 1 << 20, len = 0, got;
    data = malloc(cap);
    while (data && (got = fread(data + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap)
            data = realloc(data, cap *= 2);
    }
    fclose(f);
    if (!data)
        return -1;
    int rc = hx_write_atomic(to, data, len);
    free(data);
    return rc;
}

static int run_nerva(const char *model, const char *out, char *err, size_t errlen)
{
    const char *nerva = hx_nerva_exe();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "cannot fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        execl(nerva, nerva, "compile", "--shared", model, "-o", out, (char *)NULL);
        fprintf(stderr, "nerva-kafka: cannot run %s: %s\n", nerva, strerror(errno));
        _exit(3);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) {
            snprintf(err, errlen, "waitpid: %s", strerror(errno));
            return -1;
        }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        snprintf(err, errlen, "`nerva compile --shared %s` failed (its diagnostics are above)", model);
        return -1;
    }
    return 0;
}

int hx_model_load(const char *path, hx_model *out, char *err, size_t errlen)
{
    static unsigned serial;
    memset(out, 0, sizeof *out);
    if (stat(path, &out->st)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    const char *tmpdir = getenv("TMPDIR");
    char so[4096];
    snprintf(so, sizeof so, "%s/nerva-kafka-%d-%u.so", tmpdir && *tmpdir ? tmpdir : "/tmp", (int)getpid(), serial++);
    if (ends_with(path, ".so")) {
        if (copy_file(path, so)) {
            snprintf(err, errlen, "%s: cannot copy to %s", path, so);
            return -1;
        }
    } else if (run_nerva(path, so, err, errlen)) {
        return -1;
    }
    out->dl = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    unlink(so);
    if (!out->dl) {
        snprintf(err, errlen, "%s: %s", path, dlerror());
        return -1;
    }
    const nerva_model *(*entry)(void);
    const nerva_pfa *(*pfa_entry)(void);
    *(void **)&entry = dlsym(out->dl, "nerva_model_entry");
    *(void **)&pfa_entry = dlsym(out->dl, "nerva_pfa_entry");
    if (!entry && pfa_entry) {
        out->pfa = pfa_entry();
        if (!out->pfa || out->pfa->abi != NERVA_PFA_ABI) {
            snprintf(err, errlen, "%s: PFA engine ABI %d; this harness runs ABI %d engines", path,
                     out->pfa ? out->pfa->abi : -1, NERVA_PFA_ABI);
            hx_model_unload(out);
            return -1;
        }
        return 0;
    }
    if (!entry) {
        snprintf(err, errlen, "%s: no nerva_model_entry (make it with `nerva compile --shared`)", path);
        hx_model_unload(out);
        return -1;
    }
    out->m = entry();
    if (!out->m || out->m->abi != NERVA_MODEL_ABI) {
        snprintf(err, errlen, "%s: model ABI %d; this harness scores ABI %d models", path,
                 out->m ? out->m->abi : -1, NERVA_MODEL_ABI);
        hx_model_unload(out);
        return -1;
    }
    return 0;
}

void hx_model_unload(hx_model *mdl)
{
    if (mdl->dl)
        dlclose(mdl->dl);
    mdl->dl = NULL;
    mdl->m = NULL;
    mdl->pfa = NULL;
}

int hx_model_changed(const char *path, const hx_model *mdl)
{
    struct stat st;
    if (stat(path, &st))
        return 0; /* gone for now (an editor replacing it): keep the running model */
    return st.st_mtim.tv_sec != mdl->st.st_mtim.tv_sec || st.st_mtim.tv_nsec != mdl->st.st_mtim.tv_nsec ||
           st.st_size != mdl->st.st_size || st.st_ino != mdl->st.st_ino;
}

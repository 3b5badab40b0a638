/* model_load.c: getting a compiled model into the harness's process.
 *
 * Why this way: the compiler is another program (nerva), so the harness runs
 * `nerva compile --shared MODEL -o TMP.so` -- nerva caches the C compiler's
 * work by content hash under NERVA_CACHE_DIR -- and dlopens the result.  The
 * compiler runs as a child the harness polls (hx_compile_*), with a time and
 * a memory limit, so that a hot reload never stops the scoring of the model
 * in service and a signal is acted on at once, however slow the new model
 * is to compile.  Each
 * load gets a fresh file (dlopen returns the old handle for a path it already
 * has open), unlinked once mapped.  The object exports one symbol,
 * nerva_model_entry() (PMML: a stateless scorer) or nerva_pfa_entry() (PFA:
 * an engine whose state the harness allocates), returning the generated
 * descriptor; its `abi` must be the one this harness was built with. */
#include "harness.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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

/* the compiler in a process group of its own (it runs cc, which runs cc1):
   killed as a whole on a timeout or a stop, with memory it cannot exceed */
static pid_t spawn_nerva(const char *model, const char *out, const char *log, const hx_compile_limits *lim,
                         char *err, size_t errlen)
{
    const char *nerva = hx_nerva_exe();
    int logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (logfd < 0) {
        snprintf(err, errlen, "%s: %s", log, strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "cannot fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        setpgid(0, 0);
        if (!HX_ASAN && lim && lim->memory_mb > 0)
            hx_set_limit(RLIMIT_AS, (unsigned long long)lim->memory_mb << 20);
        signal(SIGINT, SIG_IGN); /* a ^C stops the harness, which stops this */
        dup2(logfd, 2);           /* its diagnostics go to the harness's log */
        execl(nerva, nerva, "compile", "--shared", model, "-o", out, (char *)NULL);
        fprintf(stderr, "nerva-kafka: cannot run %s: %s\n", nerva, strerror(errno));
        _exit(3);
    }
    setpgid(pid, pid); /* both sides: no race with the kill below */
    close(logfd);
    return pid;
}

static void so_path(char *so, size_t n)
{
    static unsigned serial;
    const char *tmpdir = getenv("TMPDIR");
    snprintf(so, n, "%s/nerva-kafka-%d-%u.so", tmpdir && *tmpdir ? tmpdir : "/tmp", (int)getpid(), serial++);
}

/* FNV-1a of the file's bytes, 16 hex digits: which model scored a result */
static void file_hash(const char *path, char out[17])
{
    uint64_t h = 14695981039346656037ull;
    snprintf(out, 17, "unknown");
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        for (size_t k = 0; k < n; k++)
            h = (h ^ (unsigned char)buf[k]) * 1099511628211ull;
    fclose(f);
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

int hx_compile_start(hx_compile *j, const char *path, const hx_compile_limits *lim, char *err, size_t errlen)
{
    memset(j, 0, sizeof *j);
    j->path = path;
    if (lim)
        j->lim = *lim;
    if (stat(path, &j->st)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    file_hash(path, j->hash);
    so_path(j->so, sizeof j->so);
    snprintf(j->log, sizeof j->log, "%s.log", j->so);
    j->started = hx_now();
    if (ends_with(path, ".so")) {
        if (copy_file(path, j->so)) {
            snprintf(err, errlen, "%s: cannot copy to %s", path, j->so);
            return -1;
        }
        return 0;
    }
    j->pid = spawn_nerva(path, j->so, j->log, lim, err, errlen);
    return j->pid < 0 ? -1 : 0;
}

void hx_compile_cancel(hx_compile *j)
{
    if (j->pid > 0) {
        kill(-j->pid, SIGKILL);
        int st;
        while (waitpid(j->pid, &st, 0) < 0 && errno == EINTR)
            ;
    }
    j->pid = 0;
    if (j->so[0])
        unlink(j->so);
    j->so[0] = 0;
    if (j->log[0])
        unlink(j->log);
    j->log[0] = 0;
}

/* what the compiler printed, through the harness's logger */
static void log_diagnostics(hx_compile *j, int level)
{
    char *text;
    if (!j->log[0] || hx_read_text(j->log, &text))
        return;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        hx_log_line(level, "nerva compile", NULL, line, NULL);
    free(text);
}

/* dlopens the compiled object and checks its descriptor */
static int load_so(hx_compile *j, hx_model *out, char *err, size_t errlen)
{
    const char *path = j->path;
    memset(out, 0, sizeof *out);
    out->fd = -1;
    out->st = j->st;
    memcpy(out->hash, j->hash, sizeof out->hash);
    out->dl = dlopen(j->so, RTLD_NOW | RTLD_LOCAL);
    /* kept open: a PFA engine's worker process loads the same object */
    out->fd = open(j->so, O_RDONLY | O_CLOEXEC);
    unlink(j->so);
    j->so[0] = 0;
    if (!out->dl) {
        snprintf(err, errlen, "%s: %s", path, dlerror());
        hx_model_unload(out);
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

int hx_compile_poll(hx_compile *j, hx_model *out, char *err, size_t errlen)
{
    if (j->pid > 0) {
        int st;
        pid_t r = waitpid(j->pid, &st, WNOHANG);
        if (r == 0) {
            if (j->lim.seconds > 0 && hx_now() - j->started > j->lim.seconds) {
                hx_compile_cancel(j);
                snprintf(err, errlen, "compiling %s took longer than %g s (--compile-timeout): stopped", j->path,
                         j->lim.seconds);
                return -1;
            }
            return 0;
        }
        if (r < 0 && errno == EINTR)
            return 0;
        j->pid = 0;
        int failed = r < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0;
        log_diagnostics(j, failed ? HX_ERROR : HX_WARN);
        if (failed) {
            hx_compile_cancel(j);
            if (r > 0 && WIFSIGNALED(st))
                snprintf(err, errlen, "`nerva compile --shared %s` was killed (%s)%s", j->path,
                         strsignal(WTERMSIG(st)), j->lim.memory_mb > 0 ? "; --compile-memory may be too low" : "");
            else
                snprintf(err, errlen, "`nerva compile --shared %s` failed (its diagnostics are above)", j->path);
            return -1;
        }
    }
    if (j->log[0])
        unlink(j->log);
    return load_so(j, out, err, errlen) ? -1 : 1;
}

int hx_model_load(const char *path, hx_model *out, const hx_compile_limits *lim, char *err, size_t errlen)
{
    hx_compile j;
    if (hx_compile_start(&j, path, lim, err, errlen))
        return -1;
    for (;;) {
        int rc = hx_compile_poll(&j, out, err, errlen);
        if (rc)
            return rc > 0 ? 0 : -1;
        if (hx_stop) {
            hx_compile_cancel(&j);
            snprintf(err, errlen, "stopped while compiling %s", path);
            return -2;
        }
        usleep(20000);
    }
}

void hx_model_unload(hx_model *mdl)
{
    if (mdl->dl)
        dlclose(mdl->dl);
    if (mdl->fd >= 0)
        close(mdl->fd);
    mdl->fd = -1;
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

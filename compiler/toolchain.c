/* `nerva score` and `nerva bench` need the generated code compiled: this
 * file runs the system C compiler (never through a shell) and keeps the
 * result in a cache keyed by the hash of everything that goes into it, so a
 * model is compiled once however often it is scored. */
#include "toolchain.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
extern const char *const embedded_files[][2];

const char *tc_embedded(const char *name)
{
    for (int i = 0; embedded_files[i][0]; i++)
        if (!strcmp(embedded_files[i][0], name))
            return embedded_files[i][1];
    return NULL;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int mkdirs(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0755) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    if (mkdir(tmp, 0755) && errno != EEXIST)
        return -1;
    return 0;
}

static void cache_root(char *buf, size_t n)
{
    const char *e = getenv("NERVA_CACHE_DIR");
    if (e && *e) {
        snprintf(buf, n, "%s", e);
        return;
    }
    e = getenv("XDG_CACHE_HOME");
    if (e && *e) {
        snprintf(buf, n, "%s/nerva", e);
        return;
    }
    e = getenv("HOME");
    if (e && *e) {
        snprintf(buf, n, "%s/.cache/nerva", e);
        return;
    }
    snprintf(buf, n, "/tmp/nerva-cache-%d", (int)getuid());
}

static int write_file(const char *dir, const char *name, const char *data)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = strlen(data);
    int ok = fwrite(data, 1, n, f) == n;
    ok &= fclose(f) == 0;
    return ok ? 0 : -1;
}

int tc_run(char *const argv[], char **out_capture)
{
    int pipefd[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (out_capture) {
        if (pipe(pipefd)) {
            posix_spawn_file_actions_destroy(&fa);
            return 3;
        }
        posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
        posix_spawn_file_actions_addclose(&fa, pipefd[0]);
        posix_spawn_file_actions_addclose(&fa, pipefd[1]);
    }
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) {
        fprintf(stderr, "nerva: cannot run %s: %s\n", argv[0], strerror(rc));
        if (out_capture) {
            close(pipefd[0]);
            close(pipefd[1]);
        }
        return 3;
    }
    if (out_capture) {
        close(pipefd[1]);
        StrBuf sb;
        sb_init(&sb);
        char buf[4096];
        ssize_t r;
        while ((r = read(pipefd[0], buf, sizeof buf)) > 0)
            sb_putn(&sb, buf, (size_t)r);
        close(pipefd[0]);
        if (!sb.data)
            sb_puts(&sb, "");
        *out_capture = sb.data;
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return 3;
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    fprintf(stderr, "nerva: %s died by signal %d\n", argv[0], WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return 3;
}

/* split a flags string on spaces into argv entries */
static int split_flags(char *s, char **out, int max)
{
    int n = 0;
    for (char *tok = strtok(s, " \t"); tok && n < max; tok = strtok(NULL, " \t"))
        out[n++] = tok;
    return n;
}

int tc_build_scorer(const BuildRequest *rq, BuildResult *res)
{
    const char *cc = getenv("CC");
    if (!cc || !*cc)
        cc = "cc";
    const char *cflags = getenv("NERVA_CFLAGS");
    if (!cflags)
        cflags = "-O2";
    const char *driver_name = rq->shared ? "model_entry.c" : rq->pfa ? "pfa_driver.c" : "score_driver.c";
    const char *driver = tc_embedded(driver_name);
    const char *product = rq->shared ? "model.so" : "scorer";
    const char *abi = tc_embedded("nerva_model.h");
    NV_ASSERT(driver && abi);

    uint64_t h = HASH_SEED;
    h = hash_bytes(h, rq->c_src, strlen(rq->c_src) + 1);
    h = hash_bytes(h, rq->h_src, strlen(rq->h_src) + 1);
    h = hash_bytes(h, rq->header_name, strlen(rq->header_name) + 1);
    h = hash_bytes(h, driver, strlen(driver) + 1);
    h = hash_bytes(h, abi, strlen(abi) + 1);
    h = hash_bytes(h, cc, strlen(cc) + 1);
    h = hash_bytes(h, cflags, strlen(cflags) + 1);
    h = hash_bytes(h, product, strlen(product) + 1);

    char root[3000], dir[3600], tmpdir[3700];
    cache_root(root, sizeof root);
    snprintf(dir, sizeof dir, "%s/%016llx", root, (unsigned long long)h);
    snprintf(res->exe, sizeof res->exe, "%s/%s", dir, product);
    res->seconds = 0;
    if (rq->use_cache && access(res->exe, X_OK) == 0)
        return 0;
    if (mkdirs(root)) {
        fprintf(stderr, "nerva: cannot create cache directory %s: %s\n", root, strerror(errno));
        return 3;
    }
    snprintf(tmpdir, sizeof tmpdir, "%s/tmp-XXXXXX", root);
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "nerva: cannot create a directory in %s: %s\n", root, strerror(errno));
        return 3;
    }
    if (write_file(tmpdir, "model.c", rq->c_src) || write_file(tmpdir, rq->header_name, rq->h_src) ||
        write_file(tmpdir, driver_name, driver) || write_file(tmpdir, "nerva_model.h", abi)) {
        fprintf(stderr, "nerva: cannot write to %s\n", tmpdir);
        return 3;
    }
    char flags[1024];
    snprintf(flags, sizeof flags, "%s", cflags);
    char *argv[96];
    int n = 0;
    char inc[3800], src[3800], drv[3800], out[3800], entry[512];
    argv[n++] = (char *)cc;
    argv[n++] = "-std=c99";
    n += split_flags(flags, argv + n, 64);
    snprintf(inc, sizeof inc, "-I%s", tmpdir);
    snprintf(src, sizeof src, "%s/model.c", tmpdir);
    snprintf(drv, sizeof drv, "%s/%s", tmpdir, driver_name);
    snprintf(out, sizeof out, "%s/%s", tmpdir, product);
    if (rq->shared) {
        argv[n++] = "-fPIC";
        argv[n++] = "-shared";
        argv[n++] = "-fvisibility=hidden";
    }
    snprintf(entry, sizeof entry, rq->pfa ? "-DNERVA_PFA_ENTRY=%s_pfa" : "-DNERVA_ENTRY=%s_model", rq->prefix);
    argv[n++] = inc;
    argv[n++] = entry;
    argv[n++] = src;
    argv[n++] = drv;
    argv[n++] = "-o";
    argv[n++] = out;
    argv[n++] = "-lm";
    argv[n] = NULL;
    double t0 = now();
    int rc = tc_run(argv, NULL);
    res->seconds = now() - t0;
    if (rc) {
        fprintf(stderr, "nerva: the C compiler failed (exit %d) on %s\n", rc, src);
        return 3;
    }
    /* publish atomically; a concurrent builder may have won the race */
    if (rename(tmpdir, dir) != 0) {
        if (errno != EEXIST && errno != ENOTEMPTY) {
            fprintf(stderr, "nerva: cannot move %s to %s: %s\n", tmpdir, dir, strerror(errno));
            return 3;
        }
        /* keep ours: point at the fresh build */
        if (access(res->exe, X_OK) != 0)
            snprintf(res->exe, sizeof res->exe, "%s/%s", tmpdir, product);
    }
    return 0;
}

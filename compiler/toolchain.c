/* `nerva score` and `nerva bench` need the generated code compiled: this
 * file runs the system C compiler (never through a shell) and keeps the
 * result in a cache keyed by the hash of everything that goes into it, so a
 * model is compiled once however often it is scored. */
#include "toolchain.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <limits.h>
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

void tc_cache_root(char *buf, size_t n)
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

/* wait for pid, redrawing the progress line while it runs */
static int wait_child(pid_t pid, int *st)
{
    if (!progress_active()) {
        while (waitpid(pid, st, 0) < 0)
            if (errno != EINTR)
                return -1;
        return 0;
    }
    for (;;) {
        pid_t r = waitpid(pid, st, WNOHANG);
        if (r == pid)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
        progress_redraw();
    }
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
    if (wait_child(pid, &st))
        return 3;
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE) {
        /* the reader of our output went away (| head): end as the scorer
           did, quietly, with the status a shell expects */
        signal(SIGPIPE, SIG_DFL);
        raise(SIGPIPE);
    }
    fprintf(stderr, "nerva: %s died by signal %d\n", argv[0], WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return 3;
}

/* the compiler's program file (searched on PATH like posix_spawnp does) */
static int find_program(const char *name, char *out, size_t n)
{
    if (strchr(name, '/')) {
        snprintf(out, n, "%s", name);
        return access(out, X_OK);
    }
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    for (const char *p = path; *p;) {
        const char *e = strchr(p, ':');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        snprintf(out, n, "%.*s/%s", (int)len, len ? p : ".", name);
        if (access(out, X_OK) == 0)
            return 0;
        p += len + (e != NULL);
    }
    return -1;
}

/* What identifies the C compiler: its resolved file, size and time, and
   what `cc --version` says (remembered in the cache per file, size and
   time, so the compiler runs once per installation, not per score).  A
   compiler upgrade changes the text and so every cache key.  malloc'd. */
static char *cc_identity(const char *cc, const char *root)
{
    char path[4096], real[4096];
    struct stat sb;
    if (find_program(cc, path, sizeof path) || !realpath(path, real) || stat(real, &sb)) {
        char *r = malloc(strlen(cc) + 1);
        if (r)
            strcpy(r, cc); /* not found: the build will say so */
        return r;
    }
    StrBuf id;
    sb_init(&id);
    sb_printf(&id, "%s %lld %lld\n", real, (long long)sb.st_size, (long long)sb.st_mtime);
    uint64_t h = hash_bytes(HASH_SEED, id.data, id.len);
    char memo[3400];
    snprintf(memo, sizeof memo, "%s/cc-%016llx", root, (unsigned long long)h);
    char *text;
    size_t len;
    if (read_file(memo, &text, &len, 1 << 16) == 0) {
        sb_puts(&id, text);
        free(text);
        return id.data;
    }
    char *argv[] = {(char *)cc, "--version", NULL};
    char *ver = NULL;
    if (tc_run(argv, &ver) == 0 && ver) {
        if (mkdirs(root) == 0)
            write_file(root, memo + strlen(root) + 1, ver);
        sb_puts(&id, ver);
    }
    free(ver);
    return id.data;
}

/* remove a build directory of the cache (files only, as builds make) */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        char path[4400];
        while ((de = readdir(d)))
            if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
                snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
                unlink(path);
            }
        closedir(d);
    }
    rmdir(dir);
}

/* split a flags string on spaces into argv entries */
static int split_flags(char *s, char **out, int max)
{
    int n = 0;
    for (char *tok = strtok(s, " \t"); tok && n < max; tok = strtok(NULL, " \t"))
        out[n++] = tok;
    return n;
}

static const char *env_cc(void)
{
    const char *cc = getenv("CC");
    return cc && *cc ? cc : "cc";
}

static const char *env_cflags(void)
{
    const char *cflags = getenv("NERVA_CFLAGS");
    return cflags ? cflags : "-O2";
}

/* the cache file that names the build an early key found, for this
   compiler, these flags and this product */
static void early_path(char *buf, size_t n, const char *root, uint64_t early_key, const char *ccid,
                       const char *product)
{
    uint64_t h = hash_bytes(HASH_SEED, &early_key, sizeof early_key);
    h = hash_bytes(h, ccid, strlen(ccid) + 1);
    h = hash_bytes(h, env_cflags(), strlen(env_cflags()) + 1);
    h = hash_bytes(h, product, strlen(product) + 1);
    snprintf(buf, n, "%s/e-%016llx", root, (unsigned long long)h);
}

uint64_t tc_early_key(const char *model_bytes, size_t len, const char *options)
{
    uint64_t h = hash_bytes(HASH_SEED, model_bytes, len);
    h = hash_bytes(h, options, strlen(options) + 1);
    /* nerva itself: its file, size and time (a rebuilt nerva may write other code) */
    char self[4096];
    struct stat sb;
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0 || stat((self[n] = 0, self), &sb))
        return 0; /* no identity: no early lookups */
    h = hash_bytes(h, self, (size_t)n);
    long long id[2] = {(long long)sb.st_size, (long long)sb.st_mtime};
    h = hash_bytes(h, id, sizeof id);
    return h ? h : 1;
}

int tc_find_early(uint64_t early_key, int shared, BuildResult *res, int *pfa)
{
    char root[3000], idx[3400];
    if (!early_key)
        return 0;
    tc_cache_root(root, sizeof root);
    char *ccid = cc_identity(env_cc(), root);
    if (!ccid)
        return 0;
    early_path(idx, sizeof idx, root, early_key, ccid, shared ? "model.so" : "scorer");
    free(ccid);
    char *text;
    size_t len;
    if (read_file(idx, &text, &len, 8192))
        return 0;
    /* "DIR PFA\n": the build directory's name and whether it is an engine */
    char name[64];
    int is_pfa = 0;
    int ok = sscanf(text, "%63s %d", name, &is_pfa) == 2 && strspn(name, "0123456789abcdef") == 16 && !name[16];
    free(text);
    if (!ok)
        return 0;
    snprintf(res->exe, sizeof res->exe, "%s/%s/%s", root, name, shared ? "model.so" : "scorer");
    res->seconds = 0;
    if (access(res->exe, shared ? R_OK : X_OK))
        return 0;
    *pfa = is_pfa;
    return 1;
}

int tc_build_scorer(const BuildRequest *rq, BuildResult *res)
{
    const char *cc = env_cc();
    const char *cflags = env_cflags();
    const char *driver_name = rq->shared ? "model_entry.c" : rq->pfa ? "pfa_driver.c" : "score_driver.c";
    const char *driver = tc_embedded(driver_name);
    const char *product = rq->shared ? "model.so" : "scorer";
    const char *abi = tc_embedded("nerva_model.h");
    NV_ASSERT(driver && abi);
    char root[3000], dir[3600], tmpdir[3700];
    tc_cache_root(root, sizeof root);
    char *ccid = cc_identity(cc, root);
    if (!ccid) {
        fprintf(stderr, "nerva: out of memory\n");
        return 3;
    }

    uint64_t h = HASH_SEED;
    h = hash_bytes(h, rq->c_src, strlen(rq->c_src) + 1);
    h = hash_bytes(h, rq->h_src, strlen(rq->h_src) + 1);
    h = hash_bytes(h, rq->header_name, strlen(rq->header_name) + 1);
    h = hash_bytes(h, driver, strlen(driver) + 1);
    h = hash_bytes(h, abi, strlen(abi) + 1);
    h = hash_bytes(h, cc, strlen(cc) + 1);
    h = hash_bytes(h, ccid, strlen(ccid) + 1);
    h = hash_bytes(h, cflags, strlen(cflags) + 1);
    h = hash_bytes(h, product, strlen(product) + 1);

    char dirname[20];
    snprintf(dirname, sizeof dirname, "%016llx", (unsigned long long)h);
    snprintf(dir, sizeof dir, "%s/%s", root, dirname);
    snprintf(res->exe, sizeof res->exe, "%s/%s", dir, product);
    res->seconds = 0;
    char idx[3400];
    if (rq->early_key)
        early_path(idx, sizeof idx, root, rq->early_key, ccid, product);
    free(ccid);
    if (rq->use_cache && access(res->exe, X_OK) == 0)
        goto file_early;
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
        remove_dir(tmpdir);
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
    progress_phase("building with the C compiler");
    int rc = tc_run(argv, NULL);
    res->seconds = now() - t0;
    if (rc) {
        progress_done();
        fprintf(stderr, "nerva: the C compiler (%s) failed (exit %d) on the generated code; "
                        "nerva compile writes it for a look\n", cc, rc);
        remove_dir(tmpdir);
        return 3;
    }
    /* publish atomically; a concurrent builder may have won the race */
    if (rename(tmpdir, dir) != 0) {
        if (errno != EEXIST && errno != ENOTEMPTY) {
            fprintf(stderr, "nerva: cannot move %s to %s: %s\n", tmpdir, dir, strerror(errno));
            remove_dir(tmpdir);
            return 3;
        }
        remove_dir(tmpdir); /* the other build is the same code */
    }
file_early:
    if (rq->early_key && rq->use_cache) {
        char line[64];
        snprintf(line, sizeof line, "%s %d\n", dirname, rq->pfa);
        char tmp[3500];
        snprintf(tmp, sizeof tmp, "%s.%d", idx, (int)getpid());
        if (write_file(root, tmp + strlen(root) + 1, line) == 0 && rename(tmp, idx) != 0)
            unlink(tmp);
    }
    return 0;
}

/* ---- nerva cache ---- */
/* an entry nerva made: a build (16 hex digits), a build in progress or
   abandoned (tmp-*), an early index (e-*) or a compiler's version (cc-*) */
static int cache_entry(const char *name)
{
    if (strlen(name) == 16 && strspn(name, "0123456789abcdef") == 16)
        return 1;
    return !strncmp(name, "tmp-", 4) ? 2 : !strncmp(name, "e-", 2) || !strncmp(name, "cc-", 3) ? 3 : 0;
}

static long long entry_bytes(const char *path, int dir)
{
    struct stat sb;
    if (!dir)
        return stat(path, &sb) ? 0 : (long long)sb.st_size;
    long long total = 0;
    DIR *d = opendir(path);
    if (!d)
        return 0;
    struct dirent *de;
    char p[4400];
    while ((de = readdir(d))) {
        snprintf(p, sizeof p, "%s/%s", path, de->d_name);
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && !stat(p, &sb))
            total += (long long)sb.st_size;
    }
    closedir(d);
    return total;
}

static int cache_walk(int clean, long *builds, long long *bytes)
{
    char root[3000], path[3400];
    tc_cache_root(root, sizeof root);
    *builds = 0;
    *bytes = 0;
    DIR *d = opendir(root);
    if (!d)
        return errno == ENOENT ? 0 : (fprintf(stderr, "nerva: cannot read %s: %s\n", root, strerror(errno)), 3);
    struct dirent *de;
    while ((de = readdir(d))) {
        int kind = cache_entry(de->d_name);
        if (!kind)
            continue;
        snprintf(path, sizeof path, "%s/%s", root, de->d_name);
        *bytes += entry_bytes(path, kind != 3);
        *builds += kind == 1;
        if (clean) {
            if (kind == 3)
                unlink(path);
            else
                remove_dir(path);
        }
    }
    closedir(d);
    return 0;
}

int tc_cache_size(long *builds, long long *bytes) { return cache_walk(0, builds, bytes); }

int tc_cache_clean(long *builds, long long *bytes) { return cache_walk(1, builds, bytes); }

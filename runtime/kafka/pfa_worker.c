/* pfa_worker.c: a PFA engine in a process of its own, so that no record can
 * take the harness down with it.
 *
 * Why: a PFA document is untrusted, and one record can make its engine
 * overflow the stack, exhaust memory or run without end.  In the harness's
 * own process that is a crash on the same record at every restart: a crash
 * loop that stops the stream.  Here the engine runs in a worker (this
 * program, `nerva-kafka pfa-worker`, exec'd afresh) with a stack of known
 * size, an address-space limit and a time limit per record; when the worker
 * dies on a record, or is killed past the limit, the harness dead-letters
 * that record and starts a fresh worker (fresh engine state: the engine's
 * `init`) for the records after it.
 *
 * The worker gets the model as file descriptor 3 (the harness's private copy
 * of the shared object), records on standard input and answers on standard
 * output, in order, as frames (native byte order: both ends are this
 * program on this machine):
 *   harness -> worker   u32 length, the record's bytes
 *   worker -> harness   'R' status code length message   (once: init)
 *                       'V' length bytes                   (a value the action gave back)
 *                       'E' status code length message     (the record is done)
 * where status and code are i32 (enum nerva_pfa_status; the PFA error code)
 * and length u32.  The harness writes a batch while it reads the answers
 * (both pipes non-blocking), so neither end waits on a full pipe. */
#include "harness.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

struct hx_worker {
    pid_t pid;
    int to, from;               /* pipes: records to it, answers from it */
    int errfd;                  /* what it prints (an engine's log, a sanitizer's report) */
    nvc_buf errline;            /* a line of it not yet ended */
    hx_worker_limits lim;
    int model_fd;
    nvc_buf in;                 /* answers read, not yet consumed */
    size_t in_off;
    nvc_buf vals;               /* the values of the record being answered, NUL-separated */
    size_t nvals;
    char why[256];
};

/* ---- the worker's side ---- */

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, void *p, size_t n)
{
    char *c = p;
    while (n) {
        ssize_t r = read(fd, c, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        c += r;
        n -= (size_t)r;
    }
    return 0;
}

/* the worker's output: buffered, written when a record is done */
static nvc_buf wout;

static void frame_end(char tag, int32_t status, int32_t code, const char *msg, size_t mlen)
{
    uint32_t n = (uint32_t)mlen;
    nvc_buf_put(&wout, &tag, 1);
    nvc_buf_put(&wout, &status, 4);
    nvc_buf_put(&wout, &code, 4);
    nvc_buf_put(&wout, &n, 4);
    nvc_buf_put(&wout, msg, mlen);
    if (write_all(1, wout.data, wout.len))
        _exit(0); /* the harness is gone */
    wout.len = 0;
}

static void frame_value(void *ctx, const char *json, size_t len)
{
    uint32_t n = (uint32_t)len;
    (void)ctx;
    nvc_buf_put(&wout, "V", 1);
    nvc_buf_put(&wout, &n, 4);
    nvc_buf_put(&wout, json, len);
}

int hx_pfa_worker_main(int argc, char **argv)
{
    /* nerva-kafka pfa-worker TIMEOUT_MS; the model is fd 3 */
    long long timeout_ms = argc > 2 ? strtoll(argv[2], NULL, 10) : -1;
    signal(SIGINT, SIG_IGN);  /* the harness stops it; a ^C goes to the harness */
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    void *dl = dlopen("/proc/self/fd/3", RTLD_NOW | RTLD_LOCAL);
    const nerva_pfa *(*entry)(void) = NULL;
    if (dl)
        *(void **)&entry = dlsym(dl, "nerva_pfa_entry");
    const nerva_pfa *e = entry ? entry() : NULL;
    if (!e || e->abi != NERVA_PFA_ABI) {
        const char *why = !dl ? dlerror() : "not a PFA engine of this ABI";
        frame_end('R', -1, 0, why, strlen(why));
        return 1;
    }
    void *eng = calloc(1, e->engine_size());
    if (!eng)
        return 1;
    if (e->init(eng) != NERVA_PFA_OK) {
        const char *msg = "";
        size_t len = 0;
        int code = e->last_error(eng, &msg, &len);
        frame_end('R', NERVA_PFA_ERROR, code, msg, len);
        return 1;
    }
    e->set_timeout(eng, timeout_ms);
    frame_end('R', NERVA_PFA_OK, 0, "", 0);
    char *rec = NULL;
    size_t cap = 0;
    for (;;) {
        uint32_t n;
        if (read_all(0, &n, 4))
            return 0; /* the harness closed the pipe: done */
        if (n + 1 > cap) {
            free(rec);
            cap = (size_t)n + 1;
            if (!(rec = malloc(cap)))
                return 1;
        }
        if (read_all(0, rec, n))
            return 0;
        rec[n] = 0;
        int st = e->action(eng, rec, n, frame_value, NULL);
        const char *msg = "";
        size_t len = 0;
        int code = 0;
        if (st != NERVA_PFA_OK)
            code = e->last_error(eng, &msg, &len);
        frame_end('E', st, code, msg, len);
    }
}

/* ---- the harness's side ---- */

static int nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void reap(hx_worker *w, int force)
{
    if (w->pid <= 0)
        return;
    if (force)
        kill(w->pid, SIGKILL);
    int st;
    while (waitpid(w->pid, &st, 0) < 0 && errno == EINTR)
        ;
    w->pid = -1;
}

/* the reason a worker is gone, from its wait status */
static void death(hx_worker *w, char *why, size_t n)
{
    int st = 0;
    pid_t r;
    while ((r = waitpid(w->pid, &st, 0)) < 0 && errno == EINTR)
        ;
    w->pid = -1;
    if (r > 0 && WIFSIGNALED(st))
        snprintf(why, n, "the PFA engine crashed on this record (%s)", strsignal(WTERMSIG(st)));
    else if (r > 0 && WIFEXITED(st))
        snprintf(why, n, "the PFA engine's process exited (status %d) on this record", WEXITSTATUS(st));
    else
        snprintf(why, n, "the PFA engine's process is gone");
}

/* what the worker printed, line by line, through the harness's logger */
static void drain_err(hx_worker *w)
{
    char buf[4096];
    ssize_t n;
    while (w->errfd >= 0 && (n = read(w->errfd, buf, sizeof buf)) > 0) {
        for (ssize_t k = 0; k < n; k++) {
            if (buf[k] != '\n') {
                nvc_buf_put(&w->errline, buf + k, 1);
                continue;
            }
            nvc_buf_put(&w->errline, "", 1);
            hx_log_line(HX_WARN, "pfa engine", NULL, w->errline.data, NULL);
            w->errline.len = 0;
        }
    }
}

static void close_pipes(hx_worker *w)
{
    if (w->to >= 0)
        close(w->to);
    if (w->from >= 0)
        close(w->from);
    w->to = w->from = -1;
    drain_err(w);
    if (w->errline.len) {
        nvc_buf_put(&w->errline, "", 1);
        hx_log_line(HX_WARN, "pfa engine", NULL, w->errline.data, NULL);
        w->errline.len = 0;
    }
    if (w->errfd >= 0)
        close(w->errfd);
    w->errfd = -1;
}

/* starts the worker and waits for its engine's init; 0, or -1 with w->why */
static int spawn(hx_worker *w)
{
    int to[2], from[2], errp[2];
    char ms[32];
    if (pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)) {
        snprintf(w->why, sizeof w->why, "pipe: %s", strerror(errno));
        return -1;
    }
    snprintf(ms, sizeof ms, "%lld", w->lim.timeout_ms);
    const char *self = "/proc/self/exe";
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(w->why, sizeof w->why, "fork: %s", strerror(errno));
        close(to[0]), close(to[1]), close(from[0]), close(from[1]), close(errp[0]), close(errp[1]);
        return -1;
    }
    if (pid == 0) {
        /* a stack of known size for the engine's recursion (its own bound is
           a few MiB of it), and memory it cannot exceed */
        hx_set_limit(RLIMIT_STACK, (unsigned long long)w->lim.stack_mb << 20);
        if (!HX_ASAN && w->lim.memory_mb > 0)
            hx_set_limit(RLIMIT_AS, (unsigned long long)w->lim.memory_mb << 20);
        if (dup2(to[0], 0) < 0 || dup2(from[1], 1) < 0 || dup2(errp[1], 2) < 0)
            _exit(127);
        if (w->model_fd == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(w->model_fd, 3) < 0)
            _exit(127);
        execl(self, "nerva-kafka", "pfa-worker", ms, (char *)NULL);
        _exit(127);
    }
    close(to[0]);
    close(from[1]);
    close(errp[1]);
    w->pid = pid;
    w->to = to[1];
    w->from = from[0];
    w->errfd = errp[0];
    nonblocking(w->errfd);
    w->in.len = 0;
    w->in_off = 0;
    /* the init answer, 'R' status code length message, within the time a
       record may take (an engine's "begin" may loop too) */
    char head[13 + 200];
    size_t got = 0, want = 13;
    double until = hx_now() + (double)w->lim.hard_ms / 1000;
    nonblocking(w->from);
    while (got < want) {
        struct pollfd p[2] = {{w->from, POLLIN, 0}, {w->errfd, POLLIN, 0}};
        double left = until - hx_now();
        if (left <= 0) {
            snprintf(w->why, sizeof w->why, "the engine's initialisation ran past %lld ms", w->lim.hard_ms);
            close_pipes(w);
            reap(w, 1);
            return -1;
        }
        poll(p, 2, left > 1 ? 1000 : (int)(left * 1000) + 1);
        if (p[1].revents)
            drain_err(w);
        if (!p[0].revents)
            continue;
        ssize_t r = read(w->from, head + got, want - got);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR) || head[0] != 'R') {
            close_pipes(w);
            death(w, w->why, sizeof w->why);
            snprintf(w->why + strlen(w->why), sizeof w->why - strlen(w->why), " (at start)");
            return -1;
        }
        if (r > 0)
            got += (size_t)r;
        if (got == 13) {
            uint32_t len;
            memcpy(&len, head + 9, 4);
            want = 13 + (len < 199 ? len : 199);
            if (len >= 199) /* a long message: the rest is not needed */
                want = 13 + 199;
        }
    }
    int32_t st, code;
    memcpy(&st, head + 1, 4);
    memcpy(&code, head + 5, 4);
    char msg[200];
    snprintf(msg, sizeof msg, "%.*s", (int)(want - 13), head + 13);
    if (st != NERVA_PFA_OK) {
        snprintf(w->why, sizeof w->why, "the engine's initialisation failed: %s", msg);
        close_pipes(w);
        reap(w, 1);
        return -1;
    }
    if (nonblocking(w->to)) {
        snprintf(w->why, sizeof w->why, "fcntl: %s", strerror(errno));
        close_pipes(w);
        reap(w, 1);
        return -1;
    }
    return 0;
}

hx_worker *hx_worker_start(const hx_model *mdl, const hx_worker_limits *lim, char *err, size_t errlen)
{
    hx_worker *w = calloc(1, sizeof *w);
    if (!w)
        abort();
    w->pid = -1;
    w->to = w->from = w->errfd = -1;
    w->lim = *lim;
    w->model_fd = mdl->fd;
    if (spawn(w)) {
        snprintf(err, errlen, "%s", w->why);
        hx_worker_stop(w);
        return NULL;
    }
    return w;
}

void hx_worker_stop(hx_worker *w)
{
    if (!w)
        return;
    close_pipes(w); /* EOF: the worker ends by itself */
    if (w->pid > 0) {
        for (int k = 0; k < 50; k++) { /* up to half a second */
            int st;
            pid_t r = waitpid(w->pid, &st, WNOHANG);
            if (r == w->pid || (r < 0 && errno != EINTR)) {
                w->pid = -1;
                break;
            }
            usleep(10000);
        }
        reap(w, 1);
    }
    nvc_buf_free(&w->in);
    nvc_buf_free(&w->vals);
    nvc_buf_free(&w->errline);
    free(w);
}

/* one complete answer frame at the front of w->in: 1 and the outcome (the
   record is done), 0 when more bytes are needed, 2 after a value frame */
static int parse_frame(hx_worker *w, hx_outcome *o)
{
    const char *p = w->in.data + w->in_off;
    size_t avail = w->in.len - w->in_off;
    uint32_t len;
    if (avail < 5)
        return 0;
    if (p[0] == 'V') {
        memcpy(&len, p + 1, 4);
        if (avail < 5 + (size_t)len)
            return 0;
        nvc_buf_put(&w->vals, p + 5, len);
        nvc_buf_put(&w->vals, "", 1);
        w->nvals++;
        w->in_off += 5 + (size_t)len;
        return 2;
    }
    if (avail < 13)
        return 0;
    memcpy(&len, p + 9, 4);
    if (avail < 13 + (size_t)len)
        return 0;
    int32_t st, code;
    memcpy(&st, p + 1, 4);
    memcpy(&code, p + 5, 4);
    o->status = p[0] == 'E' ? st : HX_ENGINE_CRASH;
    o->code = code;
    o->msg = p + 13;
    o->msglen = len;
    o->vals = w->vals.data;
    o->nvals = w->nvals;
    w->in_off += 13 + (size_t)len;
    return 1;
}

int hx_worker_run(hx_worker *w, const char *const *recs, const size_t *lens, size_t n, hx_worker_done done,
                  void *ctx, char *err, size_t errlen)
{
    nvc_buf req = {0};
    size_t next = 0;   /* the first record not answered */
    int rc = 0;
    while (next < n) {
        /* the requests of records [next, n) to a worker that has none queued */
        req.len = 0;
        for (size_t k = next; k < n; k++) {
            uint32_t len = (uint32_t)lens[k];
            nvc_buf_put(&req, &len, 4);
            nvc_buf_put(&req, recs[k], lens[k]);
        }
        size_t sent = 0;
        double t_rec = hx_now();
        w->vals.len = 0;
        w->nvals = 0;
        char why[300] = "";
        int kind = 0; /* set when the worker is lost on record `next` */
        while (next < n && !kind) {
            struct pollfd p[3] = {{w->from, POLLIN, 0}, {w->errfd, POLLIN, 0}, {w->to, POLLOUT, 0}};
            double left = w->lim.hard_ms / 1000.0 - (hx_now() - t_rec);
            if (left <= 0) {
                kind = HX_ENGINE_TIMEOUT;
                snprintf(why, sizeof why, "the PFA engine ran past the harness's limit of %lld ms on this "
                         "record and was stopped", w->lim.hard_ms);
                break;
            }
            int ms = left > 1 ? 1000 : (int)(left * 1000) + 1;
            if (poll(p, sent < req.len ? 3 : 2, ms) < 0 && errno != EINTR) {
                kind = HX_ENGINE_CRASH;
                snprintf(why, sizeof why, "poll: %s", strerror(errno));
                break;
            }
            if (p[1].revents)
                drain_err(w);
            if (sent < req.len && (p[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
                ssize_t wr = write(w->to, req.data + sent, req.len - sent);
                if (wr > 0)
                    sent += (size_t)wr;
                else if (wr < 0 && errno != EAGAIN && errno != EINTR)
                    sent = req.len; /* it is gone: the read side says how */
            }
            if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                nvc_buf_need(&w->in, 65536);
                ssize_t rd = read(w->from, w->in.data + w->in.len, w->in.cap - w->in.len);
                if (rd == 0 || (rd < 0 && errno != EAGAIN && errno != EINTR)) {
                    kind = HX_ENGINE_CRASH;
                    close_pipes(w);
                    death(w, why, sizeof why);
                    break;
                }
                if (rd > 0)
                    w->in.len += (size_t)rd;
                hx_outcome o;
                int f;
                while ((f = parse_frame(w, &o)) != 0) {
                    if (f == 2)
                        continue;
                    done(ctx, next, &o);
                    next++;
                    t_rec = hx_now();
                    w->vals.len = 0;
                    w->nvals = 0;
                }
                /* keep the unread tail only */
                memmove(w->in.data, w->in.data + w->in_off, w->in.len - w->in_off);
                w->in.len -= w->in_off;
                w->in_off = 0;
            }
        }
        if (!kind)
            break;
        /* the worker is lost on record `next`: its values so far are out
           (as for a PFA error), the record is dead-lettered, and a fresh
           worker takes the records after it */
        hx_outcome o = {kind, 0, why, strlen(why), w->vals.data, w->nvals};
        close_pipes(w);
        reap(w, 1);
        done(ctx, next, &o);
        next++;
        w->in.len = w->in_off = 0;
        if (spawn(w)) {
            snprintf(err, errlen, "cannot restart the PFA engine: %s", w->why);
            rc = -1;
            break;
        }
    }
    nvc_buf_free(&req);
    return rc;
}

/* metrics.c: latency histograms and the HTTP endpoint (--metrics-port).
 *
 * Histograms are log-linear (16 buckets per power of two, about 4%
 * resolution) so that recording is a few instructions on the hot path and
 * percentiles need no stored samples; beside them each keeps the sum and
 * the counts of fixed Prometheus buckets, which add up across the members
 * of a group where quantiles do not.
 *
 * The endpoint is one thread serving every connection at once with poll():
 * a connection has a short time to send its request and take the answer,
 * so idle or slow clients -- hundreds of them -- never hold up a scrape.  It
 * answers GET /metrics with the text the main loop last published (it
 * republishes each second), /healthz (the process is alive: its loop has
 * turned within the last 30 seconds) and /readyz (partitions assigned and a
 * model loaded), and 404 elsewhere; the hot path never takes a lock a client
 * could hold.  It listens on IPv4 and IPv6. */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* the Prometheus buckets' upper edges, in the histogram's unit x 1e-6
   (microseconds -> seconds) */
const double hx_bucket_le[HX_BUCKETS] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                         0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,     10};

void hx_hist_add_unit(hx_hist *h, double v, double unit)
{
    int idx = 0;
    if (v >= 1) {
        int e;
        double f = frexp(v, &e); /* v = f * 2^e, f in [0.5, 1) */
        e -= 1;
        if (e > 31) {
            e = 31;
            f = 0.999;
        }
        idx = e * 16 + (int)((f * 2 - 1) * 16);
    }
    h->count[idx]++;
    h->n++;
    double s = v * unit;
    h->sum += s;
    for (int b = 0; b < HX_BUCKETS; b++)
        if (s <= hx_bucket_le[b]) {
            h->bucket[b]++;
            break;
        }
}

void hx_hist_add(hx_hist *h, double v) { hx_hist_add_unit(h, v, 1e-6); }

double hx_hist_quantile(const hx_hist *h, double q)
{
    if (!h->n)
        return 0;
    uint64_t want = (uint64_t)ceil(q * (double)h->n), seen = 0;
    if (want == 0)
        want = 1;
    for (int idx = 0; idx < 512; idx++) {
        seen += h->count[idx];
        if (seen >= want) {
            int e = idx / 16, sub = idx % 16;
            return ldexp(1 + (sub + 1) / 16.0, e); /* the bucket's upper edge */
        }
    }
    return ldexp(2, 31);
}

/* ---- the server ---- */

#define MAX_CONN 1024
#define MAX_LISTEN 4
#define CONN_SECONDS 2.0 /* to send the request and take the answer */

typedef struct conn {
    int fd;
    double until;
    char req[2048];
    size_t got;
    char *out;
    size_t olen, osent;
} conn;

static pthread_t server;
static int listen_fd[MAX_LISTEN], nlisten, server_on;
static volatile int server_stop;
static pthread_mutex_t text_lock = PTHREAD_MUTEX_INITIALIZER;
static char *text;
static size_t text_len;
static volatile int ready;
static volatile double alive_at;
static char not_ready[256] = "starting";

void hx_metrics_publish(const char *t, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return;
    memcpy(copy, t, len);
    copy[len] = 0;
    pthread_mutex_lock(&text_lock);
    free(text);
    text = copy;
    text_len = len;
    pthread_mutex_unlock(&text_lock);
}

void hx_metrics_state(int is_ready, const char *why)
{
    pthread_mutex_lock(&text_lock);
    ready = is_ready;
    snprintf(not_ready, sizeof not_ready, "%s", why ? why : "");
    alive_at = hx_now();
    pthread_mutex_unlock(&text_lock);
}

/* the answer to one request head */
static void respond(conn *c)
{
    char method[16] = "", path[256] = "";
    const char *status = "200 OK", *type = "text/plain; charset=utf-8";
    char *body = NULL;
    size_t blen = 0;
    char small[320];
    if (sscanf(c->req, "%15s %255s", method, path) != 2 || (strcmp(method, "GET") && strcmp(method, "HEAD"))) {
        status = "405 Method Not Allowed";
        blen = (size_t)snprintf(small, sizeof small, "GET /metrics, /healthz or /readyz\n");
    } else {
        char *q = strchr(path, '?');
        if (q)
            *q = 0;
        pthread_mutex_lock(&text_lock);
        if (!strcmp(path, "/metrics")) {
            type = "text/plain; version=0.0.4; charset=utf-8";
            body = malloc(text_len + 1);
            if (body) {
                memcpy(body, text ? text : "", text_len);
                blen = text_len;
            }
        } else if (!strcmp(path, "/healthz")) {
            /* alive: the loop publishes each second; 30 s of silence is a hang */
            int alive = alive_at == 0 || hx_now() - alive_at < 30;
            status = alive ? "200 OK" : "503 Service Unavailable";
            blen = (size_t)snprintf(small, sizeof small, alive ? "ok\n" : "the harness's loop has not turned for %.0f s\n",
                                    hx_now() - alive_at);
        } else if (!strcmp(path, "/readyz")) {
            status = ready ? "200 OK" : "503 Service Unavailable";
            blen = (size_t)snprintf(small, sizeof small, ready ? "ready\n" : "not ready: %s\n", not_ready);
        } else {
            status = "404 Not Found";
            blen = (size_t)snprintf(small, sizeof small, "not found: %s (try /metrics, /healthz, /readyz)\n", path);
        }
        pthread_mutex_unlock(&text_lock);
    }
    char head[256];
    int hn = snprintf(head, sizeof head,
                      "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", status,
                      type, blen);
    int head_only = !strcmp(method, "HEAD");
    c->out = malloc((size_t)hn + (head_only ? 0 : blen) + 1);
    if (!c->out) {
        free(body);
        return;
    }
    memcpy(c->out, head, (size_t)hn);
    if (!head_only)
        memcpy(c->out + hn, body ? body : small, blen);
    c->olen = (size_t)hn + (head_only ? 0 : blen);
    c->osent = 0;
    free(body);
}

static void conn_close(conn *c)
{
    close(c->fd);
    free(c->out);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

static void *serve(void *arg)
{
    (void)arg;
    static conn conns[MAX_CONN];
    static struct pollfd p[MAX_CONN + MAX_LISTEN];
    int nconn = 0;
    for (int k = 0; k < MAX_CONN; k++)
        conns[k].fd = -1;
    while (!server_stop) {
        int np = 0;
        for (int k = 0; k < nlisten; k++)
            p[np++] = (struct pollfd){listen_fd[k], nconn < MAX_CONN ? POLLIN : 0, 0};
        for (int k = 0; k < nconn; k++)
            p[np++] = (struct pollfd){conns[k].fd, conns[k].out ? POLLOUT : POLLIN, 0};
        if (poll(p, (nfds_t)np, 200) < 0 && errno != EINTR)
            break;
        double now = hx_now();
        int old = nconn; /* the ones polled; those accepted now wait for the next round */
        for (int k = 0; k < nlisten; k++)
            while ((p[k].revents & POLLIN) && nconn < MAX_CONN) {
                int fd = accept4(listen_fd[k], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0)
                    break;
                conns[nconn++] = (conn){.fd = fd, .until = now + CONN_SECONDS};
            }
        for (int k = 0; k < old; k++) {
            conn *c = &conns[k];
            short ev = p[nlisten + k].revents;
            int done = (ev & POLLNVAL) || ((ev & (POLLERR | POLLHUP)) && !c->out);
            if (!done && !c->out && (ev & POLLIN)) {
                ssize_t r = read(c->fd, c->req + c->got, sizeof c->req - 1 - c->got);
                if (r <= 0) {
                    done = r == 0 || (errno != EAGAIN && errno != EINTR);
                } else {
                    c->got += (size_t)r;
                    c->req[c->got] = 0;
                    if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n") || c->got == sizeof c->req - 1)
                        respond(c);
                    done = !c->out && c->got == sizeof c->req - 1;
                }
            }
            if (!done && c->out && (ev & POLLOUT)) {
                ssize_t w = write(c->fd, c->out + c->osent, c->olen - c->osent);
                if (w > 0)
                    c->osent += (size_t)w;
                done = (w < 0 && errno != EAGAIN && errno != EINTR) || c->osent == c->olen;
            }
            if (done || now > c->until)
                conn_close(c);
        }
        /* drop the closed ones */
        int kept = 0;
        for (int k = 0; k < nconn; k++)
            if (conns[k].fd >= 0)
                conns[kept++] = conns[k];
        for (int k = kept; k < nconn; k++)
            conns[k] = (conn){.fd = -1};
        nconn = kept;
    }
    for (int k = 0; k < nconn; k++)
        conn_close(&conns[k]);
    return NULL;
}

static int listen_on(const struct sockaddr *a, socklen_t alen, int v6only, char *err, size_t errlen,
                     const char *spec)
{
    if (nlisten == MAX_LISTEN)
        return 0;
    int fd = socket(a->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (a->sa_family == AF_INET6)
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
    }
    if (fd < 0 || bind(fd, a, alen) || listen(fd, 512)) {
        snprintf(err, errlen, "--metrics-port %s: %s", spec, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    listen_fd[nlisten++] = fd;
    return 0;
}

/* [ADDR:]PORT, ADDR an IPv4 address, [IPv6] or a host name; PORT alone is
   the loopback of both families */
int hx_metrics_start(const char *spec, char *err, size_t errlen)
{
    char host[256] = "";
    const char *port = spec;
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (!close || close[1] != ':') {
            snprintf(err, errlen, "--metrics-port: expected [ADDR:]PORT, got '%s'", spec);
            return -1;
        }
        snprintf(host, sizeof host, "%.*s", (int)(close - spec - 1), spec + 1);
        port = close + 2;
    } else if (strrchr(spec, ':')) {
        const char *colon = strrchr(spec, ':');
        snprintf(host, sizeof host, "%.*s", (int)(colon - spec), spec);
        port = colon + 1;
    }
    char *end;
    long pn = strtol(port, &end, 10);
    if (*end || !*port || pn < 0 || pn > 65535) {
        snprintf(err, errlen, "--metrics-port: expected [ADDR:]PORT, got '%s'", spec);
        return -1;
    }
    nlisten = 0;
    if (!*host) {
        struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)pn)};
        a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (listen_on((struct sockaddr *)&a4, sizeof a4, 0, err, errlen, spec))
            return -1;
        struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)pn)};
        a6.sin6_addr = in6addr_loopback;
        char ignore[256]; /* a machine without IPv6 serves IPv4 only */
        listen_on((struct sockaddr *)&a6, sizeof a6, 1, ignore, sizeof ignore, spec);
    } else {
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res, *ai;
        char ps[16];
        snprintf(ps, sizeof ps, "%ld", pn);
        int g = getaddrinfo(host, ps, &hints, &res);
        if (g) {
            snprintf(err, errlen, "--metrics-port %s: %s", spec, gai_strerror(g));
            return -1;
        }
        for (ai = res; ai; ai = ai->ai_next)
            /* "::" is both families (dual stack) unless the system says otherwise */
            if (listen_on(ai->ai_addr, ai->ai_addrlen, 0, err, errlen, spec)) {
                freeaddrinfo(res);
                for (int k = 0; k < nlisten; k++)
                    close(listen_fd[k]);
                nlisten = 0;
                return -1;
            }
        freeaddrinfo(res);
    }
    hx_metrics_publish("", 0);
    server_stop = 0;
    if (pthread_create(&server, NULL, serve, NULL)) {
        snprintf(err, errlen, "cannot start the metrics thread");
        for (int k = 0; k < nlisten; k++)
            close(listen_fd[k]);
        nlisten = 0;
        return -1;
    }
    server_on = 1;
    return 0;
}

void hx_metrics_stop(void)
{
    if (!server_on)
        return;
    server_stop = 1;
    pthread_join(server, NULL);
    for (int k = 0; k < nlisten; k++)
        close(listen_fd[k]);
    nlisten = 0;
    server_on = 0;
    pthread_mutex_lock(&text_lock);
    free(text);
    text = NULL;
    pthread_mutex_unlock(&text_lock);
}

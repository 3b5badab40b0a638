/* metrics.c: latency histograms and the Prometheus endpoint.
 *
 * Histograms are log-linear (16 buckets per power of two of microseconds,
 * about 4% resolution) so that recording is a few instructions on the hot
 * path and percentiles need no stored samples.  The endpoint is a thread
 * that answers every HTTP request on --metrics-port with the text the main
 * loop last published (it republishes each second), so the hot path never
 * takes a lock a scraper could hold. */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void hx_hist_add(hx_hist *h, double us)
{
    int idx = 0;
    if (us >= 1) {
        int e;
        double f = frexp(us, &e); /* us = f * 2^e, f in [0.5, 1) */
        e -= 1;
        if (e > 31) {
            e = 31;
            f = 0.999;
        }
        idx = e * 16 + (int)((f * 2 - 1) * 16);
    }
    h->count[idx]++;
    h->n++;
}

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

static pthread_t server;
static int server_fd = -1, server_on;
static volatile int server_stop;
static pthread_mutex_t text_lock = PTHREAD_MUTEX_INITIALIZER;
static char *text;
static size_t text_len;

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

static void answer(int fd)
{
    char req[2048];
    struct pollfd p = {fd, POLLIN, 0};
    /* read the request head (bounded); its content does not matter */
    if (poll(&p, 1, 1000) <= 0 || read(fd, req, sizeof req) <= 0)
        return;
    pthread_mutex_lock(&text_lock);
    size_t len = text_len;
    char *body = malloc(len + 1);
    if (body && text)
        memcpy(body, text, len);
    pthread_mutex_unlock(&text_lock);
    if (!body)
        return;
    char head[256];
    int hn = snprintf(head, sizeof head,
                      "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n", len);
    if (write(fd, head, (size_t)hn) == hn) {
        size_t off = 0;
        while (off < len) {
            ssize_t w = write(fd, body + off, len - off);
            if (w <= 0)
                break;
            off += (size_t)w;
        }
    }
    free(body);
}

static void *serve(void *arg)
{
    (void)arg;
    while (!server_stop) {
        struct pollfd p = {server_fd, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0)
            continue;
        int fd = accept(server_fd, NULL, NULL);
        if (fd < 0)
            continue;
        answer(fd);
        close(fd);
    }
    return NULL;
}

int hx_metrics_start(const char *spec, char *err, size_t errlen)
{
    char host[256] = "127.0.0.1";
    const char *colon = strrchr(spec, ':');
    const char *port = spec;
    if (colon) {
        snprintf(host, sizeof host, "%.*s", (int)(colon - spec), spec);
        port = colon + 1;
    }
    char *end;
    long pn = strtol(port, &end, 10);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)pn)};
    if (*end || pn < 0 || pn > 65535 || inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        snprintf(err, errlen, "--metrics-port: expected [IPv4-ADDRESS:]PORT, got '%s'", spec);
        return -1;
    }
    server_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(server_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (server_fd < 0 || bind(server_fd, (struct sockaddr *)&a, sizeof a) || listen(server_fd, 16)) {
        snprintf(err, errlen, "--metrics-port %s: %s", spec, strerror(errno));
        if (server_fd >= 0)
            close(server_fd);
        server_fd = -1;
        return -1;
    }
    hx_metrics_publish("", 0);
    server_stop = 0;
    if (pthread_create(&server, NULL, serve, NULL)) {
        snprintf(err, errlen, "cannot start the metrics thread");
        close(server_fd);
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
    close(server_fd);
    server_fd = -1;
    server_on = 0;
    pthread_mutex_lock(&text_lock);
    free(text);
    text = NULL;
    pthread_mutex_unlock(&text_lock);
}

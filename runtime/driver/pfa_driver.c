/* pfa_driver.c -- the generic host program nerva compiles together with one
 * generated PFA engine, so that `nerva score` and `nerva bench` run it on
 * JSON-lines files without any glue.
 *
 * Why it looks like this: a generated engine binds to a host only through
 * the nerva_pfa descriptor (runtime/nerva_model.h): JSON text in, JSON text
 * out, errors as codes and messages.  This driver knows nothing about any
 * particular engine, which is exactly what a stream host (the Kafka
 * harness) needs too.  It builds with libc alone under strict C99.
 *
 *   cc -std=c99 -pedantic -Wall -Wextra -Werror -I<dir> model.c pfa_driver.c \
 *      -DNERVA_PFA_ENTRY=<symbol> -lm
 *
 * Usage:
 *   driver score [--input FILE|-] [--output FILE|-]
 *   driver bench --input FILE [--json] [--min-seconds S]
 *   (score also takes --timeout MS: the engine's limit where the document
 *   sets none)
 *
 * Input: one value per line in the Avro JSON encoding of the engine's input
 * type (unions tagged or not); blank lines are skipped.  Output: a map engine
 * writes one line per input, a fold engine the tally after each input, an
 * emit engine each emitted value.  An input whose action raises a PFA error
 * gives the line {"$error":{"code":CODE,"message":TEXT}} instead (code null
 * for a user error without one, 0 for an input that is not a value of the
 * input type), and the stream goes on with the same engine.  Should the
 * engine crash all the same, the results of the lines before it are written
 * (the output is buffered here, not in stdio, so that the crash handler can
 * write it) and the crash is reported with the line it happened on. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nerva_model.h"

#if defined(NERVA_PFA_TABLE)
/* several engines in one program (the conformance tests batch them):
   --engine N picks one of the table another unit defines */
extern const nerva_pfa *const nerva_pfa_table[];
extern const int nerva_pfa_count;
static const nerva_pfa *ENGINE;
#elif defined(NERVA_PFA_ENTRY)
extern const nerva_pfa NERVA_PFA_ENTRY;
#define ENGINE (&(NERVA_PFA_ENTRY))
#else
#error "compile with -DNERVA_PFA_ENTRY=<the nerva_pfa object of the generated engine>"
#endif

static char *read_all(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    size_t n = 0, cap = 65536, got;
    char *buf;
    if (!f) {
        fprintf(stderr, "%s: error: cannot open\n", path);
        return NULL;
    }
    buf = (char *)malloc(cap + 1);
    if (!buf)
        return NULL;
    for (;;) {
        if (n == cap) {
            char *nb;
            cap *= 2;
            nb = (char *)realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                return NULL;
            }
            buf = nb;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (f != stdin)
        fclose(f);
    buf[n] = 0;
    *len = n;
    return buf;
}

/* the output: written with write(2) from this buffer, which the crash
   handler can do too */
static struct {
    int fd, failed;
    size_t len;
    long line;                 /* the input line being scored */
    char buf[1 << 16];
} OUT;

static void out_flush(void)
{
    size_t at = 0;
    while (at < OUT.len) {
        ssize_t w = write(OUT.fd, OUT.buf + at, OUT.len - at);
        if (w <= 0) {
            OUT.failed = 1;
            break;
        }
        at += (size_t)w;
    }
    OUT.len = 0;
}

static void out_put(const char *p, size_t n)
{
    while (n) {
        size_t k = sizeof OUT.buf - OUT.len;
        if (k == 0) {
            out_flush();
            continue;
        }
        if (k > n)
            k = n;
        memcpy(OUT.buf + OUT.len, p, k);
        OUT.len += k;
        p += k;
        n -= k;
    }
}

static void out_puts(const char *s) { out_put(s, strlen(s)); }

static void write_line(void *ctx, const char *json, size_t len)
{
    (void)ctx;
    out_put(json, len);
    out_put("\n", 1);
}

static void json_text(const char *s, size_t n)
{
    size_t i;
    char esc[8];
    out_put("\"", 1);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            out_put(esc, 2);
        } else if (c < 0x20 || c == 0x7f) {
            sprintf(esc, "\\u%04x", c);
            out_put(esc, 6);
        } else {
            out_put(s + i, 1);
        }
    }
    out_put("\"", 1);
}

static void write_error(void *engine)
{
    const char *msg = "";
    size_t len = 0;
    char num[32];
    int code = ENGINE->last_error(engine, &msg, &len);
    out_puts("{\"$error\": {\"code\": ");
    if (code == NERVA_PFA_NO_CODE)
        out_puts("null");
    else {
        sprintf(num, "%d", code);
        out_puts(num);
    }
    out_puts(", \"message\": ");
    json_text(msg, len);
    out_puts("}}\n");
}

/* a crash (a generated engine is bounded, but hosts are told it may still
   happen): what was scored before it is written, the line named, and the
   signal taken as usual */
static void on_crash(int sig)
{
    char msg[160];
    size_t n = 0;
    long line = OUT.line, d = 1;
    const char *head = "driver: error: the engine crashed (signal ";
    const char *mid = ") on input line ";
    const char *tail = "; the results of the lines before it are written\n";
    out_flush();
    memcpy(msg + n, head, strlen(head));
    n += strlen(head);
    if (sig >= 10)
        msg[n++] = (char)('0' + sig / 10);
    msg[n++] = (char)('0' + sig % 10);
    memcpy(msg + n, mid, strlen(mid));
    n += strlen(mid);
    while (d * 10 <= line)
        d *= 10;
    for (; d; d /= 10)
        msg[n++] = (char)('0' + line / d % 10);
    if (write(2, msg, n) < 0 || write(2, tail, strlen(tail)) < 0)
        n = 0;
    signal(sig, SIG_DFL);
    raise(sig);
}

static void crash_handlers(void)
{
    static char alt[1 << 16]; /* a stack overflow leaves no stack to run on */
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    stack_t ss;
    struct sigaction sa;
    size_t i;
    ss.ss_sp = alt;
    ss.ss_size = sizeof alt;
    ss.ss_flags = 0;
    sigaltstack(&ss, NULL);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_crash;
    sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
}

static int blank(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

static int cmd_score(const char *in_path, const char *out_path, long long timeout_ms)
{
    size_t len, pos = 0;
    char *text = read_all(in_path, &len);
    void *engine;
    int rc = 0;
    OUT.fd = strcmp(out_path, "-") == 0 ? 1 : open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (!text || OUT.fd < 0) {
        if (OUT.fd < 0)
            fprintf(stderr, "%s: error: cannot write\n", out_path);
        free(text);
        return 1;
    }
    engine = calloc(1, ENGINE->engine_size());
    if (!engine) {
        fprintf(stderr, "driver: error: out of memory\n");
        return 1;
    }
    if (ENGINE->init(engine) != NERVA_PFA_OK) {
        const char *msg = "";
        int code = ENGINE->last_error(engine, &msg, NULL);
        fprintf(stderr, "driver: error: the engine's initialisation failed (code %d): %s\n", code, msg);
        ENGINE->free(engine);
        free(engine);
        free(text);
        return 1;
    }
    ENGINE->set_timeout(engine, timeout_ms);
    crash_handlers();
    while (pos < len) {
        char *nl = (char *)memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        OUT.line++;
        if (!blank(text + pos, end - pos) && ENGINE->action(engine, text + pos, end - pos, write_line, NULL))
            write_error(engine);
        pos = end + 1;
    }
    if (ENGINE->end(engine, write_line, NULL) != NERVA_PFA_OK)
        write_error(engine);
    ENGINE->free(engine);
    free(engine);
    free(text);
    out_flush();
    if (OUT.failed)
        rc = 1;
    if (OUT.fd != 1 && close(OUT.fd) != 0)
        rc = 1;
    return rc;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t sink_bytes;

static void sink(void *ctx, const char *json, size_t len)
{
    (void)ctx;
    (void)json;
    sink_bytes += len;
}

static int cmd_bench(const char *in_path, double min_seconds, int json)
{
    size_t len, pos, nrec = 0, **lines = NULL, nlines = 0, cap = 0, i;
    char *text = read_all(in_path, &len);
    void *engine;
    double t0, t, per;
    long rounds = 0;
    if (!text)
        return 1;
    for (pos = 0; pos < len;) {
        char *nl = (char *)memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        if (!blank(text + pos, end - pos)) {
            if (nlines == cap) {
                cap = cap ? cap * 2 : 1024;
                lines = (size_t **)realloc(lines, sizeof(size_t *) * cap);
                if (!lines)
                    return 1;
            }
            lines[nlines] = (size_t *)malloc(2 * sizeof(size_t));
            if (!lines[nlines])
                return 1;
            lines[nlines][0] = pos;
            lines[nlines][1] = end - pos;
            nlines++;
        }
        pos = end + 1;
    }
    if (!nlines) {
        fprintf(stderr, "%s: error: no input values\n", in_path);
        return 1;
    }
    engine = calloc(1, ENGINE->engine_size());
    if (!engine || ENGINE->init(engine) != NERVA_PFA_OK) {
        fprintf(stderr, "driver: error: the engine's initialisation failed\n");
        return 1;
    }
    t0 = now();
    do {
        for (i = 0; i < nlines; i++)
            (void)ENGINE->action(engine, text + lines[i][0], lines[i][1], sink, NULL);
        nrec += nlines;
        rounds++;
        t = now() - t0;
    } while (t < min_seconds || rounds < 2);
    per = t / (double)nrec * 1e9;
    if (json)
        printf("{\"single_ns\": %.1f, \"batch_ns\": %.1f, \"csv_ns\": %.1f, \"records\": %lu}\n", per, per, per,
               (unsigned long)nrec);
    else
        printf("%.1f ns per record (JSON in and out), %lu records\n", per, (unsigned long)nrec);
    ENGINE->free(engine);
    free(engine);
    for (i = 0; i < nlines; i++)
        free(lines[i]);
    free(lines);
    free(text);
    return sink_bytes == (size_t)-1;
}

int main(int argc, char **argv)
{
    const char *in = "-", *out = "-";
    double min_seconds = 0.5;
    long long timeout_ms = -1;
    int json = 0, i;
    if (argc < 2) {
        fprintf(stderr, "usage: driver score|bench [--input FILE] [--output FILE]\n");
        return 2;
    }
    for (i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--input") && i + 1 < argc)
            in = argv[++i];
        else if (!strcmp(argv[i], "--output") && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp(argv[i], "--min-seconds") && i + 1 < argc)
            min_seconds = strtod(argv[++i], NULL);
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
            timeout_ms = strtoll(argv[++i], NULL, 10);
#if defined(NERVA_PFA_TABLE)
        else if (!strcmp(argv[i], "--engine") && i + 1 < argc) {
            int k = atoi(argv[++i]);
            if (k < 0 || k >= nerva_pfa_count) {
                fprintf(stderr, "driver: no engine %d\n", k);
                return 2;
            }
            ENGINE = nerva_pfa_table[k];
        }
#endif
        else {
            fprintf(stderr, "driver: unknown argument %s\n", argv[i]);
            return 2;
        }
    }
#if defined(NERVA_PFA_TABLE)
    if (!ENGINE) {
        fprintf(stderr, "driver: --engine N is required\n");
        return 2;
    }
#endif
    if (!strcmp(argv[1], "score"))
        return cmd_score(in, out, timeout_ms);
    if (!strcmp(argv[1], "bench"))
        return cmd_bench(in, min_seconds, json);
    fprintf(stderr, "driver: unknown command %s\n", argv[1]);
    return 2;
}

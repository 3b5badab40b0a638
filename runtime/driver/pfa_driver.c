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
 * input type), and the stream goes on with the same engine. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static void write_line(void *ctx, const char *json, size_t len)
{
    FILE *out = (FILE *)ctx;
    fwrite(json, 1, len, out);
    fputc('\n', out);
}

static void json_text(FILE *out, const char *s, size_t n)
{
    size_t i;
    fputc('"', out);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static void write_error(FILE *out, void *engine)
{
    const char *msg = "";
    size_t len = 0;
    int code = ENGINE->last_error(engine, &msg, &len);
    fputs("{\"$error\": {\"code\": ", out);
    if (code == NERVA_PFA_NO_CODE)
        fputs("null", out);
    else
        fprintf(out, "%d", code);
    fputs(", \"message\": ", out);
    json_text(out, msg, len);
    fputs("}}\n", out);
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
    FILE *out = strcmp(out_path, "-") == 0 ? stdout : fopen(out_path, "wb");
    void *engine;
    int rc = 0;
    if (!text || !out) {
        if (!out)
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
    while (pos < len) {
        char *nl = (char *)memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        if (!blank(text + pos, end - pos) && ENGINE->action(engine, text + pos, end - pos, write_line, out))
            write_error(out, engine);
        pos = end + 1;
    }
    if (ENGINE->end(engine, write_line, out) != NERVA_PFA_OK)
        write_error(out, engine);
    ENGINE->free(engine);
    free(engine);
    free(text);
    if (fflush(out) != 0)
        rc = 1;
    if (out != stdout)
        fclose(out);
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

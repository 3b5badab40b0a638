/* log.c: the harness's one logger.
 *
 * Why: a service's logs are read by people and by log collectors.  Every
 * line -- the harness's own, librdkafka's (its log_cb, from its own threads)
 * and what a compiler or a PFA engine's process prints -- goes through here,
 * with a UTC timestamp and a level, as text or as one JSON object a line
 * (--log-format json), written whole with one write(2) so that lines from
 * several threads never interleave.  -q keeps warnings and errors: a fatal
 * error is never silent. */
#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int log_json, log_min = HX_INFO;

void hx_log_setup(int json, int quiet)
{
    log_json = json;
    log_min = quiet ? HX_WARN : HX_INFO;
}

int hx_log_json(void) { return log_json; }

static const char *level_name(int level)
{
    return level <= HX_ERROR ? "error" : level == HX_WARN ? "warn" : level == HX_DEBUG ? "debug" : "info";
}

/* JSON string text of s (UTF-8 kept, invalid bytes as U+FFFD: a log line
   must parse whatever a client or an engine printed) */
static void json_text(nvc_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    nvc_buf_put(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            size_t k = nvc_utf8_len(s + i, n - i);
            if (k) {
                nvc_buf_put(b, s + i, k);
                i += k - 1;
            } else {
                nvc_buf_puts(b, "\xef\xbf\xbd");
            }
        } else if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            nvc_buf_put(b, e, 2);
        } else if (c < 0x20 || c == 0x7f) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            nvc_buf_put(b, e, 6);
        } else {
            nvc_buf_put(b, s + i, 1);
        }
    }
    nvc_buf_put(b, "\"", 1);
}

static void stamp(char *out, size_t n)
{
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    size_t k = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + k, n - k, ".%03dZ", (int)(tv.tv_usec / 1000));
}

void hx_log_line(int level, const char *logger, const char *facility, const char *msg, const char *fields)
{
    /* librdkafka's debug lines appear when asked for (-X debug=...) */
    int min = log_min == HX_INFO && !strcmp(logger, "rdkafka") ? HX_DEBUG : log_min;
    if (level > min && level != HX_STATS)
        return;
    char ts[40];
    stamp(ts, sizeof ts);
    nvc_buf b = {0};
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        n--;
    const char *lv = level_name(level == HX_STATS ? HX_INFO : level);
    if (log_json) {
        nvc_buf_puts(&b, "{\"time\":\"");
        nvc_buf_puts(&b, ts);
        nvc_buf_puts(&b, "\",\"level\":\"");
        nvc_buf_puts(&b, lv);
        nvc_buf_puts(&b, "\",\"logger\":");
        json_text(&b, logger, strlen(logger));
        if (facility) {
            nvc_buf_puts(&b, ",\"facility\":");
            json_text(&b, facility, strlen(facility));
        }
        nvc_buf_puts(&b, ",\"message\":");
        json_text(&b, msg, n);
        if (fields)
            nvc_buf_puts(&b, fields); /* ,"key":value,... */
        nvc_buf_puts(&b, "}\n");
    } else {
        char head[160];
        int hn = snprintf(head, sizeof head, "%s %-5s %s%s%s%s: ", ts, lv, logger, facility ? "[" : "",
                          facility ? facility : "", facility ? "]" : "");
        nvc_buf_put(&b, head, (size_t)hn);
        /* one line: a message with line ends keeps them escaped */
        for (size_t i = 0; i < n; i++)
            if (msg[i] == '\n')
                nvc_buf_puts(&b, "\\n");
            else
                nvc_buf_put(&b, msg + i, 1);
        nvc_buf_put(&b, "\n", 1);
    }
    size_t at = 0;
    while (at < b.len) {
        ssize_t w = write(2, b.data + at, b.len - at);
        if (w <= 0)
            break;
        at += (size_t)w;
    }
    nvc_buf_free(&b);
}

void hx_log(int level, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    if (level > log_min)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    hx_log_line(level, "nerva", NULL, msg, NULL);
}

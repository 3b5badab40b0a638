/* registry.c: a client of the Confluent Schema Registry's REST API, over
 * HTTP(S) with libcurl.
 *
 * Why: Avro in the Confluent wire format names its writer's schema by an id
 * that only the registry can turn into a schema, and consumers of the
 * harness's Avro output look its schema up by the id the harness writes.
 * Debian has no libserdes, so the few endpoints the harness needs are here:
 *
 *   GET  /schemas/ids/{id}              a writer's schema, by the id in a record's frame
 *   POST /subjects/{subject}/versions   register the output schema (its id; an existing one is returned)
 *   POST /subjects/{subject}            look the output schema up (--no-register)
 *
 * with Content-Type application/vnd.schemaregistry.v1+json, basic auth
 * (USER:PASSWORD) and TLS options passed to libcurl as given.  Answers are
 * read with jansson.  Several URLs (comma-separated) are tried in turn. */
#include "harness.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hx_registry {
    hx_registry_cfg cfg;
    CURL *curl;
    char **urls;
    int nurls, cur;
    nvc_buf body;
};

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
    nvc_buf *b = ctx;
    if (b->len + size * n > ((size_t)64 << 20))
        return 0; /* no schema is that big: stop */
    nvc_buf_put(b, p, size * n);
    return size * n;
}

const char *hx_registry_version(void)
{
    static char v[200];
    curl_version_info_data *d = curl_version_info(CURLVERSION_NOW);
    snprintf(v, sizeof v, "libcurl %s (%s)", d->version, d->ssl_version ? d->ssl_version : "no TLS");
    return v;
}

hx_registry *hx_registry_new(const hx_registry_cfg *cfg, char *err, size_t errlen)
{
    static int inited;
    if (!inited) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        inited = 1;
    }
    hx_registry *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    r->cfg = *cfg;
    char *all = strdup(cfg->url);
    for (char *u = strtok(all, ","); u; u = strtok(NULL, ",")) {
        while (*u == ' ')
            u++;
        size_t n = strlen(u);
        while (n && (u[n - 1] == '/' || u[n - 1] == ' '))
            u[--n] = 0; /* paths are appended */
        if (!n)
            continue;
        r->urls = realloc(r->urls, (size_t)(r->nurls + 1) * sizeof *r->urls);
        r->urls[r->nurls++] = strdup(u);
    }
    free(all);
    if (!r->nurls || strncmp(r->urls[0], "http", 4)) {
        snprintf(err, errlen, "--schema-registry: expected http(s)://HOST:PORT[,...], got '%s'", cfg->url);
        hx_registry_free(r);
        return NULL;
    }
    if (!(r->curl = curl_easy_init())) {
        snprintf(err, errlen, "cannot start libcurl");
        hx_registry_free(r);
        return NULL;
    }
    return r;
}

void hx_registry_free(hx_registry *r)
{
    if (!r)
        return;
    if (r->curl)
        curl_easy_cleanup(r->curl);
    for (int k = 0; k < r->nurls; k++)
        free(r->urls[k]);
    free(r->urls);
    nvc_buf_free(&r->body);
    free(r);
}

/* One request: the HTTP status (r->body holds the answer), or -1 when no
   URL answered (err says why). */
static long request(hx_registry *r, const char *path, const char *post, char *err, size_t errlen)
{
    for (int tries = 0; tries < r->nurls; tries++) {
        char url[2048];
        snprintf(url, sizeof url, "%s%s", r->urls[r->cur], path);
        CURL *c = r->curl;
        curl_easy_reset(c);
        struct curl_slist *hd = NULL;
        hd = curl_slist_append(hd, "Accept: application/vnd.schemaregistry.v1+json, application/json");
        if (post)
            hd = curl_slist_append(hd, "Content-Type: application/vnd.schemaregistry.v1+json");
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hd);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 15000L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        if (post) {
            curl_easy_setopt(c, CURLOPT_POST, 1L);
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
        }
        if (r->cfg.user_info) {
            curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
            curl_easy_setopt(c, CURLOPT_USERPWD, r->cfg.user_info);
        }
        if (r->cfg.ca)
            curl_easy_setopt(c, CURLOPT_CAINFO, r->cfg.ca);
        if (r->cfg.cert)
            curl_easy_setopt(c, CURLOPT_SSLCERT, r->cfg.cert);
        if (r->cfg.key)
            curl_easy_setopt(c, CURLOPT_SSLKEY, r->cfg.key);
        if (r->cfg.key_password)
            curl_easy_setopt(c, CURLOPT_KEYPASSWD, r->cfg.key_password);
        if (r->cfg.no_verify_host)
            curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
        r->body.len = 0;
        CURLcode rc = curl_easy_perform(c);
        curl_slist_free_all(hd);
        long status = 0;
        if (rc == CURLE_OK) {
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
            nvc_buf_put(&r->body, "", 1);
            if (status < 500)
                return status;
            snprintf(err, errlen, "%s: HTTP %ld: %.200s", url, status, r->body.data);
        } else {
            snprintf(err, errlen, "%s: %s", url, curl_easy_strerror(rc));
        }
        r->cur = (r->cur + 1) % r->nurls; /* the next one, if there is one */
    }
    return -1;
}

/* the registry's error message, from its answer {"error_code": N, "message": ...} */
static void registry_error(const char *body, long status, char *err, size_t errlen)
{
    json_t *j = json_loads(body, 0, NULL);
    const char *msg = j ? json_string_value(json_object_get(j, "message")) : NULL;
    json_int_t code = j ? json_integer_value(json_object_get(j, "error_code")) : 0;
    snprintf(err, errlen, "HTTP %ld%s%lld%s%s", status, code ? ", error " : "", (long long)code, msg ? ": " : "",
             msg ? msg : "");
    if (!code)
        snprintf(err, errlen, "HTTP %ld%s%s", status, msg ? ": " : "", msg ? msg : "");
    json_decref(j);
}

int hx_registry_schema(hx_registry *r, long id, char **text, char *err, size_t errlen)
{
    char path[64], why[512];
    snprintf(path, sizeof path, "/schemas/ids/%ld", id);
    long st = request(r, path, NULL, err, errlen);
    if (st < 0)
        return -1;
    if (st != 200) {
        registry_error(r->body.data, st, why, sizeof why);
        snprintf(err, errlen, "schema id %ld: %s", id, why);
        return 1;
    }
    json_error_t je;
    json_t *j = json_loads(r->body.data, 0, &je);
    const char *type = j ? json_string_value(json_object_get(j, "schemaType")) : NULL;
    const char *schema = j ? json_string_value(json_object_get(j, "schema")) : NULL;
    int rc = 0;
    if (!schema) {
        snprintf(err, errlen, "schema id %ld: the registry's answer has no schema", id);
        rc = 1;
    } else if (type && strcmp(type, "AVRO")) {
        snprintf(err, errlen, "schema id %ld is a %s schema, not Avro", id, type);
        rc = 1;
    } else {
        *text = strdup(schema);
    }
    json_decref(j);
    return rc;
}

int hx_registry_id(hx_registry *r, const char *subject, const char *schema, long *id, char *err, size_t errlen)
{
    char *esc = curl_easy_escape(r->curl, subject, 0);
    char path[1200], why[512];
    snprintf(path, sizeof path, r->cfg.no_register ? "/subjects/%s" : "/subjects/%s/versions", esc);
    curl_free(esc);
    json_t *req = json_object();
    json_object_set_new(req, "schema", json_string(schema));
    char *post = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    long st = request(r, path, post, err, errlen);
    free(post);
    if (st < 0)
        return -1;
    json_t *j = json_loads(r->body.data, 0, NULL);
    json_t *idj = j ? json_object_get(j, "id") : NULL;
    int rc = 0;
    if (st != 200 || !json_is_integer(idj)) {
        registry_error(r->body.data, st, why, sizeof why);
        snprintf(err, errlen, "%s the output schema under subject %s: %s",
                 r->cfg.no_register ? "looking up" : "registering", subject, why);
        rc = 1;
    } else {
        *id = (long)json_integer_value(idj);
    }
    json_decref(j);
    return rc;
}

/* registry.c: the OCI distribution client (distribution-spec v1.0, docker registry v2).
 *
 * One curl handle per pull or push, reused for every request (keep-alive). A request
 * answered 401 is retried once after answering the WWW-Authenticate challenge: Bearer
 * (a token from the realm, sent with the basic credentials if we have some) or Basic
 * (credentials from an auth file). Blobs are downloaded into an unlinked temp file in
 * the store root, then copied into the store by store_put_blob, which verifies the
 * digest; a download cut short is resumed with a Range request. A failed pull removes
 * every blob and layer it added, so the store is as it was. */
#include "image/registry.h"

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/curl_lazy.h"
#include "image/internal.h"
#include "util/cleanup.h"
#include "util/fileutil.h"

#define MANIFEST_MAX (4u << 20)
#define ERRBODY_MAX (64u << 10)
#define TOKEN_MAX (1u << 20)
#define LAYERS_MAX 1000
#define BLOB_TRIES 3

#define ACCEPT_MANIFESTS \
        "Accept: " MT_OCI_MANIFEST ", " MT_OCI_INDEX ", " MT_DOCKER_MANIFEST ", " MT_DOCKER_LIST
#define MT_DOCKER_SCHEMA1 "application/vnd.docker.distribution.manifest.v1"

/* ---- references ---- */

struct reg_ref {
        char *host; /* as written: "127.0.0.1:5000" */
        char *api;  /* "http://127.0.0.1:5000" */
        char *repo; /* "busybox", "library/busybox" */
        char *tag;
        char *name; /* the store reference: host/repo:tag */
};

static void reg_ref_done(struct reg_ref *r)
{
        free(r->host);
        free(r->api);
        free(r->repo);
        free(r->tag);
        free(r->name);
}

static bool host_is_local(const char *host)
{
        static const char *const local[] = { "127.0.0.1", "localhost", "[::1]" };
        for (size_t i = 0; i < ARRAY_SIZE(local); i++) {
                size_t n = strlen(local[i]);
                if (!strncmp(host, local[i], n) && (host[n] == '\0' || host[n] == ':'))
                        return true;
        }
        return false;
}

/* docker's rule: the first path component is a registry host when it has a dot or a
 * port, or is localhost. */
static bool looks_like_host(const char *s, size_t n)
{
        return memchr(s, '.', n) || memchr(s, ':', n) || (n == 9 && !strncmp(s, "localhost", 9));
}

static int reg_ref_parse(const char *ref, struct reg_ref *out, struct err *err)
{
        if (strchr(ref, '@'))
                return err_set(err, -EPROTONOSUPPORT, "reference %s: references by digest are not supported yet", ref);
        const char *slash = strchr(ref, '/');
        if (!slash || !looks_like_host(ref, (size_t)(slash - ref)))
                return err_set(err, -EINVAL,
                               "reference %s names no registry host (want host[:port]/path[:tag], "
                               "e.g. 127.0.0.1:5000/busybox:latest)",
                               ref);
        int r = store_normalize_ref(ref, &out->name, err);
        if (r < 0)
                return r;
        size_t hlen = (size_t)(slash - ref);
        const char *path = out->name + hlen + 1, *colon = strrchr(path, ':');
        bool docker_hub = hlen == 9 && !strncmp(ref, "docker.io", 9);
        const char *lib = docker_hub && !memchr(path, '/', (size_t)(colon - path)) ? "library/" : "";
        if (!(out->host = strndup(ref, hlen)) || !(out->tag = strdup(colon + 1)) ||
            asprintf(&out->repo, "%s%.*s", lib, (int)(colon - path), path) < 0 ||
            asprintf(&out->api, "%s://%s", host_is_local(out->host) ? "http" : "https",
                     docker_hub ? "registry-1.docker.io" : out->host) < 0)
                return err_errno(err, -ENOMEM, "reference %s", ref);
        return 0;
}

/* ---- credentials ---- */

/* Does an auths key ("host", "https://host/v1/") name host? */
static bool auth_key_matches(const char *key, const char *host)
{
        static const char *const schemes[] = { "https://", "http://" };
        for (size_t i = 0; i < ARRAY_SIZE(schemes); i++)
                if (!strncmp(key, schemes[i], strlen(schemes[i])))
                        key += strlen(schemes[i]);
        size_t n = strcspn(key, "/");
        return n == strlen(host) && !strncmp(key, host, n);
}

/* The base64 "user:pass" for host in a docker-format auth file; 0 with *ret NULL when
 * the file or the entry does not exist. */
static int auth_file_lookup(const char *file, const char *host, char **ret, struct err *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = read_file_at(AT_FDCWD, file, &text, &len);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return err_errno(err, r, "read %s", file);
        _cleanup_json_ struct json_object *o = NULL;
        struct json_object *auths = NULL;
        if ((r = image_json_parse(text, len, file, &o, err)) < 0)
                return r;
        if (!json_object_object_get_ex(o, "auths", &auths) || !json_object_is_type(auths, json_type_object))
                return 0;
        json_object_object_foreach(auths, key, val)
        {
                struct json_object *a;
                if (!auth_key_matches(key, host) || !json_object_object_get_ex(val, "auth", &a) ||
                    !json_object_is_type(a, json_type_string))
                        continue;
                const char *s = json_object_get_string(a);
                if (!*s || s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")])
                        return err_set(err, -EINVAL, "%s: auths.\"%s\".auth is not base64", file, key);
                if (!(*ret = strdup(s)))
                        return err_errno(err, -ENOMEM, "read %s", file);
                return 0;
        }
        return 0;
}

static int auth_find(const char *auth_file, const char *host, char **ret, struct err *err)
{
        if (auth_file)
                return auth_file_lookup(auth_file, host, ret, err);
        static const char *const files[] = { ".config/staple/auth.json", ".docker/config.json" };
        const char *home = getenv("HOME");
        for (size_t i = 0; home && *home && i < ARRAY_SIZE(files) && !*ret; i++) {
                _cleanup_free_ char *p = NULL;
                if (asprintf(&p, "%s/%s", home, files[i]) < 0)
                        return err_errno(err, -ENOMEM, "auth file");
                int r = auth_file_lookup(p, host, ret, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- HTTP ---- */

struct reg {
        CURL *curl;
        struct reg_ref ref;
        char *auth_header; /* "Authorization: ..." once a challenge was answered */
        char *basic;       /* base64 user:pass from an auth file, or NULL */
        const char *actions; /* "pull" or "pull,push": the scope when a challenge names none */
        const struct registry_opts *o;
        char errbuf[CURL_ERROR_SIZE];
};

struct xfer {
        /* request */
        const char *method; /* GET HEAD POST PUT */
        char *url;          /* owned */
        const char *accept, *content_type; /* whole header lines, or NULL */
        const char *body;   /* request body from memory (body_len bytes) ... */
        size_t body_len, body_off;
        int in_fd;          /* ... or from this fd (in_size bytes) when >= 0 */
        uint64_t in_size;
        int out_fd;         /* a 2xx body goes here when >= 0, else to memory (up to max) */
        size_t max;
        uint64_t resume_from; /* Range: bytes=N- */
        const char *what;   /* names the transfer for progress; NULL: none */
        uint64_t size_hint;
        /* response */
        struct reg *reg;
        long status;
        char *resp, *challenge, *location, *resp_type, *resp_digest;
        size_t resp_len;
        int write_err;
        bool overflow;
};

static void xfer_clear_response(struct xfer *x)
{
        free(x->resp);
        free(x->challenge);
        free(x->location);
        free(x->resp_type);
        free(x->resp_digest);
        x->resp = x->challenge = x->location = x->resp_type = x->resp_digest = NULL;
        x->resp_len = 0;
        x->status = 0;
        x->write_err = 0;
        x->overflow = false;
}

static void xfer_done(struct xfer *x)
{
        xfer_clear_response(x);
        free(x->url);
}

/* Ready to send again (after a 401): rewinds the request body and empties the output. */
static int xfer_rewind(struct xfer *x)
{
        xfer_clear_response(x);
        x->body_off = 0;
        if (x->in_fd >= 0 && lseek(x->in_fd, 0, SEEK_SET) < 0)
                return neg_errno();
        if (x->out_fd >= 0 && x->resume_from == 0 && (ftruncate(x->out_fd, 0) < 0 || lseek(x->out_fd, 0, SEEK_SET) < 0))
                return neg_errno();
        return 0;
}

static const struct {
        const char *name;
        size_t off;
} captured_headers[] = {
        { "www-authenticate", offsetof(struct xfer, challenge) },
        { "location", offsetof(struct xfer, location) },
        { "content-type", offsetof(struct xfer, resp_type) },
        { "docker-content-digest", offsetof(struct xfer, resp_digest) },
};

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
        struct xfer *x = ud;
        size_t len = size * n, vlen;
        if (len >= 5 && !strncmp(p, "HTTP/", 5)) { /* a new response (after a redirect) */
                xfer_clear_response(x);
                return len;
        }
        for (size_t i = 0; i < ARRAY_SIZE(captured_headers); i++) {
                size_t nlen = strlen(captured_headers[i].name);
                if (len <= nlen || p[nlen] != ':' || strncasecmp(p, captured_headers[i].name, nlen))
                        continue;
                const char *v = p + nlen + 1;
                v += strspn(v, " \t");
                for (vlen = (size_t)(p + len - v); vlen && strchr("\r\n \t", v[vlen - 1]); vlen--)
                        ;
                char **slot = (char **)((char *)x + captured_headers[i].off);
                free(*slot);
                *slot = strndup(v, vlen);
        }
        return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
        struct xfer *x = ud;
        size_t len = size * n;
        long status = 0;
        curl_easy_getinfo(x->reg->curl, CURLINFO_RESPONSE_CODE, &status);
        if (x->out_fd >= 0 && status / 100 == 2) {
                if (status == 200 && x->resume_from > 0) { /* the server sends it all again */
                        x->resume_from = 0;
                        if (ftruncate(x->out_fd, 0) < 0 || lseek(x->out_fd, 0, SEEK_SET) < 0) {
                                x->write_err = neg_errno();
                                return 0;
                        }
                }
                int r = write_all(x->out_fd, p, len);
                x->write_err = r;
                return r < 0 ? 0 : len;
        }
        size_t max = x->out_fd >= 0 || status / 100 != 2 ? ERRBODY_MAX : x->max;
        if (x->resp_len + len > max) {
                if (status / 100 != 2)
                        return len; /* an error body: the start is enough */
                x->overflow = true;
                return 0;
        }
        char *b = realloc(x->resp, x->resp_len + len + 1);
        if (!b) {
                x->write_err = -ENOMEM;
                return 0;
        }
        memcpy(b + x->resp_len, p, len);
        x->resp = b;
        x->resp_len += len;
        b[x->resp_len] = '\0';
        return len;
}

static size_t on_read(char *p, size_t size, size_t n, void *ud)
{
        struct xfer *x = ud;
        size_t len = size * n;
        if (x->in_fd < 0) {
                size_t left = x->body_len - x->body_off;
                len = len < left ? len : left;
                memcpy(p, x->body + x->body_off, len);
                x->body_off += len;
                return len;
        }
        ssize_t r;
        while ((r = read(x->in_fd, p, len)) < 0 && errno == EINTR)
                ;
        if (r < 0) {
                x->write_err = neg_errno();
                return CURL_READFUNC_ABORT;
        }
        return (size_t)r;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
        struct xfer *x = ud;
        const struct registry_opts *o = x->reg->o;
        bool up = x->in_fd >= 0;
        uint64_t now = (uint64_t)(up ? ulnow : dlnow) + (up ? 0 : x->resume_from);
        uint64_t total = (uint64_t)(up ? ultotal : dltotal);
        total = total ? total + (up ? 0 : x->resume_from) : x->size_hint;
        if (now > 0)
                o->progress(o->userdata, x->what, now, total, false);
        return 0;
}

static int reg_setopts(struct reg *g, struct xfer *x, struct curl_slist *h)
{
        CURL *c = g->curl;
        bool get = !strcmp(x->method, "GET") || !strcmp(x->method, "HEAD");
        CURLcode rc = CURLE_OK;
        rc |= curl_easy_setopt(c, CURLOPT_URL, x->url);
        rc |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, g->errbuf);
        rc |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        rc |= curl_easy_setopt(c, CURLOPT_USERAGENT, "staple/" STAPLE_VERSION);
        rc |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        rc |= curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        rc |= curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, get ? 1L : 0L);
        rc |= curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
        rc |= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
        rc |= curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
        rc |= curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
        rc |= curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        rc |= curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        rc |= curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
        rc |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        rc |= curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
        if (g->o->tls_no_verify) {
                rc |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
                rc |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        if (x->resume_from)
                rc |= curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)x->resume_from);
        if (!strcmp(x->method, "HEAD")) {
                rc |= curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        } else if (!strcmp(x->method, "POST") || !strcmp(x->method, "PUT")) {
                rc |= curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
                rc |= curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, x->method);
                rc |= curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
                rc |= curl_easy_setopt(c, CURLOPT_READDATA, x);
                rc |= curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
                                       (curl_off_t)(x->in_fd >= 0 ? x->in_size : x->body_len));
        }
        if (g->o->progress && x->what) {
                rc |= curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
                rc |= curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
                rc |= curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
        }
        return rc == CURLE_OK ? 0 : -EINVAL;
}

/* One request as it is; x->status holds the HTTP status. Fails only when no response
 * came (connection, TLS, timeout, local write error). */
static int reg_perform(struct reg *g, struct xfer *x, struct err *err)
{
        static const char *const extra[] = { "Expect:", "Content-Type:" };
        struct curl_slist *h = NULL, *t;
        const char *lines[] = { x->accept, x->content_type ?: extra[1], g->auth_header, extra[0] };
        for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
                if (!lines[i])
                        continue;
                if (!(t = curl_slist_append(h, lines[i]))) {
                        curl_slist_free_all(h);
                        return err_errno(err, -ENOMEM, "%s %s", x->method, x->url);
                }
                h = t;
        }
        curl_easy_reset(g->curl);
        g->errbuf[0] = '\0';
        int r = reg_setopts(g, x, h);
        CURLcode rc = r < 0 ? CURLE_FAILED_INIT : curl_easy_perform(g->curl);
        curl_slist_free_all(h);
        if (r < 0)
                return err_set(err, r, "%s %s: cannot set up the request", x->method, x->url);
        if (x->write_err < 0)
                return err_errno(err, x->write_err, "%s %s", x->method, x->url);
        if (x->overflow)
                return err_set(err, -EFBIG, "%s %s: response larger than %zu bytes", x->method, x->url, x->max);
        if (rc != CURLE_OK)
                return err_set(err, -EIO, "%s %s: %s", x->method, x->url, g->errbuf[0] ? g->errbuf : curl_easy_strerror(rc));
        curl_easy_getinfo(g->curl, CURLINFO_RESPONSE_CODE, &x->status);
        return 0;
}

/* A parameter of a WWW-Authenticate challenge (key=value or key="value", comma-separated). */
static char *challenge_param(const char *ch, const char *key)
{
        const char *p = ch + strcspn(ch, " ");
        while (*p) {
                p += strspn(p, " ,");
                const char *eq = strchr(p, '=');
                if (!eq)
                        break;
                const char *v = eq + 1, *next;
                size_t vlen;
                if (*v == '"') {
                        const char *end = strchr(++v, '"');
                        if (!end)
                                break;
                        vlen = (size_t)(end - v);
                        next = end + 1;
                } else {
                        vlen = strcspn(v, ",");
                        next = v + vlen;
                }
                if ((size_t)(eq - p) == strlen(key) && !strncasecmp(p, key, strlen(key)))
                        return strndup(v, vlen);
                p = next;
        }
        return NULL;
}

static int token_url(struct reg *g, const char *challenge, char **ret, struct err *err)
{
        _cleanup_free_ char *realm = challenge_param(challenge, "realm");
        _cleanup_free_ char *service = challenge_param(challenge, "service");
        _cleanup_free_ char *scope = challenge_param(challenge, "scope"), *def = NULL;
        if (!realm || (strncmp(realm, "https://", 8) && strncmp(realm, "http://", 7)))
                return err_set(err, -EPROTO, "%s: bearer challenge without an http(s) realm", g->ref.host);
        if (!scope && asprintf(&def, "repository:%s:%s", g->ref.repo, g->actions) < 0)
                return -ENOMEM;
        char *es = service ? curl_easy_escape(g->curl, service, 0) : NULL;
        char *esc = curl_easy_escape(g->curl, scope ? scope : def, 0);
        int r = asprintf(ret, "%s%c%s%s%sscope=%s", realm, strchr(realm, '?') ? '&' : '?', es ? "service=" : "",
                         es ? es : "", es ? "&" : "", esc ? esc : "");
        curl_free(es);
        curl_free(esc);
        return r < 0 ? err_errno(err, -ENOMEM, "token request") : 0;
}

/* GET realm?service=&scope= (with basic credentials when we have some) -> bearer token. */
static int fetch_token(struct reg *g, const char *challenge, struct err *err)
{
        struct xfer x = { .method = "GET", .in_fd = -1, .out_fd = -1, .max = TOKEN_MAX, .reg = g };
        int r = token_url(g, challenge, &x.url, err);
        _cleanup_free_ char *basic = NULL;
        if (r >= 0 && g->basic && asprintf(&basic, "Authorization: Basic %s", g->basic) < 0)
                r = err_errno(err, -ENOMEM, "token request");
        free(g->auth_header);
        g->auth_header = TAKE_PTR(basic);
        if (r >= 0)
                r = reg_perform(g, &x, err);
        if (r >= 0 && x.status != 200)
                r = err_set(err, -EACCES, "token from %.*s: HTTP %ld%s", (int)strcspn(x.url, "?"), x.url, x.status,
                            g->basic ? "" : " (no credentials for this registry in the auth files)");
        _cleanup_json_ struct json_object *o = NULL;
        struct json_object *t = NULL;
        if (r >= 0 && (r = image_json_parse(x.resp ?: "", x.resp_len, "token response", &o, err)) >= 0 &&
            !json_object_object_get_ex(o, "token", &t) && !json_object_object_get_ex(o, "access_token", &t))
                r = err_set(err, -EPROTO, "token from %.*s: no token in the response", (int)strcspn(x.url, "?"),
                            x.url);
        free(g->auth_header);
        g->auth_header = NULL;
        if (r >= 0 && asprintf(&g->auth_header, "Authorization: Bearer %s", json_object_get_string(t)) < 0)
                r = err_errno(err, -ENOMEM, "token");
        xfer_done(&x);
        return r;
}

/* Answers a challenge: 1 when there are new credentials to retry with, 0 when none. */
static int reg_authenticate(struct reg *g, const char *challenge, struct err *err)
{
        if (!challenge)
                return 0;
        if (!strncasecmp(challenge, "Bearer ", 7)) {
                int r = fetch_token(g, challenge, err);
                return r < 0 ? r : 1;
        }
        if (strncasecmp(challenge, "Basic", 5) || !g->basic)
                return 0;
        free(g->auth_header);
        g->auth_header = NULL;
        return asprintf(&g->auth_header, "Authorization: Basic %s", g->basic) < 0 ? err_errno(err, -ENOMEM, "auth")
                                                                                     : 1;
}

/* A request, retried once with credentials when the registry answers 401. */
static int reg_call(struct reg *g, struct xfer *x, struct err *err)
{
        x->reg = g;
        int r = reg_perform(g, x, err);
        if (r < 0 || x->status != 401)
                return r;
        _cleanup_free_ char *challenge = TAKE_PTR(x->challenge);
        if ((r = reg_authenticate(g, challenge, err)) <= 0)
                return r;
        if ((r = xfer_rewind(x)) < 0)
                return err_errno(err, r, "%s %s", x->method, x->url);
        return reg_perform(g, x, err);
}

/* "HTTP 404 (MANIFEST_UNKNOWN: manifest unknown)" from a registry error body. */
static int http_error(struct reg *g, const struct xfer *x, struct err *err, const char *what)
{
        _cleanup_json_ struct json_object *o = x->resp ? json_tokener_parse(x->resp) : NULL;
        struct json_object *errs = NULL, *e0, *code = NULL, *msg = NULL;
        if (o && json_object_object_get_ex(o, "errors", &errs) && json_object_is_type(errs, json_type_array) &&
            (e0 = json_object_array_get_idx(errs, 0))) {
                json_object_object_get_ex(e0, "code", &code);
                json_object_object_get_ex(e0, "message", &msg);
        }
        int code_errno = x->status == 404 ? -ENOENT : x->status == 401 || x->status == 403 ? -EACCES : -EPROTO;
        const char *hint = x->status == 401 && !g->basic ? " (no credentials for this registry in the auth files)" : "";
        if (code || msg)
                return err_set(err, code_errno, "%s: HTTP %ld (%s: %s)%s", what, x->status,
                               code ? json_object_get_string(code) : "", msg ? json_object_get_string(msg) : "", hint);
        return err_set(err, code_errno, "%s: HTTP %ld%s", what, x->status, hint);
}

static void reg_close(struct reg *g)
{
        if (g->curl)
                curl_easy_cleanup(g->curl);
        reg_ref_done(&g->ref);
        free(g->auth_header);
        free(g->basic);
}

/* --tls-verify=false to a remote host: HTTPS without checks, or plain HTTP when the
 * registry does not speak TLS at all. */
static void reg_probe_scheme(struct reg *g)
{
        struct xfer x = { .method = "GET", .in_fd = -1, .out_fd = -1, .max = ERRBODY_MAX, .reg = g };
        struct err ignored = { 0 };
        if (asprintf(&x.url, "%s/v2/", g->ref.api) < 0)
                return;
        if (reg_perform(g, &x, &ignored) < 0) {
                char *http = NULL;
                if (asprintf(&http, "http://%s", g->ref.api + strlen("https://")) >= 0) {
                        free(g->ref.api);
                        g->ref.api = http;
                }
        }
        xfer_done(&x);
}

static int reg_open(struct reg *g, const char *ref, const struct registry_opts *o, const char *actions,
                    struct err *err)
{
        static const struct registry_opts defaults = { 0 };
        *g = (struct reg){ .o = o ? o : &defaults, .actions = actions };
        int r = reg_ref_parse(ref, &g->ref, err);
        if (r < 0 || (r = auth_find(g->o->auth_file, g->ref.host, &g->basic, err)) < 0)
                return r;
        /* libcrypto first: libcurl needs it too, and its message names the package */
        if ((r = crypto_lazy_load(err)) < 0 || (r = curl_lazy_load(err)) < 0)
                return r;
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(g->curl = curl_easy_init()))
                return err_set(err, -ENOMEM, "cannot initialise libcurl");
        if (g->o->tls_no_verify && !strncmp(g->ref.api, "https://", 8))
                reg_probe_scheme(g);
        return 0;
}

static int reg_url(struct reg *g, char **ret, const char *kind, const char *what)
{
        return asprintf(ret, "%s/v2/%s/%s/%s", g->ref.api, g->ref.repo, kind, what) < 0 ? -ENOMEM : 0;
}

/* ---- pull ---- */

struct list {
        char **v;
        size_t n;
};

static int list_add(struct list *l, const char *s)
{
        char **v = realloc(l->v, (l->n + 2) * sizeof(char *));
        if (!v)
                return -ENOMEM;
        l->v = v;
        if (!(v[l->n] = strdup(s)))
                return -ENOMEM;
        v[++l->n] = NULL;
        return 0;
}

struct pull {
        struct reg g;
        struct store *st;
        struct list blobs;  /* blobs new to the store */
        struct list layers; /* diff-ids of layer dirs new to the store */
};

static void pull_rollback(struct pull *p)
{
        for (size_t i = 0; i < p->blobs.n; i++)
                store_remove_blob(p->st, p->blobs.v[i]);
        for (size_t i = 0; i < p->layers.n; i++) {
                char rel[128];
                snprintf(rel, sizeof(rel), "layers/%s", digest_hex(p->layers.v[i]));
                rm_rf_at(store_root_fd(p->st), rel);
        }
}

static void sha256_of(const void *data, size_t len, char out[DIGEST_STR_LEN + 1])
{
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        out[0] = '\0';
        if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(ctx, data, len) == 1)
                digest_final(ctx, out);
        EVP_MD_CTX_free(ctx);
}

static const char *jstr(struct json_object *o, const char *key)
{
        struct json_object *v;
        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

/* A fetched manifest: its bytes exactly as served, its digest, its parsed form. */
struct manifest {
        char *data;
        size_t len;
        char digest[DIGEST_STR_LEN + 1];
        struct json_object *json;
        const char *media_type;
};

static void manifest_done(struct manifest *m)
{
        free(m->data);
        json_object_put(m->json);
}

/* GET manifests/<tag or digest>; a digest reference must match the content, and so
 * must the registry's Docker-Content-Digest. */
static int fetch_manifest(struct reg *g, const char *which, struct manifest *m, struct err *err)
{
        struct xfer x = { .method = "GET", .accept = ACCEPT_MANIFESTS, .in_fd = -1, .out_fd = -1, .max = MANIFEST_MAX };
        int r = reg_url(g, &x.url, "manifests", which);
        if (r < 0)
                return err_errno(err, r, "manifest %s", which);
        char what[160];
        snprintf(what, sizeof(what), "manifest %s", which);
        if ((r = reg_call(g, &x, err)) >= 0 && x.status != 200)
                r = http_error(g, &x, err, what);
        if (r >= 0) {
                sha256_of(x.resp ?: "", x.resp_len, m->digest);
                const char *want = digest_hex(which) ? which : x.resp_digest;
                if (want && digest_hex(want) && strcmp(want, m->digest))
                        r = err_set(err, -EBADMSG, "manifest %s: digest mismatch: expected %s, got %s", which, want,
                                    m->digest);
        }
        if (r >= 0 && (r = image_json_parse(x.resp ?: "", x.resp_len, "manifest", &m->json, err)) >= 0) {
                m->data = TAKE_PTR(x.resp);
                m->len = x.resp_len;
                m->media_type = jstr(m->json, "mediaType");
                if (!m->media_type && !json_object_object_get_ex(m->json, "manifests", NULL))
                        m->media_type = MT_OCI_MANIFEST;
                else if (!m->media_type)
                        m->media_type = MT_OCI_INDEX;
        }
        xfer_done(&x);
        return r;
}

static bool is_index(const char *mt)
{
        return !strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST);
}

/* From an index or manifest list, the linux/amd64 entry (borrowed from m). */
static int index_choose(const struct manifest *m, const char **ret, struct err *err)
{
        struct json_object *arr;
        if (!json_object_object_get_ex(m->json, "manifests", &arr) || !json_object_is_type(arr, json_type_array))
                return err_set(err, -EBADMSG, "index %s: no manifests array", m->digest);
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
                struct json_object *d = json_object_array_get_idx(arr, i), *plat = NULL;
                json_object_object_get_ex(d, "platform", &plat);
                const char *os = jstr(plat, "os"), *arch = jstr(plat, "architecture"), *dg = jstr(d, "digest");
                if (os && arch && dg && !strcmp(os, "linux") && !strcmp(arch, "amd64") && digest_hex(dg)) {
                        *ret = dg;
                        return 0;
                }
        }
        return err_set(err, -ENOENT, "index %s: no linux/amd64 manifest", m->digest);
}

/* From an index, the linux/amd64 manifest it lists (replacing m). */
static int follow_index(struct reg *g, struct manifest *m, struct err *err)
{
        const char *pick = NULL;
        struct manifest child = { 0 };
        int r = index_choose(m, &pick, err);
        if (r >= 0 && (r = fetch_manifest(g, pick, &child, err)) >= 0 && is_index(child.media_type))
                r = err_set(err, -EPROTONOSUPPORT, "index %s: nested indexes are not supported", m->digest);
        if (r < 0) {
                manifest_done(&child);
                return r;
        }
        manifest_done(m);
        *m = child;
        return 0;
}

/* The image manifest REF names, through an index when it names one. */
static int resolve_manifest(struct reg *g, struct manifest *m, struct err *err)
{
        int r = fetch_manifest(g, g->ref.tag, m, err);
        if (r >= 0 && is_index(m->media_type))
                r = follow_index(g, m, err);
        if (r < 0)
                return r;
        if (!strncmp(m->media_type, MT_DOCKER_SCHEMA1, strlen(MT_DOCKER_SCHEMA1)))
                return err_set(err, -EPROTONOSUPPORT, "manifest %s: docker schema 1 manifests are not supported",
                               m->digest);
        if (strcmp(m->media_type, MT_OCI_MANIFEST) && strcmp(m->media_type, MT_DOCKER_MANIFEST))
                return err_set(err, -EPROTONOSUPPORT, "manifest %s: unsupported media type %s", m->digest,
                               m->media_type);
        return 0;
}

/* A temp file in the store root, already unlinked. */
static int store_tmpfile(struct store *st, int *ret_fd, struct err *err)
{
        _cleanup_free_ char *p = NULL;
        if (asprintf(&p, "%s/tmp-pull-XXXXXX", store_root(st)) < 0)
                return err_errno(err, -ENOMEM, "temp file");
        int fd = mkostemp(p, O_CLOEXEC);
        if (fd < 0)
                return err_errno(err, neg_errno(), "create %s", p);
        unlink(p);
        *ret_fd = fd;
        return 0;
}

/* GET blobs/<digest> into fd, resuming with a Range request when the transfer breaks. */
static int download_blob(struct reg *g, const char *digest, uint64_t size, int fd, struct err *err)
{
        struct xfer x = { .method = "GET", .in_fd = -1, .out_fd = fd, .what = digest, .size_hint = size };
        int r = reg_url(g, &x.url, "blobs", digest);
        if (r < 0)
                return err_errno(err, r, "blob %s", digest);
        for (int attempt = 1;; attempt++) {
                r = reg_call(g, &x, err);
                if (r != -EIO || attempt == BLOB_TRIES) /* -EIO: the transfer broke */
                        break;
                off_t have = lseek(fd, 0, SEEK_END);
                x.resume_from = have > 0 ? (uint64_t)have : 0;
                xfer_clear_response(&x);
                sleep(1);
        }
        if (r >= 0 && x.status != 200 && x.status != 206)
                r = http_error(g, &x, err, "blob");
        xfer_done(&x);
        return r;
}

/* One blob into the store (verified against digest), unless it is there already. */
static int pull_blob(struct pull *p, const char *digest, uint64_t size, struct err *err)
{
        const struct registry_opts *o = p->g.o;
        if (!digest_hex(digest))
                return err_set(err, -EBADMSG, "manifest: invalid digest \"%s\"", digest ? digest : "");
        if (store_has_blob(p->st, digest)) {
                if (o->progress)
                        o->progress(o->userdata, digest, size, size, true);
                return 0;
        }
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *got = NULL;
        bool created = false;
        int r = store_tmpfile(p->st, &fd, err);
        if (r < 0 || (r = download_blob(&p->g, digest, size, fd, err)) < 0)
                return err_wrap(err, "blob %s", digest);
        if (lseek(fd, 0, SEEK_SET) < 0)
                return err_errno(err, neg_errno(), "blob %s", digest);
        if ((r = store_put_blob_new(p->st, fd, digest, &got, &created, err)) < 0)
                return err_wrap(err, "blob %s", digest);
        if (created && list_add(&p->blobs, digest) < 0)
                return err_errno(err, -ENOMEM, "blob %s", digest);
        struct stat s;
        if (o->progress && fstat(fd, &s) == 0)
                o->progress(o->userdata, digest, (uint64_t)s.st_size, (uint64_t)s.st_size, true);
        return 0;
}

static uint64_t desc_size(struct json_object *d)
{
        struct json_object *v;
        return json_object_object_get_ex(d, "size", &v) ? (uint64_t)json_object_get_int64(v) : 0;
}

static int pull_blobs(struct pull *p, const struct manifest *m, struct err *err)
{
        struct json_object *cfg, *layers;
        if (!json_object_object_get_ex(m->json, "config", &cfg) || !json_object_object_get_ex(m->json, "layers", &layers) ||
            !json_object_is_type(layers, json_type_array))
                return err_set(err, -EBADMSG, "manifest %s: no config or no layers array", m->digest);
        size_t n = json_object_array_length(layers);
        if (n > LAYERS_MAX)
                return err_set(err, -E2BIG, "manifest %s: more than %d layers", m->digest, LAYERS_MAX);
        int r = pull_blob(p, jstr(cfg, "digest"), desc_size(cfg), err);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                struct json_object *d = json_object_array_get_idx(layers, i);
                r = pull_blob(p, jstr(d, "digest"), desc_size(d), err);
        }
        return r;
}

/* Stores the manifest bytes as served (so its digest stays the registry's). */
static int pull_store_manifest(struct pull *p, const struct manifest *m, struct err *err)
{
        bool existed = store_has_blob(p->st, m->digest);
        _cleanup_free_ char *got = NULL;
        int r = store_put_blob_mem(p->st, m->data, m->len, &got, err);
        if (r < 0)
                return err_wrap(err, "manifest %s", m->digest);
        if (!existed && list_add(&p->blobs, m->digest) < 0)
                return err_errno(err, -ENOMEM, "manifest %s", m->digest);
        if (strcmp(got, m->digest))
                return err_set(err, -EBADMSG, "manifest: digest mismatch: expected %s, got %s", m->digest, got);
        return 0;
}

static void image_freep(struct image **i)
{
        image_free(*i);
}

/* Unpacks every layer (each checked against its diff-id), remembering the new ones. */
static int pull_unpack(struct pull *p, const char *digest, struct err *err)
{
        _cleanup_(image_freep) struct image *img = NULL;
        int r = store_image_load(p->st, digest, &img, err);
        for (size_t i = 0; r >= 0 && i < img->n_layers; i++) {
                char rel[128];
                snprintf(rel, sizeof(rel), "layers/%s", digest_hex(img->diff_ids[i]));
                bool existed = faccessat(store_root_fd(p->st), rel, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
                _cleanup_free_ char *path = NULL;
                r = store_layer_path(p->st, img->layers[i], img->diff_ids[i], &path, err);
                if (r >= 0 && !existed && list_add(&p->layers, img->diff_ids[i]) < 0)
                        r = err_errno(err, -ENOMEM, "layer %s", img->diff_ids[i]);
        }
        return r;
}

static int pull_run(struct pull *p, char **ret_digest, struct err *err)
{
        struct manifest m = { 0 };
        int r = resolve_manifest(&p->g, &m, err);
        if (r >= 0 && (r = pull_blobs(p, &m, err)) >= 0 && (r = pull_store_manifest(p, &m, err)) >= 0 &&
            (r = pull_unpack(p, m.digest, err)) >= 0)
                r = store_tag(p->st, p->g.ref.name, m.digest, err);
        if (r >= 0 && ret_digest && !(*ret_digest = strdup(m.digest)))
                r = err_errno(err, -ENOMEM, "pull");
        manifest_done(&m);
        return r;
}

int registry_pull(struct store *st, const char *ref, const struct registry_opts *o, char **ret_digest,
                  struct err *err)
{
        struct pull p = { .st = st };
        int r = reg_open(&p.g, ref, o, "pull", err);
        if (r >= 0 && (r = pull_run(&p, ret_digest, err)) < 0)
                pull_rollback(&p);
        if (r < 0)
                err_wrap(err, "pull %s", ref);
        strv_free(p.blobs.v);
        strv_free(p.layers.v);
        reg_close(&p.g);
        return r;
}

/* ---- push ---- */

/* An upload URL from a Location header: absolute, or a path on the registry. */
static int upload_url(struct reg *g, const char *location, const char *digest, char **ret)
{
        char *esc = curl_easy_escape(g->curl, digest, 0);
        bool rel = location[0] == '/';
        int r = asprintf(ret, "%s%s%cdigest=%s", rel ? g->ref.api : "", location, strchr(location, '?') ? '&' : '?',
                         esc ? esc : digest);
        curl_free(esc);
        return r < 0 ? -ENOMEM : 0;
}

/* HEAD, then POST + PUT ?digest= (a monolithic upload) when the registry lacks it. */
static int push_blob(struct reg *g, struct store *st, const char *digest, struct err *err)
{
        const struct registry_opts *o = g->o;
        struct xfer head = { .method = "HEAD", .in_fd = -1, .out_fd = -1, .max = ERRBODY_MAX };
        struct xfer post = { .method = "POST", .in_fd = -1, .out_fd = -1, .max = ERRBODY_MAX };
        struct xfer put = { .method = "PUT", .out_fd = -1, .max = ERRBODY_MAX, .what = digest,
                            .content_type = "Content-Type: application/octet-stream" };
        _cleanup_close_ int fd = -EBADF;
        struct stat s;
        int r = store_open_blob(st, digest, &fd, err);
        if (r >= 0 && fstat(fd, &s) < 0)
                r = err_errno(err, neg_errno(), "stat blob %s", digest);
        if (r >= 0 && (reg_url(g, &head.url, "blobs", digest) < 0 || reg_url(g, &post.url, "blobs", "uploads/") < 0))
                r = err_errno(err, -ENOMEM, "blob %s", digest);
        if (r >= 0 && (r = reg_call(g, &head, err)) >= 0 && head.status != 200 && head.status != 404)
                r = http_error(g, &head, err, "HEAD");
        bool upload = r >= 0 && head.status == 404;
        if (upload && (r = reg_call(g, &post, err)) >= 0 && (post.status != 202 || !post.location))
                r = post.status == 202 ? err_set(err, -EPROTO, "start upload: no Location in the answer")
                                       : http_error(g, &post, err, "start upload");
        if (upload && r >= 0 && upload_url(g, post.location, digest, &put.url) < 0)
                r = err_errno(err, -ENOMEM, "blob %s", digest);
        if (upload && r >= 0) {
                put.in_fd = fd;
                put.in_size = (uint64_t)s.st_size;
                if ((r = reg_call(g, &put, err)) >= 0 && put.status != 201)
                        r = http_error(g, &put, err, "upload");
        }
        if (r >= 0 && o->progress)
                o->progress(o->userdata, digest, (uint64_t)s.st_size, (uint64_t)s.st_size, true);
        xfer_done(&head);
        xfer_done(&post);
        xfer_done(&put);
        return r < 0 ? err_wrap(err, "blob %s", digest) : 0;
}

static int push_manifest(struct reg *g, const char *data, size_t len, const char *mt, const char *digest,
                         struct err *err)
{
        _cleanup_free_ char *ct = NULL;
        struct xfer x = { .method = "PUT", .in_fd = -1, .out_fd = -1, .max = ERRBODY_MAX, .body = data, .body_len = len };
        int r = reg_url(g, &x.url, "manifests", g->ref.tag);
        if (r < 0 || asprintf(&ct, "Content-Type: %s", mt) < 0)
                r = err_errno(err, -ENOMEM, "manifest");
        x.content_type = ct;
        if (r >= 0 && (r = reg_call(g, &x, err)) >= 0 && x.status != 201)
                r = http_error(g, &x, err, "manifest");
        if (r >= 0 && x.resp_digest && digest_hex(x.resp_digest) && strcmp(x.resp_digest, digest))
                r = err_set(err, -EBADMSG, "manifest: the registry stored %s, we sent %s", x.resp_digest, digest);
        xfer_done(&x);
        return r;
}

static int push_run(struct reg *g, struct store *st, const char *digest, struct err *err)
{
        char rel[128];
        snprintf(rel, sizeof(rel), "blobs/sha256/%s", digest_hex(digest));
        _cleanup_free_ char *text = NULL;
        _cleanup_json_ struct json_object *m = NULL;
        size_t len = 0;
        int r = read_file_at(store_root_fd(st), rel, &text, &len);
        if (r < 0)
                return err_errno(err, r, "read manifest %s", digest);
        if ((r = image_json_parse(text, len, "manifest", &m, err)) < 0)
                return r;
        const char *mt = jstr(m, "mediaType") ?: MT_OCI_MANIFEST;
        if (is_index(mt) || json_object_object_get_ex(m, "manifests", NULL))
                return err_set(err, -EPROTONOSUPPORT, "%s is an image index: pushing indexes is not supported yet",
                               digest);
        struct json_object *cfg, *layers;
        if (!json_object_object_get_ex(m, "config", &cfg) || !json_object_object_get_ex(m, "layers", &layers) ||
            !json_object_is_type(layers, json_type_array))
                return err_set(err, -EBADMSG, "manifest %s: no config or no layers array", digest);
        size_t n = json_object_array_length(layers);
        for (size_t i = 0; i <= n; i++) {
                const char *d = jstr(i == 0 ? cfg : json_object_array_get_idx(layers, i - 1), "digest");
                if (!digest_hex(d))
                        return err_set(err, -EBADMSG, "manifest %s: invalid blob digest", digest);
                if ((r = push_blob(g, st, d, err)) < 0)
                        return r;
        }
        return push_manifest(g, text, len, mt, digest, err);
}

int registry_push(struct store *st, const char *src, const char *dest, const struct registry_opts *o,
                  char **ret_digest, struct err *err)
{
        dest = dest ? dest : src;
        _cleanup_free_ char *digest = NULL;
        struct reg g;
        int r = store_resolve(st, src, &digest, err);
        if (r < 0)
                return err_wrap(err, "push %s", src);
        if ((r = reg_open(&g, dest, o, "pull,push", err)) >= 0 && (r = push_run(&g, st, digest, err)) >= 0 &&
            ret_digest)
                *ret_digest = TAKE_PTR(digest);
        reg_close(&g);
        return r < 0 ? err_wrap(err, "push %s", dest) : 0;
}

/* metrics.c - the exposition text, the loop's counters and the HTTP server
 * (libmicrohttpd) that serves them; see metrics.h for who runs what where. */
#include "metrics.h"

#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "array.h"

/* ---- text ---------------------------------------------------------------- */

void metrics_text_clear(struct metrics_text *t)
{
    t->len = 0;
    t->oom = false;
    if (t->buf)
        t->buf[0] = 0;
}

void metrics_text_free(struct metrics_text *t)
{
    free(t->buf);
    memset(t, 0, sizeof *t);
}

static void vappend(struct metrics_text *t, const char *fmt, va_list ap)
{
    if (t->oom)
        return;
    for (;;) {
        va_list aq;
        va_copy(aq, ap);
        size_t room = t->cap - t->len;
        int w = t->buf ? vsnprintf(t->buf + t->len, room, fmt, aq) : -2;
        va_end(aq);
        if (w >= 0 && (size_t)w < room) {
            t->len += (size_t)w;
            return;
        }
        if (w == -1) {
            t->oom = true;
            return;
        }
        size_t cap = t->cap ? 2 * t->cap : 4096;
        while (w > 0 && cap - t->len <= (size_t)w)
            cap *= 2;
        char *nb = realloc(t->buf, cap);
        if (!nb) {
            t->oom = true;
            return;
        }
        t->buf = nb;
        t->cap = cap;
    }
}

void metrics_printf(struct metrics_text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vappend(t, fmt, ap);
    va_end(ap);
}

void metrics_family(struct metrics_text *t, const char *name, const char *type, const char *help)
{
    metrics_printf(t, "# HELP bangdai_%s %s\n# TYPE bangdai_%s %s\n", name, help, name, type);
}

/* A label value as the text format wants it: \\, \" and \n escaped. */
static void label_value(struct metrics_text *t, const char *v)
{
    for (const char *p = v; *p; p++) {
        if (*p == '\\' || *p == '"')
            metrics_printf(t, "\\%c", *p);
        else if (*p == '\n')
            metrics_printf(t, "\\n");
        else
            metrics_printf(t, "%c", *p);
    }
}

/* A value as the text format writes it: integers without a fraction. */
static void value(struct metrics_text *t, double v)
{
    if (isinf(v))
        metrics_printf(t, v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 1e15)
        metrics_printf(t, "%.0f", v);
    else
        metrics_printf(t, "%.9g", v);
}

static void vsample(struct metrics_text *t, const char *name, double v, va_list ap)
{
    metrics_printf(t, "bangdai_%s", name);
    int n = 0;
    for (const char *k; (k = va_arg(ap, const char *)); n++) {
        const char *lv = va_arg(ap, const char *);
        metrics_printf(t, "%s%s=\"", n ? "," : "{", k);
        label_value(t, lv ? lv : "");
        metrics_printf(t, "\"");
    }
    metrics_printf(t, "%s ", n ? "}" : "");
    value(t, v);
    metrics_printf(t, "\n");
}

void metrics_sample(struct metrics_text *t, const char *name, double v, ...)
{
    va_list ap;
    va_start(ap, v);
    vsample(t, name, v, ap);
    va_end(ap);
}

/* ---- histograms ---------------------------------------------------------- */

void metrics_observe(struct metrics_histogram *h, double v)
{
    int i = 0;
    while (i < h->n_bounds && v > h->bounds[i])
        i++;
    h->counts[i]++;
    h->sum += v;
    h->count++;
}

void metrics_histogram_render(struct metrics_text *t, const char *name, const struct metrics_histogram *h,
                              const char *key, const char *val)
{
    char bucket[128], le[32];
    snprintf(bucket, sizeof bucket, "%s_bucket", name);
    uint64_t cum = 0;
    for (int i = 0; i <= h->n_bounds; i++) {
        cum += h->counts[i];
        if (i < h->n_bounds)
            snprintf(le, sizeof le, "%g", h->bounds[i]);
        else
            snprintf(le, sizeof le, "+Inf");
        if (key)
            metrics_sample(t, bucket, (double)cum, key, val, "le", le, NULL);
        else
            metrics_sample(t, bucket, (double)cum, "le", le, NULL);
    }
    char sum[128], count[128];
    snprintf(sum, sizeof sum, "%s_sum", name);
    snprintf(count, sizeof count, "%s_count", name);
    if (key) {
        metrics_sample(t, sum, h->sum, key, val, NULL);
        metrics_sample(t, count, (double)h->count, key, val, NULL);
    } else {
        metrics_sample(t, sum, h->sum, NULL);
        metrics_sample(t, count, (double)h->count, NULL);
    }
}

/* ---- the loop's counters ------------------------------------------------- */

/* Messages a batch applies (link.batch is at most a few thousand). */
static const double batch_bounds[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000};
/* A handler's run, seconds: most take a few statements. */
static const double latency_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                        0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

void metrics_init(struct metrics *m)
{
    memset(m, 0, sizeof *m);
    m->batch_size.bounds = batch_bounds;
    m->batch_size.n_bounds = N_OF(batch_bounds);
}

void metrics_free(struct metrics *m)
{
    free(m->types);
    free(m->dests);
    memset(m, 0, sizeof *m);
}

struct metrics_type *metrics_type(struct metrics *m, const char *type)
{
    for (size_t i = 0; i < m->n_types; i++)
        if (strcmp(m->types[i].type, type) == 0)
            return &m->types[i];
    if (strlen(type) >= sizeof m->types->type)
        return NULL;
    void *v = array_grow(m->types, m->n_types, &m->cap_types, sizeof *m->types, 16);
    if (!v)
        return NULL;
    m->types = v;
    struct metrics_type *t = &m->types[m->n_types++];
    memset(t, 0, sizeof *t);
    snprintf(t->type, sizeof t->type, "%s", type);
    t->latency.bounds = latency_bounds;
    t->latency.n_bounds = N_OF(latency_bounds);
    return t;
}

struct metrics_dest *metrics_dest(struct metrics *m, const char *dest)
{
    for (size_t i = 0; i < m->n_dests; i++)
        if (strcmp(m->dests[i].dest, dest) == 0)
            return &m->dests[i];
    if (strlen(dest) >= sizeof m->dests->dest)
        return NULL;
    void *v = array_grow(m->dests, m->n_dests, &m->cap_dests, sizeof *m->dests, 16);
    if (!v)
        return NULL;
    m->dests = v;
    struct metrics_dest *d = &m->dests[m->n_dests++];
    memset(d, 0, sizeof *d);
    snprintf(d->dest, sizeof d->dest, "%s", dest);
    return d;
}

/* One counter family per message type: the field at offset off of each
 * struct metrics_type. */
static void type_counter(struct metrics_text *t, const struct metrics *m, const char *name, size_t off,
                         const char *help)
{
    metrics_family(t, name, "counter", help);
    for (size_t i = 0; i < m->n_types; i++) {
        const uint64_t *c = (const uint64_t *)((const char *)&m->types[i] + off);
        metrics_sample(t, name, (double)*c, "type", m->types[i].type, NULL);
    }
}

void metrics_render(struct metrics_text *t, const struct metrics *m, uint64_t db_errors)
{
    type_counter(t, m, "messages_applied_total", offsetof(struct metrics_type, applied),
                 "Messages applied and committed, by message type.");
    type_counter(t, m, "messages_refused_total", offsetof(struct metrics_type, refused),
                 "Messages refused for good (answered with Error), by message type.");
    type_counter(t, m, "messages_duplicated_total", offsetof(struct metrics_type, duplicated),
                 "Messages received again after they were applied (acknowledged again, not applied), by type.");
    type_counter(t, m, "messages_deferred_total", offsetof(struct metrics_type, deferred),
                 "Messages undone and left unanswered to come again (something they need has not come), by type.");
    static const char *const reasons[N_REJECTS] = {"malformed", "unknown_type", "forbidden", "oversized"};
    metrics_family(t, "messages_rejected_total", "counter",
                   "Messages dropped before any handler ran, by reason.");
    for (int i = 0; i < N_REJECTS; i++)
        metrics_sample(t, "messages_rejected_total", (double)m->rejected[i], "reason", reasons[i], NULL);
    metrics_family(t, "handler_latency_seconds", "histogram",
                   "Time a message's handler took inside its batch's transaction, by message type.");
    for (size_t i = 0; i < m->n_types; i++)
        metrics_histogram_render(t, "handler_latency_seconds", &m->types[i].latency, "type", m->types[i].type);
    metrics_family(t, "batch_size", "histogram", "Messages applied in one transaction.");
    metrics_histogram_render(t, "batch_size", &m->batch_size, NULL, NULL);
    metrics_family(t, "batches_rolled_back_total", "counter",
                   "Batches rolled back whole (the database failed); their producers send them again.");
    metrics_sample(t, "batches_rolled_back_total", (double)m->batches_rolled_back, NULL);
    metrics_family(t, "relay_sent_total", "counter", "Outbox messages sent to their consumer, by destination.");
    for (size_t i = 0; i < m->n_dests; i++)
        metrics_sample(t, "relay_sent_total", (double)m->dests[i].sent, "dest", m->dests[i].dest, NULL);
    metrics_family(t, "relay_resends_total", "counter",
                   "Outbox messages sent again (no Ack in time, a reconnect, a restart), by destination.");
    for (size_t i = 0; i < m->n_dests; i++)
        metrics_sample(t, "relay_resends_total", (double)m->dests[i].resent, "dest", m->dests[i].dest, NULL);
    metrics_family(t, "database_errors_total", "counter", "Statements PostgreSQL failed or could not be sent.");
    metrics_sample(t, "database_errors_total", (double)db_errors, NULL);
}

/* ---- the HTTP server ----------------------------------------------------- */

struct metrics_server {
    struct MHD_Daemon *mhd;
    pthread_mutex_t lock;
    char *text;                 /* the last exposition published; NULL before */
    size_t len;
    bool healthy;
    char reason[256];
    struct timespec published;  /* CLOCK_MONOTONIC */
};

static struct timespec now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts;
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned code, const char *type, const char *body,
                               size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result rc = MHD_queue_response(conn, code, r);
    MHD_destroy_response(r);
    return rc;
}

/* libmicrohttpd's request handler, in its thread: GET (or HEAD) /metrics
 * and /healthz from the last publication, under the lock. */
static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_size,
                              void **con_cls)
{
    struct metrics_server *s = cls;
    (void)version;
    (void)upload_data;
    (void)con_cls;
    static const char plain[] = "text/plain; charset=utf-8";
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        static const char no[] = "only GET and HEAD\n";
        return respond(conn, MHD_HTTP_METHOD_NOT_ALLOWED, plain, no, sizeof no - 1);
    }
    if (*upload_size)
        return MHD_NO;
    bool metrics = strcmp(url, "/metrics") == 0, health = strcmp(url, "/healthz") == 0;
    if (!metrics && !health) {
        static const char nf[] = "not found: /metrics and /healthz are served here\n";
        return respond(conn, MHD_HTTP_NOT_FOUND, plain, nf, sizeof nf - 1);
    }
    enum MHD_Result rc;
    pthread_mutex_lock(&s->lock);
    struct timespec now = now_mono();
    double age = s->text ? (double)(now.tv_sec - s->published.tv_sec)
                           + (double)(now.tv_nsec - s->published.tv_nsec) / 1e9 : 0;
    if (metrics && s->text) {
        rc = respond(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", s->text, s->len);
    } else {
        char body[400];
        unsigned code = MHD_HTTP_SERVICE_UNAVAILABLE;
        if (!s->text)
            snprintf(body, sizeof body, "starting: %s\n", s->reason[0] ? s->reason : "not serving yet");
        else if (age > METRICS_STALE_S)
            snprintf(body, sizeof body, "stalled: the daemon's loop has not reported for %.0f s (%s)\n", age,
                     s->healthy ? "last it was ok" : s->reason);
        else if (!s->healthy)
            snprintf(body, sizeof body, "unhealthy: %s\n", s->reason);
        else {
            snprintf(body, sizeof body, "ok\n");
            code = MHD_HTTP_OK;
        }
        rc = respond(conn, code, plain, body, strlen(body));
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* Splits "HOST:PORT" ("[v6]:PORT" too) and resolves it for a listening
 * socket into *out (caller frees with freeaddrinfo). Returns 0 or -1 with
 * the reason in err. */
static int resolve(const char *address, struct addrinfo **out, char *err, size_t errlen)
{
    char host[256];
    const char *colon = strrchr(address, ':');
    if (!colon || colon == address || !colon[1] || (size_t)(colon - address) >= sizeof host) {
        snprintf(err, errlen, "'%s' is not HOST:PORT", address);
        return -1;
    }
    const char *h = address;
    size_t hl = (size_t)(colon - address);
    if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    memcpy(host, h, hl);
    host[hl] = 0;
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
    int rc = getaddrinfo(host, colon + 1, &hints, out);
    if (rc != 0) {
        snprintf(err, errlen, "'%s': %s", address, gai_strerror(rc));
        return -1;
    }
    return 0;
}

struct metrics_server *metrics_server_start(const char *address, char *err, size_t errlen)
{
    struct addrinfo *ai = NULL;
    if (resolve(address, &ai, err, errlen) != 0)
        return NULL;
    struct metrics_server *s = calloc(1, sizeof *s);
    if (!s) {
        freeaddrinfo(ai);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    snprintf(s->reason, sizeof s->reason, "the database and sockets are not up yet");
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | (ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    /* The server's thread inherits this signal mask: with the daemon's
     * signals blocked there, SIGTERM and SIGHUP always reach the loop's
     * thread, whose poll they interrupt. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    /* Few, short requests: a scraper or two and bangdaictl status. */
    s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, answer, s,
                              MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                              MHD_OPTION_LISTENING_ADDRESS_REUSE, 1U,
                              MHD_OPTION_CONNECTION_LIMIT, 32U,
                              MHD_OPTION_CONNECTION_TIMEOUT, 10U,
                              MHD_OPTION_END);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    freeaddrinfo(ai);
    if (!s->mhd) {
        snprintf(err, errlen, "cannot listen on %s (in use, or not an address of this host)", address);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return NULL;
    }
    return s;
}

void metrics_server_publish(struct metrics_server *s, const struct metrics_text *text, bool healthy,
                            const char *reason)
{
    char *copy = NULL;
    if (text && !text->oom && text->buf && (copy = malloc(text->len + 1)))
        memcpy(copy, text->buf, text->len + 1);
    pthread_mutex_lock(&s->lock);
    if (copy) {
        free(s->text);
        s->text = copy;
        s->len = text->len;
    }
    s->healthy = healthy;
    snprintf(s->reason, sizeof s->reason, "%s", reason ? reason : "");
    s->published = now_mono();
    pthread_mutex_unlock(&s->lock);
}

void metrics_server_stop(struct metrics_server **sp)
{
    if (!sp || !*sp)
        return;
    struct metrics_server *s = *sp;
    MHD_stop_daemon(s->mhd);
    pthread_mutex_destroy(&s->lock);
    free(s->text);
    free(s);
    *sp = NULL;
}

/* ctl_status.c - bangdaictl status: every daemon's health and queues in one
 * table. For each daemon with a metrics address (config: metrics:) it asks
 * GET /healthz and GET /metrics over HTTP (libcurl) and shows the health,
 * the messages applied and refused, and the outbox's unacknowledged
 * messages per destination with the oldest one's age. A daemon that does
 * not answer is shown as down; the command goes on with the others. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "log.h"

#define BODY_MAX (8u << 20)     /* a scrape is a few tens of KB; more is not ours */
#define MAX_QUEUES 64

struct body {
    char *buf;
    size_t len;
};

static size_t on_data(char *data, size_t size, size_t n, void *arg)
{
    struct body *b = arg;
    size_t add = size * n;
    if (b->len + add > BODY_MAX)
        return 0;
    char *nb = realloc(b->buf, b->len + add + 1);
    if (!nb)
        return 0;
    memcpy(nb + b->len, data, add);
    b->buf = nb;
    b->len += add;
    b->buf[b->len] = 0;
    return add;
}

/* GET http://address/path into *b (caller frees b->buf). Returns the HTTP
 * status, or 0 with curl's reason in err when nothing answered. */
static long http_get(const char *address, const char *path, struct body *b, char *err, size_t errlen)
{
    char url[320], cerr[CURL_ERROR_SIZE] = "";
    snprintf(url, sizeof url, "http://%s%s", address, path);
    memset(b, 0, sizeof *b);
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return 0;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");      /* the daemons are ours, never behind a proxy */
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    long code = 0;
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    else
        snprintf(err, errlen, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
    curl_easy_cleanup(c);
    return code;
}

struct queue {
    char dest[64];
    double depth, oldest_s;
};

struct row {
    const char *daemon, *address;
    const char *health;         /* up, unhealthy, down, off */
    char reason[300];
    double applied, refused, duplicated;
    struct queue q[MAX_QUEUES];
    int n_q;
};

/* The queue of dest in r, made when new; NULL when r is full. */
static struct queue *queue_of(struct row *r, const char *dest, size_t len)
{
    for (int i = 0; i < r->n_q; i++)
        if (strlen(r->q[i].dest) == len && strncmp(r->q[i].dest, dest, len) == 0)
            return &r->q[i];
    if (r->n_q == MAX_QUEUES || len >= sizeof r->q[0].dest)
        return NULL;
    struct queue *q = &r->q[r->n_q++];
    memset(q, 0, sizeof *q);
    memcpy(q->dest, dest, len);
    return q;
}

/* Whether line is a sample of family (bangdai_NAME followed by '{' or ' '). */
static bool sample_of(const char *line, const char *family)
{
    size_t n = strlen(family);
    return strncmp(line, family, n) == 0 && (line[n] == '{' || line[n] == ' ');
}

/* The sample's value: what follows the last space. */
static double sample_value(const char *line, const char *end)
{
    const char *sp = end;
    while (sp > line && sp[-1] != ' ')
        sp--;
    return strtod(sp, NULL);
}

/* Reads what the table shows from the text exposition the daemon served
 * (common/metrics.c writes it: one sample a line, label values without
 * quotes inside). */
static void read_metrics(struct row *r, char *text)
{
    for (char *line = text, *next; line && *line; line = next) {
        char *end = strchr(line, '\n');
        next = end ? end + 1 : NULL;
        if (!end)
            end = line + strlen(line);
        if (line[0] == '#')
            continue;
        double v = sample_value(line, end);
        if (sample_of(line, "bangdai_messages_applied_total"))
            r->applied += v;
        else if (sample_of(line, "bangdai_messages_refused_total"))
            r->refused += v;
        else if (sample_of(line, "bangdai_messages_duplicated_total"))
            r->duplicated += v;
        else if (sample_of(line, "bangdai_outbox_depth") || sample_of(line, "bangdai_outbox_oldest_unacked_age_seconds")) {
            const char *d = strstr(line, "dest=\"");
            const char *e = d ? strchr(d + 6, '"') : NULL;
            struct queue *q = e && e < end ? queue_of(r, d + 6, (size_t)(e - d - 6)) : NULL;
            if (q && sample_of(line, "bangdai_outbox_depth"))
                q->depth = v;
            else if (q)
                q->oldest_s = v;
        }
    }
}

/* Asks the daemon of r. */
static void probe(struct row *r)
{
    struct body b;
    char err[CURL_ERROR_SIZE + 64];
    if (!r->address) {
        r->health = "off";
        snprintf(r->reason, sizeof r->reason, "no metrics.%s in the configuration", r->daemon);
        return;
    }
    long code = http_get(r->address, "/healthz", &b, err, sizeof err);
    if (code == 0) {
        r->health = "down";
        snprintf(r->reason, sizeof r->reason, "no answer at %.60s: %.200s", r->address, err);
    } else if (code != 200) {
        r->health = "unhealthy";
        snprintf(r->reason, sizeof r->reason, "%s", b.buf ? b.buf : "");
        r->reason[strcspn(r->reason, "\n")] = 0;
        if (!r->reason[0])
            snprintf(r->reason, sizeof r->reason, "HTTP status %ld", code);
    } else {
        r->health = "up";
    }
    free(b.buf);
    if (code == 0)
        return;
    if (http_get(r->address, "/metrics", &b, err, sizeof err) == 200 && b.buf)
        read_metrics(r, b.buf);
    free(b.buf);
}

/* The row's total depth and the oldest age among its queues. */
static void totals(const struct row *r, double *depth, double *oldest)
{
    *depth = *oldest = 0;
    for (int i = 0; i < r->n_q; i++) {
        *depth += r->q[i].depth;
        if (r->q[i].oldest_s > *oldest)
            *oldest = r->q[i].oldest_s;
    }
}

static void print_table(const struct row *rows, int n)
{
    printf("%-11s %-10s %9s %8s %7s %9s  %s\n", "DAEMON", "HEALTH", "APPLIED", "REFUSED", "OUTBOX", "OLDEST_S",
           "QUEUES (dest depth/oldest s) OR WHY");
    for (int i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        double depth, oldest;
        totals(r, &depth, &oldest);
        if (strcmp(r->health, "up") != 0 && strcmp(r->health, "unhealthy") != 0) {
            printf("%-11s %-10s %9s %8s %7s %9s  %s\n", r->daemon, r->health, "-", "-", "-", "-", r->reason);
            continue;
        }
        printf("%-11s %-10s %9.0f %8.0f %7.0f %9.0f  ", r->daemon, r->health, r->applied, r->refused, depth, oldest);
        if (strcmp(r->health, "unhealthy") == 0)
            printf("%s", r->reason);
        else if (depth == 0)
            printf("every message acknowledged");
        for (int q = 0, shown = 0; strcmp(r->health, "up") == 0 && q < r->n_q; q++)
            if (r->q[q].depth > 0)
                printf("%s%s %.0f/%.0f", shown++ ? ", " : "", r->q[q].dest, r->q[q].depth, r->q[q].oldest_s);
        printf("\n");
    }
}

/* A JSON string, or null for NULL or "". */
static void json_string(const char *s)
{
    char buf[700];
    if (!s || !s[0]) {
        printf("null");
        return;
    }
    json_escape(s, buf, sizeof buf);
    printf("\"%s\"", buf);
}

static void print_json(const struct row *rows, int n)
{
    printf("{\"daemons\":[");
    for (int i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        bool answered = strcmp(r->health, "up") == 0 || strcmp(r->health, "unhealthy") == 0;
        printf("%s{\"daemon\":", i ? "," : "");
        json_string(r->daemon);
        printf(",\"address\":");
        json_string(r->address);
        printf(",\"health\":\"%s\",\"reason\":", r->health);
        json_string(r->reason);
        if (answered)
            printf(",\"applied\":%.0f,\"refused\":%.0f,\"duplicated\":%.0f", r->applied, r->refused, r->duplicated);
        else
            printf(",\"applied\":null,\"refused\":null,\"duplicated\":null");
        printf(",\"outbox\":[");
        for (int q = 0; q < r->n_q; q++) {
            printf("%s{\"dest\":", q ? "," : "");
            json_string(r->q[q].dest);
            printf(",\"depth\":%.0f,\"oldest_s\":%.3f}", r->q[q].depth, r->q[q].oldest_s);
        }
        printf("]}");
    }
    printf("]}\n");
}

int ctl_status(struct cli *cli)
{
    /* status [--json] [DAEMON...] */
    bool json = false;
    const char *only[8];
    int n_only = 0;
    for (int i = 1; i < cli->argc; i++) {
        bool known = false;
        for (const char *const *d = config_daemons; *d; d++)
            known = known || strcmp(*d, cli->argv[i]) == 0;
        if (strcmp(cli->argv[i], "--json") == 0)
            json = true;
        else if (known && n_only < 8)
            only[n_only++] = cli->argv[i];
        else
            return cli_usage_error(cli, "status takes [--json] and daemon names (intake router tracker "
                                   "delivery evaluation), not '%s'", cli->argv[i]);
    }
    struct row rows[8];
    int n = 0, configured = 0, bad = 0;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "bangdaictl: libcurl could not start\n");
        return 1;
    }
    for (const char *const *d = config_daemons; *d; d++) {
        bool wanted = n_only == 0;
        for (int i = 0; i < n_only; i++)
            wanted = wanted || strcmp(only[i], *d) == 0;
        if (!wanted)
            continue;
        struct row *r = &rows[n++];
        memset(r, 0, sizeof *r);
        r->daemon = *d;
        r->address = config_metrics_address(cli->cfg, *d);
        probe(r);
        configured += r->address != NULL;
        bad += r->address && strcmp(r->health, "up") != 0;
    }
    curl_global_cleanup();
    if (configured == 0) {
        fprintf(stderr, "bangdaictl: %s has no metrics address for %s: status reads each daemon's "
                "/healthz and /metrics (add a metrics: section, README.md, Metrics)\n", cli->cfg->path,
                n_only == 1 ? only[0] : "any daemon");
        return 2;
    }
    if (json)
        print_json(rows, n);
    else
        print_table(rows, n);
    return bad ? 3 : 0;
}

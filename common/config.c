/* config.c - reads and validates the deployment's YAML configuration.
 *
 * See config.h for the struct and deploy/config/dianjiang.yaml for a
 * commented sample. The file is loaded whole (yamldoc.h) and walked section
 * by section; every value is checked where it is read, so the first error
 * stops the load with "FILE:LINE: KEY: reason" and the half-built config is
 * freed. A loaded config is therefore always complete and consistent: every
 * item names a department of the file, every department has a specialist
 * and a key, every daemon has its key, every calendar year is sorted and in
 * range. Key files are not read here (security.h reads them when needed).
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"
#include "yamldoc.h"

/* The daemons; each one authenticates with the key named after it. */
const char *const config_daemons[] = {"intake", "router", "tracker", "delivery", "evaluation", NULL};

/* Limits on names and texts, in bytes of UTF-8 (a CJK character is 3). */
#define NAME_MAX_BYTES 200
#define CODE_MAX_BYTES 32

/* The four stages of 国办发〔2019〕11号, in process order. */
static const struct {
    const char *code;
    const char *name;
} stages[] = {
    {"land", "立项用地规划许可"},
    {"works", "工程建设许可"},
    {"construction", "施工许可"},
    {"completion", "竣工验收"},
};

const char *config_stage_name(const char *stage)
{
    if (!stage)
        return NULL;
    for (size_t i = 0; i < sizeof stages / sizeof stages[0]; i++)
        if (strcmp(stages[i].code, stage) == 0)
            return stages[i].name;
    return NULL;
}

/* ---- small checks --------------------------------------------------------- */

/* Codes and ids travel in messages, logs and SQL; keep them to ASCII letters,
 * digits, '-' and '_' so that they never need quoting anywhere. */
bool config_code_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > CODE_MAX_BYTES)
        return false;
    return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789-_") == n;
}

/* Reads a required code (see config_code_ok) into a new string. */
static int read_code(struct ydoc *doc, const yaml_node_t *map, const char *path,
                     const char *key, char **out)
{
    yaml_node_t *v;
    char sub[YDOC_PATH_MAX];
    ydoc_path_key(sub, path, key);
    if (ydoc_require(doc, map, path, key, &v) < 0 || ydoc_strdup(doc, v, sub, out) < 0)
        return -1;
    if (!config_code_ok(*out))
        return ydoc_fail(doc, v, sub,
                         "'%.40s' is not a code (1..%d of A-Z a-z 0-9 - _)", *out,
                         CODE_MAX_BYTES);
    return 0;
}

/* Reads a required human-readable name into a new string. */
static int read_name(struct ydoc *doc, const yaml_node_t *map, const char *path,
                     const char *key, char **out)
{
    yaml_node_t *v;
    char sub[YDOC_PATH_MAX];
    ydoc_path_key(sub, path, key);
    if (ydoc_require(doc, map, path, key, &v) < 0 || ydoc_strdup(doc, v, sub, out) < 0)
        return -1;
    if (validate_text(*out, NAME_MAX_BYTES) < 0)
        return ydoc_fail(doc, v, sub, "must be text of at most %d bytes without control characters",
                         NAME_MAX_BYTES);
    return 0;
}

/* Reads an optional integer: leaves *out (the default) alone when absent. */
static int read_opt_int(struct ydoc *doc, const yaml_node_t *map, const char *path,
                        const char *key, int min, int max, int *out)
{
    yaml_node_t *v = ydoc_get(doc, map, key);
    char sub[YDOC_PATH_MAX];
    return v ? ydoc_int(doc, v, ydoc_path_key(sub, path, key), min, max, out) : 0;
}

/* ---- county, endpoints, database, link, evaluation ------------------------- */

static int parse_county(struct ydoc *doc, const yaml_node_t *root, struct config *cfg)
{
    static const char *const keys[] = {"name", "code", NULL};
    yaml_node_t *node, *v;
    if (ydoc_require(doc, root, "", "county", &node) < 0 ||
        ydoc_expect_map(doc, node, "county", keys) < 0 ||
        read_name(doc, node, "county", "name", &cfg->county_name) < 0 ||
        ydoc_require(doc, node, "county", "code", &v) < 0 ||
        ydoc_strdup(doc, v, "county.code", &cfg->county_code) < 0)
        return -1;
    /* The code is the region part of project codes (2306-500231-...). The
     * sample quotes it: other YAML tools would read 500231 as a number. */
    if (strlen(cfg->county_code) != 6 || strspn(cfg->county_code, "0123456789") != 6)
        return ydoc_fail(doc, v, "county.code", "'%.40s' is not a 6-digit administrative code",
                         cfg->county_code);
    return 0;
}

static int parse_endpoints(struct ydoc *doc, const yaml_node_t *root, struct config *cfg)
{
    /* Adding an endpoint: add it to this table and to struct cfg_endpoints. */
    struct cfg_endpoints *e = &cfg->endpoints;
    const struct {
        const char *key;
        char **field;
        bool optional;
    } table[] = {
        {"intake", &e->intake, false},     {"router", &e->router, false},
        {"router_dept", &e->router_dept, false}, {"tracker", &e->tracker, false},
        {"delivery", &e->delivery, false}, {"evaluation", &e->evaluation, false},
        /* Without it intake publishes no progress feed (older deployments). */
        {"feed", &e->feed, true},
    };
    enum { N = sizeof table / sizeof table[0] };
    const char *keys[N + 1];
    for (size_t i = 0; i < N; i++)
        keys[i] = table[i].key;
    keys[N] = NULL;
    yaml_node_t *node;
    if (ydoc_require(doc, root, "", "endpoints", &node) < 0 ||
        ydoc_expect_map(doc, node, "endpoints", keys) < 0)
        return -1;
    for (size_t i = 0; i < N; i++) {
        yaml_node_t *v;
        char sub[YDOC_PATH_MAX];
        ydoc_path_key(sub, "endpoints", table[i].key);
        if (table[i].optional && !ydoc_get(doc, node, table[i].key))
            continue;
        if (ydoc_require(doc, node, "endpoints", table[i].key, &v) < 0 ||
            ydoc_strdup(doc, v, sub, table[i].field) < 0)
            return -1;
        if (!strstr(*table[i].field, "://"))
            return ydoc_fail(doc, v, sub, "'%.60s' is not a ZeroMQ endpoint (tcp://host:port)",
                             *table[i].field);
        /* Two daemons cannot bind one address; the second would only fail
         * at start, far from the typo. */
        for (size_t j = 0; j < i; j++)
            if (*table[j].field && strcmp(*table[j].field, *table[i].field) == 0)
                return ydoc_fail(doc, v, sub, "same address as endpoints.%s", table[j].key);
    }
    return 0;
}

static int parse_database(struct ydoc *doc, const yaml_node_t *root, struct config *cfg)
{
    static const char *const keys[] = {"host", "port", "dbname", NULL};
    struct cfg_database *db = &cfg->database;
    yaml_node_t *node = ydoc_get(doc, root, "database");
    yaml_node_t *v;
    if (node) {
        if (ydoc_expect_map(doc, node, "database", keys) < 0)
            return -1;
        if ((v = ydoc_get(doc, node, "host")) && ydoc_strdup(doc, v, "database.host", &db->host) < 0)
            return -1;
        if ((v = ydoc_get(doc, node, "port"))) {
            int port;
            /* Kept as text for libpq's connection keywords, but checked. */
            if (ydoc_int(doc, v, "database.port", 1, 65535, &port) < 0 ||
                ydoc_strdup(doc, v, "database.port", &db->port) < 0)
                return -1;
        }
        if ((v = ydoc_get(doc, node, "dbname")) &&
            ydoc_strdup(doc, v, "database.dbname", &db->dbname) < 0)
            return -1;
    }
    if (!db->dbname && !(db->dbname = strdup("bangdai")))
        return ydoc_fail(doc, root, "database.dbname", "out of memory");
    return 0;
}

/* The metrics field of daemon; NULL for a name that is not a daemon's. */
static char **metrics_field(struct cfg_metrics *m, const char *daemon)
{
    char **fields[] = {&m->intake, &m->router, &m->tracker, &m->delivery, &m->evaluation};
    for (size_t i = 0; config_daemons[i]; i++)
        if (strcmp(config_daemons[i], daemon) == 0)
            return fields[i];
    return NULL;
}

const char *config_metrics_address(const struct config *cfg, const char *daemon)
{
    char **f = metrics_field((struct cfg_metrics *)&cfg->metrics, daemon);
    return f ? *f : NULL;
}

/* Whether s is HOST:PORT as a listening address: a host name or IPv4
 * address (letters, digits, '.', '-'), or an IPv6 address in brackets,
 * then a port 1..65535. Writes why not into why. */
static bool listen_address_ok(const char *s, const char **why)
{
    const char *colon = strrchr(s, ':');
    *why = "is not HOST:PORT (e.g. 127.0.0.1:9101)";
    if (!colon || colon == s)
        return false;
    size_t hl = (size_t)(colon - s);
    if (s[0] == '[') {
        if (hl < 3 || s[hl - 1] != ']' || strspn(s + 1, "0123456789abcdefABCDEF:.") != hl - 2)
            return false;
    } else if (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-") != hl) {
        return false;
    }
    const char *p = colon + 1;
    size_t pl = strlen(p);
    if (pl == 0 || pl > 5 || strspn(p, "0123456789") != pl || atoi(p) < 1 || atoi(p) > 65535) {
        *why = "needs a port 1..65535 after the last ':'";
        return false;
    }
    return true;
}

/* The optional metrics section: one listening address per daemon. */
static int parse_metrics(struct ydoc *doc, const yaml_node_t *root, struct config *cfg)
{
    yaml_node_t *node = ydoc_get(doc, root, "metrics");
    if (!node)
        return 0;
    if (ydoc_expect_map(doc, node, "metrics", config_daemons) < 0)
        return -1;
    for (size_t i = 0; config_daemons[i]; i++) {
        yaml_node_t *v = ydoc_get(doc, node, config_daemons[i]);
        char sub[YDOC_PATH_MAX];
        char **field = metrics_field(&cfg->metrics, config_daemons[i]);
        const char *why;
        ydoc_path_key(sub, "metrics", config_daemons[i]);
        if (!v)
            continue;
        if (ydoc_strdup(doc, v, sub, field) < 0)
            return -1;
        if (!listen_address_ok(*field, &why))
            return ydoc_fail(doc, v, sub, "'%.60s' %s", *field, why);
        for (size_t j = 0; j < i; j++) {
            const char *other = config_metrics_address(cfg, config_daemons[j]);
            if (other && strcmp(other, *field) == 0)
                return ydoc_fail(doc, v, sub, "same address as metrics.%s", config_daemons[j]);
        }
    }
    return 0;
}

/* The optional numeric settings, one row each: section, key, the int it
 * fills in struct config, default and bounds. The same table gives the
 * defaults and checks the file. Adding one: a field in config.h, a row here,
 * a commented line in deploy/config/dianjiang.yaml.
 *
 * Why these bounds: a frame must hold an envelope with a whole case (a few
 * kB); resends faster than 10 ms would spin; a batch beyond 10 000 makes one
 * transaction hold its locks too long; retention must outlast any resend (the
 * smallest, one hour, is above the largest back-off cap). */
static const struct tunable {
    const char *section;
    const char *key;
    size_t offset;
    int def, min, max;
} tunables[] = {
    {"link", "max_frame_bytes", offsetof(struct config, link.max_frame_bytes), 1048576, 4096, 256 << 20},
    {"link", "resend_initial_ms", offsetof(struct config, link.resend_initial_ms), 1000, 10, 600000},
    {"link", "resend_max_ms", offsetof(struct config, link.resend_max_ms), 30000, 10, 3600000},
    {"link", "batch", offsetof(struct config, link.batch), 100, 1, 10000},
    {"link", "retention_hours", offsetof(struct config, link.retention_hours), 168, 1, 24 * 366 * 10},
    {"link", "heartbeat_ms", offsetof(struct config, link.heartbeat_ms), 5000, 100, 600000},
    {"link", "window", offsetof(struct config, link.window), 500, 1, 100000},
    {"link", "defer_limit_s", offsetof(struct config, link.defer_limit_s), 300, 1, 7 * 86400},
    {"evaluation", "return_visit_days", offsetof(struct config, return_visit_days), 5, 1, 60},
    {"evaluation", "rectify_days", offsetof(struct config, rectify_days), 15, 1, 120},
    {"delivery", "handover_days", offsetof(struct config, handover_days), 10, 1, 60},
    {"delivery", "confirm_days", offsetof(struct config, confirm_days), 5, 1, 60},
};
enum { N_TUNABLES = sizeof tunables / sizeof tunables[0] };

static int *tunable_field(struct config *cfg, const struct tunable *t)
{
    return (int *)((char *)cfg + t->offset);
}

/* Reads the optional section of tunables named section; absent keys keep
 * their defaults. */
static int parse_tunables(struct ydoc *doc, const yaml_node_t *root, struct config *cfg,
                          const char *section, const char *extra_key)
{
    yaml_node_t *node = ydoc_get(doc, root, section);
    if (!node)
        return 0;
    const char *keys[N_TUNABLES + 2];
    size_t n = 0;
    for (size_t i = 0; i < N_TUNABLES; i++)
        if (strcmp(tunables[i].section, section) == 0)
            keys[n++] = tunables[i].key;
    if (extra_key)
        keys[n++] = extra_key;
    keys[n] = NULL;
    if (ydoc_expect_map(doc, node, section, keys) < 0)
        return -1;
    for (size_t i = 0; i < N_TUNABLES; i++) {
        const struct tunable *t = &tunables[i];
        if (strcmp(t->section, section) == 0 &&
            read_opt_int(doc, node, section, t->key, t->min, t->max, tunable_field(cfg, t)) < 0)
            return -1;
    }
    return 0;
}

/* The evaluation section: its tunables and per_item_rating (optional,
 * default true): whether the unit may rate each item (一事一评) besides the
 * whole service. */
static int parse_evaluation(struct ydoc *doc, const yaml_node_t *root, struct config *cfg)
{
    cfg->per_item_rating = true;
    if (parse_tunables(doc, root, cfg, "evaluation", "per_item_rating") < 0)
        return -1;
    yaml_node_t *node = ydoc_get(doc, root, "evaluation"), *v;
    if (node && (v = ydoc_get(doc, node, "per_item_rating")) &&
        ydoc_bool(doc, v, "evaluation.per_item_rating", &cfg->per_item_rating) < 0)
        return -1;
    return 0;
}

static int parse_link(struct ydoc *doc, const yaml_node_t *root, struct config *cfg)
{
    if (parse_tunables(doc, root, cfg, "link", NULL) < 0)
        return -1;
    /* Bounds between keys do not fit the table. */
    const struct cfg_link *l = &cfg->link;
    if (l->resend_max_ms < l->resend_initial_ms) {
        yaml_node_t *node = ydoc_get(doc, root, "link");
        yaml_node_t *v = ydoc_get(doc, node, "resend_max_ms");
        return ydoc_fail(doc, v ? v : node, "link.resend_max_ms",
                         "%d is below link.resend_initial_ms (%d)", l->resend_max_ms,
                         l->resend_initial_ms);
    }
    return 0;
}

/* ---- departments and specialists ------------------------------------------ */

/* Specialist ids are unique over the whole file: tasks and ratings name a
 * specialist by id alone. */
static const struct cfg_specialist *find_specialist(const struct config *cfg,
                                                    const char *id)
{
    for (size_t d = 0; d < cfg->n_depts; d++)
        for (size_t s = 0; s < cfg->depts[d].n_specialists; s++)
            if (cfg->depts[d].specialists[s].id &&
                strcmp(cfg->depts[d].specialists[s].id, id) == 0)
                return &cfg->depts[d].specialists[s];
    return NULL;
}

/* Reads the optional list of leave periods of a specialist:
 * away: [{from: 2026-12-01, to: 2026-12-05}, ...], both days included. */
static int parse_away(struct ydoc *doc, const yaml_node_t *node, const char *path,
                      struct cfg_specialist *sp)
{
    static const char *const keys[] = {"from", "to", NULL};
    yaml_node_t *list = ydoc_get(doc, node, "away");
    char sub[YDOC_PATH_MAX];
    size_t n;
    if (!list)
        return 0;
    ydoc_path_key(sub, path, "away");
    if (ydoc_expect_seq(doc, list, sub, &n) < 0)
        return -1;
    if (n == 0)
        return 0;
    if (!(sp->away = calloc(n, sizeof *sp->away)))
        return ydoc_fail(doc, list, sub, "out of memory");
    sp->n_away = n;
    for (size_t i = 0; i < n; i++) {
        char ppath[YDOC_PATH_MAX], dpath[YDOC_PATH_MAX];
        yaml_node_t *p = ydoc_seq_at(doc, list, i), *v[2];
        bd_day *day[2] = {&sp->away[i].from, &sp->away[i].to};
        ydoc_path_index(ppath, sub, i);
        if (ydoc_expect_map(doc, p, ppath, keys) < 0)
            return -1;
        for (int k = 0; k < 2; k++) {
            const char *text;
            ydoc_path_key(dpath, ppath, keys[k]);
            if (ydoc_require(doc, p, ppath, keys[k], &v[k]) < 0 ||
                ydoc_text(doc, v[k], dpath, &text) < 0)
                return -1;
            if (date_parse(text, day[k]) < 0)
                return ydoc_fail(doc, v[k], dpath, "'%.40s' is not a date YYYY-MM-DD", text);
        }
        if (sp->away[i].to < sp->away[i].from) {
            char from[11], to[11];
            date_format(sp->away[i].from, from);
            date_format(sp->away[i].to, to);
            return ydoc_fail(doc, v[1], ydoc_path_key(dpath, ppath, "to"),
                             "%s is before from (%s)", to, from);
        }
    }
    return 0;
}

static int parse_specialist(struct ydoc *doc, const yaml_node_t *node, const char *path,
                            struct config *cfg, struct cfg_specialist *sp)
{
    static const char *const keys[] = {"id", "name", "phone", "away", NULL};
    yaml_node_t *v;
    char sub[YDOC_PATH_MAX];
    char *id = NULL;
    if (ydoc_expect_map(doc, node, path, keys) < 0 || read_code(doc, node, path, "id", &id) < 0) {
        free(id);
        return -1;
    }
    /* Look for a twin before storing the id, so the search cannot find it. */
    if (find_specialist(cfg, id)) {
        free(id);
        v = ydoc_get(doc, node, "id");
        return ydoc_fail(doc, v, ydoc_path_key(sub, path, "id"), "specialist id given twice");
    }
    sp->id = id;
    if (read_name(doc, node, path, "name", &sp->name) < 0)
        return -1;
    ydoc_path_key(sub, path, "phone");
    if (ydoc_require(doc, node, path, "phone", &v) < 0 || ydoc_strdup(doc, v, sub, &sp->phone) < 0)
        return -1;
    if (validate_phone(sp->phone) < 0)
        return ydoc_fail(doc, v, sub, "not a mobile number (11 digits 1[3-9]..., or masked 138****1234)");
    return parse_away(doc, node, path, sp);
}

/* An optional {name, phone} under key: who holds a level of escalation. */
static int parse_holder(struct ydoc *doc, const yaml_node_t *map, const char *path, const char *key,
                        struct cfg_holder *h)
{
    static const char *const keys[] = {"name", "phone", NULL};
    yaml_node_t *node = ydoc_get(doc, map, key), *v;
    char sub[YDOC_PATH_MAX], vpath[YDOC_PATH_MAX];
    if (!node)
        return 0;
    ydoc_path_key(sub, path, key);
    if (ydoc_expect_map(doc, node, sub, keys) < 0 || read_name(doc, node, sub, "name", &h->name) < 0)
        return -1;
    if ((v = ydoc_get(doc, node, "phone"))) {
        ydoc_path_key(vpath, sub, "phone");
        if (ydoc_strdup(doc, v, vpath, &h->phone) < 0)
            return -1;
        if (validate_phone(h->phone) < 0)
            return ydoc_fail(doc, v, vpath, "not a mobile number (11 digits 1[3-9]..., or masked 138****1234)");
    }
    return 0;
}

static int parse_department(struct ydoc *doc, const yaml_node_t *node, const char *path,
                            struct config *cfg, size_t index)
{
    static const char *const keys[] = {"code", "name", "zone", "head", "specialists", NULL};
    struct cfg_department *dp = &cfg->depts[index];
    yaml_node_t *v, *list;
    char sub[YDOC_PATH_MAX];
    if (ydoc_expect_map(doc, node, path, keys) < 0 ||
        read_code(doc, node, path, "code", &dp->code) < 0 ||
        read_name(doc, node, path, "name", &dp->name) < 0)
        return -1;
    for (size_t i = 0; i < index; i++) {
        if (strcmp(cfg->depts[i].code, dp->code) == 0)
            return ydoc_fail(doc, ydoc_get(doc, node, "code"), ydoc_path_key(sub, path, "code"),
                             "department code '%s' given twice", dp->code);
        if (strcmp(cfg->depts[i].name, dp->name) == 0)
            return ydoc_fail(doc, ydoc_get(doc, node, "name"), ydoc_path_key(sub, path, "name"),
                             "department name given twice");
    }
    if ((v = ydoc_get(doc, node, "zone")) &&
        ydoc_bool(doc, v, ydoc_path_key(sub, path, "zone"), &dp->zone) < 0)
        return -1;
    if (parse_holder(doc, node, path, "head", &dp->head) < 0)
        return -1;

    size_t n;
    ydoc_path_key(sub, path, "specialists");
    if (ydoc_require(doc, node, path, "specialists", &list) < 0 ||
        ydoc_expect_seq(doc, list, sub, &n) < 0)
        return -1;
    /* The notice promises one named specialist for every matter. */
    if (n == 0)
        return ydoc_fail(doc, list, sub, "a department needs at least one specialist");
    if (!(dp->specialists = calloc(n, sizeof *dp->specialists)))
        return ydoc_fail(doc, list, sub, "out of memory");
    dp->n_specialists = n;
    for (size_t i = 0; i < n; i++) {
        char ipath[YDOC_PATH_MAX];
        if (parse_specialist(doc, ydoc_seq_at(doc, list, i), ydoc_path_index(ipath, sub, i),
                             cfg, &dp->specialists[i]) < 0)
            return -1;
    }
    return 0;
}

static int parse_departments(struct ydoc *doc, const yaml_node_t *root, struct config *cfg)
{
    yaml_node_t *list;
    size_t n;
    if (ydoc_require(doc, root, "", "departments", &list) < 0 ||
        ydoc_expect_seq(doc, list, "departments", &n) < 0)
        return -1;
    if (n == 0)
        return ydoc_fail(doc, list, "departments", "at least one department is needed");
    if (!(cfg->depts = calloc(n, sizeof *cfg->depts)))
        return ydoc_fail(doc, list, "departments", "out of memory");
    /* Count the entries up to the one being parsed, not the whole array:
     * the specialist search walks cfg->n_depts and must not reach slots not
     * yet filled. The destructor frees whatever a failed entry left half
     * built, since calloc started its fields as NULL. */
    for (size_t i = 0; i < n; i++) {
        char path[YDOC_PATH_MAX];
        cfg->n_depts = i + 1;
        if (parse_department(doc, ydoc_seq_at(doc, list, i),
                             ydoc_path_index(path, "departments", i), cfg, i) < 0)
            return -1;
    }
    return 0;
}

/* ---- approval items --------------------------------------------------------- */

/* pause_limits: {expert_review: 20, ...}: the most working days a pause of
 * each kind counts against the item's deadline, where the law sets one
 * (行政许可法 §45 lets the item's own law do so). */
static int parse_pause_limits(struct ydoc *doc, const yaml_node_t *node, const char *path,
                              struct cfg_item *it)
{
    static const char *const keys[] = {"expert_review", "hearing", "inspection", "appraisal", "supplement",
                                       NULL};
    char sub[YDOC_PATH_MAX];
    yaml_node_t *sv;
    if (ydoc_expect_map(doc, node, path, keys) < 0)
        return -1;
    if ((sv = ydoc_get(doc, node, "supplement")))
        return ydoc_fail(doc, sv, ydoc_path_key(sub, path, "supplement"),
                         "补正 is the unit's own time and has no limit; limits are for expert_review, "
                         "hearing, inspection and appraisal");
    for (const char *const *k = keys; *k; k++) {
        yaml_node_t *v = ydoc_get(doc, node, *k);
        enum pause_kind kind;
        if (!v)
            continue;
        if (pause_kind_parse(*k, &kind) != 0)
            return ydoc_fail(doc, v, path, "'%s' is not a kind of pause", *k);    /* keys[] and states.c disagree */
        if (ydoc_int(doc, v, ydoc_path_key(sub, path, *k), 1, 250, &it->pause_limits[kind]) < 0)
            return -1;
    }
    return 0;
}

static int parse_item(struct ydoc *doc, const yaml_node_t *node, const char *path,
                      struct config *cfg, size_t index)
{
    static const char *const keys[] = {"code", "name", "stage", "dept", "promised_days",
                                       "statutory_days", "fee", "materials", "pause_limits", NULL};
    struct cfg_item *it = &cfg->items[index];
    yaml_node_t *v, *list;
    char sub[YDOC_PATH_MAX];
    if (ydoc_expect_map(doc, node, path, keys) < 0 ||
        read_code(doc, node, path, "code", &it->code) < 0)
        return -1;
    for (size_t i = 0; i < index; i++)
        if (strcmp(cfg->items[i].code, it->code) == 0)
            return ydoc_fail(doc, ydoc_get(doc, node, "code"), ydoc_path_key(sub, path, "code"),
                             "item code '%s' given twice", it->code);
    if (read_name(doc, node, path, "name", &it->name) < 0)
        return -1;

    ydoc_path_key(sub, path, "stage");
    if (ydoc_require(doc, node, path, "stage", &v) < 0 || ydoc_strdup(doc, v, sub, &it->stage) < 0)
        return -1;
    if (!config_stage_name(it->stage))
        return ydoc_fail(doc, v, sub, "'%.40s' is not one of land, works, construction, completion",
                         it->stage);

    ydoc_path_key(sub, path, "dept");
    if (ydoc_require(doc, node, path, "dept", &v) < 0 || ydoc_strdup(doc, v, sub, &it->dept) < 0)
        return -1;
    if (!config_dept(cfg, it->dept))
        return ydoc_fail(doc, v, sub, "no department '%.40s' in departments", it->dept);

    /* A limit of up to a year of working days covers every statutory limit
     * in the catalog; the promise may equal the law but not exceed it. */
    yaml_node_t *pv;
    if (ydoc_require(doc, node, path, "statutory_days", &v) < 0 ||
        ydoc_int(doc, v, ydoc_path_key(sub, path, "statutory_days"), 1, 250,
                 &it->statutory_days) < 0 ||
        ydoc_require(doc, node, path, "promised_days", &pv) < 0 ||
        ydoc_int(doc, pv, ydoc_path_key(sub, path, "promised_days"), 1, 250,
                 &it->promised_days) < 0)
        return -1;
    if (it->promised_days > it->statutory_days)
        return ydoc_fail(doc, pv, sub, "%d exceeds statutory_days (%d)", it->promised_days,
                         it->statutory_days);

    if (ydoc_require(doc, node, path, "fee", &v) < 0 ||
        ydoc_bool(doc, v, ydoc_path_key(sub, path, "fee"), &it->fee) < 0)
        return -1;

    if ((v = ydoc_get(doc, node, "pause_limits")) &&
        parse_pause_limits(doc, v, ydoc_path_key(sub, path, "pause_limits"), it) < 0)
        return -1;

    size_t n;
    ydoc_path_key(sub, path, "materials");
    if (ydoc_require(doc, node, path, "materials", &list) < 0 ||
        ydoc_expect_seq(doc, list, sub, &n) < 0)
        return -1;
    if (n == 0)
        return ydoc_fail(doc, list, sub, "at least one material is needed");
    if (!(it->materials = calloc(n, sizeof *it->materials)))
        return ydoc_fail(doc, list, sub, "out of memory");
    it->n_materials = n;
    for (size_t i = 0; i < n; i++) {
        char mpath[YDOC_PATH_MAX];
        yaml_node_t *m = ydoc_seq_at(doc, list, i);
        ydoc_path_index(mpath, sub, i);
        if (ydoc_strdup(doc, m, mpath, &it->materials[i]) < 0)
            return -1;
        if (validate_text(it->materials[i], NAME_MAX_BYTES) < 0)
            return ydoc_fail(doc, m, mpath, "must be text of at most %d bytes without control characters",
                             NAME_MAX_BYTES);
        for (size_t j = 0; j < i; j++)
            if (strcmp(it->materials[j], it->materials[i]) == 0)
                return ydoc_fail(doc, m, mpath, "material listed twice");
    }
    return 0;
}

static int parse_items(struct ydoc *doc, const yaml_node_t *root, struct config *cfg)
{
    yaml_node_t *list;
    size_t n;
    if (ydoc_require(doc, root, "", "items", &list) < 0 ||
        ydoc_expect_seq(doc, list, "items", &n) < 0)
        return -1;
    if (n == 0)
        return ydoc_fail(doc, list, "items", "at least one item is needed");
    if (!(cfg->items = calloc(n, sizeof *cfg->items)))
        return ydoc_fail(doc, list, "items", "out of memory");
    cfg->n_items = n;
    for (size_t i = 0; i < n; i++) {
        char path[YDOC_PATH_MAX];
        if (parse_item(doc, ydoc_seq_at(doc, list, i), ydoc_path_index(path, "items", i), cfg, i) < 0)
            return -1;
    }
    return 0;
}

/* ---- security and routing ------------------------------------------------ */

/* Where certs_dir may lead: the certificate paths built from it (dir, '/',
 * a key name of at most CODE_MAX_BYTES, ".key_secret") must stay below the
 * 256 bytes czmq's zcert_load() has room for. */
#define CERTS_DIR_MAX_BYTES 200

static const struct {
    const char *name;
    enum key_role role;
} roles[] = {
    {"hall", ROLE_HALL},
    {"department", ROLE_DEPARTMENT},
    {"hall-management", ROLE_HALL_MANAGEMENT},
    {"service", ROLE_SERVICE},
};

const char *config_role_name(enum key_role role)
{
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (roles[i].role == role)
            return roles[i].name;
    return NULL;
}

int config_role_parse(const char *text, enum key_role *out)
{
    for (size_t i = 0; text && i < sizeof roles / sizeof roles[0]; i++)
        if (strcmp(roles[i].name, text) == 0) {
            *out = roles[i].role;
            return 0;
        }
    return -1;
}

/* Whether s is a CURVE public key in Z85 (ZeroMQ RFC 32): 40 characters of
 * the Z85 alphabet, each group of five encoding a value below 2^32. */
static bool z85_key_ok(const char *s)
{
    static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz"
                                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
    if (strlen(s) != 40)
        return false;
    for (size_t g = 0; g < 40; g += 5) {
        unsigned long long value = 0;
        for (size_t i = g; i < g + 5; i++) {
            const char *at = strchr(alphabet, s[i]);
            if (!at)
                return false;
            value = value * 85 + (unsigned long long)(at - alphabet);
        }
        if (value > 0xffffffffULL)
            return false;
    }
    return true;
}

static int parse_key(struct ydoc *doc, const yaml_node_t *node, const char *path,
                     struct config *cfg, size_t index)
{
    static const char *const keys[] = {"name", "role", "dept", "public_key", NULL};
    struct cfg_security *sec = &cfg->security;
    struct cfg_key *k = &sec->keys[index];
    yaml_node_t *v;
    const char *text;
    char sub[YDOC_PATH_MAX];
    if (ydoc_expect_map(doc, node, path, keys) < 0 ||
        read_code(doc, node, path, "name", &k->name) < 0)
        return -1;
    for (size_t i = 0; i < index; i++)
        if (strcmp(sec->keys[i].name, k->name) == 0)
            return ydoc_fail(doc, ydoc_get(doc, node, "name"), ydoc_path_key(sub, path, "name"),
                             "key name '%s' given twice", k->name);

    ydoc_path_key(sub, path, "role");
    if (ydoc_require(doc, node, path, "role", &v) < 0 || ydoc_text(doc, v, sub, &text) < 0)
        return -1;
    if (config_role_parse(text, &k->role) < 0)
        return ydoc_fail(doc, v, sub,
                         "'%.40s' is not one of hall, department, hall-management, service", text);

    /* A department key speaks for exactly one department; no other key
     * speaks for any. */
    ydoc_path_key(sub, path, "dept");
    if (k->role == ROLE_DEPARTMENT) {
        if (ydoc_require(doc, node, path, "dept", &v) < 0 || ydoc_strdup(doc, v, sub, &k->dept) < 0)
            return -1;
        if (!config_dept(cfg, k->dept))
            return ydoc_fail(doc, v, sub, "no department '%.40s' in departments", k->dept);
    } else if ((v = ydoc_get(doc, node, "dept"))) {
        return ydoc_fail(doc, v, sub, "only a key of role department names a department");
    }

    if ((v = ydoc_get(doc, node, "public_key"))) {
        ydoc_path_key(sub, path, "public_key");
        if (ydoc_strdup(doc, v, sub, &k->public_key) < 0)
            return -1;
        if (!z85_key_ok(k->public_key))
            return ydoc_fail(doc, v, sub, "not a CURVE public key (40 characters of Z85)");
        /* One public key, one role: a key listed twice would make the
         * peer's role depend on the order of the list. */
        for (size_t i = 0; i < index; i++)
            if (sec->keys[i].public_key && strcmp(sec->keys[i].public_key, k->public_key) == 0)
                return ydoc_fail(doc, v, sub, "same public key as key '%s'", sec->keys[i].name);
    }
    return 0;
}

/* Checks that the keys cover the deployment: a service key per daemon, a
 * department key per department, a hall key. */
static int check_keys_cover(struct ydoc *doc, const yaml_node_t *list, struct config *cfg)
{
    const struct cfg_security *sec = &cfg->security;
    for (const char *const *d = config_daemons; *d; d++) {
        const struct cfg_key *k = config_key(cfg, *d);
        if (!k)
            return ydoc_fail(doc, list, "security.keys",
                             "no key named '%s' (each daemon uses the key named after it, role service)",
                             *d);
        if (k->role != ROLE_SERVICE) {
            char path[YDOC_PATH_MAX], sub[YDOC_PATH_MAX];
            size_t i = (size_t)(k - sec->keys);
            ydoc_path_index(path, "security.keys", i);
            return ydoc_fail(doc, ydoc_get(doc, ydoc_seq_at(doc, list, i), "role"),
                             ydoc_path_key(sub, path, "role"),
                             "the key of daemon %s must have role service", *d);
        }
    }
    for (size_t d = 0; d < cfg->n_depts; d++) {
        bool found = false;
        for (size_t i = 0; i < sec->n_keys && !found; i++)
            found = sec->keys[i].role == ROLE_DEPARTMENT &&
                    strcmp(sec->keys[i].dept, cfg->depts[d].code) == 0;
        if (!found)
            return ydoc_fail(doc, list, "security.keys",
                             "department '%s' has no key of role department", cfg->depts[d].code);
    }
    for (size_t i = 0; i < sec->n_keys; i++)
        if (sec->keys[i].role == ROLE_HALL)
            return 0;
    return ydoc_fail(doc, list, "security.keys", "no key of role hall (the online hall needs one)");
}

/* The security section; see struct cfg_security. Needs the departments. */
static int parse_security(struct ydoc *doc, const yaml_node_t *root, struct config *cfg)
{
    static const char *const keys[] = {"certs_dir", "zap_domain", "keys", NULL};
    struct cfg_security *sec = &cfg->security;
    yaml_node_t *node, *v, *list;
    size_t n;
    if (ydoc_require(doc, root, "", "security", &node) < 0 ||
        ydoc_expect_map(doc, node, "security", keys) < 0 ||
        ydoc_require(doc, node, "security", "certs_dir", &v) < 0 ||
        ydoc_strdup(doc, v, "security.certs_dir", &sec->certs_dir) < 0)
        return -1;
    if (validate_text(sec->certs_dir, CERTS_DIR_MAX_BYTES) < 0)
        return ydoc_fail(doc, v, "security.certs_dir",
                         "must be a path of at most %d bytes without control characters",
                         CERTS_DIR_MAX_BYTES);
    if ((v = ydoc_get(doc, node, "zap_domain"))) {
        if (read_code(doc, node, "security", "zap_domain", &sec->zap_domain) < 0)
            return -1;
    } else if (!(sec->zap_domain = strdup("bangdai"))) {
        return ydoc_fail(doc, node, "security.zap_domain", "out of memory");
    }

    if (ydoc_require(doc, node, "security", "keys", &list) < 0 ||
        ydoc_expect_seq(doc, list, "security.keys", &n) < 0)
        return -1;
    if (n == 0)
        return ydoc_fail(doc, list, "security.keys", "at least one key is needed");
    if (!(sec->keys = calloc(n, sizeof *sec->keys)))
        return ydoc_fail(doc, list, "security.keys", "out of memory");
    /* As with the departments: count only the entries parsed so far, so
     * that config_key() never reaches an empty slot. */
    for (size_t i = 0; i < n; i++) {
        char path[YDOC_PATH_MAX];
        sec->n_keys = i + 1;
        if (parse_key(doc, ydoc_seq_at(doc, list, i), ydoc_path_index(path, "security.keys", i),
                      cfg, i) < 0)
            return -1;
    }
    return check_keys_cover(doc, list, cfg);
}

/* The optional routing section: which task of a case leads (牵头). */
static int parse_routing(struct ydoc *doc, const yaml_node_t *root, struct config *cfg)
{
    static const char *const keys[] = {"lead", NULL};
    yaml_node_t *node = ydoc_get(doc, root, "routing"), *v;
    if (node) {
        if (ydoc_expect_map(doc, node, "routing", keys) < 0)
            return -1;
        if ((v = ydoc_get(doc, node, "lead"))) {
            if (ydoc_strdup(doc, v, "routing.lead", &cfg->lead_rule) < 0)
                return -1;
            if (strcmp(cfg->lead_rule, "earliest_stage") != 0 &&
                strcmp(cfg->lead_rule, "first_item") != 0)
                return ydoc_fail(doc, v, "routing.lead",
                                 "'%.40s' is not one of earliest_stage, first_item", cfg->lead_rule);
        }
    }
    if (!cfg->lead_rule && !(cfg->lead_rule = strdup("earliest_stage")))
        return ydoc_fail(doc, root, "routing.lead", "out of memory");
    return 0;
}

/* ---- calendar ------------------------------------------------------------- */

static int day_cmp(const void *a, const void *b)
{
    bd_day x = *(const bd_day *)a, y = *(const bd_day *)b;
    return (x > y) - (x < y);
}

static int year_cmp(const void *a, const void *b)
{
    const struct cal_year *x = a, *y = b;
    return (x->year > y->year) - (x->year < y->year);
}

/* Reads one list of dates of a calendar year into a new sorted array. Every
 * date must fall in that year: the calendar is looked up by a day's own
 * year, so a date listed under another year would be silently ignored (a
 * 元旦 break that starts in December belongs under the December's year). */
static int parse_days(struct ydoc *doc, const yaml_node_t *year_node, const char *path,
                      const char *key, int year, bool weekend_only, bd_day **out, size_t *nout)
{
    yaml_node_t *list;
    size_t n;
    char sub[YDOC_PATH_MAX];
    ydoc_path_key(sub, path, key);
    if (ydoc_require(doc, year_node, path, key, &list) < 0 || ydoc_expect_seq(doc, list, sub, &n) < 0)
        return -1;
    if (n == 0)
        return 0;
    bd_day *days = calloc(n, sizeof *days);
    if (!days)
        return ydoc_fail(doc, list, sub, "out of memory");
    *out = days;
    *nout = n;
    for (size_t i = 0; i < n; i++) {
        char dpath[YDOC_PATH_MAX];
        yaml_node_t *d = ydoc_seq_at(doc, list, i);
        const char *text;
        ydoc_path_index(dpath, sub, i);
        if (ydoc_text(doc, d, dpath, &text) < 0)
            return -1;
        if (date_parse(text, &days[i]) < 0)
            return ydoc_fail(doc, d, dpath, "'%.40s' is not a date YYYY-MM-DD", text);
        int y;
        date_to_ymd(days[i], &y, NULL, NULL);
        if (y != year)
            return ydoc_fail(doc, d, dpath, "%s is not in %d (list it under its own year)", text,
                             year);
        if (weekend_only && date_weekday(days[i]) < 6)
            return ydoc_fail(doc, d, dpath,
                             "%s is a weekday; make-up working days (调休) fall on weekends", text);
        for (size_t j = 0; j < i; j++)
            if (days[j] == days[i])
                return ydoc_fail(doc, d, dpath, "%s listed twice", text);
    }
    qsort(days, n, sizeof *days, day_cmp);
    return 0;
}

/* Reports day, found in both lists of the year at node, at its line in the
 * workdays list (the lists were sorted, so the index has to be found again). */
static int both_lists(struct ydoc *doc, const yaml_node_t *node, const char *path, bd_day day)
{
    char text[11], sub[YDOC_PATH_MAX], dpath[YDOC_PATH_MAX];
    yaml_node_t *list = ydoc_get(doc, node, "workdays");
    size_t n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
    date_format(day, text);
    ydoc_path_key(sub, path, "workdays");
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *d = ydoc_seq_at(doc, list, i);
        bd_day parsed;
        if (date_parse((const char *)d->data.scalar.value, &parsed) == 0 && parsed == day)
            return ydoc_fail(doc, d, ydoc_path_index(dpath, sub, i),
                             "%s is also listed as a holiday", text);
    }
    return ydoc_fail(doc, list, sub, "%s is also listed as a holiday", text);
}

static int parse_year(struct ydoc *doc, const yaml_node_t *node, const char *path,
                      struct cal_year *cy)
{
    /* Both lists are required, even when empty ([]): a year whose make-up
     * days were forgotten would give wrong deadlines without a word. */
    static const char *const keys[] = {"year", "version", "holidays", "workdays", NULL};
    yaml_node_t *v;
    char sub[YDOC_PATH_MAX];
    if (ydoc_expect_map(doc, node, path, keys) < 0 ||
        ydoc_require(doc, node, path, "year", &v) < 0 ||
        ydoc_int(doc, v, ydoc_path_key(sub, path, "year"), 1970, 9999, &cy->year) < 0 ||
        read_name(doc, node, path, "version", &cy->version) < 0 ||
        parse_days(doc, node, path, "holidays", cy->year, false, &cy->holidays, &cy->n_holidays) < 0 ||
        parse_days(doc, node, path, "workdays", cy->year, true, &cy->workdays, &cy->n_workdays) < 0)
        return -1;
    /* Both lists are sorted now: one merge pass finds a day in both. */
    for (size_t h = 0, w = 0; h < cy->n_holidays && w < cy->n_workdays;) {
        if (cy->holidays[h] == cy->workdays[w])
            return both_lists(doc, node, path, cy->workdays[w]);
        if (cy->holidays[h] < cy->workdays[w])
            h++;
        else
            w++;
    }
    return 0;
}

static int parse_calendar(struct ydoc *doc, const yaml_node_t *root, struct config *cfg)
{
    yaml_node_t *list;
    size_t n;
    struct calendar *cal = &cfg->calendar;
    if (ydoc_require(doc, root, "", "calendar", &list) < 0 ||
        ydoc_expect_seq(doc, list, "calendar", &n) < 0)
        return -1;
    /* Without a year no deadline can be computed. */
    if (n == 0)
        return ydoc_fail(doc, list, "calendar", "at least one year is needed");
    if (!(cal->years = calloc(n, sizeof *cal->years)))
        return ydoc_fail(doc, list, "calendar", "out of memory");
    cal->n_years = n;
    for (size_t i = 0; i < n; i++) {
        char path[YDOC_PATH_MAX];
        yaml_node_t *node = ydoc_seq_at(doc, list, i);
        ydoc_path_index(path, "calendar", i);
        if (parse_year(doc, node, path, &cal->years[i]) < 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (cal->years[j].year == cal->years[i].year) {
                char sub[YDOC_PATH_MAX];
                return ydoc_fail(doc, ydoc_get(doc, node, "year"), ydoc_path_key(sub, path, "year"),
                                 "year %d given twice", cal->years[i].year);
            }
    }
    qsort(cal->years, n, sizeof *cal->years, year_cmp);
    return 0;
}

/* ---- reminders -------------------------------------------------------------- */

const char *config_office_closed(const struct config *cfg, int64_t now_us)
{
    int minute = (int)(((now_us / 1000000 + 8 * 3600) % 86400) / 60);    /* China time */
    int workday = calendar_is_workday(&cfg->calendar, date_from_unix_us(now_us));
    return workday < 0 ? "the calendar does not know today"
         : workday == 0 ? "not a working day"
         : minute < cfg->reminders.office_from || minute >= cfg->reminders.office_to ? "outside office hours"
         : NULL;
}

void config_holder_text(const struct config *cfg, const char *dept_code, enum escalation_level level,
                        const char *specialist, char *buf, size_t len)
{
    const struct cfg_department *d = config_dept(cfg, dept_code);
    const struct cfg_holder *h = level == ESC_LEADER ? &cfg->reminders.leader
                               : level == ESC_OFFICE ? &cfg->reminders.office
                               : level == ESC_DEPT_HEAD && d ? &d->head : NULL;
    if (h && h->name)
        snprintf(buf, len, "%s", h->name);
    else if (level == ESC_SPECIALIST)
        snprintf(buf, len, "%s", specialist ? specialist : "");
    else if (level == ESC_DEPT_HEAD)
        snprintf(buf, len, "%s负责人", d ? d->name : dept_code);
    else
        snprintf(buf, len, "%s", level == ESC_LEADER ? "分管领导" : "专项小组办公室");
}

const char *config_level_name(enum escalation_level level)
{
    static const char *const names[N_ESC_LEVELS] = {"specialist", "dept_head", "leader", "office"};
    return level >= 0 && level < N_ESC_LEVELS ? names[level] : "?";
}

/* "HH:MM" into minutes after midnight. */
static int read_clock(struct ydoc *doc, const yaml_node_t *map, const char *path, const char *key, int *out)
{
    yaml_node_t *v;
    char sub[YDOC_PATH_MAX];
    const char *text;
    int h, m;
    char end;
    ydoc_path_key(sub, path, key);
    if (ydoc_require(doc, map, path, key, &v) < 0 || ydoc_text(doc, v, sub, &text) < 0)
        return -1;
    if (sscanf(text, "%2d:%2d%c", &h, &m, &end) != 2 || strlen(text) != 5 || h > 23 || m > 59 || h < 0 || m < 0)
        return ydoc_fail(doc, v, sub, "'%.20s' is not a time HH:MM", text);
    *out = h * 60 + m;
    return 0;
}

/* The optional section reminders; see config.h for the defaults. */
static int parse_reminders(struct ydoc *doc, const yaml_node_t *root, struct config *cfg)
{
    static const char *const keys[] = {"office_hours", "warn_days", "escalation", "leader", "office", NULL};
    static const char *const hour_keys[] = {"from", "to", NULL};
    static const char *const esc_keys[] = {"specialist", "dept_head", "leader", "office", NULL};
    struct cfg_reminders *r = &cfg->reminders;
    *r = (struct cfg_reminders){ .office_from = 9 * 60, .office_to = 17 * 60 + 30, .warn_days = 2,
                                 .escalate_after = {1, 2, 4, 6} };
    yaml_node_t *node = ydoc_get(doc, root, "reminders"), *v;
    if (!node)
        return 0;
    if (ydoc_expect_map(doc, node, "reminders", keys) < 0 ||
        read_opt_int(doc, node, "reminders", "warn_days", 0, 30, &r->warn_days) < 0 ||
        parse_holder(doc, node, "reminders", "leader", &r->leader) < 0 ||
        parse_holder(doc, node, "reminders", "office", &r->office) < 0)
        return -1;
    if ((v = ydoc_get(doc, node, "office_hours"))) {
        if (ydoc_expect_map(doc, v, "reminders.office_hours", hour_keys) < 0 ||
            read_clock(doc, v, "reminders.office_hours", "from", &r->office_from) < 0 ||
            read_clock(doc, v, "reminders.office_hours", "to", &r->office_to) < 0)
            return -1;
        if (r->office_to <= r->office_from)
            return ydoc_fail(doc, v, "reminders.office_hours", "'to' must be after 'from'");
    }
    if ((v = ydoc_get(doc, node, "escalation"))) {
        if (ydoc_expect_map(doc, v, "reminders.escalation", esc_keys) < 0)
            return -1;
        for (int l = 0; l < N_ESC_LEVELS; l++)
            if (read_opt_int(doc, v, "reminders.escalation", esc_keys[l], 1, 250, &r->escalate_after[l]) < 0)
                return -1;
        for (int l = 1; l < N_ESC_LEVELS; l++)
            if (r->escalate_after[l] <= r->escalate_after[l - 1]) {
                char sub[YDOC_PATH_MAX];
                return ydoc_fail(doc, v, ydoc_path_key(sub, "reminders.escalation", esc_keys[l]),
                                 "%d: each level comes after the one before (%s: %d)", r->escalate_after[l],
                                 esc_keys[l - 1], r->escalate_after[l - 1]);
            }
    }
    return 0;
}

/* ---- the whole file ------------------------------------------------------- */

static int parse_root(struct ydoc *doc, struct config *cfg)
{
    /* Adding a section: name it here and give it a parse_ function above. */
    static const char *const keys[] = {"county", "endpoints", "security", "database", "metrics", "link",
                                       "evaluation", "delivery", "routing", "departments", "items",
                                       "calendar", "reminders", NULL};
    yaml_node_t *root = ydoc_root(doc);
    /* security comes after departments: a department key names one. */
    if (ydoc_expect_map(doc, root, "", keys) < 0 || parse_county(doc, root, cfg) < 0 ||
        parse_endpoints(doc, root, cfg) < 0 || parse_database(doc, root, cfg) < 0 ||
        parse_metrics(doc, root, cfg) < 0 || parse_link(doc, root, cfg) < 0 || parse_evaluation(doc, root, cfg) < 0 ||
        parse_tunables(doc, root, cfg, "delivery", NULL) < 0 ||
        parse_routing(doc, root, cfg) < 0 || parse_departments(doc, root, cfg) < 0 ||
        parse_security(doc, root, cfg) < 0 || parse_items(doc, root, cfg) < 0 ||
        parse_calendar(doc, root, cfg) < 0 || parse_reminders(doc, root, cfg) < 0)
        return -1;
    return 0;
}

int config_load(const char *path, struct config **out, char *err, size_t errlen)
{
    struct ydoc *doc;
    if (ydoc_load(path, &doc, err, errlen) < 0)
        return -1;
    struct config *cfg = calloc(1, sizeof *cfg);
    if (!cfg || !(cfg->path = strdup(path))) {
        if (errlen > 0)
            snprintf(err, errlen, "%s: out of memory", path);
        free(cfg);
        ydoc_destroy(&doc);
        return -1;
    }
    for (size_t i = 0; i < N_TUNABLES; i++)
        *tunable_field(cfg, &tunables[i]) = tunables[i].def;

    if (parse_root(doc, cfg) < 0) {
        if (errlen > 0)
            snprintf(err, errlen, "%s", ydoc_errmsg(doc));
        config_destroy(&cfg);
        ydoc_destroy(&doc);
        return -1;
    }
    ydoc_destroy(&doc);
    *out = cfg;
    return 0;
}

void config_destroy(struct config **cfgp)
{
    if (!cfgp || !*cfgp)
        return;
    struct config *cfg = *cfgp;
    free(cfg->path);
    free(cfg->county_name);
    free(cfg->county_code);
    free(cfg->endpoints.intake);
    free(cfg->endpoints.router);
    free(cfg->endpoints.router_dept);
    free(cfg->endpoints.tracker);
    free(cfg->endpoints.delivery);
    free(cfg->endpoints.evaluation);
    free(cfg->endpoints.feed);
    free(cfg->database.host);
    free(cfg->database.port);
    free(cfg->database.dbname);
    free(cfg->metrics.intake);
    free(cfg->metrics.router);
    free(cfg->metrics.tracker);
    free(cfg->metrics.delivery);
    free(cfg->metrics.evaluation);
    for (size_t d = 0; d < cfg->n_depts; d++) {
        struct cfg_department *dp = &cfg->depts[d];
        for (size_t s = 0; s < dp->n_specialists; s++) {
            free(dp->specialists[s].id);
            free(dp->specialists[s].name);
            free(dp->specialists[s].phone);
            free(dp->specialists[s].away);
        }
        free(dp->specialists);
        free(dp->code);
        free(dp->name);
        free(dp->head.name);
        free(dp->head.phone);
    }
    free(cfg->depts);
    for (size_t i = 0; i < cfg->n_items; i++) {
        struct cfg_item *it = &cfg->items[i];
        for (size_t m = 0; m < it->n_materials; m++)
            free(it->materials[m]);
        free(it->materials);
        free(it->code);
        free(it->name);
        free(it->stage);
        free(it->dept);
    }
    free(cfg->items);
    calendar_clear(&cfg->calendar);
    for (size_t i = 0; i < cfg->security.n_keys; i++) {
        free(cfg->security.keys[i].name);
        free(cfg->security.keys[i].dept);
        free(cfg->security.keys[i].public_key);
    }
    free(cfg->security.keys);
    free(cfg->security.certs_dir);
    free(cfg->security.zap_domain);
    free(cfg->lead_rule);
    free(cfg->reminders.leader.name);
    free(cfg->reminders.leader.phone);
    free(cfg->reminders.office.name);
    free(cfg->reminders.office.phone);
    free(cfg);
    *cfgp = NULL;
}

/* ---- lookups -------------------------------------------------------------- */

const struct cfg_department *config_dept(const struct config *cfg, const char *code)
{
    /* Also used while loading, when later slots may still be empty. */
    for (size_t i = 0; i < cfg->n_depts; i++)
        if (cfg->depts[i].code && strcmp(cfg->depts[i].code, code) == 0)
            return &cfg->depts[i];
    return NULL;
}

const struct cfg_item *config_item(const struct config *cfg, const char *code)
{
    for (size_t i = 0; i < cfg->n_items; i++)
        if (cfg->items[i].code && strcmp(cfg->items[i].code, code) == 0)
            return &cfg->items[i];
    return NULL;
}

const struct cfg_specialist *config_specialist(const struct config *cfg, const char *id,
                                               const struct cfg_department **dept)
{
    for (size_t d = 0; d < cfg->n_depts; d++)
        for (size_t s = 0; s < cfg->depts[d].n_specialists; s++)
            if (strcmp(cfg->depts[d].specialists[s].id, id) == 0) {
                if (dept)
                    *dept = &cfg->depts[d];
                return &cfg->depts[d].specialists[s];
            }
    return NULL;
}

const struct cfg_key *config_key(const struct config *cfg, const char *name)
{
    /* Also used while loading, when later slots may still be empty. */
    for (size_t i = 0; name && i < cfg->security.n_keys; i++)
        if (cfg->security.keys[i].name && strcmp(cfg->security.keys[i].name, name) == 0)
            return &cfg->security.keys[i];
    return NULL;
}

const struct cfg_key *config_key_by_public(const struct config *cfg, const char *z85)
{
    for (size_t i = 0; z85 && i < cfg->security.n_keys; i++)
        if (cfg->security.keys[i].public_key && strcmp(cfg->security.keys[i].public_key, z85) == 0)
            return &cfg->security.keys[i];
    return NULL;
}

bool config_specialist_away(const struct cfg_specialist *sp, bd_day day)
{
    for (size_t i = 0; i < sp->n_away; i++)
        if (sp->away[i].from <= day && day <= sp->away[i].to)
            return true;
    return false;
}

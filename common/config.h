/* config.h - the deployment's YAML configuration, read with libyaml.
 *
 * One file per deployment (deploy/config/dianjiang.yaml is the county of the
 * seed notice). config_load() reads and validates the whole file; on any
 * error it names the file, the line and the key, and loads nothing. The
 * loaded struct is read-only afterwards and owned by the caller.
 *
 * Adding a key: add the field here, parse and validate it in config.c,
 * document it in the sample file and in README.md (Configuration).
 */
#ifndef BANGDAI_CONFIG_H
#define BANGDAI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "calendar.h"
#include "states.h"

/* A span of days, both ends included. */
struct cfg_period {
    bd_day from;
    bd_day to;
};

struct cfg_specialist {
    char *id;                   /* unique in the file, e.g. "zjw-1" */
    char *name;                 /* published name */
    char *phone;                /* masked in the repo (138****1234) */
    struct cfg_period *away;    /* leave etc. from the roster: not assigned then */
    size_t n_away;
};

/* Who a CURVE key belongs to. Each key has one role. */
enum key_role {
    ROLE_HALL = 1,              /* the online hall: submit, query, withdraw */
    ROLE_DEPARTMENT = 2,        /* one department's agent (dept names which) */
    ROLE_HALL_MANAGEMENT = 4,   /* hall management and operators (bangdaictl) */
    ROLE_SERVICE = 8,           /* a bangdai daemon */
};

/* Role names in the file: "hall", "department", "hall-management",
 * "service". NULL for a value that is not one role. */
const char *config_role_name(enum key_role role);

/* The role named text; returns 0, or -1 for a name that is not a role. */
int config_role_parse(const char *text, enum key_role *out);

struct cfg_key {
    char *name;                 /* unique code; also the cert file name in certs_dir */
    enum key_role role;
    char *dept;                 /* department code, for ROLE_DEPARTMENT only */
    char *public_key;           /* Z85, 40 characters; NULL: read from
                                 * <certs_dir>/<name>.key when first needed */
};

/* The security section. Validation guarantees: every daemon (intake, router,
 * tracker, delivery, evaluation) has a key of role service named after it,
 * every department has at least one department key, there is a hall key,
 * names are unique codes and inline public keys are valid and unique. Key
 * files are not read at load: see security.h. */
struct cfg_security {
    char *certs_dir;            /* where the certificates are (zcert files);
                                 * relative to the working directory */
    char *zap_domain;           /* default "bangdai" */
    struct cfg_key *keys;
    size_t n_keys;
};

/* Who holds a level of escalation: a name as published, a phone (masked
 * in the repo) or NULL. */
struct cfg_holder {
    char *name;
    char *phone;
};

struct cfg_department {
    char *code;                 /* short ASCII code, e.g. "zjw"; unique */
    char *name;                 /* e.g. 县住房城乡建委 */
    struct cfg_holder head;     /* the department's head; name NULL: "the head of <name>" */
    bool zone;                  /* a zone body (高新区, 东部新区, ...) */
    struct cfg_specialist *specialists;
    size_t n_specialists;       /* at least one */
};

struct cfg_item {
    char *code;                 /* catalog code, e.g. "SG-XK"; unique */
    char *name;                 /* e.g. 建筑工程施工许可证核发 */
    char *stage;                /* one of the four stage codes, see config_stage_name() */
    char *dept;                 /* code of a department in the file */
    int promised_days;          /* 承诺时限, working days, 1 <= promised <= statutory */
    int statutory_days;         /* 法定时限, working days */
    bool fee;                   /* a statutory fee applies */
    int pause_limits[PAUSE_KIND_COUNT];     /* pause_limits: the most working days a
                                 * pause of each kind counts (行政许可法 §45),
                                 * 0 when the catalog sets none; never for
                                 * supplement (the unit's own time) */
    char **materials;           /* required materials, at least one */
    size_t n_materials;
};

struct cfg_endpoints {
    char *intake;               /* ROUTER: hall requests and Progress */
    char *router;               /* ROUTER: CaseOpened */
    char *router_dept;          /* ROUTER: department agents */
    char *tracker;              /* ROUTER: TaskChanged */
    char *delivery;             /* ROUTER: TaskDecided */
    char *evaluation;           /* ROUTER: ServiceEnded */
    char *feed;                 /* PUB (intake): the progress feed; NULL when not configured */
};

/* The optional metrics section: where each daemon serves Prometheus'
 * /metrics and /healthz (common/metrics.h), "HOST:PORT" (an IPv6 host in
 * brackets); NULL: that daemon serves none. */
struct cfg_metrics {
    char *intake, *router, *tracker, *delivery, *evaluation;
};

struct cfg_database {
    char *host;                 /* NULL: libpq's default (PGHOST) */
    char *port;                 /* NULL: libpq's default (PGPORT) */
    char *dbname;               /* default "bangdai" */
};

/* The levels an overdue task escalates through, in order. */
enum escalation_level { ESC_SPECIALIST, ESC_DEPT_HEAD, ESC_LEADER, ESC_OFFICE, N_ESC_LEVELS };

/* Reminders (催办) and escalation (the optional `reminders` section). */
struct cfg_reminders {
    int office_from, office_to;     /* minutes after midnight, China time: reminders go out then */
    int warn_days;                  /* 预警 this many working days before the due day */
    int escalate_after[N_ESC_LEVELS];   /* working days overdue at which each level is told
                                         * (the specialist: 1, from the first overdue day) */
    struct cfg_holder leader;       /* 分管领导 */
    struct cfg_holder office;       /* 专项小组办公室 */
};

struct cfg_link {
    int max_frame_bytes;        /* ZMQ_MAXMSGSIZE, default 1048576 */
    int resend_initial_ms;      /* first resend after, default 1000 */
    int resend_max_ms;          /* back-off cap, default 30000 */
    int batch;                  /* messages per transaction / relay scan, default 100 */
    int retention_hours;        /* prune acked outbox and old inbox after, default 168 */
    int heartbeat_ms;           /* ZMTP heartbeat interval, default 5000 */
    int window;                 /* unacknowledged messages in flight per destination, default 1000 */
    int defer_limit_s;          /* a message held for something that never comes is
                                 * refused after this long, default 300 */
};

struct config {
    char *path;                 /* the file it was read from */
    char *county_name;          /* e.g. 垫江县 */
    char *county_code;          /* 6-digit administrative code, e.g. 500231 */
    struct cfg_endpoints endpoints;
    struct cfg_database database;
    struct cfg_metrics metrics;
    struct cfg_link link;
    struct cfg_department *depts;
    size_t n_depts;
    struct cfg_item *items;
    size_t n_items;
    struct calendar calendar;
    int return_visit_days;      /* working days to make the return visit, default 5 */
    int rectify_days;           /* working days to rectify a 差评, default 15 */
    bool per_item_rating;       /* the unit may rate each item (一事一评), default true */
    int handover_days;          /* delivery.handover_days: working days from the decision to
                                 * hand the result over (行政许可法 §44, §82), default 10 */
    int confirm_days;           /* delivery.confirm_days: working days after a handover
                                 * without the unit's confirmation until it counts as
                                 * confirmed (auto_confirmed), default 5 */
    struct cfg_security security;
    char *lead_rule;            /* routing.lead: "earliest_stage" (default) or "first_item" */
    struct cfg_reminders reminders;
};

/* The five daemons' names, in flow order, ending with NULL: intake,
 * router, tracker, delivery, evaluation. */
extern const char *const config_daemons[];

/* The metrics address of daemon (a name of config_daemons), or NULL when
 * it has none. */
const char *config_metrics_address(const struct config *cfg, const char *daemon);

/* Why reminders and escalations may not go out at the business time
 * now_us (Unix µs): "not a working day", "outside office hours" (the
 * reminders section), "the calendar does not know today"; NULL when they
 * may. */
const char *config_office_closed(const struct config *cfg, int64_t now_us);

/* Who holds level for the department dept_code, in words: the name the
 * configuration gives (departments[].head, reminders.leader/office), else
 * the specialist for ESC_SPECIALIST, "<department>负责人", 分管领导 or
 * 专项小组办公室. Written into buf. */
void config_holder_text(const struct config *cfg, const char *dept_code, enum escalation_level level,
                        const char *specialist, char *buf, size_t len);

/* The name of an escalation level: specialist, dept_head, leader, office. */
const char *config_level_name(enum escalation_level level);

/* Reads and validates path. On success stores a new config in *out (caller
 * owns it, free with config_destroy) and returns 0. On failure writes
 * "FILE:LINE: KEY: reason" into err (when errlen > 0) and returns -1;
 * *out is untouched. */
__attribute__((warn_unused_result))
int config_load(const char *path, struct config **out, char *err, size_t errlen);

/* What only a restart can change (config_reload.c): the endpoints, the
 * database, link.max_frame_bytes and link.heartbeat_ms, security.certs_dir
 * and zap_domain, and the inline public key of own_key (the daemon's own;
 * NULL: not compared). Writes the names of those that differ between run
 * (the configuration in force) and fresh, comma-separated, into buf (when
 * len > 0) and returns how many. */
int config_restart_changes(const struct config *run, const struct config *fresh, const char *own_key,
                           char *buf, size_t len);

/* Puts run's values of the restart-only keys (but the own key's, which
 * nothing reads after start) into fresh, and fresh's into run, so that
 * fresh, about to be put in force, says what the daemon still uses.
 * run is to be destroyed afterwards. */
void config_keep_restart_only(struct config *run, struct config *fresh);

/* Frees the config and everything it owns; sets *cfg to NULL. NULL-safe. */
void config_destroy(struct config **cfg);

/* Lookups by code; NULL when there is none. Borrowed pointers. */
const struct cfg_department *config_dept(const struct config *cfg, const char *code);
const struct cfg_item *config_item(const struct config *cfg, const char *code);
const struct cfg_specialist *config_specialist(const struct config *cfg, const char *id,
                                               const struct cfg_department **dept);

/* Keys by name or by Z85 public key; NULL when none. Borrowed. A key whose
 * public_key is still NULL (not inline, not yet read from its file by
 * security_load_public_keys()) is not found by its public key. */
const struct cfg_key *config_key(const struct config *cfg, const char *name);
const struct cfg_key *config_key_by_public(const struct config *cfg, const char *z85);

/* Whether the specialist is away (on leave) on day. */
bool config_specialist_away(const struct cfg_specialist *sp, bd_day day);

/* Whether s is a code as the file's codes and names are: 1 to 32 ASCII
 * letters, digits, '-' and '_' (so that it never needs quoting, in a file
 * name, a log line or SQL). */
bool config_code_ok(const char *s);

/* Stage codes and their names: "land" 立项用地规划许可, "works" 工程建设许可,
 * "construction" 施工许可, "completion" 竣工验收. NULL for an unknown code. */
const char *config_stage_name(const char *stage);

#endif

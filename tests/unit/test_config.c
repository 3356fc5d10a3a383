/* test_config.c - unit tests of the configuration loader (common/config.c).
 *
 * Loads the county sample deploy/config/dianjiang.yaml and checks it against
 * the notice's annex, then feeds the loader broken files, one mistake each,
 * written to temporary files: every one must be refused with a message that
 * names the file, the line and the key path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

#ifndef BANGDAI_SOURCE_DIR
#error "BANGDAI_SOURCE_DIR must name the repository root"
#endif

#define SAMPLE BANGDAI_SOURCE_DIR "/deploy/config/dianjiang.yaml"
#define TMP_PATH 512

/* ---- helpers -------------------------------------------------------------- */

/* Writes text to a new temporary file; the caller unlinks the returned path
 * (static storage, one at a time). */
static const char *write_temp(const char *text)
{
    static char path[TMP_PATH];
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/bdcfg-XXXXXX.yaml", dir && *dir ? dir : "/tmp");
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
    return path;
}

/* A small valid configuration, one line per array element, so that the
 * error cases can replace a line by number (1-based) and know where the
 * mistake sits. */
static const char *const base[] = {
    /*  1 */ "county: {name: 测试县, code: \"500231\"}",
    /*  2 */ "endpoints:",
    /*  3 */ "  intake: tcp://127.0.0.1:7101",
    /*  4 */ "  router: tcp://127.0.0.1:7102",
    /*  5 */ "  router_dept: tcp://127.0.0.1:7103",
    /*  6 */ "  tracker: tcp://127.0.0.1:7104",
    /*  7 */ "  delivery: tcp://127.0.0.1:7105",
    /*  8 */ "  evaluation: tcp://127.0.0.1:7106",
    /*  9 */ "departments:",
    /* 10 */ "  - code: fgw",
    /* 11 */ "    name: 县发展改革委",
    /* 12 */ "    specialists:",
    /* 13 */ "      - {id: fgw-1, name: 王诚, phone: \"136****0013\"}",
    /* 14 */ "items:",
    /* 15 */ "  - code: LX-BA",
    /* 16 */ "    name: 企业投资项目备案",
    /* 17 */ "    stage: land",
    /* 18 */ "    dept: fgw",
    /* 19 */ "    promised_days: 1",
    /* 20 */ "    statutory_days: 3",
    /* 21 */ "    fee: false",
    /* 22 */ "    materials: [备案信息表]",
    /* 23 */ "calendar:",
    /* 24 */ "  - year: 2026",
    /* 25 */ "    version: 测试",
    /* 26 */ "    holidays: [2026-01-03, 2026-01-01]",
    /* 27 */ "    workdays: [2026-01-04]",
    /* 28 */ "security:",
    /* 29 */ "  certs_dir: var/keys",
    /* 30 */ "  keys:",
    /* 31 */ "    - {name: intake, role: service}",
    /* 32 */ "    - {name: router, role: service}",
    /* 33 */ "    - {name: tracker, role: service}",
    /* 34 */ "    - {name: delivery, role: service}",
    /* 35 */ "    - {name: evaluation, role: service}",
    /* 36 */ "    - {name: hall, role: hall}",
    /* 37 */ "    - {name: dept-fgw, role: department, dept: fgw}",
};
enum { BASE_LINES = sizeof base / sizeof base[0] };

/* For base_with(): APPEND inserts the text after the calendar (line 27),
 * before the security section, so the inserted text starts at line 28. */
enum { CALENDAR_END = 27, APPEND = 1000 };

/* A valid inline public key (Z85 of 32 bytes) and another one. */
#define PUB1 "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
#define PUB2 "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"

/* The base text with line `line` replaced by `with` (which may span several
 * lines, or be NULL to drop the line); line 0 changes nothing, and APPEND
 * inserts it after the calendar (before the security section). Caller
 * frees. */
static char *base_with(int line, const char *with)
{
    size_t cap = 64 + (with ? strlen(with) : 0);
    for (int i = 0; i < BASE_LINES; i++)
        cap += strlen(base[i]) + 1;
    char *text = malloc(cap);
    assert_non_null(text);
    text[0] = '\0';
    for (int i = 1; i <= BASE_LINES; i++) {
        const char *l = i == line ? with : base[i - 1];
        if (l) {
            strcat(text, l);
            strcat(text, "\n");
        }
        if (i == CALENDAR_END && line == APPEND && with) {
            strcat(text, with);
            strcat(text, "\n");
        }
    }
    return text;
}

/* Loads text from a temporary file; returns config_load's result, the
 * message in err and the temporary file's name in file. */
static int load_text(const char *text, struct config **cfg, char *err, size_t errlen,
                     char file[static TMP_PATH])
{
    const char *path = write_temp(text);
    snprintf(file, TMP_PATH, "%s", path);
    int rc = config_load(path, cfg, err, errlen);
    unlink(path);
    return rc;
}

/* ---- the county sample ---------------------------------------------------- */

static void test_sample_loads(void **state)
{
    (void)state;
    struct config *cfg = NULL;
    char err[512] = "";
    int rc = config_load(SAMPLE, &cfg, err, sizeof err);
    if (rc != 0)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_non_null(cfg);

    assert_string_equal(cfg->county_name, "垫江县");
    assert_string_equal(cfg->county_code, "500231");
    assert_string_equal(cfg->path, SAMPLE);
    assert_string_equal(cfg->endpoints.router_dept, "tcp://127.0.0.1:7103");
    assert_string_equal(cfg->database.dbname, "bangdai");
    assert_null(cfg->database.host);
    assert_null(cfg->database.port);

    /* The annex: 14 units, 18 liaisons, 4 zone bodies. */
    assert_int_equal(cfg->n_depts, 14);
    size_t specialists = 0, zones = 0;
    for (size_t i = 0; i < cfg->n_depts; i++) {
        specialists += cfg->depts[i].n_specialists;
        zones += cfg->depts[i].zone;
    }
    assert_int_equal(specialists, 18);
    assert_int_equal(zones, 4);
    const char *zone_codes[] = {"gxq", "jtwl", "dbxq", "mys"};
    for (size_t i = 0; i < 4; i++) {
        const struct cfg_department *d = config_dept(cfg, zone_codes[i]);
        assert_non_null(d);
        assert_true(d->zone);
    }
    assert_int_equal(config_dept(cfg, "gxq")->n_specialists, 2);
    assert_int_equal(config_dept(cfg, "zjw")->n_specialists, 4);
    assert_string_equal(config_dept(cfg, "zjw")->name, "县住房城乡建委");
    assert_false(config_dept(cfg, "zjw")->zone);

    /* 消防设计审查: an expert review counts at most 20 working days; no
     * other limit is set, on it or on an item without pause_limits. */
    const struct cfg_item *xf = config_item(cfg, "SG-XFSC");
    assert_non_null(xf);
    assert_int_equal(xf->pause_limits[PAUSE_EXPERT_REVIEW], 20);
    assert_int_equal(xf->pause_limits[PAUSE_HEARING], 0);
    assert_int_equal(xf->pause_limits[PAUSE_SUPPLEMENT], 0);
    assert_int_equal(config_item(cfg, "SG-XK")->pause_limits[PAUSE_EXPERT_REVIEW], 0);

    /* The catalog covers the four stages. */
    assert_true(cfg->n_items >= 14);
    const char *stage_codes[] = {"land", "works", "construction", "completion"};
    for (size_t s = 0; s < 4; s++) {
        size_t n = 0;
        for (size_t i = 0; i < cfg->n_items; i++)
            n += strcmp(cfg->items[i].stage, stage_codes[s]) == 0;
        assert_true(n > 0);
    }
    const struct cfg_item *xk = config_item(cfg, "SG-XK");
    assert_non_null(xk);
    assert_string_equal(xk->dept, "zjw");
    assert_string_equal(xk->stage, "construction");
    assert_true(xk->promised_days <= xk->statutory_days);
    assert_true(xk->n_materials > 0);
    assert_non_null(config_item(cfg, "LX-BA"));
    assert_non_null(config_item(cfg, "GC-GHXK"));
    assert_null(config_item(cfg, "NO-SUCH"));
    assert_null(config_dept(cfg, "nosuch"));

    const struct cfg_department *d = NULL;
    const struct cfg_specialist *sp = config_specialist(cfg, "zjw-3", &d);
    assert_non_null(sp);
    assert_string_equal(sp->name, "徐晶晶");
    assert_string_equal(sp->phone, "189****8128");
    assert_non_null(d);
    assert_string_equal(d->code, "zjw");
    assert_non_null(config_specialist(cfg, "mzj-1", NULL));
    assert_null(config_specialist(cfg, "zjw-9", &d));

    /* Calendar 2026 with the State Council's schedule. */
    const struct cal_year *y2026 = NULL;
    for (size_t i = 0; i < cfg->calendar.n_years; i++)
        if (cfg->calendar.years[i].year == 2026)
            y2026 = &cfg->calendar.years[i];
    assert_non_null(y2026);
    assert_string_equal(y2026->version, "国办发明电〔2025〕7号");
    assert_int_equal(y2026->n_holidays, 33);
    assert_int_equal(y2026->n_workdays, 6);
    for (size_t i = 1; i < y2026->n_holidays; i++)
        assert_true(y2026->holidays[i - 1] < y2026->holidays[i]);
    assert_int_equal(calendar_is_workday(&cfg->calendar, date_from_ymd(2026, 2, 14)), 1);
    assert_int_equal(calendar_is_workday(&cfg->calendar, date_from_ymd(2026, 10, 1)), 0);
    assert_int_equal(calendar_is_workday(&cfg->calendar, date_from_ymd(2026, 3, 2)), 1);
    for (size_t i = 1; i < cfg->calendar.n_years; i++)
        assert_true(cfg->calendar.years[i - 1].year < cfg->calendar.years[i].year);

    /* Keys: the five daemons, the hall, hall management and one key per
     * department; no key material in the repo. */
    assert_string_equal(cfg->security.certs_dir, "var/keys");
    assert_string_equal(cfg->security.zap_domain, "bangdai");
    assert_int_equal(cfg->security.n_keys, 5 + 1 + 1 + 14);
    const char *daemons[] = {"intake", "router", "tracker", "delivery", "evaluation"};
    for (size_t i = 0; i < 5; i++) {
        const struct cfg_key *k = config_key(cfg, daemons[i]);
        assert_non_null(k);
        assert_int_equal(k->role, ROLE_SERVICE);
        assert_null(k->dept);
    }
    assert_int_equal(config_key(cfg, "hall")->role, ROLE_HALL);
    assert_int_equal(config_key(cfg, "ops")->role, ROLE_HALL_MANAGEMENT);
    for (size_t i = 0; i < cfg->n_depts; i++) {
        char name[64];
        snprintf(name, sizeof name, "dept-%s", cfg->depts[i].code);
        const struct cfg_key *k = config_key(cfg, name);
        assert_non_null(k);
        assert_int_equal(k->role, ROLE_DEPARTMENT);
        assert_string_equal(k->dept, cfg->depts[i].code);
    }
    for (size_t i = 0; i < cfg->security.n_keys; i++)
        assert_null(cfg->security.keys[i].public_key);
    assert_null(config_key(cfg, "nosuch"));
    assert_string_equal(cfg->lead_rule, "earliest_stage");
    assert_int_equal(config_dept(cfg, "zjw")->specialists[0].n_away, 0);

    config_destroy(&cfg);
    assert_null(cfg);
    config_destroy(&cfg);       /* NULL-safe */
    config_destroy(NULL);
}

/* The base text loads; optional sections take their defaults; dates are
 * sorted whatever the file's order. */
static void test_base_defaults(void **state)
{
    (void)state;
    struct config *cfg = NULL;
    char err[1024] = "", file[TMP_PATH];
    char *text = base_with(0, NULL);
    int rc = load_text(text, &cfg, err, sizeof err, file);
    free(text);
    if (rc != 0)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(cfg->link.max_frame_bytes, 1048576);
    assert_int_equal(cfg->link.resend_initial_ms, 1000);
    assert_int_equal(cfg->link.resend_max_ms, 30000);
    assert_int_equal(cfg->link.batch, 100);
    assert_int_equal(cfg->link.retention_hours, 168);
    assert_int_equal(cfg->link.heartbeat_ms, 5000);
    assert_int_equal(cfg->return_visit_days, 5);
    assert_string_equal(cfg->database.dbname, "bangdai");
    assert_false(cfg->depts[0].zone);
    assert_int_equal(cfg->calendar.n_years, 1);
    assert_int_equal(cfg->calendar.years[0].n_holidays, 2);
    assert_int_equal(cfg->calendar.years[0].holidays[0], date_from_ymd(2026, 1, 1));
    assert_int_equal(cfg->calendar.years[0].holidays[1], date_from_ymd(2026, 1, 3));
    assert_string_equal(cfg->security.certs_dir, "var/keys");
    assert_string_equal(cfg->security.zap_domain, "bangdai");
    assert_int_equal(cfg->security.n_keys, 7);
    assert_string_equal(cfg->lead_rule, "earliest_stage");
    assert_int_equal(cfg->depts[0].specialists[0].n_away, 0);
    assert_null(cfg->depts[0].specialists[0].away);
    for (const char *const *d = config_daemons; *d; d++)
        assert_null(config_metrics_address(cfg, *d));
    config_destroy(&cfg);
}

/* Optional sections given explicitly override the defaults; years come out
 * sorted. */
static void test_optional_sections(void **state)
{
    (void)state;
    struct config *cfg = NULL;
    char err[1024] = "", file[TMP_PATH];
    char *text = base_with(APPEND,
                           "  - {year: 2025, version: v, holidays: [], workdays: []}\n"
                           "database: {host: db.example, port: 5433, dbname: bd}\n"
                           "link: {batch: 7, resend_initial_ms: 50, resend_max_ms: 50}\n"
                           "evaluation: {return_visit_days: 3}\n"
                           "routing: {lead: first_item}\n"
                           "metrics: {router: 127.0.0.1:9102, tracker: \"[::1]:9103\"}");
    int rc = load_text(text, &cfg, err, sizeof err, file);
    free(text);
    if (rc != 0)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_string_equal(cfg->database.host, "db.example");
    assert_string_equal(cfg->database.port, "5433");
    assert_string_equal(cfg->database.dbname, "bd");
    assert_int_equal(cfg->link.batch, 7);
    assert_int_equal(cfg->link.resend_max_ms, 50);
    assert_int_equal(cfg->link.heartbeat_ms, 5000);
    assert_int_equal(cfg->return_visit_days, 3);
    assert_int_equal(cfg->calendar.n_years, 2);
    assert_int_equal(cfg->calendar.years[0].year, 2025);
    assert_int_equal(cfg->calendar.years[1].year, 2026);
    assert_null(cfg->calendar.years[0].holidays);
    assert_string_equal(cfg->lead_rule, "first_item");
    assert_string_equal(config_metrics_address(cfg, "router"), "127.0.0.1:9102");
    assert_string_equal(config_metrics_address(cfg, "tracker"), "[::1]:9103");
    assert_null(config_metrics_address(cfg, "intake"));
    assert_null(config_metrics_address(cfg, "hall"));
    config_destroy(&cfg);
}

/* Keys in full: inline public keys, a ZAP domain, several keys of a role,
 * and the lookups by name and by public key. */
static void test_keys(void **state)
{
    (void)state;
    struct config *cfg = NULL;
    char err[1024] = "", file[TMP_PATH];
    char *text = base_with(37, "    - {name: dept-fgw, role: department, dept: fgw, public_key: \"" PUB1 "\"}\n"
                               "    - {name: fgw-2, role: department, dept: fgw}\n"
                               "    - {name: ops, role: hall-management, public_key: \"" PUB2 "\"}\n"
                               "  zap_domain: county_500231");
    int rc = load_text(text, &cfg, err, sizeof err, file);
    free(text);
    if (rc != 0)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_string_equal(cfg->security.zap_domain, "county_500231");
    assert_int_equal(cfg->security.n_keys, 9);
    const struct cfg_key *k = config_key(cfg, "dept-fgw");
    assert_non_null(k);
    assert_int_equal(k->role, ROLE_DEPARTMENT);
    assert_string_equal(k->dept, "fgw");
    assert_string_equal(k->public_key, PUB1);
    assert_ptr_equal(config_key_by_public(cfg, PUB1), k);
    assert_ptr_equal(config_key_by_public(cfg, PUB2), config_key(cfg, "ops"));
    assert_int_equal(config_key(cfg, "ops")->role, ROLE_HALL_MANAGEMENT);
    assert_null(config_key(cfg, "fgw-2")->public_key);
    assert_null(config_key_by_public(cfg, "0000000000000000000000000000000000000000"));
    assert_null(config_key_by_public(cfg, NULL));
    assert_null(config_key(cfg, NULL));
    config_destroy(&cfg);
}

static void test_roles(void **state)
{
    (void)state;
    enum key_role r;
    const enum key_role all[] = {ROLE_HALL, ROLE_DEPARTMENT, ROLE_HALL_MANAGEMENT, ROLE_SERVICE};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(config_role_parse(config_role_name(all[i]), &r), 0);
        assert_int_equal(r, all[i]);
    }
    assert_string_equal(config_role_name(ROLE_HALL_MANAGEMENT), "hall-management");
    assert_null(config_role_name((enum key_role)3));
    assert_int_equal(config_role_parse("Hall", &r), -1);
    assert_int_equal(config_role_parse("", &r), -1);
    assert_int_equal(config_role_parse(NULL, &r), -1);
    assert_true(config_code_ok("dept-fgw_1"));
    assert_false(config_code_ok("../x"));
    assert_false(config_code_ok(""));
}

/* An empty key list is refused (the base text cut after its line 30). */
static void test_no_keys(void **state)
{
    (void)state;
    struct config *cfg = NULL;
    char err[1024] = "", file[TMP_PATH], want[TMP_PATH + 64];
    char *text = base_with(30, "  keys: []");
    char *cut = strstr(text, "  keys: []\n");
    assert_non_null(cut);
    cut[strlen("  keys: []\n")] = '\0';
    int rc = load_text(text, &cfg, err, sizeof err, file);
    free(text);
    assert_int_equal(rc, -1);
    snprintf(want, sizeof want, "%s:30: security.keys: at least one key is needed", file);
    assert_string_equal(err, want);
}

/* A specialist's leave: both ends included. */
static void test_away(void **state)
{
    (void)state;
    struct config *cfg = NULL;
    char err[1024] = "", file[TMP_PATH];
    char *text = base_with(13, "      - {id: fgw-1, name: 王诚, phone: \"136****0013\",\n"
                               "         away: [{from: 2026-12-01, to: 2026-12-05},\n"
                               "                {from: 2027-01-04, to: 2027-01-04}]}");
    int rc = load_text(text, &cfg, err, sizeof err, file);
    free(text);
    if (rc != 0)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    const struct cfg_specialist *sp = config_specialist(cfg, "fgw-1", NULL);
    assert_int_equal(sp->n_away, 2);
    assert_false(config_specialist_away(sp, date_from_ymd(2026, 11, 30)));
    assert_true(config_specialist_away(sp, date_from_ymd(2026, 12, 1)));
    assert_true(config_specialist_away(sp, date_from_ymd(2026, 12, 3)));
    assert_true(config_specialist_away(sp, date_from_ymd(2026, 12, 5)));
    assert_false(config_specialist_away(sp, date_from_ymd(2026, 12, 6)));
    assert_true(config_specialist_away(sp, date_from_ymd(2027, 1, 4)));
    assert_false(config_specialist_away(sp, date_from_ymd(2027, 1, 5)));
    config_destroy(&cfg);
}

static void test_stage_names(void **state)
{
    (void)state;
    assert_string_equal(config_stage_name("land"), "立项用地规划许可");
    assert_string_equal(config_stage_name("works"), "工程建设许可");
    assert_string_equal(config_stage_name("construction"), "施工许可");
    assert_string_equal(config_stage_name("completion"), "竣工验收");
    assert_null(config_stage_name("Land"));
    assert_null(config_stage_name(""));
    assert_null(config_stage_name(NULL));
}

/* ---- broken files --------------------------------------------------------- */

struct bad_case {
    const char *what;
    int line;                   /* base line replaced (0: none, past the end: appended) */
    const char *with;           /* its replacement; NULL drops the line */
    int want_line;              /* line the message must name */
    const char *want_key;       /* key path the message must name; NULL for none */
    const char *want_reason;    /* a piece of the reason */
};

static const struct bad_case bad_cases[] = {
    {"unknown key", 21, "    fee: false\n    feee: true", 22, "items[0].feee", "unknown key"},
    {"unknown top-level key", 1, "county: {name: 测试县, code: \"500231\"}\nkeys: {}", 2,
     "keys", "unknown key"},
    {"missing key", 18, NULL, 15, "items[0].dept", "missing"},
    {"misspelt section", 9, "departmentz:", 9, "departmentz", "unknown key"},
    {"missing endpoint", 6, NULL, 3, "endpoints.tracker", "missing"},
    {"bad int", 19, "    promised_days: two", 19, "items[0].promised_days", "not an integer"},
    {"int with a suffix", 20, "    statutory_days: 3d", 20, "items[0].statutory_days",
     "not an integer"},
    {"int out of range", 20, "    statutory_days: 0", 20, "items[0].statutory_days",
     "out of range"},
    {"promised > statutory", 19, "    promised_days: 5", 19, "items[0].promised_days",
     "exceeds statutory_days"},
    {"item with unknown dept", 18, "    dept: xyz", 18, "items[0].dept",
     "no department 'xyz'"},
    {"bad stage", 17, "    stage: planning", 17, "items[0].stage", "not one of"},
    {"bad bool", 21, "    fee: yes", 21, "items[0].fee", "not true or false"},
    {"pause limit not a map", 21, "    fee: false\n    pause_limits: 20", 22, "items[0].pause_limits",
     "expected a mapping"},
    {"pause limit of an unknown kind", 21, "    fee: false\n    pause_limits: {expert_reveiw: 20}", 22,
     "items[0].pause_limits.expert_reveiw", "unknown key"},
    {"pause limit on 补正", 21, "    fee: false\n    pause_limits: {supplement: 5}", 22,
     "items[0].pause_limits.supplement", "no limit"},
    {"pause limit out of range", 21, "    fee: false\n    pause_limits: {hearing: 0}", 22,
     "items[0].pause_limits.hearing", "out of range"},
    {"pause limit not a number", 21, "    fee: false\n    pause_limits: {appraisal: 20d}", 22,
     "items[0].pause_limits.appraisal", "not an integer"},
    {"no materials", 22, "    materials: []", 22, "items[0].materials", "at least one"},
    {"materials not a list", 22, "    materials: 备案信息表", 22, "items[0].materials",
     "expected a sequence"},
    {"duplicate item code", 22,
     "    materials: [备案信息表]\n"
     "  - {code: LX-BA, name: 另一项, stage: land, dept: fgw, promised_days: 1,"
     " statutory_days: 3, fee: false, materials: [表]}",
     23, "items[1].code", "given twice"},
    {"duplicate department code", 13,
     "      - {id: fgw-1, name: 王诚, phone: \"136****0013\"}\n"
     "  - code: fgw\n"
     "    name: 另一个部门\n"
     "    specialists: [{id: fgw-2, name: 某人, phone: \"136****0014\"}]",
     14, "departments[1].code", "given twice"},
    {"duplicate specialist id", 13,
     "      - {id: fgw-1, name: 王诚, phone: \"136****0013\"}\n"
     "      - {id: fgw-1, name: 某人, phone: \"136****0014\"}",
     14, "departments[0].specialists[1].id", "given twice"},
    {"duplicate key", 11, "    name: 县发展改革委\n    name: 县发改委", 12,
     "departments[0].name", "given twice"},
    {"no specialist", 13, "      []", 13, "departments[0].specialists", "at least one"},
    {"bad phone", 13, "      - {id: fgw-1, name: 王诚, phone: \"136****001\"}", 13,
     "departments[0].specialists[0].phone", "not a mobile number"},
    {"phone with letters", 13, "      - {id: fgw-1, name: 王诚, phone: \"136abcd0013\"}", 13,
     "departments[0].specialists[0].phone", "not a mobile number"},
    {"bad department code", 10, "  - code: 发改委", 10, "departments[0].code", "not a code"},
    {"bad date", 26, "    holidays: [2026-02-30]", 26, "calendar[0].holidays[0]",
     "not a date"},
    {"date in another year", 26, "    holidays: [2026-01-01,\n      2025-12-31]", 27,
     "calendar[0].holidays[1]", "not in 2026"},
    {"make-up day on a weekday", 27, "    workdays: [2026-01-05]", 27,
     "calendar[0].workdays[0]", "weekday"},
    {"duplicate holiday", 26, "    holidays: [2026-01-01, 2026-01-01]", 26,
     "calendar[0].holidays[1]", "listed twice"},
    {"holiday and workday", 27, "    workdays: [2026-01-10,\n      2026-01-03]", 28,
     "calendar[0].workdays[1]", "also listed as a holiday"},
    {"missing workdays", 27, NULL, 24, "calendar[0].workdays", "missing"},
    {"duplicate year", APPEND, "  - {year: 2026, version: v2, holidays: [], workdays: []}", 28,
     "calendar[1].year", "given twice"},
    {"bad year", 24, "  - year: 26", 24, "calendar[0].year", "out of range"},
    {"NUL in a name", 1, "county: {name: \"测试\\0县\", code: \"500231\"}", 1, "county.name",
     "NUL"},
    {"bad county code", 1, "county: {name: 测试县, code: \"50023\"}", 1, "county.code",
     "6-digit"},
    {"empty endpoint", 4, "  router: \"\"", 4, "endpoints.router", "must not be empty"},
    {"null endpoint", 4, "  router:", 4, "endpoints.router", "has no value"},
    {"endpoint not a URL", 4, "  router: 127.0.0.1:7102", 4, "endpoints.router",
     "not a ZeroMQ endpoint"},
    {"endpoint twice", 4, "  router: tcp://127.0.0.1:7101", 4, "endpoints.router",
     "same address as endpoints.intake"},
    {"link out of range", APPEND, "link: {batch: 0}", 28, "link.batch", "out of range"},
    {"metrics not HOST:PORT", APPEND, "metrics:\n  router: 9102", 29, "metrics.router", "not HOST:PORT"},
    {"metrics port out of range", APPEND, "metrics:\n  tracker: 127.0.0.1:70000", 29, "metrics.tracker",
     "port 1..65535"},
    {"metrics of no daemon", APPEND, "metrics:\n  hall: 127.0.0.1:9100", 29, "metrics.hall", "unknown key"},
    {"metrics twice", APPEND, "metrics:\n  intake: 127.0.0.1:9101\n  router: 127.0.0.1:9101", 30,
     "metrics.router", "same address as metrics.intake"},
    {"link back-off below start", APPEND, "link: {resend_initial_ms: 500, resend_max_ms: 100}", 28,
     "link.resend_max_ms", "below"},
    {"misspelt link key", APPEND, "link: {bacth: 5}", 28, "link.bacth", "unknown key"},
    {"evaluation out of range", APPEND, "evaluation: {return_visit_days: 61}", 28,
     "evaluation.return_visit_days", "out of range"},
    {"bad port", APPEND, "database: {port: 70000}", 28, "database.port", "out of range"},
    {"section of wrong type", 1, "county: [测试县, \"500231\"]", 1, "county", "expected a mapping"},
    {"YAML syntax error", 11, "    name: [县发展改革委", 12, NULL, "YAML syntax error"},
    {"bad indentation", 16, "   name: 企业投资项目备案", 16, NULL, "YAML syntax error"},
    {"two documents", APPEND, "---\nfoo: bar", 29, NULL, "only one YAML document"},
    {"undefined alias", 18, "    dept: *nowhere", 18, NULL, "YAML syntax error"},
    /* security */
    {"no security section", 28, "sekurity:", 28, "sekurity", "unknown key"},
    {"missing certs_dir", 29, NULL, 29, "security.certs_dir", "missing"},
    {"unknown key field", 36, "    - {name: hall, role: hall, rôle: x}", 36, "security.keys[5].rôle",
     "unknown key"},
    {"bad key name", 36, "    - {name: ../hall, role: hall}", 36, "security.keys[5].name", "not a code"},
    {"key name twice", 36, "    - {name: hall, role: hall}\n    - {name: hall, role: hall}", 37,
     "security.keys[6].name", "given twice"},
    {"bad role", 36, "    - {name: hall, role: citizen}", 36, "security.keys[5].role",
     "not one of hall, department, hall-management, service"},
    {"missing role", 36, "    - {name: hall}", 36, "security.keys[5].role", "missing"},
    {"department key without dept", 37, "    - {name: dept-fgw, role: department}", 37,
     "security.keys[6].dept", "missing"},
    {"department key of unknown dept", 37, "    - {name: dept-fgw, role: department, dept: xyz}", 37,
     "security.keys[6].dept", "no department 'xyz'"},
    {"dept on a hall key", 36, "    - {name: hall, role: hall, dept: fgw}", 36,
     "security.keys[5].dept", "only a key of role department"},
    {"public key too short", 36, "    - {name: hall, role: hall, public_key: \"abc\"}", 36,
     "security.keys[5].public_key", "not a CURVE public key"},
    {"public key not Z85", 36,
     "    - {name: hall, role: hall, public_key: \"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf,\"}", 36,
     "security.keys[5].public_key", "not a CURVE public key"},
    {"public key overflows", 36,
     "    - {name: hall, role: hall, public_key: \"#####rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\"}", 36,
     "security.keys[5].public_key", "not a CURVE public key"},
    {"public key twice", 36,
     "    - {name: hall, role: hall, public_key: \"" PUB1 "\"}\n"
     "    - {name: hall2, role: hall, public_key: \"" PUB1 "\"}",
     37, "security.keys[6].public_key", "same public key as key 'hall'"},
    {"daemon without key", 33, NULL, 31, "security.keys", "no key named 'tracker'"},
    {"daemon key of wrong role", 33, "    - {name: tracker, role: hall}", 33,
     "security.keys[2].role", "daemon tracker must have role service"},
    {"department without key", 37, "    - {name: dept-x, role: hall}", 31, "security.keys",
     "department 'fgw' has no key of role department"},
    {"no hall key", 36, "    - {name: hall, role: hall-management}", 31, "security.keys",
     "no key of role hall"},
    {"bad zap domain", 29, "  certs_dir: var/keys\n  zap_domain: \"a b\"", 30,
     "security.zap_domain", "not a code"},
    {"certs_dir with a newline", 29, "  certs_dir: \"var\\nkeys\"", 29, "security.certs_dir",
     "without control characters"},
    /* routing and leave */
    {"bad lead rule", APPEND, "routing: {lead: biggest}", 28, "routing.lead",
     "not one of earliest_stage, first_item"},
    {"misspelt routing key", APPEND, "routing: {leed: first_item}", 28, "routing.leed",
     "unknown key"},
    {"away not a list", 13, "      - {id: fgw-1, name: 王诚, phone: \"136****0013\", away: 2026-12-01}",
     13, "departments[0].specialists[0].away", "expected a sequence"},
    {"away bad date", 13,
     "      - {id: fgw-1, name: 王诚, phone: \"136****0013\", away: [{from: 2026-12-32, to: 2026-12-31}]}",
     13, "departments[0].specialists[0].away[0].from", "not a date"},
    {"away without end", 13,
     "      - {id: fgw-1, name: 王诚, phone: \"136****0013\", away: [{from: 2026-12-01}]}",
     13, "departments[0].specialists[0].away[0].to", "missing"},
    {"away backwards", 13,
     "      - {id: fgw-1, name: 王诚, phone: \"136****0013\",\n"
     "         away: [{from: 2026-12-05, to: 2026-12-01}]}",
     14, "departments[0].specialists[0].away[0].to", "2026-12-01 is before from (2026-12-05)"},
};

static void test_bad_case(void **state)
{
    const struct bad_case *c = *state;
    struct config *cfg = (struct config *)(uintptr_t)0x1;  /* must stay untouched */
    char err[1024] = "", file[TMP_PATH], want[TMP_PATH + 128];
    char *text = base_with(c->line, c->with);
    int rc = load_text(text, &cfg, err, sizeof err, file);
    free(text);
    print_message("%s -> %s\n", c->what, err);
    assert_int_equal(rc, -1);
    assert_ptr_equal(cfg, (struct config *)(uintptr_t)0x1);
    /* "FILE:LINE: KEY: reason" */
    if (c->want_key)
        snprintf(want, sizeof want, "%s:%d: %s: ", file, c->want_line, c->want_key);
    else
        snprintf(want, sizeof want, "%s:%d: ", file, c->want_line);
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("%s: got \"%s\", want a message starting \"%s\"", c->what, err, want);
    if (!strstr(err + strlen(want), c->want_reason))
        fail_msg("%s: got \"%s\", want a reason containing \"%s\"", c->what, err,
                 c->want_reason);
}

/* A missing file, an empty one, one that is not a mapping and one that is
 * not UTF-8 are refused too; a zero-length error buffer is left alone. */
static void test_bad_files(void **state)
{
    (void)state;
    struct config *cfg = NULL;
    char err[1024] = "", file[TMP_PATH];
    assert_int_equal(config_load("/nonexistent/bangdai.yaml", &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/bangdai.yaml: cannot open"));
    assert_null(cfg);

    assert_int_equal(load_text("# nothing but a comment\n", &cfg, err, sizeof err, file), -1);
    assert_non_null(strstr(err, file));
    assert_non_null(strstr(err, "no YAML document"));

    assert_int_equal(load_text("- a\n- b\n", &cfg, err, sizeof err, file), -1);
    assert_non_null(strstr(err, ":1: expected a mapping"));

    assert_int_equal(load_text("county: \xff\n", &cfg, err, sizeof err, file), -1);
    assert_non_null(strstr(err, file));
    assert_non_null(strstr(err, "invalid input"));

    char untouched[4] = "abc";
    assert_int_equal(load_text("x: [", &cfg, untouched, 0, file), -1);
    assert_string_equal(untouched, "abc");
    assert_null(cfg);
}

int main(void)
{
    enum { N_BAD = sizeof bad_cases / sizeof bad_cases[0] };
    struct CMUnitTest tests[9 + N_BAD];
    size_t n = 0;
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_sample_loads);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_base_defaults);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_optional_sections);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_stage_names);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_bad_files);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_keys);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_roles);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_no_keys);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_away);
    /* One cmocka test per broken file, named after its mistake. */
    for (size_t i = 0; i < N_BAD; i++)
        tests[n++] = (struct CMUnitTest){
            .name = bad_cases[i].what,
            .test_func = test_bad_case,
            .initial_state = (void *)&bad_cases[i],
        };
    if (n != sizeof tests / sizeof tests[0])
        return 1;
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}

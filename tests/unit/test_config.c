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
};
enum { BASE_LINES = sizeof base / sizeof base[0] };

/* The base text with line `line` replaced by `with` (which may span several
 * lines, or be NULL to drop the line); line 0 changes nothing, and a line
 * past the end appends. Caller frees. */
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
    }
    if (line > BASE_LINES && with) {
        strcat(text, with);
        strcat(text, "\n");
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
    config_destroy(&cfg);
}

/* Optional sections given explicitly override the defaults; years come out
 * sorted. */
static void test_optional_sections(void **state)
{
    (void)state;
    struct config *cfg = NULL;
    char err[1024] = "", file[TMP_PATH];
    char *text = base_with(BASE_LINES + 1,
                           "  - {year: 2025, version: v, holidays: [], workdays: []}\n"
                           "database: {host: db.example, port: 5433, dbname: bd}\n"
                           "link: {batch: 7, resend_initial_ms: 50, resend_max_ms: 50}\n"
                           "evaluation: {return_visit_days: 3}");
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
    {"duplicate year", 28, "  - {year: 2026, version: v2, holidays: [], workdays: []}", 28,
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
    {"link out of range", 28, "link: {batch: 0}", 28, "link.batch", "out of range"},
    {"link back-off below start", 28, "link: {resend_initial_ms: 500, resend_max_ms: 100}", 28,
     "link.resend_max_ms", "below"},
    {"misspelt link key", 28, "link: {bacth: 5}", 28, "link.bacth", "unknown key"},
    {"evaluation out of range", 28, "evaluation: {return_visit_days: 61}", 28,
     "evaluation.return_visit_days", "out of range"},
    {"bad port", 28, "database: {port: 70000}", 28, "database.port", "out of range"},
    {"section of wrong type", 1, "county: [测试县, \"500231\"]", 1, "county", "expected a mapping"},
    {"YAML syntax error", 11, "    name: [县发展改革委", 12, NULL, "YAML syntax error"},
    {"bad indentation", 16, "   name: 企业投资项目备案", 16, NULL, "YAML syntax error"},
    {"two documents", 28, "---\nfoo: bar", 29, NULL, "only one YAML document"},
    {"undefined alias", 18, "    dept: *nowhere", 18, NULL, "YAML syntax error"},
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
    struct CMUnitTest tests[5 + N_BAD];
    size_t n = 0;
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_sample_loads);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_base_defaults);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_optional_sections);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_stage_names);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_bad_files);
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

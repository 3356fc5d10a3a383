/* test_states.c - the task state machine: every allowed move of every kind,
 * a selection of the moves that must be refused, the fields each state
 * needs, and the names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "states.h"

struct move { enum task_kind kind; enum task_state from, to; int allowed; };

static const struct move moves[] = {
    /* 代办 items: the whole cycle, with one supplement round. */
    { KIND_AGENCY_ITEM, TASK_ASSIGNED, TASK_RECEIVED, 1 },
    { KIND_AGENCY_ITEM, TASK_RECEIVED, TASK_ACCEPTED_ONSITE, 1 },
    { KIND_AGENCY_ITEM, TASK_ACCEPTED_ONSITE, TASK_SUBMITTED, 1 },
    { KIND_AGENCY_ITEM, TASK_SUBMITTED, TASK_SUPPLEMENT_REQUESTED, 1 },
    { KIND_AGENCY_ITEM, TASK_SUPPLEMENT_REQUESTED, TASK_SUPPLEMENT_RECEIVED, 1 },
    { KIND_AGENCY_ITEM, TASK_SUPPLEMENT_RECEIVED, TASK_SUPPLEMENT_REQUESTED, 1 },
    { KIND_AGENCY_ITEM, TASK_SUPPLEMENT_RECEIVED, TASK_APPROVED, 1 },
    { KIND_AGENCY_ITEM, TASK_SUBMITTED, TASK_APPROVED, 1 },
    { KIND_AGENCY_ITEM, TASK_SUBMITTED, TASK_REJECTED, 1 },
    { KIND_AGENCY_ITEM, TASK_ASSIGNED, TASK_CANCELLED, 1 },
    { KIND_AGENCY_ITEM, TASK_SUPPLEMENT_REQUESTED, TASK_CANCELLED, 1 },
    /* ... and what must not happen. */
    { KIND_AGENCY_ITEM, TASK_RECEIVED, TASK_APPROVED, 0 },
    { KIND_AGENCY_ITEM, TASK_RECEIVED, TASK_SUBMITTED, 0 },      /* on-site acceptance first */
    { KIND_AGENCY_ITEM, TASK_ASSIGNED, TASK_ACCEPTED_ONSITE, 0 },
    { KIND_AGENCY_ITEM, TASK_SUPPLEMENT_REQUESTED, TASK_APPROVED, 0 },
    { KIND_AGENCY_ITEM, TASK_APPROVED, TASK_CANCELLED, 0 },
    { KIND_AGENCY_ITEM, TASK_APPROVED, TASK_SUBMITTED, 0 },
    { KIND_AGENCY_ITEM, TASK_REJECTED, TASK_APPROVED, 0 },
    { KIND_AGENCY_ITEM, TASK_CANCELLED, TASK_RECEIVED, 0 },
    { KIND_AGENCY_ITEM, TASK_RECEIVED, TASK_CLOSED, 0 },
    { KIND_AGENCY_ITEM, TASK_SUBMITTED, TASK_SUBMITTED, 0 },
    /* 帮办 items: the unit files by itself. */
    { KIND_HELP_ITEM, TASK_RECEIVED, TASK_SUBMITTED, 1 },
    { KIND_HELP_ITEM, TASK_RECEIVED, TASK_ACCEPTED_ONSITE, 0 },
    { KIND_HELP_ITEM, TASK_SUBMITTED, TASK_APPROVED, 1 },
    /* Companions: closed by the router from either open state, so an
     * offline zone body's agent cannot hold up the last decision. */
    { KIND_COORDINATION, TASK_RECEIVED, TASK_CLOSED, 1 },
    { KIND_COORDINATION, TASK_ASSIGNED, TASK_CLOSED, 1 },
    { KIND_HELP, TASK_ASSIGNED, TASK_CLOSED, 1 },
    { KIND_HELP, TASK_RECEIVED, TASK_CLOSED, 1 },
    { KIND_COORDINATION, TASK_CLOSED, TASK_CLOSED, 0 },
    { KIND_AGENCY_ITEM, TASK_ASSIGNED, TASK_CLOSED, 0 },
    { KIND_HELP_ITEM, TASK_ASSIGNED, TASK_CLOSED, 0 },
    { KIND_COORDINATION, TASK_RECEIVED, TASK_SUBMITTED, 0 },
    { KIND_COORDINATION, TASK_RECEIVED, TASK_APPROVED, 0 },
    { KIND_HELP, TASK_ASSIGNED, TASK_RECEIVED, 1 },
    { KIND_HELP, TASK_RECEIVED, TASK_CANCELLED, 1 },
    { KIND_HELP, TASK_CLOSED, TASK_RECEIVED, 0 },
    /* Out of range. */
    { KIND_AGENCY_ITEM, TASK_STATE_COUNT, TASK_RECEIVED, 0 },
    { TASK_KIND_COUNT, TASK_ASSIGNED, TASK_RECEIVED, 0 },
};

static void test_moves(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++) {
        const struct move *m = &moves[i];
        int got = task_transition(m->kind, m->from, m->to) == 0;
        if (got != m->allowed)
            fail_msg("row %zu: %s -> %s of kind %d: expected %s", i, task_state_name(m->from),
                     task_state_name(m->to), m->kind, m->allowed ? "allowed" : "refused");
    }
}

/* No move leaves a final state, of any kind. */
static void test_final_states_are_final(void **state)
{
    (void)state;
    for (int k = 0; k < TASK_KIND_COUNT; k++)
        for (int from = 0; from < TASK_STATE_COUNT; from++)
            for (int to = 0; to < TASK_STATE_COUNT; to++)
                if (task_state_final((enum task_state)from))
                    assert_int_equal(task_transition((enum task_kind)k, (enum task_state)from, (enum task_state)to), -1);
}

static int has(const char *const *list, const char *name)
{
    for (; *list; list++)
        if (strcmp(*list, name) == 0)
            return 1;
    return 0;
}

static void test_required_fields(void **state)
{
    (void)state;
    assert_true(has(task_required_fields(TASK_ACCEPTED_ONSITE), "when"));
    assert_true(has(task_required_fields(TASK_ACCEPTED_ONSITE), "where"));
    assert_true(has(task_required_fields(TASK_SUBMITTED), "reference"));
    assert_true(has(task_required_fields(TASK_SUPPLEMENT_REQUESTED), "missing"));
    assert_true(has(task_required_fields(TASK_APPROVED), "result_doc"));
    assert_true(has(task_required_fields(TASK_APPROVED), "result_kind"));
    assert_true(has(task_required_fields(TASK_REJECTED), "reason"));
    assert_null(task_required_fields(TASK_RECEIVED)[0]);
    assert_null(task_required_fields(TASK_CANCELLED)[0]);
}

static void test_names(void **state)
{
    (void)state;
    enum task_state s;
    enum task_kind k;
    for (int i = 0; i < TASK_STATE_COUNT; i++) {
        assert_int_equal(task_state_parse(task_state_name((enum task_state)i), &s), 0);
        assert_int_equal(s, i);
    }
    static const struct { const char *word; enum task_state s; } words[] = {
        { "accepted", TASK_ACCEPTED_ONSITE }, { "submitted", TASK_SUBMITTED },
        { "supplement", TASK_SUPPLEMENT_REQUESTED }, { "resupplied", TASK_SUPPLEMENT_RECEIVED },
        { "approved", TASK_APPROVED }, { "rejected", TASK_REJECTED },
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        assert_int_equal(task_state_parse(words[i].word, &s), 0);
        assert_int_equal(s, words[i].s);
    }
    /* An agent reports moves by word only; the router's own states are not words. */
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        assert_int_equal(task_state_parse_word(words[i].word, &s), 0);
        assert_int_equal(s, words[i].s);
    }
    static const char *const not_words[] = { "CANCELLED", "CLOSED", "received", "RECEIVED", "ASSIGNED",
                                             "APPROVED", "cancelled", "", NULL };
    for (size_t i = 0; i < sizeof not_words / sizeof not_words[0]; i++)
        assert_int_equal(task_state_parse_word(not_words[i], &s), -1);
    assert_int_equal(task_state_parse("APPROVE", &s), -1);
    assert_int_equal(task_state_parse("", &s), -1);
    assert_int_equal(task_state_parse(NULL, &s), -1);
    assert_null(task_state_name(TASK_STATE_COUNT));

    assert_int_equal(task_kind_parse("item", "agency", &k), 0);
    assert_int_equal(k, KIND_AGENCY_ITEM);
    assert_int_equal(task_kind_parse("item", "help", &k), 0);
    assert_int_equal(k, KIND_HELP_ITEM);
    assert_int_equal(task_kind_parse("coordination", "agency", &k), 0);
    assert_int_equal(k, KIND_COORDINATION);
    assert_int_equal(task_kind_parse("item", "both", &k), -1);
    assert_int_equal(task_kind_parse("zone", "agency", &k), -1);
    assert_string_equal(task_kind_name(KIND_HELP_ITEM), "item");
}

/* The kinds of pause: names round-trip, each has a label for the unit,
 * and nothing else parses. */
static void test_pause_kinds(void **state)
{
    (void)state;
    static const char *const names[] = { "supplement", "expert_review", "hearing", "inspection", "appraisal" };
    for (int k = 0; k < PAUSE_KIND_COUNT; k++) {
        enum pause_kind got;
        assert_string_equal(pause_kind_name((enum pause_kind)k), names[k]);
        assert_int_equal(pause_kind_parse(names[k], &got), 0);
        assert_int_equal(got, k);
        assert_non_null(pause_kind_label((enum pause_kind)k));
    }
    enum pause_kind got = PAUSE_HEARING;
    assert_int_equal(pause_kind_parse("Expert_review", &got), -1);
    assert_int_equal(pause_kind_parse("", &got), -1);
    assert_int_equal(pause_kind_parse(NULL, &got), -1);
    assert_int_equal(got, PAUSE_HEARING);
    assert_null(pause_kind_name(PAUSE_KIND_COUNT));
    assert_string_equal(pause_kind_label(PAUSE_SUPPLEMENT), "补正");
}

/* The case of a task id, for log lines (and nothing for what is not one). */
static void test_task_case_no(void **state)
{
    (void)state;
    static const struct { const char *task, *case_no; } rows[] = {
        { "BD-500231-20261128-00001-T1", "BD-500231-20261128-00001" },
        { "BD-500231-20261128-00001-T12", "BD-500231-20261128-00001" },
        { "BD-500231-20261128-00001-C1", "BD-500231-20261128-00001" },
        { "BD-500231-20261128-00001-H2", "BD-500231-20261128-00001" },
        { "BD-500231-20261128-00001", NULL },       /* a case, not a task */
        { "BD-500231-20261128-00001-X1", NULL },
        { "BD-500231-20261128-00001-T", NULL },
        { "BD-500231-20261128-00001-T1a", NULL },
        { "-T1", NULL },
        { "", NULL },
        { NULL, NULL },
    };
    char out[64];
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *got = task_case_no(rows[i].task, out, sizeof out);
        if (rows[i].case_no) {
            assert_non_null(got);
            assert_string_equal(got, rows[i].case_no);
        } else {
            assert_null(got);
            assert_string_equal(out, "");
        }
    }
    char small[8];
    assert_null(task_case_no("BD-500231-20261128-00001-T1", small, sizeof small));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_moves),
        cmocka_unit_test(test_final_states_are_final),
        cmocka_unit_test(test_required_fields),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_pause_kinds),
        cmocka_unit_test(test_task_case_no),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

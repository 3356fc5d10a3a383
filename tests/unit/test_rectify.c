/* test_rectify.c - the rectification state machine (common/rectify.c):
 * every allowed move, every other one refused, who may send each step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "rectify.h"

static const struct { enum rectify_state from; enum rectify_event ev; enum rectify_state to; } allowed[] = {
    { RECT_VERIFYING, RECT_EV_VERIFY, RECT_RECTIFYING },
    { RECT_VERIFYING, RECT_EV_APPEAL, RECT_APPEALED },
    { RECT_RECTIFYING, RECT_EV_DONE, RECT_RECTIFIED },
    { RECT_RECTIFYING, RECT_EV_EXPLAIN, RECT_EXPLAINED },
    { RECT_RECTIFYING, RECT_EV_APPEAL, RECT_APPEALED },
    { RECT_RECTIFIED, RECT_EV_FEEDBACK, RECT_FED_BACK },
    { RECT_EXPLAINED, RECT_EV_FEEDBACK, RECT_FED_BACK },
    { RECT_APPEALED, RECT_EV_UPHOLD, RECT_APPEAL_UPHELD },
    { RECT_APPEALED, RECT_EV_REJECT, RECT_APPEAL_REJECTED },
    { RECT_APPEAL_REJECTED, RECT_EV_DONE, RECT_RECTIFIED },
    { RECT_APPEAL_REJECTED, RECT_EV_EXPLAIN, RECT_EXPLAINED },
};

static void test_moves(void **state)
{
    (void)state;
    for (int s = 0; s < RECT_STATE_COUNT; s++)
        for (int e = 0; e < RECT_EVENT_COUNT; e++) {
            int expect = -1;
            enum rectify_state want = RECT_STATE_COUNT, got = RECT_STATE_COUNT;
            for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
                if (allowed[i].from == (enum rectify_state)s && allowed[i].ev == (enum rectify_event)e) {
                    expect = 0;
                    want = allowed[i].to;
                }
            int rc = rectify_move((enum rectify_state)s, (enum rectify_event)e, &got);
            if (rc != expect)
                fail_msg("%s -%s-> expected %s", rectify_state_name((enum rectify_state)s),
                         rectify_event_name((enum rectify_event)e), expect ? "refusal" : "a move");
            assert_int_equal(got, want);    /* untouched on a refusal */
        }
}

static void test_final_and_chased(void **state)
{
    (void)state;
    enum rectify_state next;
    for (int s = 0; s < RECT_STATE_COUNT; s++) {
        bool any = false;
        for (int e = 0; e < RECT_EVENT_COUNT; e++)
            any |= rectify_move((enum rectify_state)s, (enum rectify_event)e, &next) == 0;
        assert_int_equal(rectify_is_final((enum rectify_state)s), !any);
    }
    assert_true(rectify_is_chased(RECT_VERIFYING));
    assert_true(rectify_is_chased(RECT_RECTIFYING));
    assert_true(rectify_is_chased(RECT_APPEAL_REJECTED));
    assert_false(rectify_is_chased(RECT_APPEALED));
    assert_false(rectify_is_chased(RECT_RECTIFIED));
    assert_false(rectify_is_chased(RECT_FED_BACK));
    assert_int_equal(rectify_move(RECT_STATE_COUNT, RECT_EV_VERIFY, &next), -1);
    assert_int_equal(rectify_move(RECT_VERIFYING, RECT_EVENT_COUNT, &next), -1);
}

static void test_names_and_roles(void **state)
{
    (void)state;
    for (int s = 0; s < RECT_STATE_COUNT; s++) {
        enum rectify_state back;
        assert_int_equal(rectify_state_parse(rectify_state_name((enum rectify_state)s), &back), 0);
        assert_int_equal(back, s);
    }
    for (int e = 0; e < RECT_EVENT_COUNT; e++) {
        enum rectify_event back;
        assert_int_equal(rectify_event_parse(rectify_event_name((enum rectify_event)e), &back), 0);
        assert_int_equal(back, e);
        assert_int_not_equal(rectify_event_roles((enum rectify_event)e), 0);
    }
    enum rectify_state s;
    enum rectify_event e;
    assert_int_equal(rectify_state_parse("VERIFYING", &s), -1);
    assert_int_equal(rectify_state_parse(NULL, &s), -1);
    assert_int_equal(rectify_event_parse("close", &e), -1);
    assert_string_equal(rectify_state_name(RECT_STATE_COUNT), "?");
    /* The department rectifies, explains and appeals; hall management
     * verifies, feeds back and decides the appeal. */
    assert_int_equal(rectify_event_roles(RECT_EV_DONE), ROLE_DEPARTMENT);
    assert_int_equal(rectify_event_roles(RECT_EV_EXPLAIN), ROLE_DEPARTMENT);
    assert_int_equal(rectify_event_roles(RECT_EV_APPEAL), ROLE_DEPARTMENT);
    assert_int_equal(rectify_event_roles(RECT_EV_VERIFY), ROLE_HALL_MANAGEMENT);
    assert_int_equal(rectify_event_roles(RECT_EV_FEEDBACK), ROLE_HALL_MANAGEMENT);
    assert_int_equal(rectify_event_roles(RECT_EV_UPHOLD), ROLE_HALL_MANAGEMENT);
    assert_int_equal(rectify_event_roles(RECT_EV_REJECT), ROLE_HALL_MANAGEMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_moves),
        cmocka_unit_test(test_final_and_chased),
        cmocka_unit_test(test_names_and_roles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

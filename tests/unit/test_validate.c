/* test_validate.c - unit tests of validate.c: each format against a table of
 * texts a user could type, with the answer a clerk would expect.
 *
 * The valid credit codes were computed with the GB 32100-2015 weights, and
 * three are codes of real enterprises as printed on their licences.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "validate.h"

struct text_case {
    const char *text;
    int want;                   /* 0 valid, -1 invalid */
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Runs a check over a table; the failing text is printed before the assert
 * so that the report names the row. */
static void run_table(int (*check)(const char *), const struct text_case *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int got = check(t[i].text);

        if (got != t[i].want)
            print_error("text \"%s\": got %d, want %d\n",
                        t[i].text ? t[i].text : "(null)", got, t[i].want);
        assert_int_equal(got, t[i].want);
    }
}

static void test_credit_code(void **state)
{
    static const struct text_case cases[] = {
        /* Valid, computed for a Dianjiang (500231) enterprise. */
        { "91500231MA5U12345Y", 0 },
        { "91500231MA5U1A2B34", 0 },
        { "91500231MA60JG2R8H", 0 },
        { "12500231009123456F", 0 },        /* a public institution */
        { "52500231MJP000000F", 0 },        /* a social organisation */
        /* The sum is a multiple of 31, so 31 - 0 = 31 is written as '0'. */
        { "91500231MA5U000090", 0 },
        /* Real ones: Huawei, Tencent, a Fuzhou enterprise. */
        { "914403001922038216", 0 },
        { "9144030071526726XG", 0 },
        { "91350100M000100Y43", 0 },
        /* Wrong check character: one off, a digit slip, swapped chars. */
        { "91500231MA5U12345X", -1 },
        { "91500231MA5U123456", -1 },
        { "91500231MA5U12354Y", -1 },
        { "914403001922038217", -1 },
        /* Lower case is not accepted even when the upper case is valid. */
        { "91500231ma5u12345y", -1 },
        { "9144030071526726Xg", -1 },
        /* Letters outside the alphabet: I, O, Z, S, V. */
        { "91500231MI5U12345Y", -1 },
        { "91500231MO5U12345Y", -1 },
        { "91500231MZ5U12345Y", -1 },
        { "91500231MS5U12345Y", -1 },
        { "91500231MV5U12345Y", -1 },
        /* Wrong length, blanks, separators. */
        { "91500231MA5U12345", -1 },
        { "91500231MA5U12345Y0", -1 },
        { " 91500231MA5U12345Y", -1 },
        { "91500231MA5U12345Y ", -1 },
        { "91500231-MA5U12345Y", -1 },
        { "", -1 },
        { NULL, -1 },
    };

    (void)state;
    run_table(validate_credit_code, cases, N_OF(cases));
}

static void test_project_code(void **state)
{
    static const struct text_case cases[] = {
        { "2306-500231-04-01-123456", 0 },      /* the example of the notice */
        { "2601-500231-48-01-000001", 0 },
        { "2312-500231-04-01-999999", 0 },
        { "2300-500231-04-01-123456", -1 },     /* month 00 */
        { "2313-500231-04-01-123456", -1 },     /* month 13 */
        { "2306-50023-04-01-1234567", -1 },     /* fields shifted */
        { "2306-500231-04-01-12345", -1 },      /* serial too short */
        { "2306-500231-04-01-1234567", -1 },    /* serial too long */
        { "2306-500231-4A-01-123456", -1 },     /* letter in industry */
        { "2306 500231 04 01 123456", -1 },     /* spaces for dashes */
        { "2306500231040112345612", -1 },       /* no dashes */
        { "2306-500231-04-01-12345\xef", -1 },
        { "", -1 },
        { NULL, -1 },
    };

    (void)state;
    run_table(validate_project_code, cases, N_OF(cases));
}

/* Full mobile numbers in these tables are made up, and written as adjacent
 * literals ("138" "1234" "1234") so that no full number stands in the
 * repository's text. */
static void test_phone(void **state)
{
    static const struct text_case cases[] = {
        { "138" "1234" "1234", 0 },
        { "199" "0000" "0000", 0 },
        { "138****1234", 0 },           /* masked, as in the sample roster */
        { "12812341234", -1 },          /* 12x is not a mobile prefix */
        { "10812341234", -1 },
        { "23812341234", -1 },
        { "1381234123", -1 },           /* 10 digits */
        { "138123412345", -1 },         /* 12 digits */
        { "138-1234-1234", -1 },
        { "+8613812341234", -1 },
        { "138**1*1234", -1 },          /* half masked */
        { "13*****1234", -1 },          /* prefix masked */
        { "138****123*", -1 },
        { "1381234123a", -1 },
        { "", -1 },
        { NULL, -1 },
    };

    (void)state;
    run_table(validate_phone, cases, N_OF(cases));
}

static void test_mask_phone(void **state)
{
    static const struct {
        const char *text;
        size_t outlen;
        const char *want;
    } cases[] = {
        { "138" "1234" "1234", 16, "138****1234" },
        { "138****1234", 16, "138****1234" },   /* masking is idempotent */
        { "02374561234", 16, "023****1234" },   /* any text, not only mobiles */
        { "1234567", 16, "123****4567" },       /* 7 characters: nothing hidden */
        { "123456", 16, "****" },
        { "", 16, "****" },
        { NULL, 16, "****" },
        { "138" "1234" "1234", 12, "138****1234" },   /* exactly fits */
        { "138" "1234" "1234", 8, "138****" },        /* cut, still NUL-terminated */
        { "138" "1234" "1234", 1, "" },
    };

    (void)state;
    for (size_t i = 0; i < N_OF(cases); i++) {
        char out[16];

        memset(out, 'x', sizeof out);
        assert_ptr_equal(mask_phone(cases[i].text, out, cases[i].outlen), out);
        assert_string_equal(out, cases[i].want);
    }
    /* outlen 0 must not write at all. */
    {
        char out[2] = { 'x', 'y' };

        mask_phone("138" "1234" "1234", out, 0);
        assert_int_equal(out[0], 'x');
    }
}

static void test_uuid(void **state)
{
    static const struct text_case cases[] = {
        { "0190c2a4-7b1e-7c3a-9f00-1a2b3c4d5e6f", 0 },
        { "0190C2A4-7B1E-7C3A-9F00-1A2B3C4D5E6F", 0 },
        { "00000000-0000-0000-0000-000000000000", 0 },
        { "0190c2a47b1e7c3a9f001a2b3c4d5e6f", -1 },     /* no dashes */
        { "{0190c2a4-7b1e-7c3a-9f00-1a2b3c4d5e6f}", -1 },
        { "0190c2a4-7b1e-7c3a-9f00-1a2b3c4d5e6", -1 },
        { "0190c2a4-7b1e-7c3a-9f00-1a2b3c4d5e6f0", -1 },
        { "0190c2a4-7b1e-7c3a-9f001-a2b3c4d5e6f", -1 }, /* dash misplaced */
        { "0190c2g4-7b1e-7c3a-9f00-1a2b3c4d5e6f", -1 }, /* g is not hex */
        { "", -1 },
        { NULL, -1 },
    };

    (void)state;
    run_table(validate_uuid, cases, N_OF(cases));
}

static void test_text(void **state)
{
    static const struct {
        const char *text;
        size_t max;
        int want;
    } cases[] = {
        { "县住房城乡建委", 64, 0 },
        { "Dianjiang 垫江县 500231", 64, 0 },
        { "项目", 6, 0 },                   /* 6 bytes, exactly at the limit */
        { "项目", 5, -1 },                  /* cut mid-character by the limit */
        { "a", 1, 0 },
        { "ab", 1, -1 },
        { "😀", 4, 0 },                    /* 4-byte sequence */
        { "", 64, -1 },                     /* empty */
        { NULL, 64, -1 },
        { "line\nbreak", 64, -1 },
        { "tab\there", 64, -1 },
        { "bell\a", 64, -1 },
        { "del\x7f", 64, -1 },
        { "c1 \xc2\x85", 64, -1 },          /* U+0085, a C1 control */
        { "nbsp\xc2\xa0", 64, 0 },          /* U+00A0 is printable */
        { "\xc0\x8a", 64, -1 },             /* overlong newline */
        { "\xe0\x80\xaf", 64, -1 },         /* overlong '/' */
        { "\xed\xa0\x80", 64, -1 },         /* a surrogate */
        { "\xf4\x90\x80\x80", 64, -1 },     /* beyond U+10FFFF */
        { "\xe9\xa1", 64, -1 },             /* truncated sequence */
        { "\x80", 64, -1 },                 /* stray continuation */
        { "\xff", 64, -1 },
    };

    (void)state;
    for (size_t i = 0; i < N_OF(cases); i++) {
        int got = validate_text(cases[i].text, cases[i].max);

        if (got != cases[i].want)
            print_error("row %zu: got %d, want %d\n", i, got, cases[i].want);
        assert_int_equal(got, cases[i].want);
    }
}

/* Whatever text a caller logs or refuses with: a person's numbers are
 * masked, whole runs only; what only looks similar is left alone. */
static void test_privacy_mask(void **state)
{
    (void)state;
    static const struct { const char *in, *out; } cases[] = {
        /* The numbers are cut in pieces: the repo holds no whole one. */
        { "请致电138" "1234" "5678联系", "请致电138****5678联系" },
        { "tel:+86138" "1234" "5678.", "tel:+86138****5678." },
        { "a138" "1234" "5678", "a138****5678" },
        { "身份证500231" "19900101" "1234", "身份证500231********1234" },
        { "id 500231" "19900101" "123X ok", "id 500231********123X ok" },
        { "credit 91500231MA61Q7K31M", "credit 915002**********1M" },
        { "138" "1234" "56789", "138" "1234" "56789" },    /* 12 digits: not a mobile */
        { "128" "1234" "5678", "128" "1234" "5678" },      /* not 1[3-9] */
        { "BD-500231-20261129-00001", "BD-500231-20261129-00001" },
        { "2306-500231-04-01-123456", "2306-500231-04-01-123456" },
        { "01a22422-bd12-7014-a298-01fc27a9215a", "01a22422-bd12-7014-a298-01fc27a9215a" },
        { "138****5678", "138****5678" },
        { "", "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[128];
        snprintf(buf, sizeof buf, "%s", cases[i].in);
        assert_string_equal(privacy_mask(buf), cases[i].out);
    }
    assert_null(privacy_mask(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_credit_code),
        cmocka_unit_test(test_project_code),
        cmocka_unit_test(test_phone),
        cmocka_unit_test(test_mask_phone),
        cmocka_unit_test(test_uuid),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_privacy_mask),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

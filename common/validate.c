/* validate.c - the formats bangdai checks on what comes from outside: credit
 * codes, project codes, phone numbers, UUIDs and free text.
 *
 * Every check reads the text once, allocates nothing and keeps no state.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "validate.h"

/* GB 32100-2015 code alphabet; a character's value is its index here. */
static const char credit_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int credit_weights[17] = {
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28
};

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Checks that text[from..to) are all digits. */
static int all_digits(const char *text, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (!is_digit(text[i]))
            return 0;
    return 1;
}

/* The value of a code character, or -1. strchr() alone would also match the
 * terminating NUL, hence the explicit test. */
static int credit_value(char c)
{
    const char *p = c ? strchr(credit_alphabet, c) : NULL;

    return p ? (int)(p - credit_alphabet) : -1;
}

int validate_credit_code(const char *text)
{
    int sum = 0, check;

    if (!text || strlen(text) != 18)
        return -1;
    for (int i = 0; i < 17; i++) {
        int v = credit_value(text[i]);

        if (v < 0)
            return -1;
        sum += v * credit_weights[i];
    }
    /* The standard defines check = 31 - (sum mod 31), and a result of 31 is
     * written as '0'. */
    check = 31 - sum % 31;
    if (check == 31)
        check = 0;
    return text[17] == credit_alphabet[check] ? 0 : -1;
}

int validate_project_code(const char *text)
{
    int month;

    /* YYMM-RRRRRR-II-TT-NNNNNN: 24 characters, dashes at 4, 11, 14 and 17. */
    if (!text || strlen(text) != 24)
        return -1;
    if (text[4] != '-' || text[11] != '-' || text[14] != '-' || text[17] != '-')
        return -1;
    if (!all_digits(text, 0, 4) || !all_digits(text, 5, 11) ||
        !all_digits(text, 12, 14) || !all_digits(text, 15, 17) ||
        !all_digits(text, 18, 24))
        return -1;
    month = (text[2] - '0') * 10 + (text[3] - '0');
    return month >= 1 && month <= 12 ? 0 : -1;
}

int validate_phone(const char *text)
{
    if (!text || strlen(text) != 11)
        return -1;
    if (text[0] != '1' || text[1] < '3' || text[1] > '9' || !is_digit(text[2]))
        return -1;
    if (!all_digits(text, 7, 11))
        return -1;
    /* The middle four are either all digits (a real number) or all stars
     * (the masked form the sample roster carries); a mix is neither. */
    if (all_digits(text, 3, 7))
        return 0;
    return strncmp(text + 3, "****", 4) == 0 ? 0 : -1;
}

char *mask_phone(const char *text, char *out, size_t outlen)
{
    char masked[16];
    size_t len = text ? strlen(text) : 0;

    if (outlen == 0)
        return out;
    if (len < 7) {
        strcpy(masked, "****");
    } else {
        memcpy(masked, text, 3);
        memcpy(masked + 3, "****", 4);
        memcpy(masked + 7, text + len - 4, 4);
        masked[11] = '\0';
    }
    /* A short buffer gets as much as fits; a cut mask still hides the
     * middle, since the stars come before the kept tail. */
    len = strlen(masked);
    if (len >= outlen)
        len = outlen - 1;
    memcpy(out, masked, len);
    out[len] = '\0';
    return out;
}

int validate_uuid(const char *text)
{
    if (!text || strlen(text) != 36)
        return -1;
    for (int i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;

        if (dash ? text[i] != '-' : !is_hex(text[i]))
            return -1;
    }
    return 0;
}

/* Decodes one UTF-8 sequence at s. Returns its length and stores the code
 * point in *cp, or returns 0 when the sequence is malformed: truncated,
 * overlong, a surrogate or beyond U+10FFFF. Rejecting overlong forms matters
 * because they would smuggle control characters past the check below. */
static size_t utf8_decode(const unsigned char *s, unsigned long *cp)
{
    size_t n;
    unsigned long c, min;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    } else if ((s[0] & 0xe0) == 0xc0) {
        n = 2, c = s[0] & 0x1f, min = 0x80;
    } else if ((s[0] & 0xf0) == 0xe0) {
        n = 3, c = s[0] & 0x0f, min = 0x800;
    } else if ((s[0] & 0xf8) == 0xf0) {
        n = 4, c = s[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    /* A NUL stops this loop too, as it is not a continuation byte. */
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return n;
}

int validate_utf8(const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    unsigned long cp;
    for (size_t i = 0; s[i];) {
        size_t n = utf8_decode(s + i, &cp);
        if (n == 0)
            return -1;
        i += n;
    }
    return 0;
}

char *utf8_scrub(char *text)
{
    unsigned char *s = (unsigned char *)text;
    unsigned long cp;
    for (size_t i = 0; s[i];) {
        size_t n = utf8_decode(s + i, &cp);
        if (n == 0) {
            s[i] = '?';
            n = 1;
        }
        i += n;
    }
    return text;
}

int validate_text(const char *text, size_t max_bytes)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;

    if (!text || !*text)
        return -1;
    while (s[i]) {
        unsigned long cp;
        size_t n = utf8_decode(s + i, &cp);

        /* C0, DEL and C1 are all control characters. Tabs and newlines are
         * rejected too: the contract admits no control character at all. */
        if (n == 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
            return -1;
        i += n;
        if (i > max_bytes)
            return -1;
    }
    return 0;
}

/* Replaces text[from, from + n) with '*'. */
static void stars(char *text, size_t from, size_t n)
{
    memset(text + from, '*', n);
}

static bool is_credit_char(char c)
{
    /* GB 32100: digits and the capitals but I, O, S, V, Z. */
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z' && !strchr("IOSVZ", c));
}

char *privacy_mask(char *text)
{
    size_t len = text ? strlen(text) : 0;
    for (size_t i = 0; i < len;) {
        if (!isalnum((unsigned char)text[i])) {
            i++;
            continue;
        }
        size_t end = i;
        while (end < len && isalnum((unsigned char)text[end]))
            end++;
        /* Within the word: each maximal run of digits. */
        bool id_number = false;
        for (size_t d = i; d < end;) {
            if (!isdigit((unsigned char)text[d])) {
                d++;
                continue;
            }
            size_t e = d;
            while (e < end && isdigit((unsigned char)text[e]))
                e++;
            size_t n = e - d;
            const char *r = text + d;
            if (n == 11 && r[0] == '1' && r[1] >= '3' && r[1] <= '9')
                stars(text, d + 3, 4);                  /* 138****5678 */
            else if (n == 13 && r[0] == '8' && r[1] == '6' && r[2] == '1' && r[3] >= '3' && r[3] <= '9')
                stars(text, d + 5, 4);                  /* 86138****5678 */
            else if (n == 18 || (n == 17 && e < end && (text[e] == 'X' || text[e] == 'x'))) {
                stars(text, d + 6, 8);                  /* 身份证号: 500231********123X */
                id_number = true;
            }
            d = e;
        }
        /* A whole word of 18 that is a credit code with letters in it. */
        if (end - i == 18 && !id_number) {
            bool code = true, letter = false;
            for (size_t k = i; k < end && code; k++) {
                code = is_credit_char(text[k]) || text[k] == '*';
                letter = letter || (text[k] >= 'A' && text[k] <= 'Z');
            }
            if (code && letter)
                stars(text, i + 6, 10);                 /* 915002**********56 */
        }
        i = end;
    }
    return text;
}

/* validate.h - formats bangdai checks on everything that comes from outside.
 *
 * Each check returns 0 when the text is valid and -1 when it is not; none of
 * them allocates. They are pure functions, safe to call from any thread.
 */
#ifndef BANGDAI_VALIDATE_H
#define BANGDAI_VALIDATE_H

#include <stddef.h>

/* 统一社会信用代码 (GB 32100-2015): 18 characters from the code alphabet
 * 0-9 A-H J-N P-R T-U W-Y (no I, O, Z, S, V), the 18th the check character
 * computed with the weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
 * modulo 31. Upper case only. */
int validate_credit_code(const char *text);

/* 项目代码 (national investment project code): YYMM-RRRRRR-II-TT-NNNNNN,
 * e.g. 2306-500231-04-01-123456: year-month (month 01-12), 6-digit region
 * code, 2-digit industry, 2-digit type, 6-digit serial. */
int validate_project_code(const char *text);

/* Mobile number: 11 digits starting with 1[3-9]. Also accepts a masked
 * number of the form 1[3-9]X****XXXX as the sample roster carries. */
int validate_phone(const char *text);

/* Writes the masked form of a phone number into out (138****1234): the first
 * three and last four characters kept, the rest replaced by four '*'. Text
 * shorter than 7 characters becomes "****". Always NUL-terminates out when
 * outlen > 0. Returns out. */
char *mask_phone(const char *text, char *out, size_t outlen);

/* A UUID in text form (8-4-4-4-12 hex digits, any case). */
int validate_uuid(const char *text);

/* UTF-8 text of 1..max_bytes bytes, no control characters. */
int validate_text(const char *text, size_t max_bytes);

/* Whether text (NUL-terminated, may be empty) is well-formed UTF-8. */
int validate_utf8(const char *text);

/* Makes text well-formed UTF-8 in place: every byte that does not start a
 * valid sequence (bad bytes, a character cut short by truncation) becomes
 * '?'. For text built from what was received, before it is stored, logged
 * or sent back. Returns text. */
char *utf8_scrub(char *text);

/* Masks, in place, what would identify a person or be read as one in a
 * log or a reply: a mobile number (11 digits from 1[3-9], or 13 from 86
 * and a mobile) keeps its first three and last four digits (138****5678);
 * an 18-character 身份证号 (17 digits and a digit or X) its first six and
 * last four; an 18-character credit code with letters in it its first six
 * and last two. Only whole runs: a longer number is left alone. Returns
 * text. The logger applies it to every field; refusals too. */
char *privacy_mask(char *text);

#endif

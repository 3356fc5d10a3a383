/* fuzz_text.c - libFuzzer: every text check and mask, and the logger's
 * pipeline for a field (scrub to UTF-8, mask personal numbers, JSON
 * escape). Properties: the scrubbed text is valid UTF-8; masking keeps the
 * length and the UTF-8; the escaped field is valid UTF-8 with no raw
 * control character and no unescaped quote or backslash. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;     /* as a C string: up to the first NUL */
    (void)validate_credit_code(text);
    (void)validate_project_code(text);
    (void)validate_phone(text);
    (void)validate_uuid(text);
    (void)validate_text(text, 400);
    char masked[32];
    mask_phone(text, masked, sizeof masked);
    assert(strlen(masked) < sizeof masked);

    utf8_scrub(text);
    assert(validate_utf8(text) == 0);
    size_t len = strlen(text);
    privacy_mask(text);
    assert(strlen(text) == len && validate_utf8(text) == 0);

    char esc[1024];
    size_t n = json_escape(text, esc, sizeof esc);
    assert(n < sizeof esc && strlen(esc) == n && validate_utf8(esc) == 0);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)esc[i];
        assert(c >= 0x20 && c != 0x7f);
        if (c == '\\') {
            assert(i + 1 < n && strchr("\"\\nt u", esc[i + 1]));
            i++;
        } else {
            assert(c != '"');
        }
    }
    free(text);
    return 0;
}

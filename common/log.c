/* log.c - JSON lines on stderr; see log.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "log.h"
#include "validate.h"

static const char *service_name = "bangdai";
static enum log_level min_level = BD_LOG_INFO;
static const char *level_names[] = { "debug", "info", "warn", "error", "fatal", "panic" };

void log_set_service(const char *service) { service_name = service; }
void log_set_level(enum log_level level) { min_level = level; }

int log_parse_level(const char *text, enum log_level *out)
{
    for (int i = BD_LOG_DEBUG; i <= BD_LOG_ERROR; i++)
        if (strcmp(text, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    return -1;
}

size_t json_escape(const char *s, char *out, size_t outlen)
{
    size_t n = 0;
    if (outlen == 0)
        return 0;
    for (; s && *s; s++) {
        char esc[8];
        unsigned char c = (unsigned char)*s;
        const char *piece = esc;
        size_t len;
        if (c == '"' || c == '\\') {
            esc[0] = '\\'; esc[1] = (char)c; esc[2] = 0;
        } else if (c == '\n') {
            piece = "\\n";
        } else if (c == '\t') {
            piece = "\\t";
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
        } else if (c >= 0x80) {
            /* A whole character or nothing: the caller made the text UTF-8,
             * and a line cut inside a character would not be. */
            size_t k = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
            if (strnlen(s, k) < k || n + k >= outlen)
                break;
            memcpy(out + n, s, k);
            n += k;
            s += k - 1;
            continue;
        } else {
            esc[0] = (char)c; esc[1] = 0;
        }
        len = strlen(piece);
        /* Never cut an escape in half: stop before it instead. */
        if (n + len >= outlen)
            break;
        memcpy(out + n, piece, len);
        n += len;
    }
    out[n] = 0;
    return n;
}

static void add_field(char *line, size_t cap, size_t *used, const char *key, const char *value)
{
    char esc[1024], text[1024];
    if (!value || !*value || *used >= cap)
        return;
    /* Whatever the caller passes: valid UTF-8, and no personal number. */
    snprintf(text, sizeof text, "%s", value);
    json_escape(privacy_mask(utf8_scrub(text)), esc, sizeof esc);
    int w = snprintf(line + *used, cap - *used, ",\"%s\":\"%s\"", key, esc);
    if (w > 0)
        *used += (size_t)w < cap - *used ? (size_t)w : cap - *used - 1;
}

void log_write(enum log_level level, const char *event, const struct log_fields *f)
{
    char line[4096], stamp[40];
    struct timeval tv;
    struct tm tm;
    size_t used;

    if (level < min_level)
        return;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    used = (size_t)snprintf(line, sizeof line,
                            "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\",\"service\":\"%s\",\"event\":\"%s\"",
                            stamp, (long)(tv.tv_usec / 1000), level_names[level], service_name, event);
    if (used >= sizeof line)
        used = sizeof line - 1;
    add_field(line, sizeof line, &used, "case", f->case_no);
    add_field(line, sizeof line, &used, "task", f->task);
    add_field(line, sizeof line, &used, "department", f->dept);
    add_field(line, sizeof line, &used, "msg", f->msg_id);
    add_field(line, sizeof line, &used, "detail", f->detail);
    if (f->latency_ms > 0 && used < sizeof line) {
        int w = snprintf(line + used, sizeof line - used, ",\"latency_ms\":%.3f", f->latency_ms);
        if (w > 0 && (size_t)w < sizeof line - used)
            used += (size_t)w;
    }
    /* The closing brace and newline always fit: keep two bytes for them. */
    if (used > sizeof line - 3)
        used = sizeof line - 3;
    line[used++] = '}';
    line[used++] = '\n';
    /* One write per line so that lines of concurrent processes never mix. */
    fwrite(line, 1, used, stderr);
    fflush(stderr);
}

const char *log_fmt(const char *fmt, ...)
{
    static _Thread_local char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return buf;
}

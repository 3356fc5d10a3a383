/* log.h - one JSON object per line on stderr.
 *
 * Every line has time, level, service and event; the optional fields name the
 * case, task and department it concerns, a latency and a free-text detail, so
 * that `grep CASE` follows one case through all five daemons. Levels have
 * fixed meanings (Postfix): warn = recovered; error = this request failed;
 * fatal = the environment is broken, the program exits; panic = a bug.
 * Never log a full phone or ID number or material content: mask first
 * (validate.h: mask_phone).
 *
 * Use: log_info("case.opened", .case_no = no, .detail = "3 items");
 */
#ifndef BANGDAI_LOG_H
#define BANGDAI_LOG_H

#include <stddef.h>

enum log_level { BD_LOG_DEBUG, BD_LOG_INFO, BD_LOG_WARN, BD_LOG_ERROR, BD_LOG_FATAL, BD_LOG_PANIC };

struct log_fields {
    const char *case_no;
    const char *task;
    const char *dept;
    const char *msg_id;
    const char *detail;
    double latency_ms;          /* logged when > 0 */
};

/* Names the program in every line; borrowed, must outlive logging. */
void log_set_service(const char *service);

/* Lines below this level are not written. Default BD_LOG_INFO. */
void log_set_level(enum log_level level);

/* Parses "debug", "info", "warn", "error"; returns 0 or -1. */
int log_parse_level(const char *text, enum log_level *out);

/* Writes one line. detail may be a printf format when fmt-style is wanted:
 * use log_write_fmt. Never fails visibly; a write error is ignored. */
void log_write(enum log_level level, const char *event, const struct log_fields *f);

#define log_debug(ev, ...) log_write(BD_LOG_DEBUG, (ev), &(struct log_fields){__VA_ARGS__})
#define log_info(ev, ...)  log_write(BD_LOG_INFO,  (ev), &(struct log_fields){__VA_ARGS__})
#define log_warn(ev, ...)  log_write(BD_LOG_WARN,  (ev), &(struct log_fields){__VA_ARGS__})
#define log_error(ev, ...) log_write(BD_LOG_ERROR, (ev), &(struct log_fields){__VA_ARGS__})
#define log_fatal(ev, ...) log_write(BD_LOG_FATAL, (ev), &(struct log_fields){__VA_ARGS__})

/* snprintf into a per-thread buffer, for .detail = log_fmt("%d items", n).
 * The result is valid until the next call in the same thread. */
const char *log_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Appends s to out as the body of a JSON string (escaping quotes, backslash
 * and control characters; UTF-8 passes through). Returns the number of bytes
 * written, never more than outlen - 1; out is always NUL-terminated. */
size_t json_escape(const char *s, char *out, size_t outlen);

#endif

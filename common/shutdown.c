/* shutdown.c - the stop flag and its bound; see shutdown.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shutdown.h"

volatile sig_atomic_t shutdown_requested;

/* The stop_timeout line is made up to its time and the rest is written
 * from the handler, where only async-signal-safe calls may be made: no
 * stdio, no gmtime; the date is counted by hand (days to civil date,
 * H. Hinnant's algorithm). */
static char line_head[160], line_tail[256];

static char *put_num(char *p, long v, int width)
{
    for (int i = width - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + width;
}

static void on_alarm(int sig)
{
    (void)sig;
    struct timespec ts;
    char stamp[32], *p = stamp;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long days = ts.tv_sec / 86400, secs = ts.tv_sec % 86400;
    long long z = days + 719468, era = z / 146097, doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    long d = (long)(doy - (153 * mp + 2) / 5 + 1), m = (long)(mp < 10 ? mp + 3 : mp - 9);
    long y = (long)(yoe + era * 400 + (m <= 2));
    p = put_num(p, y, 4); *p++ = '-'; p = put_num(p, m, 2); *p++ = '-'; p = put_num(p, d, 2);
    *p++ = 'T'; p = put_num(p, (long)(secs / 3600), 2); *p++ = ':';
    p = put_num(p, (long)(secs / 60 % 60), 2); *p++ = ':'; p = put_num(p, (long)(secs % 60), 2);
    *p++ = '.'; p = put_num(p, ts.tv_nsec / 1000000, 3); *p++ = 'Z';
    ssize_t w = write(STDERR_FILENO, line_head, strlen(line_head));
    w = write(STDERR_FILENO, stamp, (size_t)(p - stamp));
    w = write(STDERR_FILENO, line_tail, strlen(line_tail));
    (void)w;
    _exit(1);
}

static void on_stop(int sig)
{
    (void)sig;
    if (!shutdown_requested)
        alarm(SHUTDOWN_LIMIT_S);
    shutdown_requested = 1;
}

void shutdown_install(const char *program)
{
    struct sigaction sa;
    snprintf(line_head, sizeof line_head, "{\"time\":\"");
    snprintf(line_tail, sizeof line_tail,
             "\",\"level\":\"fatal\",\"service\":\"%s\",\"event\":\"service.stop_timeout\","
             "\"detail\":\"not stopped %d s after the signal: exiting now; what was not committed is "
             "rolled back, and its producers send it again\"}\n", program, SHUTDOWN_LIMIT_S);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
}

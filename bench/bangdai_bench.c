/* bangdai_bench.c - the benchmark's load generator (bench/run.sh runs it).
 *
 * It is the online hall: it loads an application file (deploy/examples) the
 * way bangdai-hall does, connects to intake over CURVE with the hall's key
 * ($BANGDAI_CONFIG, security.keys entry "hall" unless --key), and submits it
 * again and again, each time with a fresh request_id (intake dedupes on
 * nothing else, so every submit is a new case).
 *
 * A case is done when the last of its tasks is stored by its department's
 * agent. The real agents (bangdai-dept run) store a task as
 * SPOOL/<envelope id>.task, written to a temporary file, fsync'ed and renamed
 * into place; the generator watches the spool folders with inotify
 * (IN_MOVED_TO), reads each new .task file (an Envelope whose payload is a
 * TaskAssigned) and counts it against its case_no. Nothing is mocked and
 * nothing polls the database.
 *
 * Modes:
 *   --closed K   K cases outstanding: a new case is submitted as soon as one
 *                completes (or is refused), for --duration seconds.
 *   --rate R     open loop: one case every 1/R s for --duration seconds,
 *                whatever the system does. Latency counts from the moment the
 *                case was due to be sent (so a generator that falls behind
 *                does not hide the wait). At most --max-outstanding cases are
 *                in flight; an offer beyond that is skipped and counted
 *                (the system did not keep up).
 * After the load, it waits up to --drain seconds for the cases in flight.
 *
 * Output: one line of key=value pairs on stdout:
 *   mode k|rate duration_s submitted accepted refused unanswered completed
 *   incomplete skipped extra_tasks foreign_tasks lost_events
 *   window_completed cases_per_s p50_ms p90_ms p99_ms max_ms mean_ms cpu_ms
 * window_completed / cases_per_s: cases completed inside the load window
 * (throughput); the latency figures are over every completed case; cpu_ms
 * is the generator's own CPU time (user + system).
 * Exit status 0 when every submitted case was accepted and completed with
 * exactly --tasks tasks, no task came twice and no inotify event was lost;
 * 1 otherwise (the line is printed anyway); 2 usage or setup error.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "config.h"
#include "envelope.h"
#include "hall.h"
#include "security.h"
#include "sockets.h"

#define MAX_SPOOLS 32

static const char usage[] =
    "Usage: bangdai-bench --app FILE.yaml --spool DIR [--spool DIR ...] --tasks N\n"
    "                     (--closed K | --rate R) --duration S [--drain S]\n"
    "                     [--max-outstanding N] [--max-cases N] [--config FILE] [--key NAME]\n"
    "                     [--contact-phone NUMBER]  (in place of the file's masked one)\n"
    "The benchmark's hall: submits FILE (fresh request id each time) to intake over\n"
    "CURVE and times each case until its N tasks are stored in the agents' spools.\n"
    "See the top of bench/bangdai_bench.c and bench/run.sh.\n";

struct kase {
    char id[UUID_STR_LEN];      /* the SubmitRequest envelope's id */
    char case_no[48];
    int64_t t0;                 /* due (open loop) or sent (closed loop), us */
    int64_t t_done;
    int tasks;
    enum { C_SENT, C_ACCEPTED, C_REFUSED, C_DONE } state;
};

/* An open-addressing map from a string (borrowed) to an int. No deletion. */
struct strmap {
    size_t cap;
    const char **keys;
    int *vals;
};

static int strmap_init(struct strmap *m, size_t n)
{
    m->cap = 16;
    while (m->cap < 2 * n)
        m->cap <<= 1;
    m->keys = calloc(m->cap, sizeof *m->keys);
    m->vals = calloc(m->cap, sizeof *m->vals);
    return m->keys && m->vals ? 0 : -1;
}

static size_t hash(const char *s)
{
    size_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void strmap_put(struct strmap *m, const char *key, int val)
{
    size_t i = hash(key) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key) != 0)
        i = (i + 1) & (m->cap - 1);
    m->keys[i] = key;
    m->vals[i] = val;
}

static int strmap_get(const struct strmap *m, const char *key)
{
    size_t i = hash(key) & (m->cap - 1);
    while (m->keys[i]) {
        if (strcmp(m->keys[i], key) == 0)
            return m->vals[i];
        i = (i + 1) & (m->cap - 1);
    }
    return -1;
}

/* Tasks seen before the SubmitReply naming their case came. */
struct orphan {
    char case_no[48];
    int tasks;
    int64_t t_last;
};

static struct {
    const char *app, *key, *config, *phone;
    const char *spools[MAX_SPOOLS];
    int n_spools;
    int tasks, closed_k, max_out, max_cases;
    double rate, duration, drain;
} opt = { .key = "hall", .max_out = 1000, .max_cases = 200000, .drain = 60 };

static struct kase *cases;
static int n_cases;
static struct strmap by_id, by_case_no, orphan_map;
static struct orphan *orphans;
static int n_orphans, max_orphans;
static long accepted, refused, completed, extra_tasks, foreign_tasks, lost_events, duplicates;
static int64_t t_load_end;
static long window_completed;

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void case_task(struct kase *c, int n, int64_t when)
{
    c->tasks += n;
    if (c->tasks > opt.tasks) {
        extra_tasks += c->tasks - opt.tasks;
        c->tasks = opt.tasks;
    }
    if (c->state == C_ACCEPTED && c->tasks == opt.tasks) {
        c->state = C_DONE;
        c->t_done = when;
        completed++;
        if (when <= t_load_end)
            window_completed++;
    }
}

static void on_reply(const uint8_t *data, size_t len, int64_t now)
{
    char err[256];
    Bangdai__Envelope *env = envelope_unpack(data, len, err, sizeof err);
    if (!env) {
        fprintf(stderr, "bangdai-bench: unreadable reply: %s\n", err);
        return;
    }
    if (strcmp(env->type, MSG_SUBMIT_REPLY) == 0) {
        int i = strmap_get(&by_id, env->trace_id);
        Bangdai__SubmitReply *r = bangdai__submit_reply__unpack(NULL, env->payload.len, env->payload.data);
        if (i >= 0 && r && cases[i].state == C_SENT) {
            struct kase *c = &cases[i];
            snprintf(c->case_no, sizeof c->case_no, "%s", r->case_no);
            c->state = C_ACCEPTED;
            accepted++;
            if (r->duplicate)
                duplicates++;
            strmap_put(&by_case_no, c->case_no, i);
            int o = strmap_get(&orphan_map, c->case_no);
            if (o >= 0 && orphans[o].tasks > 0) {
                case_task(c, orphans[o].tasks, orphans[o].t_last);
                orphans[o].tasks = 0;
            }
            /* A case without tasks would be done at once. */
            case_task(c, 0, now);
        }
        if (r)
            bangdai__submit_reply__free_unpacked(r, NULL);
    } else if (strcmp(env->type, MSG_ERROR) == 0) {
        Bangdai__Error *e = bangdai__error__unpack(NULL, env->payload.len, env->payload.data);
        int i = e ? strmap_get(&by_id, e->ref_id) : -1;
        if (i >= 0 && cases[i].state == C_SENT) {
            cases[i].state = C_REFUSED;
            if (refused++ < 3)
                fprintf(stderr, "bangdai-bench: refused: %s: %s (%s)\n", e->field, e->message, e->code);
        }
        if (e)
            bangdai__error__free_unpacked(e, NULL);
    }
    bangdai__envelope__free_unpacked(env, NULL);
}

/* A new file NAME in spool folder DIR. */
static void on_spooled(const char *dir, const char *name, int64_t now)
{
    size_t l = strlen(name);
    if (name[0] == '.' || l < 6 || strcmp(name + l - 5, ".task") != 0)
        return;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "bangdai-bench: %s: %s\n", path, strerror(errno));
        lost_events++;
        return;
    }
    static uint8_t buf[1 << 20];
    size_t n = 0;
    ssize_t r;
    while (n < sizeof buf && (r = read(fd, buf + n, sizeof buf - n)) > 0)
        n += (size_t)r;
    close(fd);
    char err[256];
    Bangdai__Envelope *env = envelope_unpack(buf, n, err, sizeof err);
    if (!env) {
        fprintf(stderr, "bangdai-bench: %s: %s\n", path, err);
        lost_events++;
        return;
    }
    Bangdai__TaskAssigned *t = strcmp(env->type, MSG_TASK_ASSIGNED) == 0
        ? bangdai__task_assigned__unpack(NULL, env->payload.len, env->payload.data) : NULL;
    if (t) {
        int i = strmap_get(&by_case_no, t->case_no);
        if (i >= 0) {
            case_task(&cases[i], 1, now);
        } else {
            int o = strmap_get(&orphan_map, t->case_no);
            if (o < 0 && n_orphans < max_orphans) {
                o = n_orphans++;
                snprintf(orphans[o].case_no, sizeof orphans[o].case_no, "%s", t->case_no);
                strmap_put(&orphan_map, orphans[o].case_no, o);
            }
            if (o >= 0) {
                orphans[o].tasks++;
                orphans[o].t_last = now;
            } else {
                foreign_tasks++;
            }
        }
        bangdai__task_assigned__free_unpacked(t, NULL);
    }
    bangdai__envelope__free_unpacked(env, NULL);
}

static void read_inotify(int ifd, int *wds, int64_t now)
{
    char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t len = read(ifd, buf, sizeof buf);
        if (len <= 0)
            return;
        for (char *p = buf; p < buf + len;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            if (ev->mask & IN_Q_OVERFLOW) {
                fprintf(stderr, "bangdai-bench: inotify queue overflow: events lost\n");
                lost_events++;
            } else if (ev->len > 0) {
                for (int s = 0; s < opt.n_spools; s++)
                    if (wds[s] == ev->wd)
                        on_spooled(opt.spools[s], ev->name, now);
            }
            p += sizeof *ev + ev->len;
        }
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double p)
{
    if (n == 0)
        return NAN;
    size_t r = (size_t)ceil(p / 100.0 * (double)n);
    return v[r == 0 ? 0 : r - 1];
}

static int parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            exit(0);
        }
        if (!v) {
            fprintf(stderr, "bangdai-bench: %s needs a value\n%s", a, usage);
            return -1;
        }
        i++;
        if (strcmp(a, "--app") == 0) opt.app = v;
        else if (strcmp(a, "--contact-phone") == 0) opt.phone = v;
        else if (strcmp(a, "--config") == 0) opt.config = v;
        else if (strcmp(a, "--key") == 0) opt.key = v;
        else if (strcmp(a, "--spool") == 0 && opt.n_spools < MAX_SPOOLS) opt.spools[opt.n_spools++] = v;
        else if (strcmp(a, "--tasks") == 0) opt.tasks = atoi(v);
        else if (strcmp(a, "--closed") == 0) opt.closed_k = atoi(v);
        else if (strcmp(a, "--rate") == 0) opt.rate = atof(v);
        else if (strcmp(a, "--duration") == 0) opt.duration = atof(v);
        else if (strcmp(a, "--drain") == 0) opt.drain = atof(v);
        else if (strcmp(a, "--max-outstanding") == 0) opt.max_out = atoi(v);
        else if (strcmp(a, "--max-cases") == 0) opt.max_cases = atoi(v);
        else {
            fprintf(stderr, "bangdai-bench: unknown option '%s'\n%s", a, usage);
            return -1;
        }
    }
    if (!opt.app || opt.n_spools == 0 || opt.tasks <= 0 || opt.duration <= 0 || opt.duration > 3600 ||
        opt.drain < 0 || opt.drain > 3600 || opt.max_out <= 0 || opt.max_cases <= 0 ||
        (opt.closed_k > 0) == (opt.rate > 0) || opt.closed_k > 100000 || opt.rate > 1e6) {
        fprintf(stderr, "bangdai-bench: --app, --spool, --tasks N>0, --duration S (0-3600] and one of "
                        "--closed K or --rate R are required\n%s", usage);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    char err[1024];
    struct config *cfg = NULL;

    if (parse_args(argc, argv))
        return 2;
    if (!opt.config)
        opt.config = getenv("BANGDAI_CONFIG");
    if (!opt.config || config_load(opt.config, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "bangdai-bench: %s\n", opt.config ? err : "BANGDAI_CONFIG is not set (or --config)");
        return 2;
    }
    if (security_use_key(cfg, opt.key, err, sizeof err) != 0) {
        fprintf(stderr, "bangdai-bench: %s\n", err);
        config_destroy(&cfg);
        return 2;
    }

    /* The application, as bangdai-hall reads it; request_id replaced per case. */
    Bangdai__SubmitRequest req;
    Bangdai__Unit unit;
    Bangdai__Project project;
    Bangdai__Contact contact;
    struct ydoc *doc = NULL;
    char idbuf[37];
    if (hall_application_load(opt.app, &req, &unit, &project, &contact, &doc, idbuf, err, sizeof err)) {
        fprintf(stderr, "bangdai-bench: %s\n", err);
        return 2;
    }
    if (opt.phone)
        contact.phone = (char *)opt.phone;

    cases = calloc((size_t)opt.max_cases, sizeof *cases);
    max_orphans = opt.max_cases;
    orphans = calloc((size_t)max_orphans, sizeof *orphans);
    if (!cases || !orphans || strmap_init(&by_id, (size_t)opt.max_cases) ||
        strmap_init(&by_case_no, (size_t)opt.max_cases) || strmap_init(&orphan_map, (size_t)max_orphans)) {
        fprintf(stderr, "bangdai-bench: out of memory\n");
        return 2;
    }

    int ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    int wds[MAX_SPOOLS];
    if (ifd < 0) {
        fprintf(stderr, "bangdai-bench: inotify: %s\n", strerror(errno));
        return 2;
    }
    for (int s = 0; s < opt.n_spools; s++) {
        mkdir(opt.spools[s], 0755);
        wds[s] = inotify_add_watch(ifd, opt.spools[s], IN_MOVED_TO);
        if (wds[s] < 0) {
            fprintf(stderr, "bangdai-bench: %s: %s\n", opt.spools[s], strerror(errno));
            return 2;
        }
    }

    sockets_init();
    zsock_t *sock = sockets_connect_dealer(cfg, cfg->endpoints.intake, NULL);
    if (!sock) {
        fprintf(stderr, "bangdai-bench: cannot connect to %s\n", cfg->endpoints.intake);
        return 2;
    }
    void *s = zsock_resolve(sock);
    int sndtimeo = 5000;
    zmq_setsockopt(s, ZMQ_SNDTIMEO, &sndtimeo, sizeof sndtimeo);

    const int64_t t_begin = mono_us();
    t_load_end = t_begin + (int64_t)(opt.duration * 1e6);
    const int64_t t_drain_end = t_load_end + (int64_t)(opt.drain * 1e6);
    const int64_t gap = opt.rate > 0 ? (int64_t)(1e6 / opt.rate) : 0;
    int64_t next_due = t_begin;
    long skipped = 0, send_failed = 0;
    int64_t done_at = 0;

    for (;;) {
        int64_t now = mono_us();
        long outstanding = n_cases - refused - completed - send_failed;
        /* Submit what is due. */
        while (now < t_load_end && n_cases < opt.max_cases) {
            int64_t t0;
            if (opt.closed_k > 0) {
                if (outstanding >= opt.closed_k)
                    break;
                t0 = now;
            } else {
                if (next_due > now)
                    break;
                t0 = next_due;
                next_due += gap;
                if (outstanding >= opt.max_out) {
                    skipped++;
                    continue;
                }
            }
            struct kase *c = &cases[n_cases];
            if (uuid_v7(idbuf) != 0) {
                fprintf(stderr, "bangdai-bench: cannot make a request id\n");
                return 2;
            }
            req.request_id = idbuf;
            size_t len;
            uint8_t *frame = envelope_pack(MSG_SUBMIT, "bangdai-bench", NULL, NULL, &req.base, &len, c->id);
            if (!frame) {
                fprintf(stderr, "bangdai-bench: cannot pack a request\n");
                return 2;
            }
            c->t0 = t0;
            c->state = C_SENT;
            strmap_put(&by_id, c->id, n_cases);
            n_cases++;
            outstanding++;
            if (zmq_send(s, frame, len, 0) < 0) {
                send_failed++;
                outstanding--;
                c->state = C_REFUSED;
                fprintf(stderr, "bangdai-bench: send: %s\n", zmq_strerror(zmq_errno()));
            }
            free(frame);
            now = mono_us();
        }
        if (now >= t_load_end && outstanding == 0 && n_cases == accepted + refused + send_failed) {
            done_at = now;
            break;
        }
        if (now >= t_drain_end)
            break;
        /* Wait for a reply, a stored task or the next due submit. */
        int64_t wait = 100000;
        if (opt.rate > 0 && now < t_load_end && next_due - now < wait)
            wait = next_due - now;
        if (now < t_load_end && t_load_end - now < wait)
            wait = t_load_end - now;
        if (wait < 0)
            wait = 0;
        zmq_pollitem_t pi[2] = { { s, 0, ZMQ_POLLIN, 0 }, { NULL, ifd, ZMQ_POLLIN, 0 } };
        if (zmq_poll(pi, 2, (long)((wait + 999) / 1000)) < 0 && zmq_errno() != EINTR)
            break;
        now = mono_us();
        for (;;) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, s, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&m);
                break;
            }
            on_reply(zmq_msg_data(&m), zmq_msg_size(&m), now);
            zmq_msg_close(&m);
        }
        read_inotify(ifd, wds, now);
    }
    (void)done_at;

    /* Figures. */
    double *lat = malloc(((size_t)completed + 1) * sizeof *lat);
    size_t nl = 0;
    double sum = 0;
    long unanswered = 0, incomplete = 0;
    for (int i = 0; i < n_cases; i++) {
        if (cases[i].state == C_DONE) {
            double ms = (double)(cases[i].t_done - cases[i].t0) / 1000.0;
            lat[nl++] = ms;
            sum += ms;
        } else if (cases[i].state == C_SENT) {
            unanswered++;
        } else if (cases[i].state == C_ACCEPTED) {
            incomplete++;
        }
    }
    for (int o = 0; o < n_orphans; o++)
        foreign_tasks += orphans[o].tasks;
    qsort(lat, nl, sizeof *lat, cmp_double);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000.0 +
                    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000.0;
    double window = opt.duration;
    if (opt.closed_k > 0)
        printf("mode=closed k=%d", opt.closed_k);
    else
        printf("mode=open rate=%g", opt.rate);
    printf(" duration_s=%.1f submitted=%d accepted=%ld refused=%ld unanswered=%ld completed=%ld"
           " incomplete=%ld skipped=%ld extra_tasks=%ld foreign_tasks=%ld duplicates=%ld lost_events=%ld"
           " window_completed=%ld cases_per_s=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f mean_ms=%.2f"
           " cpu_ms=%.0f\n",
           window, n_cases, accepted, refused + send_failed, unanswered, completed, incomplete, skipped,
           extra_tasks, foreign_tasks, duplicates, lost_events, window_completed,
           (double)window_completed / window, pct(lat, nl, 50), pct(lat, nl, 90), pct(lat, nl, 99),
           nl ? lat[nl - 1] : NAN, nl ? sum / (double)nl : NAN, cpu_ms);
    fflush(stdout);
    int ok = n_cases > 0 && accepted == n_cases && completed == n_cases && extra_tasks == 0 &&
             duplicates == 0 && lost_events == 0;

    free(lat);
    zsock_destroy(&sock);
    close(ifd);
    free(req.items);
    ydoc_destroy(&doc);
    free(cases);
    free(orphans);
    free(by_id.keys); free(by_id.vals);
    free(by_case_no.keys); free(by_case_no.vals);
    free(orphan_map.keys); free(orphan_map.vals);
    security_end();
    config_destroy(&cfg);
    return ok ? 0 : 1;
}

/* dept_agent.c - the department agent's loop and its spool.
 *
 * A task is acknowledged only after it is on disk: written to a temporary
 * file, fsync'ed, renamed into place and the directory fsync'ed. A task
 * that arrives again (the acknowledgement was lost) finds its file there
 * and is only acknowledged again, so the department's own systems see each
 * task once.
 *
 * The router sends to an agent only once a Hello told it where the agent is.
 * The agent says Hello as soon as the CURVE handshake of its connection has
 * succeeded, known from the socket's own events (a socket monitor), and so
 * again after every reconnect; then every few seconds while connected, in
 * case one was lost. A Hello sent before the handshake would be dropped (the
 * DEALER is IMMEDIATE: no connection, no queue), costing the agent its first
 * HELLO_EVERY_MS of work.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>
#include <zmq.h>

#include "client.h"
#include "dept.h"
#include "log.h"
#include "shutdown.h"
#include "sockets.h"

#define HELLO_EVERY_MS 2000


static int mkdirs(const char *path)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0750) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(buf, 0750) && errno != EEXIST ? -1 : 0;
}

/* Writes data to dir/name atomically and durably. Returns 1 when written,
 * 0 when the file was already there, -1 on error. */
static int spool_store(const char *dir, const char *name, const void *data, size_t len)
{
    char path[700], tmp[720];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (access(path, F_OK) == 0)
        return 0;
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0640);
    if (fd < 0)
        return -1;
    ssize_t w = write(fd, data, len);
    if (w != (ssize_t)len || fsync(fd) != 0) {
        close(fd);
        unlink(tmp);
        return -1;
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 1;
}

static void hook(const struct dept_opts *o, const char *file, const char *case_no, const char *task)
{
    pid_t pid = fork();
    if (pid == 0) {
        setenv("BANGDAI_SPOOL_FILE", file, 1);
        setenv("BANGDAI_TASK", task, 1);
        execl("/bin/sh", "sh", "-c", o->exec, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid > 0)
        waitpid(pid, &status, 0);
    if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        log_warn("agent.hook_failed", .case_no = case_no, .task = task, .dept = o->dept, .detail = o->exec);
}

/* What the agent knows of its connection to the router. */
struct link_state {
    bool connected;             /* handshake succeeded, not disconnected since */
    long hellos;                /* Hellos tried since start */
    long handshakes;            /* handshakes succeeded since start */
    int64_t last_hello;         /* when the last Hello was tried, µs */
};

/* Says Hello and logs it with its message id and count: at info right after
 * a handshake (once per connection, so the log shows which Hello the router
 * took), at debug when periodic. */
static void say_hello(zsock_t *s, const char *dept, struct link_state *ls, bool after_handshake)
{
    Bangdai__Hello h = BANGDAI__HELLO__INIT;
    char id[UUID_STR_LEN];
    size_t len;
    h.dept = (char *)dept;
    ls->hellos++;
    ls->last_hello = now_us();
    uint8_t *buf = envelope_pack(MSG_HELLO, "dept", NULL, NULL, &h.base, &len, id);
    if (!buf) {
        log_error("agent.hello_failed", .dept = dept, .detail = "out of memory");
        return;
    }
    int rc = zmq_send(zsock_resolve(s), buf, len, ZMQ_DONTWAIT);
    free(buf);
    const char *detail = after_handshake
        ? log_fmt("hello %ld after handshake %ld%s", ls->hellos, ls->handshakes, rc < 0 ? ", not sent" : "")
        : log_fmt("hello %ld periodic%s", ls->hellos, rc < 0 ? ", not sent" : "");
    if (after_handshake)
        log_info("agent.hello", .dept = dept, .msg_id = id, .detail = detail);
    else
        log_debug("agent.hello", .dept = dept, .msg_id = id, .detail = detail);
}

/* Reads the pending connection events: a handshake that succeeded gets its
 * Hello at once; a disconnect stops the periodic Hello until the next one. */
static void on_link_events(zsock_t *s, zsock_t *monitor, const char *dept, struct link_state *ls)
{
    int ev;
    while ((ev = sockets_monitor_event(monitor)) > 0) {
        if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            ls->connected = true;
            ls->handshakes++;
            say_hello(s, dept, ls, true);
        } else if (ev == ZMQ_EVENT_DISCONNECTED && ls->connected) {
            ls->connected = false;
            log_info("agent.disconnected", .dept = dept);
        }
    }
    if (ev < 0)
        log_warn("agent.monitor_unreadable", .dept = dept);
}

/* The order of what the router sends this department: the last number
 * (Envelope.seq) stored, kept in the spool's ".seq" so that it survives a
 * restart. The router numbers every task and notice for the department 1,
 * 2, 3, ...; one that comes before an older one (lost with a connection
 * that broke) is held unacknowledged until the older one has been stored,
 * so the department's systems see them in the order the router decided
 * them. A new spool (no ".seq") takes the first number it gets as its
 * start; a number at or below the last one is stored all the same when its
 * file is not there, so nothing is lost whatever the spool's history. */
struct spool_order {
    uint64_t last;
    char path[600];
};

static void order_load(struct spool_order *so, const char *spool)
{
    snprintf(so->path, sizeof so->path, "%s/.seq", spool);
    so->last = 0;
    FILE *f = fopen(so->path, "r");
    unsigned long long v;
    if (f && fscanf(f, "%llu", &v) == 1)
        so->last = v;
    if (f)
        fclose(f);
}

/* Records seq as stored (when it is newer): written to a temporary file,
 * fsync'ed and renamed over ".seq". Losing it is harmless (an older number
 * means some resends are acknowledged again), so a failure is only logged. */
static void order_advance(struct spool_order *so, uint64_t seq, const char *dept)
{
    if (seq <= so->last)
        return;
    so->last = seq;
    char tmp[620];
    snprintf(tmp, sizeof tmp, "%s.tmp", so->path);
    FILE *f = fopen(tmp, "w");
    int ok = f && fprintf(f, "%llu\n", (unsigned long long)seq) > 0 && fflush(f) == 0 &&
             fsync(fileno(f)) == 0;
    if (f && fclose(f) != 0)
        ok = 0;
    if (!ok || rename(tmp, so->path) != 0)
        log_warn("agent.seq_unsaved", .dept = dept, .detail = log_fmt("%s: %s", so->path, strerror(errno)));
}

/* Whether env must wait for an older message: logs message.early and
 * answers nothing, so the router sends it again. */
static bool too_early(const struct spool_order *so, const Bangdai__Envelope *env, const char *dept)
{
    if (!env->seq || !so->last || env->seq <= so->last + 1)
        return false;
    log_info("message.early", .case_no = env->case_no, .dept = dept, .msg_id = env->id,
             .detail = log_fmt("%s #%llu waits for #%llu", env->type, (unsigned long long)env->seq,
                               (unsigned long long)so->last + 1));
    return true;
}

/* Stores one task or notice and acknowledges it; see the file comment.
 * Returns 0 when it was stored (now or before) and acknowledged, -1 when
 * not (the router sends it again). */
static int store_and_ack(zsock_t *s, const struct dept_opts *o, const Bangdai__Envelope *env,
                          const uint8_t *data, size_t len, const char *suffix,
                          const char *case_no, const char *task, const char *what)
{
    char name[64], file[700];
    /* Fault injection for the crash tests: die after receiving, before storing. */
    const char *fault = getenv("BANGDAI_FAULT");
    if (fault && strcmp(fault, "agent-crash-before-store") == 0) {
        log_warn("agent.fault_injected", .case_no = case_no, .task = task, .dept = o->dept,
                 .detail = "SIGKILL before storing");
        raise(SIGKILL);
    }
    snprintf(name, sizeof name, "%s.%s", env->id, suffix);
    int stored = spool_store(o->spool, name, data, len);
    if (stored < 0) {
        /* Not stored, so not acknowledged: the router sends it again. */
        log_error("agent.spool_failed", .case_no = case_no, .task = task, .dept = o->dept,
                  .detail = strerror(errno));
        return -1;
    }
    /* The other crash: stored, but the Ack never left. The router sends the
     * task again under the same id, which must find the file. */
    if (stored && fault && strcmp(fault, "agent-crash-after-store") == 0) {
        log_warn("agent.fault_injected", .case_no = case_no, .task = task, .dept = o->dept, .msg_id = env->id,
                 .detail = "SIGKILL after storing, before the Ack");
        raise(SIGKILL);
    }
    Bangdai__Ack ack = BANGDAI__ACK__INIT;
    ack.ref_id = env->id;
    (void)envelope_send(s, NULL, MSG_ACK, "dept", case_no, &ack.base);
    log_info(stored ? (strcmp(suffix, "task") == 0 ? "task.stored" : "notice.stored") : "message.duplicate",
             .case_no = case_no, .task = task, .dept = o->dept, .msg_id = env->id,
             .detail = what);
    snprintf(file, sizeof file, "%s/%s", o->spool, name);
    if (stored && o->exec)
        hook(o, file, case_no, task);
    return 0;
}

/* Handles one frame from the router. */
static void on_frame(zsock_t *s, const struct dept_opts *o, struct spool_order *so,
                     const uint8_t *data, size_t len)
{
    char err[256];
    Bangdai__Envelope *env = envelope_unpack(data, len, err, sizeof err);
    if (!env) {
        log_error("agent.malformed", .dept = o->dept, .detail = err);
        return;
    }
    bool numbered = strcmp(env->type, MSG_TASK_ASSIGNED) == 0 || strcmp(env->type, MSG_TASK_NOTICE) == 0;
    /* Fault injection for the order test: the second numbered message is
     * lost on the way, as with a connection that broke under it. */
    static int numbered_seen;
    const char *fault = getenv("BANGDAI_FAULT");
    if (numbered && env->seq && fault && strcmp(fault, "agent-lose-second") == 0 &&
        ++numbered_seen == 2) {
        log_warn("agent.fault_injected", .case_no = env->case_no, .dept = o->dept, .msg_id = env->id,
                 .detail = log_fmt("%s #%llu dropped as if lost", env->type, (unsigned long long)env->seq));
        bangdai__envelope__free_unpacked(env, NULL);
        return;
    }
    if (numbered && too_early(so, env, o->dept)) {
        bangdai__envelope__free_unpacked(env, NULL);
        return;
    }
    /* Answered (stored, or refused for good): the next number may come. */
    bool answered = true;
    if (strcmp(env->type, MSG_TASK_ASSIGNED) == 0) {
        Bangdai__TaskAssigned *t = bangdai__task_assigned__unpack(NULL, env->payload.len, env->payload.data);
        if (!t || strcmp(t->dept, o->dept) != 0) {
            log_error("agent.task_refused", .case_no = env->case_no, .dept = o->dept, .msg_id = env->id,
                      .detail = t ? "task of another department" : "payload is not a TaskAssigned");
            (void)envelope_send_error(s, NULL, "dept", env->id, t ? ERR_FORBIDDEN : ERR_MALFORMED, "payload",
                                      t ? "task of another department" : "payload is not a TaskAssigned");
        } else {
            answered = store_and_ack(s, o, env, data, len, "task", t->case_no, t->task_id,
                          log_fmt("#%llu %s %s %s, specialist %s%s%s", (unsigned long long)env->seq,
                                  t->kind, t->item_code, t->item_name,
                                  t->specialist_id, t->previous_specialist[0] ? ", reassigned from " : "",
                                  t->previous_specialist)) == 0;
        }
        if (t)
            bangdai__task_assigned__free_unpacked(t, NULL);
    } else if (strcmp(env->type, MSG_TASK_NOTICE) == 0) {
        Bangdai__TaskNotice *n = bangdai__task_notice__unpack(NULL, env->payload.len, env->payload.data);
        if (!n || strcmp(n->dept, o->dept) != 0) {
            log_error("agent.notice_refused", .case_no = env->case_no, .dept = o->dept, .msg_id = env->id,
                      .detail = "bad notice");
            (void)envelope_send_error(s, NULL, "dept", env->id, ERR_MALFORMED, "payload", "not a notice of this department");
        } else {
            answered = store_and_ack(s, o, env, data, len, "notice", n->case_no, n->task_id,
                                     log_fmt("#%llu %s: %s", (unsigned long long)env->seq, n->kind,
                                             n->text)) == 0;
        }
        if (n)
            bangdai__task_notice__free_unpacked(n, NULL);
    } else if (strcmp(env->type, MSG_ERROR) == 0) {
        log_warn("agent.error_from_router", .case_no = env->case_no, .dept = o->dept, .msg_id = env->id);
    } else {
        (void)envelope_send_error(s, NULL, "dept", env->id, ERR_UNKNOWN_TYPE, "type",
                                  log_fmt("the agent does not take '%s'", env->type));
    }
    if (numbered && answered)
        order_advance(so, env->seq, o->dept);
    bangdai__envelope__free_unpacked(env, NULL);
}

int dept_run(struct cli *cli, const struct dept_opts *o)
{
    shutdown_install("bangdai-dept");
    log_set_level(BD_LOG_INFO);
    if (mkdirs(o->spool) != 0) {
        log_fatal("agent.spool_unusable", .dept = o->dept, .detail = log_fmt("%s: %s", o->spool, strerror(errno)));
        return 1;
    }
    sockets_init();
    zsock_t *monitor = NULL;
    zsock_t *s = sockets_connect_watched(cli->cfg, cli->cfg->endpoints.router_dept, NULL,
                                         ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED, &monitor);
    if (!s) {
        log_fatal("agent.connect_failed", .dept = o->dept, .detail = cli->cfg->endpoints.router_dept);
        return 1;
    }
    struct spool_order so;
    order_load(&so, o->spool);
    log_info("agent.started", .dept = o->dept,
             .detail = log_fmt("spool %s, last stored #%llu", o->spool, (unsigned long long)so.last));
    /* Under systemd (bangdai-dept@CODE, Type=notify): ready once the spool
     * and the socket are set up (the router may come later; the agent
     * connects when it does), and the watchdog petted from the loop. */
    sd_notify(0, "READY=1");
    uint64_t watchdog_us = 0;
    if (sd_watchdog_enabled(0, &watchdog_us) <= 0)
        watchdog_us = 0;
    int64_t last_pet = 0;
    struct link_state ls = { .connected = false };
    while (!shutdown_requested) {
        if (watchdog_us && now_us() - last_pet >= (int64_t)(watchdog_us / 2)) {
            last_pet = now_us();
            sd_notify(0, "WATCHDOG=1");
        }
        /* Connection events first, so that a new connection's first Hello
         * is the one its handshake calls for. */
        zmq_pollitem_t pi[2] = { { zsock_resolve(s), 0, ZMQ_POLLIN, 0 },
                                 { zsock_resolve(monitor), 0, ZMQ_POLLIN, 0 } };
        int n = zmq_poll(pi, 2, 200);
        if (n > 0 && (pi[1].revents & ZMQ_POLLIN))
            on_link_events(s, monitor, o->dept, &ls);
        if (ls.connected && now_us() - ls.last_hello >= HELLO_EVERY_MS * 1000)
            say_hello(s, o->dept, &ls, false);
        if (n <= 0 || !(pi[0].revents & ZMQ_POLLIN))
            continue;
        /* After a SIGTERM the frame in hand is stored and acknowledged;
         * the rest stay unacknowledged, and the router sends them again. */
        while (!shutdown_requested && (zsock_events(s) & ZMQ_POLLIN)) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, zsock_resolve(s), ZMQ_DONTWAIT) >= 0)
                on_frame(s, o, &so, zmq_msg_data(&m), zmq_msg_size(&m));
            zmq_msg_close(&m);
        }
    }
    log_info("agent.stopping", .dept = o->dept);
    sd_notify(0, "STOPPING=1");
    sockets_monitor_stop(s, &monitor);
    zsock_destroy(&s);
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_spooled(const struct dirent *d)
{
    size_t l = strlen(d->d_name);
    return d->d_name[0] != '.' && ((l > 5 && strcmp(d->d_name + l - 5, ".task") == 0) ||
                                   (l > 7 && strcmp(d->d_name + l - 7, ".notice") == 0));
}

int dept_spool(struct cli *cli, const struct dept_opts *o)
{
    struct dirent **names;
    (void)cli;
    int n = scandir(o->spool, &names, is_spooled, by_name);
    if (n < 0) {
        fprintf(stderr, "bangdai-dept: %s: %s\n", o->spool, strerror(errno));
        return 1;
    }
    printf("%-7s %-30s %-12s %-10s %s\n", "WHAT", "TASK", "KIND", "SPECIALIST", "DETAIL");
    for (int i = 0; i < n; i++) {
        char path[700], err[256];
        snprintf(path, sizeof path, "%s/%s", o->spool, names[i]->d_name);
        free(names[i]);
        FILE *f = fopen(path, "rb");
        static uint8_t buf[1 << 20];
        size_t len = f ? fread(buf, 1, sizeof buf, f) : 0;
        if (f)
            fclose(f);
        Bangdai__Envelope *env = envelope_unpack(buf, len, err, sizeof err);
        if (env && strcmp(env->type, MSG_TASK_ASSIGNED) == 0) {
            Bangdai__TaskAssigned *t = bangdai__task_assigned__unpack(NULL, env->payload.len, env->payload.data);
            if (t)
                printf("%-7s %-30s %-12s %-10s %s %s\n", "task", t->task_id, t->kind, t->specialist_id,
                       t->item_code[0] ? t->item_code : "-", t->item_name);
            if (t)
                bangdai__task_assigned__free_unpacked(t, NULL);
        } else if (env && strcmp(env->type, MSG_TASK_NOTICE) == 0) {
            Bangdai__TaskNotice *t = bangdai__task_notice__unpack(NULL, env->payload.len, env->payload.data);
            if (t)
                printf("%-7s %-30s %-12s %-10s %s\n", "notice", t->task_id, t->kind, t->specialist, t->text);
            if (t)
                bangdai__task_notice__free_unpacked(t, NULL);
        } else {
            fprintf(stderr, "bangdai-dept: %s: unreadable spool file\n", path);
        }
        if (env)
            bangdai__envelope__free_unpacked(env, NULL);
    }
    free(names);
    return 0;
}

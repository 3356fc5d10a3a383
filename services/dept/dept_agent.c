/* dept_agent.c - the department agent's loop and its spool.
 *
 * A task is acknowledged only after it is on disk: written to a temporary
 * file, fsync'ed, renamed into place and the directory fsync'ed. A task
 * that arrives again (the acknowledgement was lost) finds its file there
 * and is only acknowledged again, so the department's own systems see each
 * task once. What waits on the socket is taken as one batch (at most
 * AGENT_BATCH): each file fsync'ed, then one fsync of the directory for
 * all of them and the spool's ".seq", then the Acks.
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
#define AGENT_BATCH 64


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

/* Writes data to dir/name atomically: a temporary file, fsync'ed, renamed
 * into place. Durable once the directory is fsync'ed (spool_sync). Returns
 * 1 when written, 0 when the file was already there, -1 on error (errno). */
static int spool_write(const char *dir, const char *name, const void *data, size_t len)
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
        int e = errno;
        close(fd);
        unlink(tmp);
        errno = e;
        return -1;
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    return 1;
}

/* Makes the renames in dir durable: one fsync of the directory for every
 * file of the batch. Returns 0 or -1 (errno). */
static int spool_sync(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd < 0)
        return -1;
    int rc = fsync(dfd);
    int e = errno;
    close(dfd);
    errno = e;
    return rc;
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

/* Records seq as stored (when it is newer): written to a temporary file
 * and renamed over ".seq", before the batch's directory fsync (spool_sync),
 * which makes the rename durable with the files'. Its few bytes get no
 * fsync of their own: after a crash the file is either the new one, or
 * empty, which reads as a new spool that takes the first number it gets
 * (never an older number, which would hold the router's next message as
 * early for ever). A failure is only logged. */
static void order_advance(struct spool_order *so, uint64_t seq, const char *dept)
{
    if (seq <= so->last)
        return;
    so->last = seq;
    char tmp[620];
    snprintf(tmp, sizeof tmp, "%s.tmp", so->path);
    FILE *f = fopen(tmp, "w");
    int ok = f && fprintf(f, "%llu\n", (unsigned long long)seq) > 0 && fflush(f) == 0;
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

/* A frame of the batch, from its receipt to its answer. */
struct taken {
    Bangdai__Envelope *env;
    const uint8_t *data;        /* the frame, as received (what the spool keeps) */
    size_t len;
    bool numbered;              /* a task or notice: Envelope.seq counts */
    const char *suffix;         /* "task" or "notice"; NULL: answered with refusal */
    const char *error_code;     /* refused: the Error to answer */
    const char *error;
    char case_no[64], task[128];
    char *what;                 /* the log line's detail (malloc'd) */
    int stored;                 /* spool_write's result */
};

static void taken_clear(struct taken *t)
{
    if (t->env)
        bangdai__envelope__free_unpacked(t->env, NULL);
    free(t->what);
    memset(t, 0, sizeof *t);
}

/* Reads one frame from the router into t: what it is and what the answer
 * will be, without storing anything yet. *last is the batch's place in the
 * router's numbering so far. Returns false when the frame gets no answer
 * (malformed, early, lost by fault injection). */
static bool take(zsock_t *s, const struct dept_opts *o, uint64_t *last, const uint8_t *data, size_t len,
                 struct taken *t)
{
    char err[256];
    memset(t, 0, sizeof *t);
    t->env = envelope_unpack(data, len, err, sizeof err);
    if (!t->env) {
        log_error("agent.malformed", .dept = o->dept, .detail = err);
        return false;
    }
    Bangdai__Envelope *env = t->env;
    t->data = data;
    t->len = len;
    t->numbered = strcmp(env->type, MSG_TASK_ASSIGNED) == 0 || strcmp(env->type, MSG_TASK_NOTICE) == 0;
    /* Fault injection for the order test: the second numbered message is
     * lost on the way, as with a connection that broke under it. */
    static int numbered_seen;
    const char *fault = getenv("BANGDAI_FAULT");
    if (t->numbered && env->seq && fault && strcmp(fault, "agent-lose-second") == 0 &&
        ++numbered_seen == 2) {
        log_warn("agent.fault_injected", .case_no = env->case_no, .dept = o->dept, .msg_id = env->id,
                 .detail = log_fmt("%s #%llu dropped as if lost", env->type, (unsigned long long)env->seq));
        return false;
    }
    struct spool_order now = { .last = *last };
    if (t->numbered && too_early(&now, env, o->dept))
        return false;
    if (strcmp(env->type, MSG_TASK_ASSIGNED) == 0) {
        Bangdai__TaskAssigned *a = bangdai__task_assigned__unpack(NULL, env->payload.len, env->payload.data);
        if (!a || strcmp(a->dept, o->dept) != 0) {
            log_error("agent.task_refused", .case_no = env->case_no, .dept = o->dept, .msg_id = env->id,
                      .detail = a ? "task of another department" : "payload is not a TaskAssigned");
            t->error_code = a ? ERR_FORBIDDEN : ERR_MALFORMED;
            t->error = a ? "task of another department" : "payload is not a TaskAssigned";
        } else {
            t->suffix = "task";
            snprintf(t->case_no, sizeof t->case_no, "%s", a->case_no);
            snprintf(t->task, sizeof t->task, "%s", a->task_id);
            t->what = strdup(log_fmt("#%llu %s %s %s, specialist %s%s%s", (unsigned long long)env->seq,
                                     a->kind, a->item_code, a->item_name, a->specialist_id,
                                     a->previous_specialist[0] ? ", reassigned from " : "",
                                     a->previous_specialist));
        }
        if (a)
            bangdai__task_assigned__free_unpacked(a, NULL);
    } else if (strcmp(env->type, MSG_TASK_NOTICE) == 0) {
        Bangdai__TaskNotice *n = bangdai__task_notice__unpack(NULL, env->payload.len, env->payload.data);
        if (!n || strcmp(n->dept, o->dept) != 0) {
            log_error("agent.notice_refused", .case_no = env->case_no, .dept = o->dept, .msg_id = env->id,
                      .detail = "bad notice");
            t->error_code = ERR_MALFORMED;
            t->error = "not a notice of this department";
        } else {
            t->suffix = "notice";
            snprintf(t->case_no, sizeof t->case_no, "%s", n->case_no);
            snprintf(t->task, sizeof t->task, "%s", n->task_id);
            t->what = strdup(log_fmt("#%llu %s: %s", (unsigned long long)env->seq, n->kind, n->text));
        }
        if (n)
            bangdai__task_notice__free_unpacked(n, NULL);
    } else if (strcmp(env->type, MSG_ERROR) == 0) {
        log_warn("agent.error_from_router", .case_no = env->case_no, .dept = o->dept, .msg_id = env->id);
        return false;
    } else {
        (void)envelope_send_error(s, NULL, "dept", env->id, ERR_UNKNOWN_TYPE, "type",
                                  log_fmt("the agent does not take '%s'", env->type));
        return false;
    }
    if (t->numbered && env->seq > *last)
        *last = env->seq;
    return true;
}

/* Stores the batch's tasks and notices, in order, and answers them; see
 * the file comment. One that cannot be stored is not answered, nor is
 * anything after it (the router sends them again, in order). */
static void store_batch(zsock_t *s, const struct dept_opts *o, struct spool_order *so, struct taken *b, int n)
{
    const char *fault = getenv("BANGDAI_FAULT");
    uint64_t last = so->last;
    int answered = 0;
    bool any_new = false;
    for (; answered < n; answered++) {
        struct taken *t = &b[answered];
        if (t->suffix) {
            char name[64];
            /* Fault injection for the crash tests: die after receiving, before storing. */
            if (fault && strcmp(fault, "agent-crash-before-store") == 0) {
                log_warn("agent.fault_injected", .case_no = t->case_no, .task = t->task, .dept = o->dept,
                         .detail = "SIGKILL before storing");
                raise(SIGKILL);
            }
            snprintf(name, sizeof name, "%s.%s", t->env->id, t->suffix);
            if ((t->stored = spool_write(o->spool, name, t->data, t->len)) < 0) {
                /* Not stored, so not acknowledged: the router sends it again. */
                log_error("agent.spool_failed", .case_no = t->case_no, .task = t->task, .dept = o->dept,
                          .detail = strerror(errno));
                break;
            }
            any_new |= t->stored == 1;
        }
        if (t->numbered && t->env->seq > last)
            last = t->env->seq;
    }
    if (last > so->last)
        order_advance(so, last, o->dept);
    if ((any_new || answered) && spool_sync(o->spool) != 0) {
        /* Nothing of the batch is durable: undone, and not answered. */
        log_error("agent.spool_failed", .dept = o->dept, .detail = log_fmt("fsync %s: %s", o->spool, strerror(errno)));
        for (int i = 0; i < answered; i++)
            if (b[i].stored == 1)
                unlink(log_fmt("%s/%s.%s", o->spool, b[i].env->id, b[i].suffix));
        return;
    }
    /* The other crash: stored, but the Acks never left. The router sends
     * the tasks again under the same ids, which must find the files. */
    if (any_new && fault && strcmp(fault, "agent-crash-after-store") == 0) {
        log_warn("agent.fault_injected", .case_no = b[0].case_no, .task = b[0].task, .dept = o->dept, .msg_id = b[0].env->id,
                 .detail = "SIGKILL after storing, before the Ack");
        raise(SIGKILL);
    }
    for (int i = 0; i < answered; i++) {
        struct taken *t = &b[i];
        if (!t->suffix) {
            (void)envelope_send_error(s, NULL, "dept", t->env->id, t->error_code, "payload", t->error);
            continue;
        }
        Bangdai__Ack ack = BANGDAI__ACK__INIT;
        ack.ref_id = t->env->id;
        (void)envelope_send(s, NULL, MSG_ACK, "dept", t->case_no, &ack.base);
        log_info(t->stored ? (strcmp(t->suffix, "task") == 0 ? "task.stored" : "notice.stored")
                           : "message.duplicate",
                 .case_no = t->case_no, .task = t->task, .dept = o->dept, .msg_id = t->env->id,
                 .detail = t->what ? t->what : "");
        if (t->stored && o->exec)
            hook(o, log_fmt("%s/%s.%s", o->spool, t->env->id, t->suffix), t->case_no, t->task);
    }
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
        /* What waits, as one batch (the file comment). After a SIGTERM the
         * batch in hand is stored and acknowledged; what still waits stays
         * unacknowledged, and the router sends it again. */
        zmq_msg_t frames[AGENT_BATCH];
        struct taken batch[AGENT_BATCH];
        int n_frames = 0, n_taken = 0;
        uint64_t last = so.last;
        while (n_frames < AGENT_BATCH && !shutdown_requested && (zsock_events(s) & ZMQ_POLLIN)) {
            zmq_msg_t *m = &frames[n_frames];
            zmq_msg_init(m);
            if (zmq_msg_recv(m, zsock_resolve(s), ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(m);
                break;
            }
            n_frames++;
            if (take(s, o, &last, zmq_msg_data(m), zmq_msg_size(m), &batch[n_taken]))
                n_taken++;
            else
                taken_clear(&batch[n_taken]);
        }
        store_batch(s, o, &so, batch, n_taken);
        for (int i = 0; i < n_taken; i++)
            taken_clear(&batch[i]);
        for (int i = 0; i < n_frames; i++)
            zmq_msg_close(&frames[i]);
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

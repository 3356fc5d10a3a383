/* router_dept.c - the department agents' side of the router.
 *
 * Each agent connects a DEALER to the router_dept endpoint and says Hello
 * with its department on connect and then every few seconds; the router
 * remembers the routing identity each department was last heard from, and
 * the relay sends "dept:<code>" outbox rows there. An agent acknowledges a
 * task only after storing it; a row for a department whose agent is away
 * waits in the outbox and goes out when the agent says Hello again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "router.h"

struct agents {
    size_t n;
    const struct cfg_department **dept;
    zframe_t **identity;        /* last identity heard from, or NULL */
};

int router_start(struct service *svc)
{
    const struct config *cfg = service_config(svc);
    struct agents *a = calloc(1, sizeof *a);
    if (!a)
        return -1;
    a->n = cfg->n_depts;
    a->dept = calloc(a->n, sizeof *a->dept);
    a->identity = calloc(a->n, sizeof *a->identity);
    if (!a->dept || !a->identity) {
        free(a->dept);
        free(a->identity);
        free(a);
        return -1;
    }
    for (size_t i = 0; i < a->n; i++)
        a->dept[i] = &cfg->depts[i];
    service_set_state(svc, a);
    return 0;
}

void router_stop(struct service *svc)
{
    struct agents *a = service_state(svc);
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++)
        zframe_destroy(&a->identity[i]);
    free(a->dept);
    free(a->identity);
    free(a);
    service_set_state(svc, NULL);
}

static long find(struct agents *a, const char *code)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->dept[i]->code, code) == 0)
            return (long)i;
    return -1;
}

int router_hello(struct service *svc, const struct service_msg *m)
{
    struct agents *a = service_state(svc);
    Bangdai__Hello *h = service_decode(svc, m, &bangdai__hello__descriptor);
    if (!h) {
        log_warn("agent.bad_hello", .detail = "Hello payload unreadable");
        return SERVICE_REFUSE;
    }
    long i = find(a, h->dept);
    if (i < 0) {
        log_warn("agent.unknown_department", .dept = h->dept, .detail = "Hello from an unknown department");
    } else {
        bool fresh = !a->identity[i] || !zframe_eq(a->identity[i], m->identity);
        zframe_destroy(&a->identity[i]);
        a->identity[i] = zframe_dup(m->identity);
        if (fresh) {
            /* An agent (re)connected: what waits for it goes out now, not
             * after the back-off its earlier attempts earned. */
            const char *p[1] = { log_fmt("dept:%s", h->dept) };
            if (db_run(service_db(svc), "router.agent_due",
                       "UPDATE outbox SET next_at = now() WHERE dest = $1 AND acked_at IS NULL", 1, p))
                log_warn("agent.resend_not_scheduled", .dept = h->dept);
            service_kick(svc);
            log_info("agent.connected", .dept = h->dept);
        }
    }
    protobuf_c_message_free_unpacked(&h->base, NULL);
    return SERVICE_OK;
}

int router_resolve(struct service *svc, const char *dest, zsock_t **sock, zframe_t **identity)
{
    struct agents *a = service_state(svc);
    if (strncmp(dest, "dept:", 5) != 0)
        return -1;
    long i = find(a, dest + 5);
    if (i < 0 || !a->identity[i])
        return -1;
    *sock = service_socket(svc, "router_dept");
    *identity = a->identity[i];
    return 0;
}

int router_dept_update(struct service *svc, const struct service_msg *m)
{
    Bangdai__DeptUpdate *u = service_decode(svc, m, &bangdai__dept_update__descriptor);
    if (!u)
        return SERVICE_REFUSE;
    int rc;
    const char *p[1] = { u->task_id };
    PGresult *res = db_exec(service_db(svc), "router.task_dept",
                            "SELECT dept FROM tasks WHERE task_id = $1", 1, p);
    if (!res) {
        rc = SERVICE_RETRY;
    } else if (PQntuples(res) == 0) {
        rc = service_refuse(svc, ERR_NOT_FOUND, "task_id", "no task %.96s", u->task_id);
    } else if (strcmp(PQgetvalue(res, 0, 0), u->dept) != 0) {
        /* A department sees and changes only its own tasks. */
        log_warn("agent.forbidden", .dept = u->dept, .task = u->task_id,
                 .detail = "update of another department's task refused");
        rc = service_refuse(svc, ERR_FORBIDDEN, "task_id", "task %.96s is not a task of department %.20s",
                            u->task_id, u->dept);
    } else {
        char actor[64];
        snprintf(actor, sizeof actor, "dept:%s", u->dept);
        rc = router_move(svc, u->task_id, u->state, actor, u);
    }
    PQclear(res);
    protobuf_c_message_free_unpacked(&u->base, NULL);
    return rc;
}

/* dept_update.c - a specialist reports progress on one task. The report is
 * one envelope; resent under the same id until the router answers, it is
 * applied once. */
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "dept.h"

int dept_update(struct cli *cli, const struct dept_opts *o)
{
    if (o->n_args != 2)
        return cli_usage_error(cli, "update takes TASK and STATE");
    Bangdai__DeptUpdate u = BANGDAI__DEPT_UPDATE__INIT;
    u.task_id = o->args[0];
    u.state = o->args[1];
    u.dept = (char *)o->dept;
    u.reference = (char *)(o->ref ? o->ref : "");
    u.result_doc = (char *)(o->doc ? o->doc : "");
    u.result_kind = (char *)(o->kind ? o->kind : (o->doc ? "paper" : ""));
    u.reason = (char *)(o->reason ? o->reason : "");
    u.note = (char *)(o->note ? o->note : "");
    if (o->kind && strcmp(o->kind, "paper") != 0 && strcmp(o->kind, "e_licence") != 0)
        return cli_usage_error(cli, "--kind is paper or e_licence");

    struct client *c = client_new(cli->cfg, cli->cfg->endpoints.router_dept, NULL);
    if (!c) {
        fprintf(stderr, "%s: cannot connect to %s\n", cli->program, cli->cfg->endpoints.router_dept);
        return 3;
    }
    Bangdai__Envelope *rep = client_call(c, "dept", MSG_DEPT_UPDATE, NULL, &u.base, 3000, 5, NULL);
    int rc = 0;
    if (!rep) {
        fprintf(stderr, "%s: the router did not answer\n", cli->program);
        rc = 3;
    } else if (strcmp(rep->type, MSG_ACK) == 0) {
        printf("%s %s\n", u.task_id, u.state);
    } else {
        client_print_error(cli->program, rep);
        rc = 1;
    }
    if (rep)
        bangdai__envelope__free_unpacked(rep, NULL);
    client_destroy(&c);
    return rc;
}

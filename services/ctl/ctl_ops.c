/* ctl_ops.c - hall management's orders to the router: reassign a task to
 * another specialist, mark a specialist away. Each is one message on the
 * reliable link, sent with the hall-management key; the router keeps who,
 * when and why. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "envelope.h"

/* The value of --name among argv[from..], or NULL. */
static const char *opt(struct cli *cli, int from, const char *name)
{
    for (int i = from; i + 1 < cli->argc; i++)
        if (strcmp(cli->argv[i], name) == 0)
            return cli->argv[i + 1];
    return NULL;
}

int ctl_reassign(struct cli *cli)
{
    /* reassign TASK --to SPECIALIST --reason TEXT */
    Bangdai__Reassign r = BANGDAI__REASSIGN__INIT;
    const char *to = opt(cli, 2, "--to"), *reason = opt(cli, 2, "--reason");
    if (cli->argc != 6 || !to || !reason)
        return cli_usage_error(cli, "reassign takes TASK --to SPECIALIST --reason TEXT");
    r.task_id = cli->argv[1];
    r.to_specialist = (char *)to;
    r.reason = (char *)reason;
    char done[256];
    snprintf(done, sizeof done, "%s reassigned to %s", r.task_id, to);
    return cli_order(cli, cli->cfg->endpoints.router, MSG_REASSIGN, &r.base, NULL, done);
}

int ctl_specialist(struct cli *cli)
{
    /* specialist away ID --from DATE --to DATE [--reason TEXT] */
    Bangdai__SpecialistAway a = BANGDAI__SPECIALIST_AWAY__INIT;
    const char *from = opt(cli, 3, "--from"), *to = opt(cli, 3, "--to"), *reason = opt(cli, 3, "--reason");
    if (cli->argc < 7 || strcmp(cli->argv[1], "away") != 0 || !from || !to)
        return cli_usage_error(cli, "specialist away ID --from YYYY-MM-DD --to YYYY-MM-DD [--reason TEXT]");
    a.specialist_id = cli->argv[2];
    a.from = (char *)from;
    a.to = (char *)to;
    a.reason = (char *)(reason ? reason : "");
    char done[256];
    snprintf(done, sizeof done, "%s away %s..%s", a.specialist_id, from, to);
    return cli_order(cli, cli->cfg->endpoints.router, MSG_SPECIALIST_AWAY, &a.base, NULL, done);
}

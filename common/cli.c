/* cli.c - shared option handling of the command-line programs; see cli.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "log.h"
#include "security.h"
#include "states.h"
#include "validate.h"

int cli_start(struct cli *cli, int argc, char **argv)
{
    char err[1024];
    int i = 1;
    const char *env = getenv("BANGDAI_CONFIG");

    cli->config_path = env && *env ? env : "/etc/bangdai/bangdai.yaml";
    cli->key = NULL;
    log_set_service(cli->program);
    /* Programs run by people talk on stdout; their log lines are for warnings. */
    log_set_level(BD_LOG_WARN);
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(cli->usage, stdout);
            return 0;
        } else if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0) {
            printf("%s %s\n", cli->program, BANGDAI_VERSION);
            return 0;
        } else if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "-c") == 0) && i + 1 < argc) {
            cli->config_path = argv[++i];
        } else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc) {
            cli->key = argv[++i];
        } else {
            return cli_usage_error(cli, "unknown option '%s'", argv[i]);
        }
    }
    if (i >= argc)
        return cli_usage_error(cli, "a command is required");
    cli->argc = argc - i;
    cli->argv = argv + i;
    if (strcmp(cli->argv[0], "help") == 0) {
        fputs(cli->usage, stdout);
        return 0;
    }
    if (config_load(cli->config_path, &cli->cfg, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", cli->program, err);
        return 2;
    }
    if (cli->key) {
        if (security_use_key(cli->cfg, cli->key, err, sizeof err) != 0) {
            fprintf(stderr, "%s: --key: %s\n", cli->program, err);
            config_destroy(&cli->cfg);
            return 2;
        }
    } else if (cli->default_key && config_key(cli->cfg, cli->default_key)) {
        /* A default the configuration does not list is no error until a
         * socket needs a key: then the program is told to use --key. */
        if (security_use_key(cli->cfg, cli->default_key, err, sizeof err) != 0) {
            fprintf(stderr, "%s: %s\n", cli->program, err);
            config_destroy(&cli->cfg);
            return 2;
        }
    }
    return -1;
}

int cli_use_key(struct cli *cli, const char *fmt, ...)
{
    char name[128], err[1024];
    va_list ap;
    if (cli->key)
        return -1;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    if (security_use_key(cli->cfg, name, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s; name the key to use with --key NAME\n", cli->program, err);
        return 2;
    }
    return -1;
}

void cli_end(struct cli *cli)
{
    security_end();
    config_destroy(&cli->cfg);
}

int cli_usage_error(const struct cli *cli, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", cli->program);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help'.\n", cli->program);
    return 2;
}

int cli_request(struct cli *cli, const char *endpoint, const char *type, const char *case_no,
                const ProtobufCMessage *msg, const char *id, const char *expect,
                const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out)
{
    if (out)
        *out = NULL;
    if (id && validate_uuid(id))
        return cli_usage_error(cli, "--id must be a UUID");
    struct client *c = client_new(cli->cfg, endpoint, NULL);
    if (!c) {
        fprintf(stderr, "%s: cannot connect to %s\n", cli->program, endpoint);
        return 3;
    }
    Bangdai__Envelope *rep = NULL;
    if (id) {
        size_t len;
        uint8_t *frame = envelope_pack_with_id(id, type, cli->program, case_no, NULL, msg, &len);
        if (frame)
            rep = client_call_packed(c, frame, len, id, 3000, 5);
        free(frame);
    } else {
        rep = client_call(c, cli->program, type, case_no, msg, 3000, 5, NULL);
    }
    int rc = 0;
    if (!rep) {
        fprintf(stderr, "%s: %s did not answer\n", cli->program, endpoint);
        rc = 3;
    } else if (strcmp(rep->type, expect) != 0) {
        client_print_error(cli->program, rep);
        rc = 1;
    } else if (desc && out) {
        *out = protobuf_c_message_unpack(desc, NULL, rep->payload.len, rep->payload.data);
        if (!*out) {
            fprintf(stderr, "%s: unreadable %s from %s\n", cli->program, expect, endpoint);
            rc = 1;
        }
    }
    if (rep)
        bangdai__envelope__free_unpacked(rep, NULL);
    client_destroy(&c);
    return rc;
}

int cli_order(struct cli *cli, const char *endpoint, const char *type, const char *task_id,
              const ProtobufCMessage *msg, const char *id, const char *done)
{
    char case_no[64];
    int rc = cli_request(cli, endpoint, type, task_case_no(task_id, case_no, sizeof case_no), msg, id,
                         MSG_ACK, NULL, NULL);
    if (rc == 0)
        printf("%s\n", done);
    return rc;
}

const char *cli_due_text(const char *due, int pending_year, char buf[64])
{
    if (due && due[0])
        return due;
    if (!pending_year)
        return "-";
    snprintf(buf, 64, "due date pending the %d calendar", pending_year);
    return buf;
}

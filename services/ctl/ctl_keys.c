/* ctl_keys.c - bangdaictl keys: the CURVE keypairs of a deployment.
 *
 * `keys new` makes one keypair and prints the entry of security.keys that
 * gives it its role; `keys init` makes every keypair the configuration
 * lists and certs_dir lacks (for a development machine or a first
 * install: in production each key is made on the host that uses it, and
 * only its public half travels); `keys list` shows what is configured and
 * what is on disk. Nothing here opens a socket or reads an own key, so all
 * of it works before any key exists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "security.h"

/* Prints the security.keys entry of a new key, plain and with the public
 * key inline, as YAML a person can paste. */
static void print_entry(const char *name, enum key_role role, const char *dept, const char *pub)
{
    char entry[160];
    snprintf(entry, sizeof entry, "- {name: %s, role: %s%s%s", name, config_role_name(role),
             dept ? ", dept: " : "", dept ? dept : "");
    printf("%s}\n", entry);
    printf("# or, on hosts without the public file, with the key inline:\n");
    printf("%s, public_key: \"%s\"}\n", entry, pub);
}

static int keys_new(struct cli *cli)
{
    const struct config *cfg = cli->cfg;
    const char *dir = cfg->security.certs_dir, *dept = NULL, *name;
    enum key_role role;
    char pub[SECURITY_KEY_TXT], err[1024];
    if (cli->argc < 4)
        return cli_usage_error(cli, "keys new takes ROLE NAME [--dept CODE] [--dir DIR]");
    if (config_role_parse(cli->argv[2], &role) != 0)
        return cli_usage_error(cli, "ROLE '%s' is not one of hall, department, hall-management, service",
                               cli->argv[2]);
    name = cli->argv[3];
    if (!config_code_ok(name))
        return cli_usage_error(cli, "NAME '%s' is not a key name (1..32 of A-Z a-z 0-9 - _)", name);
    for (int i = 4; i < cli->argc; i += 2) {
        if (i + 1 >= cli->argc)
            return cli_usage_error(cli, "%s needs a value", cli->argv[i]);
        if (strcmp(cli->argv[i], "--dept") == 0)
            dept = cli->argv[i + 1];
        else if (strcmp(cli->argv[i], "--dir") == 0)
            dir = cli->argv[i + 1];
        else
            return cli_usage_error(cli, "keys new: unknown option '%s'", cli->argv[i]);
    }
    if (role == ROLE_DEPARTMENT && (!dept || !config_dept(cfg, dept)))
        return cli_usage_error(cli, "a department key needs --dept CODE, a department of %s", cfg->path);
    if (role != ROLE_DEPARTMENT && dept)
        return cli_usage_error(cli, "only a department key takes --dept");
    /* The configuration gives a key its role; a keypair made for another
     * role than the one listed would only confuse whoever reads both. */
    const struct cfg_key *listed = config_key(cfg, name);
    if (listed && (listed->role != role ||
                   (dept && (!listed->dept || strcmp(listed->dept, dept) != 0)))) {
        fprintf(stderr, "bangdaictl: %s lists key '%s' with role %s%s%s; make it with that role\n",
                cfg->path, name, config_role_name(listed->role), listed->dept ? " of " : "",
                listed->dept ? listed->dept : "");
        return 2;
    }
    if (security_new_key(dir, name, pub, err, sizeof err) != 0) {
        fprintf(stderr, "bangdaictl: %s\n", err);
        return 1;
    }
    printf("# created %s/%s.key (public) and %s/%s.key_secret (secret, mode 0600)\n", dir, name,
           dir, name);
    printf(listed ? "# security.keys already lists it:\n" : "# add to security.keys:\n");
    print_entry(name, role, dept, pub);
    return 0;
}

static int keys_init(struct cli *cli)
{
    const struct config *cfg = cli->cfg;
    const char *dir = cfg->security.certs_dir;
    char path[512], pub[SECURITY_KEY_TXT], err[1024];
    int created = 0, present = 0, inline_keys = 0;
    if (cli->argc == 4 && strcmp(cli->argv[2], "--dir") == 0)
        dir = cli->argv[3];
    else if (cli->argc != 2)
        return cli_usage_error(cli, "keys init takes only --dir DIR");
    for (size_t i = 0; i < cfg->security.n_keys; i++) {
        const struct cfg_key *k = &cfg->security.keys[i];
        /* An inline key's secret lives elsewhere; a present public file
         * means the key exists (its secret may rightly be on another host). */
        if (k->public_key) {
            inline_keys++;
            continue;
        }
        snprintf(path, sizeof path, "%s/%s.key", dir, k->name);
        if (access(path, F_OK) == 0) {
            present++;
            continue;
        }
        if (security_new_key(dir, k->name, pub, err, sizeof err) != 0) {
            fprintf(stderr, "bangdaictl: %s\n", err);
            return 1;
        }
        printf("created %s (%s%s%s)\n", path, config_role_name(k->role), k->dept ? " " : "",
               k->dept ? k->dept : "");
        created++;
    }
    printf("%d key%s created, %d already in %s, %d inline\n", created, created == 1 ? "" : "s",
           present, dir, inline_keys);
    return 0;
}

static int keys_list(struct cli *cli)
{
    const struct config *cfg = cli->cfg;
    char path[512], pub[SECURITY_KEY_TXT], err[1024];
    if (cli->argc != 2)
        return cli_usage_error(cli, "keys list takes no arguments");
    printf("%-16s %-16s %-6s %-7s %s\n", "NAME", "ROLE", "DEPT", "SECRET", "PUBLIC_KEY");
    for (size_t i = 0; i < cfg->security.n_keys; i++) {
        const struct cfg_key *k = &cfg->security.keys[i];
        snprintf(path, sizeof path, "%s/%s.key_secret", cfg->security.certs_dir, k->name);
        int have = security_public_key(cfg, k, pub, err, sizeof err) == 0;
        printf("%-16s %-16s %-6s %-7s %s\n", k->name, config_role_name(k->role),
               k->dept ? k->dept : "-", access(path, F_OK) == 0 ? "here" : "-",
               have ? pub : "(missing)");
    }
    return 0;
}

int ctl_keys(struct cli *cli)
{
    if (cli->argc >= 2 && strcmp(cli->argv[1], "new") == 0)
        return keys_new(cli);
    if (cli->argc >= 2 && strcmp(cli->argv[1], "init") == 0)
        return keys_init(cli);
    if (cli->argc >= 2 && strcmp(cli->argv[1], "list") == 0)
        return keys_list(cli);
    return cli_usage_error(cli, "keys takes new, init or list");
}

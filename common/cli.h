/* cli.h - the options every command-line program shares (hall, dept, ctl):
 * --config FILE, --key NAME, --help, --version, before the subcommand.
 *
 * A program speaks with one key of security.keys (security.h): --key NAME,
 * else its default_key, else the one it names with cli_use_key() once its
 * own options are parsed (bangdai-dept: dept-CODE). Choosing reads nothing;
 * the certificate is read when the first socket needs it, so commands that
 * open no socket (bangdaictl keys, migrate) work before any key exists. */
#ifndef BANGDAI_CLI_H
#define BANGDAI_CLI_H

#include <protobuf-c/protobuf-c.h>

#include "config.h"

/* The parts of the --help text the three programs share, to build each
 * program's usage string with. help2man makes the man pages from --help
 * (docs/man): "Commands:", "Options:", "Exit status:", "Environment:" and
 * "Files:" are its headings, and an entry's description starts after two
 * spaces or on the next line. README.md, "The command-line programs", says
 * the same; tests/integration/test_programs.sh checks that every option and
 * command README names for a program is in its --help. */
#define CLI_HELP_ANSWERS \
    "It prints its results on stdout and logs only warn and above on stderr. A\n" \
    "refusal prints as \"PROGRAM: error: FIELD: MESSAGE (CODE)\", CODE one of\n" \
    "invalid, not_found, conflict, forbidden, malformed, unknown_type, too_large\n" \
    "and internal. Each request waits 3 s for its answer and is sent again, with\n" \
    "the same message id, up to 5 times in all. The options come before COMMAND.\n\n"

/* key_default: a string literal, the --key default's description. */
#define CLI_HELP_OPTIONS(key_default) \
    "Options:\n" \
    "  -c, --config FILE  the configuration (default $BANGDAI_CONFIG, else\n" \
    "                     /etc/bangdai/bangdai.yaml), checked whole at start\n" \
    "  --key NAME         the key of security.keys to speak with (default " key_default ");\n" \
    "                     one the configuration does not list is a usage error\n" \
    "  -h, --help         this text (also: help)\n" \
    "  -V, --version      the version\n\n"

/* The statuses every program shares; a program may add lines of its own
 * right after it, then ends the block with an empty line. */
#define CLI_HELP_EXIT_STATUS \
    "Exit status:\n" \
    "  0  done\n" \
    "  1  refused (the reason is printed)\n" \
    "  2  a usage or configuration error\n" \
    "  3  no answer, or no connection; also a missing certificate, after a\n" \
    "     security.unusable line that names the file and the command that makes it\n"

#define CLI_HELP_ENVIRONMENT \
    "Environment:\n" \
    "  BANGDAI_CONFIG    the configuration file when --config is not given\n"

#define CLI_HELP_FILES \
    "Files:\n" \
    "  /etc/bangdai/bangdai.yaml\n" \
    "                    the configuration by default\n" \
    "  CERTS_DIR/KEY.key, CERTS_DIR/KEY.key_secret\n" \
    "                    the certificate of the key it speaks with\n" \
    "                    (security.certs_dir, relative to the working directory;\n" \
    "                    bangdaictl keys makes it)\n"

struct cli {
    const char *program;        /* e.g. "bangdai-hall" */
    const char *usage;          /* the full --help text */
    const char *default_key;    /* key used without --key (bangdai-hall "hall",
                                 * bangdaictl "ops"); NULL: none, or the one
                                 * the program picks with cli_use_key() */
    const char *config_path;
    const char *key;            /* --key NAME; NULL when not given */
    struct config *cfg;         /* loaded by cli_start; owned */
    int argc;                   /* what follows the global options: */
    char **argv;                /* argv[0] is the subcommand */
};

/* Parses the global options, loads the configuration and chooses the key:
 * --key NAME (which must be in security.keys: else a usage error), else
 * default_key when the configuration lists it. Returns -1 when the program
 * should go on, else the exit status to return at once (after --help,
 * --version, a usage error or a configuration error, all printed). */
int cli_start(struct cli *cli, int argc, char **argv);

/* Chooses the key named by the printf-style fmt, unless --key NAME was
 * given (that one stays). For programs whose default key depends on their
 * options: bangdai-dept calls cli_use_key(&cli, "dept-%s", o.dept) after
 * parsing --dept. Returns -1 when the program should go on, or 2 after
 * printing "PROGRAM: security.keys: no key named 'x' in FILE" and a hint
 * to use --key. */
int cli_use_key(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Frees what cli_start loaded and forgets the key (security_end). Call
 * after the program's sockets are closed. */
void cli_end(struct cli *cli);

/* Prints "PROGRAM: message" and the usage hint to stderr; returns 2. */
int cli_usage_error(const struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sends a request (msg of type) to endpoint and waits for its answer,
 * resending the same envelope while none comes, so that it is applied once.
 * id is the envelope id to use (a UUID the user gave, so that running the
 * command again is the same request) or NULL for a new one. When the answer
 * is of type `expect`, decodes its payload with desc into *out (caller
 * frees with protobuf_c_message_free_unpacked; desc NULL leaves *out NULL)
 * and returns 0. Otherwise prints why to stderr and returns the exit
 * status: 1 refused (the Error's field and reason), 2 bad id, 3 no answer. */
int cli_request(struct cli *cli, const char *endpoint, const char *type, const char *case_no,
                const ProtobufCMessage *msg, const char *id, const char *expect,
                const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out);

/* cli_request for an order answered by Ack: prints done on stdout when
 * acknowledged. task_id is the task the order concerns, or NULL: its case
 * (task_case_no) goes in the envelope, so that the daemon's lines about the
 * message (refused, applied, duplicate) name the case. Returns the exit
 * status as cli_request. */
int cli_order(struct cli *cli, const char *endpoint, const char *type, const char *task_id,
              const ProtobufCMessage *msg, const char *id, const char *done);

/* How a due date reads to people: the date, "due date pending the YYYY
 * calendar" when the deadline waits for a year not yet published
 * (pending_year not 0), or "-" when there is none. Returns due or buf. */
const char *cli_due_text(const char *due, int pending_year, char buf[64]);

#endif

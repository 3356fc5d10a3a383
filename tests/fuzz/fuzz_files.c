/* fuzz_files.c - libFuzzer: any file as the deployment configuration and as
 * a hall application (the two YAML readers). Property: each either loads or
 * says FILE:LINE: KEY: reason; neither crashes nor leaks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "hall.h"
#include "log.h"
#include "yamldoc.h"

static char path[512];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("BANGDAI_FUZZ_TMP");     /* tests/fuzz/run.sh: its work directory */
    snprintf(path, sizeof path, "%s/bangdai-fuzz-%d.yaml", dir ? dir : "/tmp", (int)getpid());
    log_set_level(BD_LOG_FATAL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    char err[512];
    struct config *cfg = NULL;
    if (config_load(path, &cfg, err, sizeof err) == 0)
        config_destroy(&cfg);
    else if (err[0] == 0)
        abort();    /* a refusal must say why */

    Bangdai__SubmitRequest req = BANGDAI__SUBMIT_REQUEST__INIT;
    Bangdai__Unit unit = BANGDAI__UNIT__INIT;
    Bangdai__Project project = BANGDAI__PROJECT__INIT;
    Bangdai__Contact contact = BANGDAI__CONTACT__INIT;
    struct ydoc *doc = NULL;
    char id[37];
    if (hall_application_load(path, &req, &unit, &project, &contact, &doc, id, err, sizeof err) != 0
        && err[0] == 0)
        abort();
    free(req.items);
    ydoc_destroy(&doc);
    return 0;
}

/* hall.h - the online hall's adapter and CLI. */
#ifndef BANGDAI_HALL_H
#define BANGDAI_HALL_H

#include "bangdai.pb-c.h"
#include "yamldoc.h"

/* Reads an application file (see deploy/examples) into req. The strings
 * in req are borrowed from *doc, which the caller owns and destroys after
 * the request was sent (ydoc_destroy); req->items is malloc'd (caller frees).
 * When the file has no request_id, a new one is generated into id_buf.
 * Returns 0, or -1 with "FILE:LINE: KEY: reason" in err. */
int hall_application_load(const char *path, Bangdai__SubmitRequest *req,
                          Bangdai__Unit *unit, Bangdai__Project *project,
                          Bangdai__Contact *contact, struct ydoc **doc,
                          char id_buf[37], char *err, size_t errlen);

/* Prints a case's status as `bangdai-hall status` does (main.c). */
void hall_print_status(const Bangdai__StatusReply *s);

struct cli;

/* `bangdai-hall watch CASE [--from-start] [--until-final]`: the case's
 * status, then its progress feed live (hall_watch.c). Returns the exit
 * status. */
int hall_watch(struct cli *cli);

#endif

/* hall_application.c - an application file becomes a SubmitRequest.
 *
 * The file only has to be well-formed YAML with the known keys; whether the
 * credit code, project code, items and the rest are right is intake's to
 * judge, so that every hall, not only this CLI, meets the same checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hall.h"
#include "uuid.h"

static int text_at(struct ydoc *doc, yaml_node_t *map, const char *path, const char *key,
                   bool required, char **out)
{
    char p[YDOC_PATH_MAX];
    yaml_node_t *v = ydoc_get(doc, map, key);
    *out = "";
    if (!v) {
        if (!required)
            return 0;
        yaml_node_t *dummy;
        return ydoc_require(doc, map, path, key, &dummy);
    }
    const char *t;
    if (ydoc_text(doc, v, ydoc_path_key(p, path, key), &t))
        return -1;
    *out = (char *)t;
    return 0;
}

int hall_application_load(const char *path, Bangdai__SubmitRequest *req,
                          Bangdai__Unit *unit, Bangdai__Project *project,
                          Bangdai__Contact *contact, struct ydoc **doc_out,
                          char id_buf[37], char *err, size_t errlen)
{
    static const char *const top_keys[] = { "request_id", "unit", "project", "service_type",
                                            "items", "contact", "delivery", "delivery_together",
                                            "channel", NULL };
    static const char *const unit_keys[] = { "name", "credit_code", NULL };
    static const char *const project_keys[] = { "name", "code", "zone", "kind", "location", NULL };
    static const char *const contact_keys[] = { "name", "phone", NULL };
    struct ydoc *doc = NULL;
    yaml_node_t *root, *u, *p, *c, *items, *v;
    size_t n = 0;
    char ip[YDOC_PATH_MAX];

    if (ydoc_load(path, &doc, err, errlen))
        return -1;
    bangdai__submit_request__init(req);
    bangdai__unit__init(unit);
    bangdai__project__init(project);
    bangdai__contact__init(contact);
    root = ydoc_root(doc);
    if (ydoc_expect_map(doc, root, "", top_keys) ||
        text_at(doc, root, "", "request_id", false, &req->request_id) ||
        ydoc_require(doc, root, "", "unit", &u) || ydoc_expect_map(doc, u, "unit", unit_keys) ||
        text_at(doc, u, "unit", "name", true, &unit->name) ||
        text_at(doc, u, "unit", "credit_code", true, &unit->credit_code) ||
        ydoc_require(doc, root, "", "project", &p) || ydoc_expect_map(doc, p, "project", project_keys) ||
        text_at(doc, p, "project", "name", true, &project->name) ||
        text_at(doc, p, "project", "code", true, &project->code) ||
        text_at(doc, p, "project", "zone", false, &project->zone) ||
        text_at(doc, p, "project", "kind", true, &project->kind) ||
        text_at(doc, p, "project", "location", false, &project->location) ||
        text_at(doc, root, "", "service_type", true, &req->service_type) ||
        ydoc_require(doc, root, "", "contact", &c) || ydoc_expect_map(doc, c, "contact", contact_keys) ||
        text_at(doc, c, "contact", "name", true, &contact->name) ||
        text_at(doc, c, "contact", "phone", true, &contact->phone) ||
        text_at(doc, root, "", "delivery", true, &req->delivery) ||
        text_at(doc, root, "", "channel", false, &req->channel) ||
        ydoc_require(doc, root, "", "items", &items) || ydoc_expect_seq(doc, items, "items", &n))
        goto fail;
    /* 统一送达: optional, false by default (each result as it is decided). */
    bool together = false;
    if ((v = ydoc_get(doc, root, "delivery_together")) && ydoc_bool(doc, v, "delivery_together", &together))
        goto fail;
    req->delivery_together = together;
    req->items = calloc(n + 1, sizeof *req->items);
    if (!req->items)
        goto fail;
    req->n_items = n;
    for (size_t i = 0; i < n; i++) {
        const char *t;
        if (ydoc_text(doc, ydoc_seq_at(doc, items, i), ydoc_path_index(ip, "items", i), &t)) {
            free(req->items);
            req->items = NULL;
            goto fail;
        }
        req->items[i] = (char *)t;
    }
    if (!req->request_id[0]) {
        if (uuid_v7(id_buf) != 0) {
            snprintf(err, errlen, "%s: cannot make a request id", path);
            free(req->items);
            req->items = NULL;
            ydoc_destroy(&doc);
            return -1;
        }
        req->request_id = id_buf;
    }
    req->unit = unit;
    req->project = project;
    req->contact = contact;
    *doc_out = doc;
    return 0;
fail:
    snprintf(err, errlen, "%s", ydoc_errmsg(doc));
    ydoc_destroy(&doc);
    return -1;
}

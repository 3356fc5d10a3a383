/* yamldoc.c - reading small YAML files into C structs, with precise errors.
 *
 * See yamldoc.h. The whole file is loaded with libyaml's document API, which
 * keeps a start mark on every node; the helpers only read the node tree and
 * record the first failure as "FILE:LINE: PATH: reason".
 */
#include "yamldoc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ydoc {
    char *file;
    yaml_document_t doc;
    char err[512];
};

/* Formats the reason of a failed parse. libyaml reports a problem ("did not
 * find expected key") and often a context ("while parsing a block mapping")
 * that started earlier; both help someone fixing the file by hand. */
static void parser_error(const yaml_parser_t *parser, const char *path, char *err,
                         size_t errlen)
{
    if (errlen == 0)
        return;
    const char *problem = parser->problem ? parser->problem : "unknown problem";
    switch (parser->error) {
    case YAML_MEMORY_ERROR:
        snprintf(err, errlen, "%s: out of memory", path);
        break;
    case YAML_READER_ERROR:
        /* The reader has no line, only the byte offset (bad UTF-8 mostly). */
        snprintf(err, errlen, "%s: byte %zu: invalid input: %s", path,
                 parser->problem_offset, problem);
        break;
    default:
        if (parser->context)
            snprintf(err, errlen, "%s:%zu: YAML syntax error: %s %s (line %zu)",
                     path, parser->problem_mark.line + 1, problem, parser->context,
                     parser->context_mark.line + 1);
        else
            snprintf(err, errlen, "%s:%zu: YAML syntax error: %s", path,
                     parser->problem_mark.line + 1, problem);
        break;
    }
}

int ydoc_load(const char *path, struct ydoc **out, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        if (errlen > 0)
            snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct ydoc *d = calloc(1, sizeof *d);
    char *file = strdup(path);
    yaml_parser_t parser;
    bool parser_ready = false;
    bool doc_ready = false;
    if (!d || !file || !yaml_parser_initialize(&parser)) {
        if (errlen > 0)
            snprintf(err, errlen, "%s: out of memory", path);
        goto fail;
    }
    parser_ready = true;
    yaml_parser_set_input_file(&parser, fp);

    /* yaml_parser_load() deletes the document itself when it fails. */
    if (!yaml_parser_load(&parser, &d->doc)) {
        parser_error(&parser, path, err, errlen);
        goto fail;
    }
    doc_ready = true;
    yaml_node_t *root = yaml_document_get_root_node(&d->doc);
    if (!root) {
        if (errlen > 0)
            snprintf(err, errlen, "%s:1: the file holds no YAML document", path);
        goto fail;
    }

    /* A second document ("---" further down) would be silently ignored by a
     * reader that looks at the first one only; refuse it instead. Loading it
     * also makes the parser check the rest of the file for syntax. */
    yaml_document_t extra;
    if (!yaml_parser_load(&parser, &extra)) {
        parser_error(&parser, path, err, errlen);
        goto fail;
    }
    yaml_node_t *extra_root = yaml_document_get_root_node(&extra);
    if (extra_root) {
        if (errlen > 0)
            snprintf(err, errlen, "%s:%zu: only one YAML document is allowed", path,
                     extra_root->start_mark.line + 1);
        yaml_document_delete(&extra);
        goto fail;
    }
    yaml_document_delete(&extra);

    yaml_parser_delete(&parser);
    fclose(fp);
    d->file = file;
    *out = d;
    return 0;

fail:
    if (doc_ready)
        yaml_document_delete(&d->doc);
    if (parser_ready)
        yaml_parser_delete(&parser);
    free(file);
    free(d);
    fclose(fp);
    return -1;
}

void ydoc_destroy(struct ydoc **doc)
{
    if (!doc || !*doc)
        return;
    yaml_document_delete(&(*doc)->doc);
    free((*doc)->file);
    free(*doc);
    *doc = NULL;
}

yaml_node_t *ydoc_root(struct ydoc *doc)
{
    return yaml_document_get_root_node(&doc->doc);
}

const char *ydoc_file(const struct ydoc *doc)
{
    return doc->file;
}

size_t ydoc_line(const yaml_node_t *node)
{
    return node->start_mark.line + 1;
}

const char *ydoc_errmsg(const struct ydoc *doc)
{
    return doc->err;
}

int ydoc_fail(struct ydoc *doc, const yaml_node_t *node, const char *path,
              const char *fmt, ...)
{
    int n;
    if (path && *path)
        n = snprintf(doc->err, sizeof doc->err, "%s:%zu: %s: ", doc->file,
                     ydoc_line(node), path);
    else
        n = snprintf(doc->err, sizeof doc->err, "%s:%zu: ", doc->file,
                     ydoc_line(node));
    if (n >= 0 && (size_t)n < sizeof doc->err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(doc->err + n, sizeof doc->err - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

const char *ydoc_path_key(char buf[static YDOC_PATH_MAX], const char *prefix,
                          const char *key)
{
    if (prefix && *prefix)
        snprintf(buf, YDOC_PATH_MAX, "%s.%s", prefix, key);
    else
        snprintf(buf, YDOC_PATH_MAX, "%s", key);
    return buf;
}

const char *ydoc_path_index(char buf[static YDOC_PATH_MAX], const char *prefix,
                            size_t i)
{
    snprintf(buf, YDOC_PATH_MAX, "%s[%zu]", prefix ? prefix : "", i);
    return buf;
}

/* Names of node kinds for "expected a mapping, found a sequence". */
static const char *kind_name(const yaml_node_t *node)
{
    switch (node->type) {
    case YAML_SCALAR_NODE:
        return ydoc_is_null(node) ? "nothing" : "a scalar";
    case YAML_SEQUENCE_NODE:
        return "a sequence";
    case YAML_MAPPING_NODE:
        return "a mapping";
    default:
        return "an empty node";
    }
}

/* The key text of a mapping pair when the key is a scalar, else NULL. */
static const char *pair_key(struct ydoc *doc, const yaml_node_pair_t *pair,
                            yaml_node_t **key_node)
{
    yaml_node_t *k = yaml_document_get_node(&doc->doc, pair->key);
    if (key_node)
        *key_node = k;
    if (!k || k->type != YAML_SCALAR_NODE)
        return NULL;
    return (const char *)k->data.scalar.value;
}

int ydoc_expect_map(struct ydoc *doc, const yaml_node_t *node, const char *path,
                    const char *const *keys)
{
    if (node->type != YAML_MAPPING_NODE)
        return ydoc_fail(doc, node, path, "expected a mapping, found %s", kind_name(node));
    const yaml_node_pair_t *start = node->data.mapping.pairs.start;
    const yaml_node_pair_t *top = node->data.mapping.pairs.top;
    for (const yaml_node_pair_t *p = start; p < top; p++) {
        yaml_node_t *knode;
        const char *key = pair_key(doc, p, &knode);
        if (!key)
            return ydoc_fail(doc, knode ? knode : node, path,
                             "a key must be a plain name");
        bool known = false;
        for (size_t i = 0; keys[i]; i++)
            if (strcmp(keys[i], key) == 0) {
                known = true;
                break;
            }
        char sub[YDOC_PATH_MAX];
        if (!known)
            return ydoc_fail(doc, knode, ydoc_path_key(sub, path, key), "unknown key");
        /* libyaml keeps both values of a repeated key; a reader taking the
         * first would silently drop the second, so refuse it. */
        for (const yaml_node_pair_t *q = start; q < p; q++) {
            yaml_node_t *first;
            const char *other = pair_key(doc, q, &first);
            if (other && strcmp(other, key) == 0)
                return ydoc_fail(doc, knode, ydoc_path_key(sub, path, key),
                                 "key given twice (first at line %zu)", ydoc_line(first));
        }
    }
    return 0;
}

yaml_node_t *ydoc_get(struct ydoc *doc, const yaml_node_t *map, const char *key)
{
    if (map->type != YAML_MAPPING_NODE)
        return NULL;
    for (const yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        const char *k = pair_key(doc, p, NULL);
        if (k && strcmp(k, key) == 0)
            return yaml_document_get_node(&doc->doc, p->value);
    }
    return NULL;
}

int ydoc_require(struct ydoc *doc, const yaml_node_t *map, const char *path,
                 const char *key, yaml_node_t **out)
{
    yaml_node_t *v = ydoc_get(doc, map, key);
    if (!v) {
        char sub[YDOC_PATH_MAX];
        return ydoc_fail(doc, map, ydoc_path_key(sub, path, key), "missing");
    }
    *out = v;
    return 0;
}

int ydoc_expect_seq(struct ydoc *doc, const yaml_node_t *node, const char *path,
                    size_t *n)
{
    if (node->type != YAML_SEQUENCE_NODE)
        return ydoc_fail(doc, node, path, "expected a sequence, found %s", kind_name(node));
    *n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    return 0;
}

yaml_node_t *ydoc_seq_at(struct ydoc *doc, const yaml_node_t *seq, size_t i)
{
    return yaml_document_get_node(&doc->doc, seq->data.sequence.items.start[i]);
}

bool ydoc_is_null(const yaml_node_t *node)
{
    if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *v = (const char *)node->data.scalar.value;
    return *v == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
           strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

int ydoc_text(struct ydoc *doc, const yaml_node_t *node, const char *path,
              const char **out)
{
    if (node->type != YAML_SCALAR_NODE)
        return ydoc_fail(doc, node, path, "expected a scalar, found %s", kind_name(node));
    if (ydoc_is_null(node))
        return ydoc_fail(doc, node, path, "has no value");
    const char *v = (const char *)node->data.scalar.value;
    if (*v == '\0')
        return ydoc_fail(doc, node, path, "must not be empty");
    /* A double-quoted "\0" puts a NUL inside the value; C would see a
     * shorter string than the file says. */
    if (strlen(v) != node->data.scalar.length)
        return ydoc_fail(doc, node, path, "must not contain a NUL character");
    *out = v;
    return 0;
}

int ydoc_strdup(struct ydoc *doc, const yaml_node_t *node, const char *path,
                char **out)
{
    const char *v = NULL;
    if (ydoc_text(doc, node, path, &v) < 0)
        return -1;
    char *copy = strdup(v);
    if (!copy)
        return ydoc_fail(doc, node, path, "out of memory");
    *out = copy;
    return 0;
}

int ydoc_int(struct ydoc *doc, const yaml_node_t *node, const char *path,
             int min, int max, int *out)
{
    const char *v = NULL;
    if (ydoc_text(doc, node, path, &v) < 0)
        return -1;
    /* strtol alone would accept " 12", "+12", "12abc" and "0x1F"; a config
     * value that odd is a mistake, so check the shape first. */
    const char *digits = v + (*v == '-');
    if (*digits == '\0' || strspn(digits, "0123456789") != strlen(digits))
        return ydoc_fail(doc, node, path, "'%.40s' is not an integer", v);
    errno = 0;
    long n = strtol(v, NULL, 10);
    if (errno == ERANGE || n < min || n > max)
        return ydoc_fail(doc, node, path, "%.40s is out of range %d..%d", v, min, max);
    *out = (int)n;
    return 0;
}

int ydoc_bool(struct ydoc *doc, const yaml_node_t *node, const char *path,
              bool *out)
{
    const char *v = NULL;
    if (ydoc_text(doc, node, path, &v) < 0)
        return -1;
    if (strcmp(v, "true") == 0 || strcmp(v, "True") == 0 || strcmp(v, "TRUE") == 0) {
        *out = true;
        return 0;
    }
    if (strcmp(v, "false") == 0 || strcmp(v, "False") == 0 || strcmp(v, "FALSE") == 0) {
        *out = false;
        return 0;
    }
    return ydoc_fail(doc, node, path, "'%.40s' is not true or false", v);
}

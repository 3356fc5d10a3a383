/* yamldoc.h - reading small YAML files into C structs, with precise errors.
 *
 * A thin layer over libyaml's document API: the file is loaded whole
 * (yaml_parser_load), so every node keeps the line it came from. The helpers
 * look keys up in mappings, refuse unknown and duplicate keys, and turn
 * scalars into strings, integers and booleans. Every failure leaves one
 * message "FILE:LINE: PATH: reason" in the document, PATH being a dotted key
 * path such as items[3].dept that the caller builds with ydoc_path_key() and
 * ydoc_path_index() while it walks the tree. The layer knows nothing of what
 * the files mean; the configuration and the hall's application files both
 * use it.
 *
 * Typical use:
 *
 *     static const char *const keys[] = {"name", "code", NULL};
 *     if (ydoc_expect_map(doc, node, path, keys) < 0 ||
 *         ydoc_require(doc, node, path, "name", &v) < 0 ||
 *         ydoc_strdup(doc, v, ydoc_path_key(sub, path, "name"), &out->name) < 0)
 *         return -1;             // the message is in ydoc_errmsg(doc)
 */
#ifndef BANGDAI_YAMLDOC_H
#define BANGDAI_YAMLDOC_H

#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

/* Room for a key path; longer paths are cut, which only shortens messages. */
#define YDOC_PATH_MAX 192

struct ydoc;

/* Reads and parses the YAML file at path, which must hold exactly one
 * document. On success stores a new ydoc in *out (caller owns it, free with
 * ydoc_destroy) and returns 0. On failure (cannot open, syntax error, more
 * than one document, no document at all, out of memory) writes
 * "FILE:LINE: reason" (or "FILE: reason" when there is no line) into err when
 * errlen > 0, leaves *out untouched and returns -1. */
__attribute__((warn_unused_result))
int ydoc_load(const char *path, struct ydoc **out, char *err, size_t errlen);

/* Frees the document and every node in it; sets *doc to NULL. NULL-safe.
 * Every node and string borrowed from the document dies with it. */
void ydoc_destroy(struct ydoc **doc);

/* The root node of the document (never NULL after a successful load). */
yaml_node_t *ydoc_root(struct ydoc *doc);

/* The file name the document was loaded from. Borrowed. */
const char *ydoc_file(const struct ydoc *doc);

/* The 1-based line where node starts. */
size_t ydoc_line(const yaml_node_t *node);

/* The message of the last failure of any helper below, "" when none. Borrowed;
 * valid until the next failure or ydoc_destroy. */
const char *ydoc_errmsg(const struct ydoc *doc);

/* Records "FILE:LINE: PATH: reason" with LINE the line of node and the reason
 * formatted from fmt; an empty path leaves out "PATH: ". Always returns -1,
 * so that a caller can write `return ydoc_fail(...)`. */
__attribute__((format(printf, 4, 5)))
int ydoc_fail(struct ydoc *doc, const yaml_node_t *node, const char *path,
              const char *fmt, ...);

/* Writes "PREFIX.KEY" (just "KEY" when prefix is empty) into buf and
 * returns buf. */
const char *ydoc_path_key(char buf[static YDOC_PATH_MAX], const char *prefix,
                          const char *key);

/* Writes "PREFIX[I]" into buf and returns buf. */
const char *ydoc_path_index(char buf[static YDOC_PATH_MAX], const char *prefix,
                            size_t i);

/* Checks that node, found at path, is a mapping whose keys are scalars, all
 * named in the NULL-terminated list keys, none given twice. Returns 0, or -1
 * with the message naming the offending key (unknown keys catch typos). */
__attribute__((warn_unused_result))
int ydoc_expect_map(struct ydoc *doc, const yaml_node_t *node, const char *path,
                    const char *const *keys);

/* The value under key in the mapping map, or NULL when map has no such key
 * (or is not a mapping). Borrowed from the document. */
yaml_node_t *ydoc_get(struct ydoc *doc, const yaml_node_t *map, const char *key);

/* Like ydoc_get() for a key that must be there: stores the value in *out and
 * returns 0, or returns -1 with "PATH.KEY: missing" at the line of map. */
__attribute__((warn_unused_result))
int ydoc_require(struct ydoc *doc, const yaml_node_t *map, const char *path,
                 const char *key, yaml_node_t **out);

/* Checks that node is a sequence and stores its length in *n. Returns 0, or
 * -1 when node is not a sequence. */
__attribute__((warn_unused_result))
int ydoc_expect_seq(struct ydoc *doc, const yaml_node_t *node, const char *path,
                    size_t *n);

/* Element i of the sequence seq (i below the length ydoc_expect_seq gave).
 * Borrowed. */
yaml_node_t *ydoc_seq_at(struct ydoc *doc, const yaml_node_t *seq, size_t i);

/* True when node is a plain null scalar: empty, "~" or "null". */
bool ydoc_is_null(const yaml_node_t *node);

/* Stores in *out the text of the scalar node, which must be non-empty and
 * hold no NUL byte. Borrowed from the document. Returns 0 or -1. */
__attribute__((warn_unused_result))
int ydoc_text(struct ydoc *doc, const yaml_node_t *node, const char *path,
              const char **out);

/* Like ydoc_text(), but stores a malloc'ed copy in *out (caller owns it);
 * -1 also when memory runs out. */
__attribute__((warn_unused_result))
int ydoc_strdup(struct ydoc *doc, const yaml_node_t *node, const char *path,
                char **out);

/* Stores in *out the decimal integer of the scalar node ([-]digits, nothing
 * else) when it lies within min..max. Returns 0, or -1 (nothing written) for
 * text that is not such an integer or out of bounds. */
__attribute__((warn_unused_result))
int ydoc_int(struct ydoc *doc, const yaml_node_t *node, const char *path,
             int min, int max, int *out);

/* Stores in *out the boolean of the scalar node: true or false (also True,
 * TRUE, False, FALSE). YAML 1.1's yes/no/on/off are refused on purpose: they
 * are a classic source of surprise. Returns 0 or -1 (nothing written). */
__attribute__((warn_unused_result))
int ydoc_bool(struct ydoc *doc, const yaml_node_t *node, const char *path,
              bool *out);

#endif

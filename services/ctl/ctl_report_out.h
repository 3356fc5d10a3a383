/* ctl_report_out.h - the tables of a report and their four formats.
 *
 * A report is a list of tables (sections), each a name, a title, columns
 * and rows of text cells. The same tables are written as aligned text (or
 * Markdown), CSV, JSON or one self-contained HTML page with inline SVG
 * charts; so every format shows the same figures, computed once.
 *
 * Adding a chart: a table of the columns it draws (rtable_new with
 * chart = true keeps it out of the text formats), then a case in
 * html_chart() (ctl_report_out.c) that draws it with a data-* attribute per
 * figure on each mark, which is what tests read back.
 */
#ifndef BANGDAI_CTL_REPORT_OUT_H
#define BANGDAI_CTL_REPORT_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define RTABLE_MAX_COLS 16

struct rtable {
    char *name;                 /* section key: a JSON key, a CSV block, data-section */
    char *title;                /* heading */
    bool chart;                 /* the data of a chart: not in table/Markdown output */
    size_t ncols;
    char *cols[RTABLE_MAX_COLS];
    bool numeric[RTABLE_MAX_COLS];  /* a number in JSON (an empty cell is null) */
    char **cells;               /* nrows * ncols, owned; "" for none */
    size_t nrows, cap;
    size_t fill;                /* the next column rtable_cell fills */
};

struct report {
    const char *kind;           /* assessment, bready, summary */
    char period[16];
    char first[11], last[11];   /* the first and the last day, YYYY-MM-DD */
    struct rtable *tables[24];
    size_t n;
    const char *notes[8];       /* sentences under the title (static text) */
    size_t n_notes;
};

/* Adds a table to the report: cols is a space-separated list of column
 * names, a name ending in '#' being numeric (the '#' is dropped). Returns
 * the table (owned by the report) or NULL when out of memory or room. */
struct rtable *report_table(struct report *r, const char *name, const char *title,
                            bool chart, const char *cols);

/* Starts a row, whose cells rtable_cell then fills from the left, one
 * printf-formatted cell per call (cells beyond the columns are dropped).
 * Returns 0 or -1 (no memory). */
__attribute__((warn_unused_result)) int rtable_row(struct rtable *t);
__attribute__((format(printf, 2, 3)))
void rtable_cell(struct rtable *t, const char *fmt, ...);

/* The cell at row, col; "" when it was not set. Borrowed. */
const char *rtable_get(const struct rtable *t, size_t row, size_t col);

/* Writes the report to out in format table, md, csv, json or html.
 * Returns 0, or -1 for an unknown format. */
int report_write(const struct report *r, const char *format, FILE *out);

/* Frees the tables. */
void report_clear(struct report *r);

#endif

/* ctl_report_out.c - a report's tables as text, Markdown, CSV, JSON and
 * one self-contained HTML page (inline CSS, inline SVG, no script, nothing
 * fetched from elsewhere). See ctl_report_out.h. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_report_out.h"

struct rtable *report_table(struct report *r, const char *name, const char *title,
                            bool chart, const char *cols)
{
    if (r->n >= sizeof r->tables / sizeof r->tables[0])
        return NULL;
    struct rtable *t = calloc(1, sizeof *t);
    char *copy = strdup(cols);
    if (!t || !copy) {
        free(t);
        free(copy);
        return NULL;
    }
    t->name = strdup(name);
    t->title = strdup(title);
    t->chart = chart;
    for (char *save = NULL, *c = strtok_r(copy, " ", &save); c && t->ncols < RTABLE_MAX_COLS;
         c = strtok_r(NULL, " ", &save)) {
        size_t l = strlen(c);
        t->numeric[t->ncols] = l > 1 && c[l - 1] == '#';
        if (t->numeric[t->ncols])
            c[l - 1] = 0;
        t->cols[t->ncols++] = strdup(c);
    }
    free(copy);
    r->tables[r->n++] = t;
    return t;
}

int rtable_row(struct rtable *t)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        char **cells = realloc(t->cells, cap * t->ncols * sizeof *cells);
        if (!cells)
            return -1;
        t->cells = cells;
        t->cap = cap;
    }
    for (size_t c = 0; c < t->ncols; c++)
        t->cells[t->nrows * t->ncols + c] = NULL;
    t->nrows++;
    t->fill = 0;
    return 0;
}

void rtable_cell(struct rtable *t, const char *fmt, ...)
{
    if (t->nrows == 0 || t->fill >= t->ncols)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    t->cells[(t->nrows - 1) * t->ncols + t->fill++] = s;
}

const char *rtable_get(const struct rtable *t, size_t row, size_t col)
{
    const char *s = row < t->nrows && col < t->ncols ? t->cells[row * t->ncols + col] : NULL;
    return s ? s : "";
}

void report_clear(struct report *r)
{
    for (size_t i = 0; i < r->n; i++) {
        struct rtable *t = r->tables[i];
        for (size_t k = 0; k < t->nrows * t->ncols; k++)
            free(t->cells[k]);
        for (size_t c = 0; c < t->ncols; c++)
            free(t->cols[c]);
        free(t->cells);
        free(t->name);
        free(t->title);
        free(t);
    }
    r->n = 0;
}

/* Characters (not bytes) of UTF-8 text, a CJK character counting two
 * columns as a terminal shows it. */
static size_t width(const char *s)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p & 0xC0) == 0x80)
            continue;
        w += *p >= 0xE0 ? 2 : 1;
    }
    return w;
}

static void write_text(const struct report *r, FILE *out)
{
    fprintf(out, "bangdai %s report, %s (%s .. %s)\n", r->kind, r->period, r->first, r->last);
    for (size_t i = 0; i < r->n_notes; i++)
        fprintf(out, "%s\n", r->notes[i]);
    for (size_t i = 0; i < r->n; i++) {
        const struct rtable *t = r->tables[i];
        size_t w[RTABLE_MAX_COLS];
        if (t->chart)
            continue;
        fprintf(out, "\n%s\n", t->title);
        for (size_t c = 0; c < t->ncols; c++) {
            w[c] = width(t->cols[c]);
            for (size_t k = 0; k < t->nrows; k++)
                if (width(rtable_get(t, k, c)) > w[c])
                    w[c] = width(rtable_get(t, k, c));
        }
        for (size_t k = 0; k <= t->nrows; k++) {
            for (size_t c = 0; c < t->ncols; c++) {
                const char *s = k == 0 ? t->cols[c] : rtable_get(t, k - 1, c);
                if (k > 0 && !*s)
                    s = "-";
                bool right = t->numeric[c] && k > 0;
                size_t pad = w[c] - width(s);
                fprintf(out, "%s%*s%s%*s", c ? "  " : "", right ? (int)pad : 0, "", s,
                        right || c + 1 == t->ncols ? 0 : (int)pad, "");
            }
            fputc('\n', out);
        }
        if (t->nrows == 0)
            fprintf(out, "(none)\n");
    }
}

/* Markdown: a cell's | and line breaks would break the table. */
static void md_cell(const char *s, FILE *out)
{
    if (!*s)
        s = "-";
    for (; *s; s++)
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '\n' || *s == '\r')
            fputc(' ', out);
        else
            fputc(*s, out);
}

static void write_md(const struct report *r, FILE *out)
{
    fprintf(out, "# bangdai %s report, %s\n\n%s .. %s\n", r->kind, r->period, r->first, r->last);
    for (size_t i = 0; i < r->n_notes; i++)
        fprintf(out, "\n%s\n", r->notes[i]);
    for (size_t i = 0; i < r->n; i++) {
        const struct rtable *t = r->tables[i];
        if (t->chart)
            continue;
        fprintf(out, "\n## %s\n\n", t->title);
        if (t->nrows == 0) {
            fprintf(out, "(none)\n");
            continue;
        }
        for (size_t c = 0; c < t->ncols; c++)
            fprintf(out, "| %s ", t->cols[c]);
        fputs("|\n", out);
        for (size_t c = 0; c < t->ncols; c++)
            fputs(t->numeric[c] ? "| ---: " : "| --- ", out);
        fputs("|\n", out);
        for (size_t k = 0; k < t->nrows; k++) {
            for (size_t c = 0; c < t->ncols; c++) {
                fputs("| ", out);
                md_cell(rtable_get(t, k, c), out);
                fputc(' ', out);
            }
            fputs("|\n", out);
        }
    }
}

static void csv_field(const char *s, FILE *out)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* CSV: one block per table, "# name" first, then the header and the rows
 * (RFC 4180 quoting); blocks are separated by an empty line. */
static void write_csv(const struct report *r, FILE *out)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct rtable *t = r->tables[i];
        fprintf(out, "%s# %s\n", i ? "\n" : "", t->name);
        for (size_t k = 0; k <= t->nrows; k++)
            for (size_t c = 0; c < t->ncols; c++) {
                csv_field(k == 0 ? t->cols[c] : rtable_get(t, k - 1, c), out);
                fputc(c + 1 == t->ncols ? '\n' : ',', out);
            }
    }
}

static void json_string(const char *s, FILE *out)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static void write_json(const struct report *r, FILE *out)
{
    fprintf(out, "{\"report\":\"%s\",\"period\":", r->kind);
    json_string(r->period, out);
    fprintf(out, ",\"from\":\"%s\",\"to\":\"%s\",\"sections\":{", r->first, r->last);
    for (size_t i = 0; i < r->n; i++) {
        const struct rtable *t = r->tables[i];
        fprintf(out, "%s\n", i ? "," : "");
        json_string(t->name, out);
        fputs(":[", out);
        for (size_t k = 0; k < t->nrows; k++) {
            fprintf(out, "%s\n {", k ? "," : "");
            for (size_t c = 0; c < t->ncols; c++) {
                const char *s = rtable_get(t, k, c);
                if (c)
                    fputc(',', out);
                json_string(t->cols[c], out);
                fputc(':', out);
                if (!*s)
                    fputs("null", out);
                else if (t->numeric[c])
                    fputs(s, out);
                else
                    json_string(s, out);
            }
            fputc('}', out);
        }
        fputs("]", out);
    }
    fputs("}}\n", out);
}

static void html_text(const char *s, FILE *out)
{
    for (; *s; s++)
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*s, out);
        }
}

static int column(const struct rtable *t, const char *name)
{
    for (size_t c = 0; c < t->ncols; c++)
        if (strcmp(t->cols[c], name) == 0)
            return (int)c;
    return -1;
}

static double num(const struct rtable *t, size_t row, int col)
{
    return col < 0 ? 0 : atof(rtable_get(t, row, (size_t)col));
}

/* An attribute data-NAME="value", escaped. */
static void data_attr(FILE *out, const char *name, const char *value)
{
    fprintf(out, " data-%s=\"", name);
    html_text(value, out);
    fputc('"', out);
}

/* On-time rate per department: a horizontal bar per row of columns dept
 * and on_time_rate (0..1). */
static void chart_bars(const struct rtable *t, FILE *out)
{
    int cd = column(t, "dept"), cr = column(t, "on_time_rate"), ci = column(t, "items");
    int h = 24 * (int)t->nrows + 30;
    fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"%d\" data-chart=\"%s\">\n", h, t->name);
    for (size_t k = 0; k < t->nrows; k++) {
        double rate = num(t, k, cr);
        int y = 10 + 24 * (int)k;
        fprintf(out, "<text x=\"4\" y=\"%d\">", y + 14);
        html_text(rtable_get(t, k, (size_t)cd), out);
        fprintf(out, "</text><rect x=\"120\" y=\"%d\" width=\"%.1f\" height=\"18\" class=\"bar\"", y, 400 * rate);
        data_attr(out, "dept", rtable_get(t, k, (size_t)cd));
        data_attr(out, "rate", rtable_get(t, k, (size_t)cr));
        data_attr(out, "items", rtable_get(t, k, (size_t)ci));
        fprintf(out, "/><text x=\"%.1f\" y=\"%d\">%.1f%%</text>\n", 126 + 400 * rate, y + 14, 100 * rate);
    }
    fprintf(out, "<line x1=\"120\" y1=\"4\" x2=\"120\" y2=\"%d\" class=\"axis\"/></svg>\n", h - 10);
}

/* Working days per item against its promised limit: a row per item, a dot
 * per task (columns item, limit, task, workdays), the limit a red line. */
static void chart_dots(const struct rtable *t, FILE *out)
{
    int ci = column(t, "item"), cl = column(t, "limit"), ct = column(t, "task"), cw = column(t, "workdays");
    double most = 1;
    size_t items = 0;
    for (size_t k = 0; k < t->nrows; k++) {
        if (num(t, k, cw) > most)
            most = num(t, k, cw);
        if (num(t, k, cl) > most)
            most = num(t, k, cl);
        if (k == 0 || strcmp(rtable_get(t, k, (size_t)ci), rtable_get(t, k - 1, (size_t)ci)) != 0)
            items++;
    }
    double scale = 480 / most;
    fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"%zu\" data-chart=\"%s\">\n",
            26 * items + 30, t->name);
    int y = -16;
    for (size_t k = 0; k < t->nrows; k++) {
        const char *item = rtable_get(t, k, (size_t)ci);
        if (k == 0 || strcmp(item, rtable_get(t, k - 1, (size_t)ci)) != 0) {
            y += 26;
            fprintf(out, "<text x=\"4\" y=\"%d\">", y + 4);
            html_text(item, out);
            double lx = 120 + scale * num(t, k, cl);
            fprintf(out, "</text><line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"limit\"", lx, y - 10, lx, y + 10);
            data_attr(out, "item", item);
            data_attr(out, "limit", rtable_get(t, k, (size_t)cl));
            fputs("/>\n", out);
        }
        fprintf(out, "<circle cx=\"%.1f\" cy=\"%d\" r=\"4\" class=\"dot\"", 120 + scale * num(t, k, cw), y);
        data_attr(out, "item", item);
        data_attr(out, "task", rtable_get(t, k, (size_t)ct));
        data_attr(out, "workdays", rtable_get(t, k, (size_t)cw));
        fputs("/>\n", out);
    }
    fprintf(out, "<text x=\"120\" y=\"%zu\">0</text><text x=\"560\" y=\"%zu\">%.0f working days</text></svg>\n",
            26 * items + 24, 26 * items + 24, most);
}

/* Ratings per month: a stacked bar per month (columns month, level, count). */
static void chart_stack(const struct rtable *t, FILE *out)
{
    int cm = column(t, "month"), cl = column(t, "level"), cc = column(t, "count"), cs = column(t, "score");
    double most = 1, sum = 0;
    for (size_t k = 0; k < t->nrows; k++) {
        bool last = k + 1 == t->nrows || strcmp(rtable_get(t, k, (size_t)cm), rtable_get(t, k + 1, (size_t)cm)) != 0;
        sum += num(t, k, cc);
        if (last) {
            if (sum > most)
                most = sum;
            sum = 0;
        }
    }
    fputs("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"260\"", out);
    data_attr(out, "chart", t->name);
    fputs(">\n", out);
    int x = -50;
    double y = 230;
    for (size_t k = 0; k < t->nrows; k++) {
        const char *month = rtable_get(t, k, (size_t)cm);
        if (k == 0 || strcmp(month, rtable_get(t, k - 1, (size_t)cm)) != 0) {
            x += 80;
            y = 230;
            fprintf(out, "<text x=\"%d\" y=\"250\">", x);
            html_text(month, out);
            fputs("</text>\n", out);
        }
        double h = 200 * num(t, k, cc) / most;
        y -= h;
        fprintf(out, "<rect x=\"%d\" y=\"%.1f\" width=\"50\" height=\"%.1f\" class=\"l%d\"", x, y, h, (int)num(t, k, cs));
        data_attr(out, "month", month);
        data_attr(out, "level", rtable_get(t, k, (size_t)cl));
        data_attr(out, "score", rtable_get(t, k, (size_t)cs));
        data_attr(out, "count", rtable_get(t, k, (size_t)cc));
        fputs("><title>", out);
        html_text(rtable_get(t, k, (size_t)cl), out);
        fprintf(out, ": %s</title></rect>\n", rtable_get(t, k, (size_t)cc));
    }
    fputs("<text x=\"400\" y=\"20\">levels 5 (非常满意, dark) .. 1 (非常不满意, red)</text></svg>\n", out);
}

static void html_chart(const struct rtable *t, FILE *out)
{
    fputs("<h2>", out);
    html_text(t->title, out);
    fputs("</h2>\n", out);
    if (t->nrows == 0)
        fputs("<p>(no data)</p>\n", out);
    else if (strcmp(t->name, "chart_on_time") == 0)
        chart_bars(t, out);
    else if (strcmp(t->name, "chart_workdays") == 0)
        chart_dots(t, out);
    else if (strcmp(t->name, "chart_ratings") == 0)
        chart_stack(t, out);
}

static const char css[] =
    "body{font-family:sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;margin:0 0 1.5em}"
    "th,td{border:1px solid #ccc;padding:2px 8px}td.n{text-align:right}"
    "svg text{font-size:12px}.bar{fill:#3a7bd5}.dot{fill:#3a7bd5;fill-opacity:.6}"
    ".limit{stroke:#d33;stroke-width:2}.axis{stroke:#888}"
    ".l5{fill:#1b5e20}.l4{fill:#43a047}.l3{fill:#c0ca33}.l2{fill:#fb8c00}.l1{fill:#d32f2f}";

static void write_html(const struct report *r, FILE *out)
{
    fprintf(out, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                 "<title>bangdai %s %s</title><style>%s</style></head><body>\n", r->kind, r->period, css);
    fprintf(out, "<h1 data-report=\"%s\" data-period=\"", r->kind);
    html_text(r->period, out);
    fprintf(out, "\" data-from=\"%s\" data-to=\"%s\">bangdai %s report, ", r->first, r->last, r->kind);
    html_text(r->period, out);
    fprintf(out, " (%s .. %s)</h1>\n", r->first, r->last);
    for (size_t i = 0; i < r->n_notes; i++) {
        fputs("<p>", out);
        html_text(r->notes[i], out);
        fputs("</p>\n", out);
    }
    for (size_t i = 0; i < r->n; i++)
        if (r->tables[i]->chart)
            html_chart(r->tables[i], out);
    for (size_t i = 0; i < r->n; i++) {
        const struct rtable *t = r->tables[i];
        if (t->chart)
            continue;
        fputs("<h2>", out);
        html_text(t->title, out);
        fputs("</h2>\n<table", out);
        data_attr(out, "section", t->name);
        fputs("><thead><tr>", out);
        for (size_t c = 0; c < t->ncols; c++) {
            fputs("<th>", out);
            html_text(t->cols[c], out);
            fputs("</th>", out);
        }
        fputs("</tr></thead><tbody>\n", out);
        for (size_t k = 0; k < t->nrows; k++) {
            fputs("<tr>", out);
            for (size_t c = 0; c < t->ncols; c++) {
                fputs(t->numeric[c] ? "<td class=\"n\">" : "<td>", out);
                html_text(rtable_get(t, k, c), out);
                fputs("</td>", out);
            }
            fputs("</tr>\n", out);
        }
        fputs("</tbody></table>\n", out);
    }
    fputs("</body></html>\n", out);
}

int report_write(const struct report *r, const char *format, FILE *out)
{
    if (strcmp(format, "table") == 0)
        write_text(r, out);
    else if (strcmp(format, "md") == 0)
        write_md(r, out);
    else if (strcmp(format, "csv") == 0)
        write_csv(r, out);
    else if (strcmp(format, "json") == 0)
        write_json(r, out);
    else if (strcmp(format, "html") == 0)
        write_html(r, out);
    else
        return -1;
    return 0;
}

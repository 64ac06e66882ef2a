/*
 * manifest.h: manifest.csv, the list of the documents in an output folder.
 *
 * manifest.c is the one owner of the format: its columns, its CSV dialect
 * (RFC 4180 quoting, LF line ends) and how cells that a spreadsheet would
 * run as formulas are escaped.  A header row, then one row per document:
 *
 *   document_id,kind,batch_id,officer_id,name,file,sha256,qr
 *
 * A cell that starts with = + - @ tab or CR (after any single quotes) is
 * written with one more single quote in front, as spreadsheets expect, and
 * read back without it, so every value comes back as it went in.
 */
#ifndef ATTACHE_MANIFEST_H
#define ATTACHE_MANIFEST_H

#include <stddef.h>

#include "attache.h"
#include "util.h"

#define MANIFEST_FILE "manifest.csv"

enum manifest_column {
    MCOL_DOCUMENT_ID, MCOL_KIND, MCOL_BATCH_ID, MCOL_OFFICER_ID, MCOL_NAME, MCOL_FILE,
    MCOL_SHA256, MCOL_QR,
    MANIFEST_COLUMNS
};

/* One row: its cells, each a malloc'd string owned by the manifest. */
struct manifest_row {
    char *col[MANIFEST_COLUMNS];
    unsigned long line;          /* where it was read (0: added or replaced) */
};

struct manifest {
    struct manifest_row *rows;
    size_t n, cap;
};

/*
 * Parse `size` bytes of a manifest into `m` (which starts empty: `{0}`),
 * appending its rows.  `name` names it in messages.  ATTACHE_ERR_DATA for
 * a wrong header, a malformed row (with its line), or a document listed
 * twice.
 */
attache_status manifest_parse(struct manifest *m, const char *name, const unsigned char *bytes,
                              size_t size, attache_error *err);

/* Append a row of copies of `cells`.  ATTACHE_ERR_INTERNAL when out of memory. */
attache_status manifest_add(struct manifest *m, const char *const cells[MANIFEST_COLUMNS],
                            attache_error *err);

/*
 * An index of a manifest's rows by one column's values, so that finding a
 * row costs the same in a folder of ten documents as in one of 100,000.
 * It records row numbers: tell it of rows added (manifest_index_add, up to
 * the `room` given at the start); removing rows makes it stale.
 */
struct manifest_index {
    const struct manifest *m;
    enum manifest_column column;
    size_t *slot;                /* row number + 1; 0: empty */
    size_t mask, room;
};

/* Index m's rows by `column`, with room for `room` more.  ATTACHE_ERR_INTERNAL when out of memory. */
attache_status manifest_index_init(struct manifest_index *ix, const struct manifest *m,
                                   enum manifest_column column, size_t room, attache_error *err);

/* The row whose cell is `value` (the first such row), or -1. */
long manifest_index_find(const struct manifest_index *ix, const char *value);

/* Index row i, added since (false when the index has no room left). */
bool manifest_index_add(struct manifest_index *ix, size_t i);

void manifest_index_release(struct manifest_index *ix);

/* Replace row i's cells by copies of `cells` (its line becomes 0, as an added row's). */
attache_status manifest_replace(struct manifest *m, size_t i,
                                const char *const cells[MANIFEST_COLUMNS], attache_error *err);

/* Keep the rows for which keep(row, ctx) is true, in their order; drop the others. */
void manifest_filter(struct manifest *m, bool (*keep)(const struct manifest_row *, void *),
                     void *ctx);

/*
 * The error for the first document id listed twice (ATTACHE_ERR_DATA,
 * naming `name` and the lines), or ATTACHE_OK.
 */
attache_status manifest_check_unique(const struct manifest *m, const char *name,
                                     attache_error *err);

/* Write the header and every row as CSV to `out` (check out->failed). */
void manifest_format(const struct manifest *m, struct buf *out);

void manifest_release(struct manifest *m);

#endif

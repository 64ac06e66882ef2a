/*
 * data.h: the loaded data file, as the other modules see it.
 *
 * Loading (attache_data_load) validates the whole file in one streaming
 * pass and keeps a compact index of officers.  Generation walks the file a
 * second time with data_foreach(), which shows each wanted officer in a
 * small document (issuer, programme and batch headers, the officer), so
 * that memory does not grow with the file.  A view kept past the walk's
 * call holds its officer and a reference to headers that nobody changes;
 * a worker shows kept views in its own copy of the headers (view_cache),
 * made once a batch rather than once an officer, so workers never share a
 * tree.
 */
#ifndef ATTACHE_DATA_H
#define ATTACHE_DATA_H

#include <stdbool.h>
#include <libxml/tree.h>

#include "attache.h"

enum officer_status {
    STATUS_SELECTED,
    STATUS_ATTACHED,
    STATUS_GRADUATED,
    STATUS_WITHDRAWN
};

struct officer_ref {
    const char *id;
    const char *name;            /* Latin-script name, NFC, as printed */
    unsigned batch;              /* index into the batch table */
    enum officer_status status;
    unsigned long line;
};

struct data_skeleton;    /* the headers an officer is shown with */

/*
 * One officer, ready for a template: `doc` is a document
 *   <attache version="1"><issuer/><programme id=…><title/>…
 *     <batch id=…><signatory/><induction/><officer/></batch></programme></attache>
 * whose text is trimmed and in NFC, with this one officer in it.  `officer`
 * is the officer element.
 */
struct officer_view {
    xmlDocPtr doc;
    xmlNodePtr officer;
    size_t index;                      /* position in the file, from 0 */
    const struct officer_ref *ref;
    const attache_batch_info *batch;
    struct data_skeleton *skeleton;    /* its headers, for keeping and showing it */
};

/*
 * Called by data_foreach() for every wanted officer, in file order.  The
 * view is lent for the call: its doc belongs to the walk and its officer is
 * gone when the call returns, unless the callee keeps the view with
 * data_view_keep().  A non-zero return stops the walk and is returned.
 */
typedef attache_status officer_fn(void *ctx, struct officer_view *view);

/*
 * Keep a lent view past the call (false: out of memory, and the view is
 * gone).  Kept, view->doc is a document of the officer alone, and the view
 * holds its headers.  A kept view is shown with view_cache_show(), or
 * released unshown with data_view_release(); either may be on another
 * thread than the walk's.
 */
bool data_view_keep(struct officer_view *view);
void data_view_release(struct officer_view *view);

/*
 * A thread's copy of the headers its kept views are shown in, made again
 * only when a view's headers differ from the last one's.
 */
struct view_cache;
struct view_cache *view_cache_new(void);
void view_cache_free(struct view_cache *c);

/*
 * Show a kept view: its officer moves into the cache's copy of its
 * headers, and view->doc becomes that copy, as a template must see it
 * (false: out of memory; the view stays kept).  data_view_done() takes
 * the officer out again and releases the view.
 */
bool view_cache_show(struct view_cache *c, struct officer_view *view);
void data_view_done(struct officer_view *view);

struct buf;

/*
 * A view shown in `c`, as xml_dump() writes it, in three pieces to be
 * taken one after the other: *before and *after (the cache's own, written
 * once for the headers; empty when they cannot be cut around the officer)
 * and, appended to `officer`, the officer (or the whole view when it
 * cannot be cut).  False when memory runs out.
 */
bool view_cache_dump(struct view_cache *c, const struct officer_view *view, struct buf *officer,
                     const struct buf **before, const struct buf **after);

/*
 * Walk the officers again; `want` (indexed like data_officer(), may be NULL
 * for all) says which ones to hand to `fn`.
 */
attache_status data_foreach(const attache_data *d, const bool *want,
                            officer_fn *fn, void *ctx, attache_error *err);

size_t data_officer_count(const attache_data *d);
const struct officer_ref *data_officer(const attache_data *d, size_t i);

/* Index of the officer with this id, or -1. */
long data_find_officer(const attache_data *d, const char *id);

/* Index of the batch with this id, or -1. */
long data_find_batch(const attache_data *d, const char *id);

/* The issuer's id, its name (as printed), and its verify-url ("" when it has none). */
const char *data_issuer_id(const attache_data *d);
const char *data_issuer_name(const attache_data *d);
const char *data_verify_url(const attache_data *d);

/* The folder relative src= paths resolve against, or NULL when there is none. */
const char *data_base_dir(const attache_data *d);

/* The data's bytes, as loaded. */
const unsigned char *data_bytes(const attache_data *d, size_t *size);

/* The display name of an officer status ("graduated"). */
const char *officer_status_name(enum officer_status s);

#endif

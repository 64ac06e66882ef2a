/*
 * batch.c: the run that makes a cohort's documents.
 *
 * The main thread reads the data (data_foreach), decides which officers the
 * template applies to and hands them to worker threads through a bounded
 * queue.  Each worker signs the document's token, composes it and writes
 * the PDF under a temporary name; a committer thread syncs it and gives it
 * its name.  Rows are kept by officer index, so the manifest and the print
 * file come out in data order however the work finishes.  Everything shared
 * (template, fonts, key) is prepared once and read-only afterwards; the
 * image cache is filled as documents ask (it has a lock of its own); each
 * worker compiles the template's XPath for itself.
 *
 * A document records a hash of its inputs in its PDF metadata: the
 * officer's data, the template and its font files, the images it shows
 * (logo, signature, photo), all by content, the key, the issue date and the
 * attache version.  A later run into the same folder keeps documents whose
 * hash is unchanged, so an interrupted run is finished by running it again.
 *
 * The issue date is one value, a UTC day: printed ($issue-date), signed
 * (iat is its 00:00 UTC) and the PDFs' dates.  The folder's manifest.csv
 * lists every document in the folder: a run replaces the rows of the
 * documents it writes and keeps the others.
 *
 * THREADS
 *
 * The main thread is the producer: data_foreach calls enqueue() for each
 * officer chosen (by --officer, --batch, --shard), and enqueue asks the
 * template, with the producer's own composer, whether it applies.  For
 * the first officer of a batch it also composes the document with
 * stand-in images, queues the officer, then prepares the images that
 * document asked for (ask_images): the worker composing it and the main
 * thread prepare its logo and signature at once.  Up to 64 workers
 * (--jobs, default one per CPU) make documents (make_one).  One committer
 * puts written documents in place.  When the data is read, the
 * main thread closes the queue, joins the workers, then the committer, and
 * writes the manifest and the print file itself.
 *
 * WHAT A DOCUMENT GOES THROUGH
 *
 * A row (struct row, by officer index) has one of four states.  ROW_UNUSED:
 * not chosen, or the template does not apply (counted as skipped).
 * ROW_PENDING covers everything between chosen and finished:
 *
 *   (a) waiting in the data for the producer to reach it;
 *   (b) queued in r->queue, as an officer's view kept (data_view_keep): the
 *       officer's elements, and the batch's headers, which each worker
 *       copies once a batch into its own view_cache;
 *   (c) being made by a worker: signed, named, then either found up to date
 *       (its old PDF records the same hash of inputs; without --merge this
 *       is checked first with stand-in images, cheaply) or composed and
 *       rendered and written under a temporary name;
 *   (d) written, waiting in r->commits for the committer.
 *
 * A document kept as up to date, or one that failed in the worker, is
 * finished by the worker (finish_row); one written is finished by the
 * committer once it is synced and put in place.  Finished, the row
 * is ROW_DONE (written, or kept as up to date) or ROW_FAILED.  With
 * --merge, a DONE row holds its composed document until merge_ready()
 * appends it to the print file; merge_ready takes rows strictly in data
 * order and waits at the first PENDING one.
 *
 * THE MUTEX AND WHAT IT GUARDS
 *
 * One mutex, r->mu, guards everything threads share that changes: the
 * queue (queue, qhead, qlen, closed), the commits waiting (commits, chead,
 * clen, writers_done), each row's state and doc, the print file's place
 * (next_merge, merging), the counts (progress, result), first_error, and
 * the stop (stop, fatal).  The callbacks on_progress and on_error run with
 * it held, so they are never called at once.  A row's other fields
 * (document_id, file, qr, sha256) are written without it by the one worker
 * making that document, before it is finished.  merge_ready lets go of the
 * mutex while it adds pages; the flag merging keeps it to one thread.
 *
 * CONDITIONS, AND WHO SIGNALS WHOM
 *
 *   not_empty     workers wait for a job.  The producer signals it for each
 *                 job queued; the main thread broadcasts it when it closes
 *                 the queue (join_threads); halt() broadcasts it.
 *   not_full      the producer waits for room.  A worker signals it when it
 *                 takes a job and leaves the queue at most half full;
 *                 halt() broadcasts it.
 *   commit_ready  the committer waits for a group of documents written
 *                 (or the end).  A worker signals it once that many wait;
 *                 stop_committer() broadcasts it once the workers are done.
 *   commit_room   a worker with a document written waits for room in
 *                 r->commits.  The committer broadcasts it when it takes a
 *                 group; halt() broadcasts it, and so does join_threads()
 *                 when the run ends early.
 *
 * HOW A RUN STOPS
 *
 * A document that fails for its data is reported (on_error) and the run
 * goes on; attache_generate returns the first such error at the end, with
 * result.stopped false.  Anything else stops the run: halt(), with the
 * mutex held, keeps the first such error in r->fatal, sets r->stop and
 * wakes every waiter.  It is called when the producer's template check
 * fails (enqueue), a worker's composer cannot be made (worker), a
 * document fails for want of the output, memory or an option (finish_row:
 * ATTACHE_ERR_CANTCREAT, _IO, _INTERNAL, _USAGE), or a page cannot be
 * added to the print file (merge_ready).  Once r->stop is set: enqueue
 * returns the error, so data_foreach stops reading; workers leave the
 * queue as it is (release_run frees it); a worker holding a document
 * written abandons it (its row stays PENDING); the committer abandons the
 * groups it takes (their rows FAILED); merge_ready adds nothing more; and
 * later failures are counted but not reported.  The main thread then
 * returns r->fatal and writes neither the manifest nor the print file:
 * what was put in place stays, and the next run keeps it.  An error of
 * the main thread itself (options, key, folder, data, threads, manifest)
 * is returned as it is, without halt(); join_threads(r, true) then sets
 * r->stop to end the threads still running.  result.stopped is set in one
 * place, at the end of attache_generate.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/xmlsave.h>
#include <sodium.h>

#include "compose.h"
#include "data.h"
#include "date.h"
#include "error.h"
#include "hash.h"
#include "keys.h"
#include "manifest.h"
#include "output.h"
#include "pdf.h"
#include "qr.h"
#include "template.h"
#include "text.h"
#include "token.h"
#include "util.h"
#include "xml.h"

#define MAX_DOC_FILE (64u * 1024 * 1024)
/*
 * Documents written before the committer syncs them.  Each syncfs() costs
 * the kernel a pass over the filesystem's inodes, a journal commit and a
 * flush of the disk's cache, and the workers creating files wait for the
 * journal meanwhile: a run of 1,000 at -j1 syncs 16 times, where a
 * committer that took whatever waited synced 124 times (docs/performance.md).
 * A lower open-file limit makes the groups smaller (plan_threads).
 */
#define COMMIT_GROUP 64
#define DEFAULT_QR_MAX_VERSION 13

enum row_state {
    ROW_UNUSED,       /* not wanted, or the template does not apply */
    ROW_PENDING,      /* queued or being made */
    ROW_DONE,
    ROW_FAILED
};

struct row {
    enum row_state state;
    bool merged;
    char *document_id, *file, *qr;
    char sha256[65];
    struct document *doc;         /* kept for the print file until merged */
};

/* A document written, waiting for the disk before it takes its name. */
struct commit {
    struct pending_file file;
    size_t index;                 /* its row */
    size_t bytes;
    attache_status rc;            /* putting it in place, and why not */
    attache_error err;
};

struct job {
    struct officer_view view;
};

struct run {
    const attache_data *data;
    const attache_generate_options *o;
    struct template *t;
    struct signing_key *key;
    struct image_cache *images;
    struct compose_env env;
    struct image_cache *probe_images;   /* stand-ins, for checking what is up to date */
    struct compose_env probe_env;
    struct outdir *out;
    struct pdf_book *book;
    unsigned char template_hash[crypto_hash_sha256_BYTES];
    int64_t issued_at;             /* 00:00 UTC of the issue date */
    char issue_date[11];
    struct manifest folder;        /* the folder's manifest, as the run found it */
    struct timespec start;
    bool *want;                    /* by officer index: chosen for this run */

    /* the threads */
    pthread_t *threads, commit_thread;
    unsigned nthreads;             /* workers running */
    bool committing;               /* the committer is running */

    /* the queue */
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    struct job *queue;
    size_t qcap, qhead, qlen;
    bool closed;

    /* documents written, for the committer to sync and put in place */
    pthread_cond_t commit_ready, commit_room;
    struct commit *commits;
    size_t ccap, chead, clen;
    size_t group;                  /* the committer waits for this many (COMMIT_GROUP) */
    bool writers_done;

    /* results, by officer index */
    struct row *rows;
    size_t next_merge;
    bool merging;                  /* a thread is adding pages to the print file */
    attache_progress progress;
    attache_generate_result result;
    attache_error first_error;     /* of a failed document */
    bool manifest_found;           /* the folder had a manifest when the run began */
    attache_error fatal;           /* of something that stops the run */
    bool stop;
};

static double elapsed(const struct run *r)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - r->start.tv_sec) + (now.tv_nsec - r->start.tv_nsec) / 1e9;
}

/*
 * Stop the run (mu held): the first error that stops it is the one the
 * caller reports; whoever waits on a condition wakes up and sees stop.
 */
static void halt(struct run *r, const attache_error *why)
{
    if (r->stop)
        return;
    r->fatal = *why;
    r->stop = true;
    pthread_cond_broadcast(&r->not_full);
    pthread_cond_broadcast(&r->not_empty);
    pthread_cond_broadcast(&r->commit_room);
}

/* ---- the print file, in data order ---------------------------------------- */

/*
 * Append every finished document that is next in data order (mu held).
 * One thread at a time adds pages, without the lock, so that the others go
 * on meanwhile; what becomes ready then, it adds too before it stops.
 */
static void merge_ready(struct run *r)
{
    size_t n = data_officer_count(r->data);

    if (r->merging)
        return;
    r->merging = true;
    while (r->next_merge < n && !r->stop) {
        struct row *row = &r->rows[r->next_merge];
        struct document *doc = row->doc;
        attache_error e;

        if (row->state == ROW_PENDING)
            break;
        row->doc = NULL;
        r->next_merge++;
        if (row->state == ROW_DONE && doc && r->book) {
            attache_status rc;

            attache_error_clear(&e);
            pthread_mutex_unlock(&r->mu);
            rc = pdf_book_add(r->book, doc, &e);
            document_free(doc);
            pthread_mutex_lock(&r->mu);
            if (rc != ATTACHE_OK)
                halt(r, &e);
        } else {
            document_free(doc);
        }
    }
    r->merging = false;
}

/* ---- one document ----------------------------------------------------------- */

/* Put an error on the document's file, named from the output folder: "out: b1/x.pdf: ..." */
static void blame_document(const struct run *r, const struct row *row, attache_error *err)
{
    char msg[sizeof err->message];

    snprintf(msg, sizeof msg, "%s", err->message);
    err_set(err, err->code, r->o->output_dir, 0, "%s: %s", row->file, msg);
}

static int by_bytes32(const void *a, const void *b)
{
    return memcmp(*(const unsigned char *const *)a, *(const unsigned char *const *)b, 32);
}

/*
 * A hash of everything the document is made from: the officer's data, the
 * template (with its fonts), the issue date, the attache version, the key,
 * and the bytes of the images the composed document shows (each distinct
 * file once, in hash order, so that the hash does not depend on layout:
 * a document composed with stand-in images gives the same).
 */
static void fingerprint(struct run *r, struct view_cache *views, const struct officer_view *v,
                        const struct document *doc, char out[65])
{
    struct hash_sha256 st;
    unsigned char h[HASH_SHA256_BYTES];
    const unsigned char *shown[64];
    const struct buf *before, *after;
    char extra[160];
    size_t p, i, k, n = 0;
    struct buf officer = {0};

    /* the view as libxml2 writes it (what there is of it if memory runs
       out), the headers around the officer written once a batch */
    view_cache_dump(views, v, &officer, &before, &after);
    hash_sha256_begin(&st);
    hash_sha256_add(&st, before->data, before->len);
    hash_sha256_add(&st, officer.data, officer.len);
    hash_sha256_add(&st, after->data, after->len);
    hash_sha256_add(&st, r->template_hash, sizeof r->template_hash);
    snprintf(extra, sizeof extra, "|%s|%s|%s|", r->issue_date, attache_version(),
             signing_key_issuer(r->key));
    hash_sha256_add(&st, (const unsigned char *)extra, strlen(extra));
    hash_sha256_add(&st, signing_key_public(r->key), 32);
    for (p = 0; p < doc->npages; p++)
        for (i = 0; i < doc->pages[p].nops; i++) {
            const unsigned char *sum;

            if (doc->pages[p].ops[i].kind != OP_IMAGE)
                continue;
            sum = doc->pages[p].ops[i].u.image.image->sha256;
            for (k = 0; k < n && memcmp(shown[k], sum, 32); k++)
                ;
            if (k == n && n < sizeof shown / sizeof shown[0])
                shown[n++] = sum;
            else if (k == n)      /* more distinct images than that: hashed as they come */
                hash_sha256_add(&st, sum, 32);
        }
    qsort(shown, n, sizeof shown[0], by_bytes32);
    for (k = 0; k < n; k++)
        hash_sha256_add(&st, shown[k], 32);
    hash_sha256_end(&st, h);
    buf_release(&officer);
    sodium_bin2hex(out, 2 * sizeof h + 1, h, sizeof h);
}

/* The document's claims and its id (claims->document_id points at doc_id). */
static void document_claims(const struct run *r, const struct job *j,
                            struct token_claims *claims, char doc_id[64])
{
    claims->issuer = data_issuer_id(r->data);
    claims->iat = r->issued_at;
    claims->kind = r->t->kind;
    claims->officer_id = j->view.ref->id;
    claims->officer_name = j->view.ref->name;
    claims->batch_id = j->view.batch->id;
    claims->programme_id = j->view.batch->programme_id;
    token_document_id(doc_id, 64, claims);
    claims->document_id = doc_id;
}

/* Sign the token and make its QR code. */
static attache_status sign_document(const struct run *r, const struct officer_ref *ref,
                                    const struct token_claims *claims, char **token,
                                    char **payload, struct qr_code *qr, attache_error *err)
{
    char subject[100], clip[80];
    attache_status rc;

    snprintf(subject, sizeof subject, "officer '%s'", text_clip(clip, sizeof clip, ref->id, 64));
    rc = token_sign(r->key, claims, token, err);
    if (rc == ATTACHE_OK && !(*payload = token_qr_payload(*token, data_verify_url(r->data))))
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    if (rc == ATTACHE_OK)
        rc = qr_make(*payload, r->t->qr_max_version ? r->t->qr_max_version
                                                    : DEFAULT_QR_MAX_VERSION,
                     subject, qr, err);
    if (rc == ATTACHE_ERR_DATA && !err->file[0]) {
        /* the officer's data does not fit the code: say where it is */
        snprintf(err->file, sizeof err->file, "%s", attache_data_name(r->data));
        err->line = ref->line;
    }
    return rc;
}

/* A document's file in its batch's folder: "<officer>-<kind>.pdf". */
static void document_file_name(const struct run *r, const struct officer_ref *ref,
                               char name[160])
{
    snprintf(name, 160, "%s-%s.pdf", ref->id, r->t->kind);
}

/* The row's manifest cells that the document decides. */
static attache_status name_row(struct row *row, const char *doc_id, const char *payload,
                               const char *batch_id, const char *file_name, attache_error *err)
{
    row->document_id = strdup(doc_id);
    row->qr = strdup(payload);
    if (asprintf(&row->file, "%s/%s", batch_id, file_name) < 0)
        row->file = NULL;
    if (!row->document_id || !row->qr || !row->file)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    return ATTACHE_OK;
}

/* What the template may print besides the officer's data; reference is its buffer. */
static void document_vars(const struct run *r, const struct job *j, const char *doc_id,
                          const struct qr_code *qr, char reference[200], struct doc_vars *vars)
{
    const struct officer_ref *ref = j->view.ref;
    char *issuer_up;

    snprintf(reference, 200, "%s/%s/%s", data_issuer_id(r->data), j->view.batch->id, ref->id);
    issuer_up = text_upper(reference);
    if (issuer_up)
        snprintf(reference, 200, "%s", issuer_up);
    free(issuer_up);
    vars->officer_id = ref->id;
    vars->officer_line = ref->line;
    vars->document_id = doc_id;
    vars->kind = r->t->kind;
    vars->issue_date = r->issue_date;
    vars->reference = reference;
    vars->qr_width = qr->width;
    vars->qr_modules = qr->modules;
}

/*
 * Up to date already?  What a document shows is known once it is
 * composed: with stand-in images (hashed files, nothing decoded) that
 * is cheap.  A print file needs the real document in any case.
 */
static bool up_to_date(struct run *r, struct composer *c, struct view_cache *views,
                       const struct job *j, const struct doc_vars *vars, const char *old_fp)
{
    const struct compose_env *env = c->env;
    struct document *doc = NULL;
    attache_error probe_err;
    char fp[65];
    bool same = false;

    attache_error_clear(&probe_err);
    c->env = &r->probe_env;
    if (compose_document(c, j->view.doc, j->view.officer, vars, &doc, &probe_err) ==
        ATTACHE_OK) {
        fingerprint(r, views, &j->view, doc, fp);
        same = !strcmp(old_fp, fp);
    }
    c->env = env;
    document_free(doc);
    return same;
}

/* The PDF's metadata: id, issuer, inputs' hash, token, bookmark. */
static void label_document(const struct run *r, struct document *doc,
                           const struct officer_ref *ref, const char *doc_id, const char *fp,
                           const char *token)
{
    doc->keywords = arena_strdup(&doc->arena, doc_id);
    doc->author = data_issuer_name(r->data)[0] ? arena_strdup(&doc->arena,
                                                              data_issuer_name(r->data)) : NULL;
    doc->fingerprint = arena_strdup(&doc->arena, fp);
    doc->token = arena_strdup(&doc->arena, token);
    doc->bookmark = arena_strdup(&doc->arena, ref->name);
}

/* Render the PDF and write it, not yet under its name, into *pending. */
static attache_status write_document(struct run *r, struct row *row, struct document *doc,
                                     int dirfd, const char *file_name, const char *fp,
                                     struct pdf_cache *cache, struct commit *pending,
                                     attache_error *err)
{
    struct pdf_settings ps;
    struct buf pdf = {0};
    struct part whole;
    attache_status rc;

    ps.date = (time_t)r->issued_at;
    ps.id_seed = fp;
    ps.cache = cache;
    rc = pdf_render(doc, &ps, &pdf, err);
    if (rc != ATTACHE_OK) {
        blame_document(r, row, err);    /* attache's error: a report needs the file */
        goto done;
    }
    whole.data = pdf.data;
    whole.len = pdf.len;
    rc = file_write_pending(dirfd, file_name, &whole, 1, 0644, row->file, &pending->file, err);
    if (rc != ATTACHE_OK) {
        blame_document(r, row, err);
        goto done;
    }
    hash_sha256_hex(pdf.data, pdf.len, row->sha256);
    pending->bytes = pdf.len;
done:
    buf_release(&pdf);
    return rc;
}

/*
 * Make one document.  A document written is left in *pending (*written is
 * then true) for the committer to put in place; one up to date is reused.
 */
static attache_status make_one(struct run *r, struct composer *c, struct pdf_cache *cache,
                               struct view_cache *views, struct job *j, struct row *row,
                               bool *reused, bool *written, struct commit *pending,
                               attache_error *err)
{
    const struct officer_ref *ref = j->view.ref;
    char doc_id[64], fp[65], old_fp[65], file_name[160], reference[200];
    struct token_claims claims;
    struct qr_code qr = {0};
    struct doc_vars vars;
    struct document *doc = NULL;
    char *token = NULL, *payload = NULL;
    unsigned char *old = NULL;
    size_t old_len = 0;
    int dirfd;
    bool new_folder;
    attache_status rc;

    *reused = false;
    *written = false;
    document_claims(r, j, &claims, doc_id);
    document_file_name(r, ref, file_name);
    dirfd = outdir_subdir(r->out, j->view.batch->id, &new_folder, err);
    if (dirfd < 0)
        return err->code;
    /* no earlier document in a folder this run made: not looked for (a
       lookup waits while the folder's blocks are being written) */
    if (!r->o->force && !new_folder &&
        read_at(dirfd, file_name, MAX_DOC_FILE, &old, &old_len) == ATTACHE_OK)
        pdf_recorded_inputs(old, old_len, old_fp);
    else
        old_fp[0] = '\0';
    rc = sign_document(r, ref, &claims, &token, &payload, &qr, err);
    if (rc == ATTACHE_OK)
        rc = name_row(row, doc_id, payload, j->view.batch->id, file_name, err);
    if (rc != ATTACHE_OK)
        goto done;
    document_vars(r, j, doc_id, &qr, reference, &vars);
    if (old_fp[0] && !r->book && up_to_date(r, c, views, j, &vars, old_fp)) {
        *reused = true;
        hash_sha256_hex(old, old_len, row->sha256);
        goto done;
    }
    rc = compose_document(c, j->view.doc, j->view.officer, &vars, &doc, err);
    if (rc != ATTACHE_OK)
        goto done;
    fingerprint(r, views, &j->view, doc, fp);
    *reused = old_fp[0] && !strcmp(old_fp, fp);
    label_document(r, doc, ref, doc_id, fp, token);
    if (!*reused) {
        rc = write_document(r, row, doc, dirfd, file_name, fp, cache, pending, err);
        if (rc != ATTACHE_OK)
            goto done;
        *written = true;
    } else
        hash_sha256_hex(old, old_len, row->sha256);
    if (r->book) {
        row->doc = doc;
        doc = NULL;
    }
done:
    document_free(doc);
    qr_release(&qr);
    free(token);
    free(payload);
    free(old);
    return rc;
}

/* ---- workers ----------------------------------------------------------------- */

static void report_progress(struct run *r)
{
    if (!r->o->on_progress)
        return;
    r->progress.seconds = elapsed(r);
    r->o->on_progress(r->o->ctx, &r->progress);
}

/* Count a document made (or failed) and report it (mu held). */
static void finish_row(struct run *r, struct row *row, attache_status rc, bool reused,
                       size_t bytes, attache_error *err)
{
    if (rc == ATTACHE_OK) {
        row->state = ROW_DONE;
        r->progress.done++;
        if (reused)
            r->result.reused++;
        else
            r->result.written++;
        r->result.bytes += bytes;
    } else {
        bool fatal;

        row->state = ROW_FAILED;
        document_free(row->doc);
        row->doc = NULL;
        r->progress.failed++;
        r->result.failed++;
        /* an output that cannot be written stops everything, and so does
           a run that lacks an option every document needs (--assets);
           the caller reports that error, once */
        fatal = rc == ATTACHE_ERR_CANTCREAT || rc == ATTACHE_ERR_IO ||
                rc == ATTACHE_ERR_INTERNAL || rc == ATTACHE_ERR_USAGE;
        if (!r->first_error.code)
            r->first_error = *err;
        /* failures once the run is stopping follow from what stopped it */
        if (!fatal && !r->stop && r->o->on_error)
            r->o->on_error(r->o->ctx, err);
        if (fatal)
            halt(r, err);
    }
    merge_ready(r);
    report_progress(r);
}

/*
 * The committer: syncs the documents the workers wrote and puts them in
 * place (links or renames them) while the workers make the next ones (a
 * worker that waited for its own fsync left its core idle).  Once r->group
 * documents wait (or the workers are done) it takes every one waiting, as
 * a group: the disk starts writing all of them, then the group is made
 * durable (on a local filesystem one syncfs() for all, which flushes the
 * disk's cache once; elsewhere an fsync() each, the first sync's journal
 * commit mostly covering the others) and each put in place; only then are
 * their rows finished.  A document still takes its name only once it is
 * whole and on disk.
 */
static void *committer(void *arg)
{
    struct run *r = arg;
    struct commit one, *group = calloc(r->ccap, sizeof *group);
    size_t cap = group ? r->ccap : 1;

    if (!group)
        group = &one;             /* one at a time still works */
    pthread_mutex_lock(&r->mu);
    for (;;) {
        size_t n = 0, i;
        dev_t dev;

        while (r->clen < r->group && !r->writers_done)
            pthread_cond_wait(&r->commit_ready, &r->mu);
        if (!r->clen)
            break;
        while (r->clen && n < cap) {
            group[n++] = r->commits[r->chead];
            r->chead = (r->chead + 1) % r->ccap;
            r->clen--;
        }
        pthread_cond_broadcast(&r->commit_room);
        if (r->stop) {
            /* what is not in place when a run stops is not written */
            for (i = 0; i < n; i++) {
                struct row *row = &r->rows[group[i].index];
                file_abandon(&group[i].file);
                row->state = ROW_FAILED;
                document_free(row->doc);
                row->doc = NULL;
            }
            continue;
        }
        pthread_mutex_unlock(&r->mu);
        for (i = 0; i < n; i++)
            file_start_sync(&group[i].file);
        /* the group durable at once: the disk's cache flushed once, not once a file */
        if (n > 1 && file_sync_filesystem(&group[0].file, &dev))
            for (i = 0; i < n; i++)
                group[i].file.synced = file_on_filesystem(&group[i].file, dev);
        for (i = 0; i < n; i++) {
            struct row *row = &r->rows[group[i].index];
            attache_error_clear(&group[i].err);
            group[i].rc = file_put_in_place(&group[i].file, row->file, &group[i].err);
            if (group[i].rc != ATTACHE_OK)
                blame_document(r, row, &group[i].err);
        }
        pthread_mutex_lock(&r->mu);
        for (i = 0; i < n; i++)
            finish_row(r, &r->rows[group[i].index], group[i].rc, false, group[i].bytes,
                       &group[i].err);
    }
    pthread_mutex_unlock(&r->mu);
    if (group != &one)
        free(group);
    return NULL;
}

/* Once the workers are done: let the committer finish what they wrote, and join it. */
static void stop_committer(struct run *r)
{
    if (!r->committing)
        return;
    pthread_mutex_lock(&r->mu);
    r->writers_done = true;
    pthread_cond_broadcast(&r->commit_ready);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->commit_thread, NULL);
    r->committing = false;
}

static void *worker(void *arg)
{
    struct run *r = arg;
    struct composer c;
    /* without one (out of memory), documents are the same, only slower */
    struct pdf_cache *cache = pdf_cache_new();
    struct view_cache *views = view_cache_new();
    attache_error err;
    bool ok;

    attache_error_clear(&err);
    ok = composer_init(&c, &r->env, &err) == ATTACHE_OK;
    if (ok && !views) {
        composer_release(&c);
        ok = false;
        err_set(&err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    }
    pthread_mutex_lock(&r->mu);
    if (!ok)
        halt(r, &err);
    for (;;) {
        struct job j;
        struct row *row;
        bool reused, written;
        struct commit pending;
        attache_status rc;

        while (!r->qlen && !r->closed && !r->stop)
            pthread_cond_wait(&r->not_empty, &r->mu);
        if (!r->qlen || r->stop)
            break;
        j = r->queue[r->qhead];
        r->qhead = (r->qhead + 1) % r->qcap;
        r->qlen--;
        /* the producer refills half the queue at a time: fewer hand-offs */
        if (r->qlen <= r->qcap / 2)
            pthread_cond_signal(&r->not_full);
        pthread_mutex_unlock(&r->mu);

        row = &r->rows[j.view.index];
        attache_error_clear(&err);
        reused = written = false;
        if (view_cache_show(views, &j.view)) {
            rc = make_one(r, &c, cache, views, &j, row, &reused, &written, &pending, &err);
            data_view_done(&j.view);
        } else {
            rc = err_set(&err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
            data_view_release(&j.view);
        }

        pthread_mutex_lock(&r->mu);
        if (rc == ATTACHE_OK && written) {
            /* the committer waits for the disk; this worker goes on */
            while (r->clen == r->ccap && !r->stop)
                pthread_cond_wait(&r->commit_room, &r->mu);
            if (r->stop) {
                file_abandon(&pending.file);
                continue;
            }
            pending.index = j.view.index;
            r->commits[(r->chead + r->clen) % r->ccap] = pending;
            r->clen++;
            if (r->clen >= r->group)
                pthread_cond_signal(&r->commit_ready);
            continue;
        }
        finish_row(r, row, rc, reused, 0, &err);
    }
    pthread_mutex_unlock(&r->mu);
    if (ok)
        composer_release(&c);
    pdf_cache_free(cache);
    view_cache_free(views);
    return NULL;
}

/* ---- the producer ------------------------------------------------------------ */

struct producer {
    struct run *r;
    struct composer c;
    struct image_cache *asked;          /* notes the images a batch's first document shows */
    struct compose_env asked_env;
    const attache_batch_info *looked_at;  /* the batch whose images were asked for last */
    bool asked_enough;                  /* a batch's images were all there already */
};

/*
 * Note the images the first document of a batch shows, by composing it
 * with stand-ins (without its QR code, which changes no image), so that
 * the run prepares them while a worker makes the document: see
 * image_cache_prepare_asked().  Not for a rerun whose documents are
 * probably up to date (the first one is there), which may need no image,
 * and not once a batch's images were all prepared already: its batches
 * share their images, and composing each batch's first document twice
 * would cost more than it saves.  The view must be whole (not yet kept).
 * Errors are the worker's to report; what was asked for before one is
 * still prepared.
 */
static bool ask_images(struct producer *p, const struct officer_view *v)
{
    struct run *r = p->r;
    const struct compose_env *env = p->c.env;
    struct token_claims claims;
    struct qr_code none = {0};
    struct doc_vars vars;
    struct document *doc = NULL;
    struct job j;
    char doc_id[64], reference[200], file_name[160], path[400];
    attache_error ignored;

    if (!p->asked || p->asked_enough || v->batch == p->looked_at)
        return false;
    p->looked_at = v->batch;
    document_file_name(r, v->ref, file_name);
    snprintf(path, sizeof path, "%s/%s", v->batch->id, file_name);
    if (!r->o->force && !r->book &&
        faccessat(outdir_fd(r->out), path, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        return false;
    j.view = *v;
    document_claims(r, &j, &claims, doc_id);
    document_vars(r, &j, doc_id, &none, reference, &vars);
    attache_error_clear(&ignored);
    p->c.env = &p->asked_env;
    compose_document(&p->c, v->doc, v->officer, &vars, &doc, &ignored);
    p->c.env = env;
    document_free(doc);
    return true;
}

static attache_status enqueue(void *ctx, struct officer_view *v)
{
    struct producer *p = ctx;
    struct run *r = p->r;
    attache_error err;
    attache_status rc;
    bool yes = true, prepare = false;

    attache_error_clear(&err);
    rc = compose_selects(&p->c, v->doc, v->officer, &yes, &err);
    if (rc == ATTACHE_OK && yes)
        prepare = ask_images(p, v);
    if (rc == ATTACHE_OK && yes && !data_view_keep(v))   /* kept past this call, for a worker */
        rc = err_set(&err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    if (rc != ATTACHE_OK) {
        pthread_mutex_lock(&r->mu);
        halt(r, &err);
        pthread_mutex_unlock(&r->mu);
        return err.code;
    }
    pthread_mutex_lock(&r->mu);
    if (!yes) {
        r->rows[v->index].state = ROW_UNUSED;
        r->result.skipped++;
        r->progress.total--;
        merge_ready(r);
        pthread_mutex_unlock(&r->mu);
        return ATTACHE_OK;
    }
    while (r->qlen == r->qcap && !r->stop)
        pthread_cond_wait(&r->not_full, &r->mu);
    if (r->stop) {
        pthread_mutex_unlock(&r->mu);
        data_view_release(v);
        return r->fatal.code ? r->fatal.code : ATTACHE_ERR_INTERNAL;
    }
    r->queue[(r->qhead + r->qlen) % r->qcap].view = *v;
    r->qlen++;
    pthread_cond_signal(&r->not_empty);
    pthread_mutex_unlock(&r->mu);
    if (prepare && !image_cache_prepare_asked(p->asked, r->images))
        p->asked_enough = true;
    return ATTACHE_OK;
}

/* ---- choosing officers ------------------------------------------------------- */

/* Shard of a document: from a hash of its id, so that it does not depend on
 * the order of the data. */
static unsigned shard_of(const char *doc_id, unsigned shards)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    unsigned long long v = 0;
    int i;

    crypto_hash_sha256(h, (const unsigned char *)doc_id, strlen(doc_id));
    for (i = 0; i < 8; i++)
        v = v << 8 | h[i];
    return (unsigned)(v % shards) + 1;
}

static attache_status choose(struct run *r, bool *want, attache_error *err)
{
    const attache_data *d = r->data;
    const attache_generate_options *o = r->o;
    size_t i, n = data_officer_count(d);
    bool *by_batch = NULL;
    char clip[80];

    for (i = 0; i < n; i++)
        want[i] = o->n_officer_ids == 0;
    for (i = 0; i < o->n_officer_ids; i++) {
        long k = data_find_officer(d, o->officer_ids[i]);
        if (k < 0)
            return err_set(err, ATTACHE_ERR_USAGE, attache_data_name(d), 0,
                           "there is no officer '%s'",
                           text_clip(clip, sizeof clip, o->officer_ids[i], 64));
        want[k] = true;
    }
    if (o->n_batch_ids) {
        by_batch = calloc(attache_data_batch_count(d), sizeof *by_batch);
        if (!by_batch)
            return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        for (i = 0; i < o->n_batch_ids; i++) {
            long k = data_find_batch(d, o->batch_ids[i]);
            if (k < 0) {
                free(by_batch);
                return err_set(err, ATTACHE_ERR_USAGE, attache_data_name(d), 0,
                               "there is no batch '%s'",
                               text_clip(clip, sizeof clip, o->batch_ids[i], 64));
            }
            by_batch[k] = true;
        }
        for (i = 0; i < n; i++)
            want[i] = want[i] && by_batch[data_officer(d, i)->batch];
        free(by_batch);
    }
    for (i = 0; o->shards > 1 && i < n; i++) {
        const struct officer_ref *ref = data_officer(d, i);
        const attache_batch_info *b = attache_data_batch(d, ref->batch);
        struct token_claims c = {data_issuer_id(d), r->issued_at, NULL, r->t->kind, ref->id,
                                 ref->name, b->id, b->programme_id};
        char doc_id[64];
        if (!want[i])
            continue;
        token_document_id(doc_id, sizeof doc_id, &c);
        want[i] = shard_of(doc_id, o->shards) == o->shard;
    }
    return ATTACHE_OK;
}

/* ---- the manifest ----------------------------------------------------------- */

/* Read the folder's manifest, if it has one, before anything is written. */
static attache_status read_manifest(struct run *r, attache_error *err)
{
    unsigned char *bytes = NULL;
    size_t len = 0;
    char name[300];
    attache_status rc;

    if (read_at(outdir_fd(r->out), MANIFEST_FILE, 512u * 1024 * 1024, &bytes, &len) !=
        ATTACHE_OK)
        return ATTACHE_OK;          /* none yet */
    r->manifest_found = true;
    snprintf(name, sizeof name, "%s/%s", r->o->output_dir, MANIFEST_FILE);
    rc = manifest_parse(&r->folder, name, bytes, len, err);
    if (rc == ATTACHE_OK)
        rc = manifest_check_unique(&r->folder, name, err);
    free(bytes);
    return rc;
}

/*
 * The folder's manifest: its rows as found, those of the documents this
 * run made replaced in place, new ones added in data order, and rows of
 * files no longer in the folder dropped.  This run's rows (line 0) name
 * files it has just put in place or found up to date: only the others are
 * looked for.
 */
static bool file_exists(const struct manifest_row *row, void *ctx)
{
    const struct run *r = ctx;

    return row->line == 0 ||
           faccessat(outdir_fd(r->out), row->col[MCOL_FILE], F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static attache_status write_manifest(struct run *r, attache_error *err)
{
    struct manifest *m = &r->folder;
    struct manifest_index by_file;
    struct buf b = {0};
    size_t i, n = data_officer_count(r->data);
    attache_status rc;

    rc = manifest_index_init(&by_file, m, MCOL_FILE, n, err);
    for (i = 0; i < n && rc == ATTACHE_OK; i++) {
        struct row *row = &r->rows[i];
        const struct officer_ref *ref = data_officer(r->data, i);
        const char *cells[MANIFEST_COLUMNS];
        long at;

        if (row->state != ROW_DONE)
            continue;
        cells[MCOL_DOCUMENT_ID] = row->document_id;
        cells[MCOL_KIND] = r->t->kind;
        cells[MCOL_BATCH_ID] = attache_data_batch(r->data, ref->batch)->id;
        cells[MCOL_OFFICER_ID] = ref->id;
        cells[MCOL_NAME] = ref->name;
        cells[MCOL_FILE] = row->file;
        cells[MCOL_SHA256] = row->sha256;
        cells[MCOL_QR] = row->qr;
        at = manifest_index_find(&by_file, row->file);
        if (at >= 0) {
            rc = manifest_replace(m, (size_t)at, cells, err);
        } else {
            rc = manifest_add(m, cells, err);
            if (rc == ATTACHE_OK)
                manifest_index_add(&by_file, m->n - 1);
        }
        /* the manifest has its copies: a run of 100,000 need not hold every token twice */
        free(row->qr);
        row->qr = NULL;
    }
    manifest_index_release(&by_file);
    if (rc != ATTACHE_OK)
        return rc;
    manifest_filter(m, file_exists, r);
    manifest_format(m, &b);
    if (!b.data || b.failed) {
        buf_release(&b);
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    }
    rc = write_at(outdir_fd(r->out), MANIFEST_FILE, b.data, b.len, MANIFEST_FILE, err);
    if (rc != ATTACHE_OK) {
        char msg[sizeof err->message];
        snprintf(msg, sizeof msg, "%s", err->message);
        err_set(err, rc, r->o->output_dir, 0, "%s: %s", MANIFEST_FILE, msg);
    }
    buf_release(&b);
    return rc;
}

/* ---- the run ----------------------------------------------------------------- */

static unsigned cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 && n < 256 ? (unsigned)n : 1;
}

static attache_status prepare(struct run *r, attache_error *err)
{
    int64_t t = r->o->issued_at;
    struct date d;

    /* 0001-01-01 to 9999-12-31: a date that can be printed (and no overflow below) */
    if (t < -62135596800LL || t > 253402300799LL)
        return err_set(err, ATTACHE_ERR_USAGE, NULL, 0,
                       "the issue time %lld is not in the years 1 to 9999", (long long)t);
    /* the issue date is a day: everything dated takes its 00:00 UTC */
    r->issued_at = t - ((t % 86400) + 86400) % 86400;
    d = date_from_time((time_t)r->issued_at);
    snprintf(r->issue_date, sizeof r->issue_date, "%04d-%02d-%02d", d.year, d.month, d.day);
    r->t = template_load(r->o->template_name, err);
    if (!r->t)
        return err->code;
    memcpy(r->template_hash, r->t->hash, sizeof r->template_hash);
    if (!r->o->key_path || !*r->o->key_path)
        return err_set(err, ATTACHE_ERR_USAGE, NULL, 0,
                       "documents are signed: give a key with -k FILE or ATTACHE_KEY; %s",
                       signing_key_hint());
    r->key = signing_key_load(r->o->key_path, err);
    if (!r->key)
        return err->code;
    /* documents the key's verifiers would all refuse are not made */
    if (signing_key_check(r->key, r->o->key_path, data_issuer_id(r->data), r->issued_at,
                          err) != ATTACHE_OK)
        return err->code;
    r->images = image_cache_new();
    if (!r->images)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    r->env.t = r->t;
    r->env.images = r->images;
    r->env.data_dir = data_base_dir(r->data);
    r->env.data_name = attache_data_name(r->data);
    r->probe_images = image_cache_new_probe();
    if (!r->probe_images)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    r->probe_env = r->env;
    r->probe_env.images = r->probe_images;
    return ATTACHE_OK;
}

/* Whether a and b are the same file (both exist). */
static bool same_file(const struct stat *a, const char *b)
{
    struct stat sb;

    return b && stat(b, &sb) == 0 && a->st_dev == sb.st_dev && a->st_ino == sb.st_ino;
}

/*
 * The print file's name, checked before any document is made: it must be
 * a file that can be made where it is named, and it must not be one of
 * the run's inputs (the data, the key, the template) or a file of the
 * output folder's own (its manifest, a batch folder's documents), which
 * writing it would destroy.
 */
static attache_status check_merge_path(const struct run *r, attache_error *err)
{
    const attache_generate_options *o = r->o;
    const char *path = o->merge_path, *slash;
    struct stat st, dir, out;
    char *parent;
    bool in_out = false, in_batch = false;

    if (!*path)
        return err_set(err, ATTACHE_ERR_USAGE, NULL, 0, "--merge needs a file name");
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return err_set(err, ATTACHE_ERR_CANTCREAT, path, 0,
                           "cannot write the print file: it is a folder");
        if (same_file(&st, attache_data_name(r->data)))
            return err_set(err, ATTACHE_ERR_USAGE, path, 0,
                           "the print file would replace the data it is made from; "
                           "give --merge another name");
        if (same_file(&st, o->key_path))
            return err_set(err, ATTACHE_ERR_USAGE, path, 0,
                           "the print file would replace the signing key; "
                           "give --merge another name");
        if (template_is_file(o->template_name) && same_file(&st, o->template_name))
            return err_set(err, ATTACHE_ERR_USAGE, path, 0,
                           "the print file would replace the template; "
                           "give --merge another name");
    }
    slash = strrchr(path, '/');
    parent = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    if (!parent)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    if (stat(parent, &dir) != 0 || !S_ISDIR(dir.st_mode)) {
        /* the output folder itself, which the run makes, is fine */
        size_t n = strlen(o->output_dir);
        bool is_out;

        while (n > 1 && o->output_dir[n - 1] == '/')
            n--;
        is_out = strlen(parent) == n && !strncmp(parent, o->output_dir, n);
        if (!is_out)
            err_set(err, ATTACHE_ERR_CANTCREAT, path, 0,
                    "cannot write the print file: its folder %s does not exist", parent);
        free(parent);
        return is_out ? ATTACHE_OK : ATTACHE_ERR_CANTCREAT;
    }
    if (stat(o->output_dir, &out) == 0) {
        struct stat up;
        char *above = NULL;

        in_out = dir.st_dev == out.st_dev && dir.st_ino == out.st_ino;
        if (!in_out && asprintf(&above, "%s/..", parent) >= 0 && stat(above, &up) == 0)
            in_batch = up.st_dev == out.st_dev && up.st_ino == out.st_ino;
        free(above);
    }
    free(parent);
    slash = slash ? slash + 1 : path;
    if (in_batch || (in_out && (!strcmp(slash, "manifest.csv") || !strncmp(slash, ".attache", 8))))
        return err_set(err, ATTACHE_ERR_USAGE, path, 0,
                       "the print file would go among the output folder's own files; "
                       "name it in the output folder itself, or elsewhere");
    return ATTACHE_OK;
}

/* Check the options, prepare what is shared, choose the officers, open the folder. */
static attache_status open_run(struct run *r, attache_error *err)
{
    const attache_generate_options *o = r->o;
    size_t n = data_officer_count(r->data), k;
    attache_status rc;

    if (o->shards && (o->shard < 1 || o->shard > o->shards))
        return err_set(err, ATTACHE_ERR_USAGE, NULL, 0, "shard %u of %u does not exist",
                       o->shard, o->shards);
    if (o->merge_path && (rc = check_merge_path(r, err)) != ATTACHE_OK)
        return rc;
    rc = prepare(r, err);
    if (rc != ATTACHE_OK)
        return rc;
    r->want = calloc(n ? n : 1, sizeof *r->want);
    r->rows = calloc(n ? n : 1, sizeof *r->rows);
    if (!r->want || !r->rows)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    rc = choose(r, r->want, err);
    if (rc != ATTACHE_OK)
        return rc;
    for (k = 0; k < n; k++) {
        r->rows[k].state = r->want[k] ? ROW_PENDING : ROW_UNUSED;
        r->progress.total += r->want[k];
        r->result.skipped += !r->want[k];
    }
    r->out = outdir_open(o->output_dir, err);
    if (!r->out)
        return err->code;
    rc = read_manifest(r, err);
    if (rc != ATTACHE_OK)
        return rc;
    if (o->merge_path) {
        struct pdf_settings ps = {(time_t)r->issued_at, NULL, NULL};
        r->book = pdf_book_new(&ps, err);
        if (!r->book)
            return err->code;
    }
    return ATTACHE_OK;
}

/* How many more files the process may open: its limit less those open now. */
static size_t files_left(void)
{
    struct rlimit rl;
    size_t open_now = 0;
    DIR *d;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return SIZE_MAX;
    d = opendir("/proc/self/fd");
    if (d) {
        while (readdir(d))
            open_now++;          /* "." and ".." and d's own count as a margin */
        closedir(d);
    } else {
        open_now = 64;           /* no /proc: a guess on the safe side */
    }
    return rl.rlim_cur > open_now ? (size_t)rl.rlim_cur - open_now : 0;
}

/*
 * Open files a run needs besides the documents waiting: its own (data,
 * lock, folders), and each worker's (the document it writes, an earlier
 * one it reads, images).
 */
#define FILES_SPARE 16
#define FILES_PER_WORKER 4

/*
 * How many workers to start (of `asked`), and the committer's queue and
 * groups.  A document waiting for the disk holds its file open: the group
 * being synced and the queue filling meanwhile hold up to ccap each.
 * Under a low open-file limit the workers, then the queue and groups,
 * shrink to fit (one worker, one document at a time, at worst), so that
 * the limit makes the run slower rather than make documents fail.
 */
static unsigned plan_threads(struct run *r, unsigned asked)
{
    size_t left = files_left(), n = asked, fit;

    if (left < FILES_SPARE + n * FILES_PER_WORKER)
        n = left > FILES_SPARE + FILES_PER_WORKER ? (left - FILES_SPARE) / FILES_PER_WORKER : 1;
    fit = left > FILES_SPARE + n * FILES_PER_WORKER + 2
              ? (left - FILES_SPARE - n * FILES_PER_WORKER) / 2 : 1;
    r->qcap = n * 4 + 8;
    r->ccap = n * 4 + COMMIT_GROUP * 2;
    if (fit < r->ccap)
        r->ccap = fit;
    r->group = r->ccap / 2 < COMMIT_GROUP ? r->ccap / 2 : COMMIT_GROUP;
    if (!r->group)
        r->group = 1;
    return (unsigned)n;
}

/* Start the committer and the workers, with room for what passes between them. */
static attache_status start_threads(struct run *r, attache_error *err)
{
    unsigned n = r->o->jobs ? r->o->jobs : cpu_count(), i;

    n = plan_threads(r, n > 64 ? 64 : n);
    r->queue = calloc(r->qcap, sizeof *r->queue);
    r->commits = calloc(r->ccap, sizeof *r->commits);
    r->threads = calloc(n, sizeof *r->threads);
    if (!r->queue || !r->commits || !r->threads)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    if (pthread_create(&r->commit_thread, NULL, committer, r) != 0)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "cannot start a thread");
    r->committing = true;
    for (i = 0; i < n; i++)
        if (pthread_create(&r->threads[i], NULL, worker, r) != 0)
            break;
    r->nthreads = i;
    if (!r->nthreads)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "cannot start worker threads");
    return ATTACHE_OK;
}

/*
 * Close the queue and wait for the workers, then for the committer.  When
 * the run ends early (stopping), the workers leave what is queued.
 */
static void join_threads(struct run *r, bool stopping)
{
    unsigned i;

    if (r->nthreads) {
        pthread_mutex_lock(&r->mu);
        r->closed = true;
        pthread_cond_broadcast(&r->not_empty);
        if (stopping) {
            r->stop = true;
            pthread_cond_broadcast(&r->commit_room);
        }
        pthread_mutex_unlock(&r->mu);
        for (i = 0; i < r->nthreads; i++)
            pthread_join(r->threads[i], NULL);
        r->nthreads = 0;
    }
    stop_committer(r);
}

/* The error that stopped the run, for the caller. */
static attache_status fatal_error(const struct run *r, attache_error *err)
{
    *err = r->fatal;
    return r->fatal.code ? r->fatal.code : ATTACHE_ERR_INTERNAL;
}

/* Once every document is made: the rest of the print file, the manifest, the print file. */
static attache_status finish_run(struct run *r, attache_error *err)
{
    attache_status rc;

    pthread_mutex_lock(&r->mu);
    merge_ready(r);
    pthread_mutex_unlock(&r->mu);
    if (r->stop)
        return fatal_error(r, err);
    rc = write_manifest(r, err);
    if (rc == ATTACHE_OK && r->book) {
        struct buf pdf = {0};
        rc = pdf_book_finish(r->book, &pdf, err);
        if (rc == ATTACHE_OK)
            rc = write_file_atomic(r->o->merge_path, pdf.data, pdf.len, err);
        buf_release(&pdf);
    }
    return rc;
}

/* Free what the run holds (its threads are joined). */
static void release_run(struct run *r)
{
    size_t k, n = data_officer_count(r->data);

    for (k = 0; r->rows && k < n; k++) {
        free(r->rows[k].document_id);
        free(r->rows[k].file);
        free(r->rows[k].qr);
        document_free(r->rows[k].doc);
    }
    free(r->rows);
    free(r->want);
    manifest_release(&r->folder);
    /* a run that stopped leaves officers' views in the queue */
    for (; r->queue && r->qlen; r->qlen--, r->qhead = (r->qhead + 1) % r->qcap)
        data_view_release(&r->queue[r->qhead].view);
    free(r->queue);
    free(r->commits);
    free(r->threads);
    pdf_book_free(r->book);
    image_cache_free(r->images);
    image_cache_free(r->probe_images);
    signing_key_free(r->key);
    template_free(r->t);
    pthread_cond_destroy(&r->not_empty);
    pthread_cond_destroy(&r->not_full);
    pthread_cond_destroy(&r->commit_ready);
    pthread_cond_destroy(&r->commit_room);
    pthread_mutex_destroy(&r->mu);
}

attache_status attache_generate(const attache_data *data, const attache_generate_options *o,
                                attache_generate_result *result, attache_error *err)
{
    struct run r;
    struct producer prod = {.r = &r};
    bool prod_ok = false, documents_failed = false;
    attache_status rc;

    memset(&r, 0, sizeof r);
    memset(result, 0, sizeof *result);
    clock_gettime(CLOCK_MONOTONIC, &r.start);
    r.data = data;
    r.o = o;
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.not_empty, NULL);
    pthread_cond_init(&r.not_full, NULL);
    pthread_cond_init(&r.commit_ready, NULL);
    pthread_cond_init(&r.commit_room, NULL);
    rc = open_run(&r, err);
    if (rc != ATTACHE_OK)
        goto done;
    rc = composer_init(&prod.c, &r.env, err);
    if (rc != ATTACHE_OK)
        goto done;
    prod.asked = image_cache_new_recorder();    /* without it, workers prepare images alone */
    prod.asked_env = r.env;
    prod.asked_env.images = prod.asked;
    prod_ok = true;
    rc = start_threads(&r, err);
    if (rc != ATTACHE_OK)
        goto done;
    pthread_mutex_lock(&r.mu);
    report_progress(&r);
    pthread_mutex_unlock(&r.mu);

    rc = data_foreach(data, r.want, enqueue, &prod, err);
    join_threads(&r, false);
    if (r.stop)
        rc = fatal_error(&r, err);
    if (rc == ATTACHE_OK)
        rc = finish_run(&r, err);
    if (rc == ATTACHE_OK && r.result.failed) {
        *err = r.first_error;
        rc = r.first_error.code ? r.first_error.code : ATTACHE_ERR_DATA;
        documents_failed = true;
    }
done:
    join_threads(&r, true);
    if (r.out && rc != ATTACHE_OK)
        outdir_tidy(r.out, !r.result.written && !r.result.reused,
                    r.manifest_found ? NULL : MANIFEST_FILE);
    if (r.out) {
        attache_error e2;
        attache_error_clear(&e2);
        if (outdir_close(r.out, &e2) != ATTACHE_OK && rc == ATTACHE_OK) {
            *err = e2;
            rc = e2.code;
        }
    }
    /* documents that failed let the run go on; anything else stops it */
    r.result.stopped = rc != ATTACHE_OK && !documents_failed;
    r.result.seconds = elapsed(&r);
    *result = r.result;
    if (prod_ok) {
        composer_release(&prod.c);
        image_cache_free(prod.asked);
    }
    release_run(&r);
    return rc;
}

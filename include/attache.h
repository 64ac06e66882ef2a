/*
 * attache.h: the public interface of libattache.
 *
 * libattache turns officer and batch data (XML, see docs/data-format.md) into
 * PDF documents that carry a signed, offline-verifiable QR code.  This header
 * is all the `attache` tool uses; everything else in src/ is internal.
 *
 * Conventions
 *  - Handles are opaque.  `attache_X_new()` returns one the caller frees with
 *    `attache_X_free()`; `attache_X_free(NULL)` does nothing.
 *  - The library never prints and never exits.  A function that can fail
 *    returns an `attache_status` (or NULL) and fills the caller's
 *    `attache_error`, whose code is one of the sysexits values below, so the
 *    tool can exit with it directly.
 *  - Strings are UTF-8.  Strings returned as `const char *` belong to the
 *    handle they came from and live as long as it does.
 *
 * Threads
 *   Every function may be called from several threads at once, each on its
 *   own objects, except where its comment says otherwise.  In particular:
 *    - attache_error_*, attache_version, attache_read_input, attache_write_file
 *      (different paths), attache_keygen (different names), the built-in
 *      template list and attache_template_check_kind: always.
 *    - attache_data_load/_adopt, attache_import and attache_fetch/_fetch_data:
 *      always.  A
 *      loaded attache_data is not changed after loading: any number of
 *      threads may read it (attache_data_batch*, attache_generate) at once;
 *      attache_data_free() only when they are done.
 *    - attache_verifier: add keys and revocation lists from one thread;
 *      after that, attache_verify_text(), attache_verify_image() and
 *      attache_site_write() (different folders) may be called from any
 *      number of threads at once on the same verifier.
 *    - attache_generate: at once for different output folders (a folder is
 *      locked while a run writes to it: a second run on it fails).  Its
 *      callbacks are called from its worker threads, one at a time.
 *    - attache_revoke and attache_manifest_merge: at once for different
 *      files; two revocations added to one list at once may lose one.
 *    - attache_mail: at once for different folders of documents.
 *   tests/unit/test_threads.c runs loading, generating and verifying in two
 *   threads at once under ThreadSanitizer (make test-tsan).
 *
 * Sharing a process
 *   The library is a guest in its host's process and leaves the host's
 *   settings of the libraries they share alone:
 *    - libxml2: no handler is replaced.  Every parser, schema validator and
 *      XPath context the library makes has its own error handler; the one
 *      pass that must use libxml2's per-thread structured error handler
 *      (reading data with its schema plugged into the reader) puts the
 *      thread's handler back when it is done.  The external entity loader
 *      is not replaced: nothing is loaded from outside because every XML
 *      input with a DOCTYPE or ENTITY declaration is refused before it is
 *      parsed, and parsing asks for no DTD, no entity substitution, no
 *      XInclude and no network.  xmlInitParser() is called, as libxml2 asks
 *      of every user; xmlCleanupParser() is never called.
 *   What remains process-wide, and why:
 *    - libcurl: curl_global_init(CURL_GLOBAL_DEFAULT) once, before the first
 *      fetch or mailing, as libcurl requires of every user (safe to repeat and, in
 *      libcurl 7.84 and later, to call from several threads; it initialises
 *      the TLS library).  curl_global_cleanup() is never called.
 *    - libsodium: sodium_init(), idempotent; it only picks implementations.
 *    - libharu: the library defines HPDF_MemSet() and HPDF_MemCpy(), which
 *      replace libharu's byte-at-a-time loops (libharu calls them through
 *      the dynamic linker) in the whole process, the host's documents
 *      included.  They give the same results as libharu's own (memset and
 *      memmove, returning the end of the area) and are much faster; no
 *      memory allocator of libharu's is replaced: each document gets
 *      libharu's default allocator.
 *    - libunibreak: its tables are initialised once (init_linebreak()).
 */
#ifndef ATTACHE_H
#define ATTACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status and errors ---------------------------------------------- */

/* Status codes are the sysexits.h values the command line exits with. */
typedef enum attache_status {
    ATTACHE_OK = 0,
    ATTACHE_ERR_USAGE = 64,        /* the call's arguments are wrong */
    ATTACHE_ERR_DATA = 65,         /* input is not valid data */
    ATTACHE_ERR_NOINPUT = 66,      /* an input file cannot be opened */
    ATTACHE_ERR_UNAVAILABLE = 69,  /* remote data unavailable */
    ATTACHE_ERR_INTERNAL = 70,     /* a bug or a library failure */
    ATTACHE_ERR_CANTCREAT = 73,    /* an output cannot be created */
    ATTACHE_ERR_IO = 74            /* I/O error while writing */
} attache_status;

/*
 * An error record, owned by the caller (usually on the stack).  `file` names
 * the input the error is about ("" when none), `line` is its 1-based line
 * (0 when unknown), `message` says what is wrong, problem first, with the
 * subject in quotes, e.g. "officer 'vn-16-03': <end> 2016-02-30 is not a date".
 * Text taken from the input is truncated and has control and bidi characters
 * escaped, so printing a message is always safe.
 */
typedef struct attache_error {
    attache_status code;
    unsigned long line;
    char file[256];
    char message[512];
} attache_error;

/* Reset `err` to "no error". */
void attache_error_clear(attache_error *err);

/*
 * Format `err` as one line, "file:line: message" (parts that are unknown are
 * left out), into `buf` of `size` bytes.  Returns `buf`.
 */
const char *attache_error_format(const attache_error *err, char *buf, size_t size);

/* Called once for every error a long operation (validation) finds. */
typedef void attache_error_fn(void *ctx, const attache_error *err);

/* The library's version, e.g. "0.1.0". */
const char *attache_version(void);

/*
 * Parse a calendar date written exactly YYYY-MM-DD (years 1900-2199), and
 * only a real one: "2016-02-30" is refused, never read as 1 March.  On
 * success *t is the Unix time of that day's 00:00 UTC.
 */
bool attache_date_parse(const char *text, int64_t *t);

/* ---- input -------------------------------------------------------------- */

#define ATTACHE_DEFAULT_MAX_SIZE (64u * 1024 * 1024)

/*
 * Read the whole of `path` ("-" for standard input) into a new buffer, refusing
 * more than `max_size` bytes.  On success *data (free() it) and *size are set.
 * Errors: ATTACHE_ERR_NOINPUT when it cannot be opened or read,
 * ATTACHE_ERR_DATA when it is larger than max_size.
 */
attache_status attache_read_input(const char *path, size_t max_size,
                                  unsigned char **data, size_t *size,
                                  attache_error *err);

/* ---- data: loading and validation ------------------------------------ */

typedef struct attache_data attache_data;

typedef struct attache_data_options {
    const char *name;             /* how messages name the input, e.g. "batch16.xml" */
    const char *base_dir;         /* where relative src= paths resolve; NULL: none */
    bool check_images;            /* open every image the data names (logo, signature,
                                     photo) under base_dir: a missing one, or one that is
                                     not PNG or JPEG, is an error at its element */
    unsigned max_errors;          /* stop after this many errors; 0: 50 */
    attache_error_fn *on_error;   /* called for every error found; may be NULL */
    void *on_error_ctx;
} attache_data_options;

/*
 * Parse and validate `size` bytes of attache data (docs/data-format.md):
 * well-formedness, the compiled-in XML Schema, then what the schema cannot
 * say (unique ids, real dates, date ranges, one name per language, scripts,
 * control characters).  Every error found, up to opts->max_errors, is passed
 * to opts->on_error; `err` receives the first.  Returns NULL on failure
 * (ATTACHE_ERR_DATA for invalid data).  The buffer is copied; free the
 * result with attache_data_free().
 */
attache_data *attache_data_load(const unsigned char *bytes, size_t size,
                                const attache_data_options *opts,
                                attache_error *err);

/* Like attache_data_load() but takes over `bytes` (from malloc()) instead of
 * copying it: it is freed with the result, or before returning NULL. */
attache_data *attache_data_adopt(unsigned char *bytes, size_t size,
                                 const attache_data_options *opts,
                                 attache_error *err);

void attache_data_free(attache_data *data);

/* ---- remote data: fetching over HTTP(S) ------------------------------- */

/*
 * What a fetch reports while it runs, through attache_fetch_options.on_event
 * (the library never prints).  `url` never carries credentials.
 */
typedef enum attache_fetch_event_kind {
    ATTACHE_FETCH_PROGRESS,   /* bytes arriving: received, total, seconds */
    ATTACHE_FETCH_RETRY,      /* about to wait `wait` seconds, then retry */
    ATTACHE_FETCH_NOTICE      /* something worth saying that is not an error
                                 (the cache could not be written) */
} attache_fetch_event_kind;

typedef struct attache_fetch_event {
    attache_fetch_event_kind kind;
    const char *url;
    const char *message;      /* RETRY: why ("HTTP 503"); NOTICE: what happened */
    double wait;              /* RETRY: seconds until the next attempt */
    unsigned retry, retries;  /* RETRY: this is retry `retry` of at most `retries` */
    uint64_t received;        /* PROGRESS: body bytes so far in this attempt */
    uint64_t total;           /* PROGRESS: expected bytes; 0 when not known */
    double seconds;           /* PROGRESS: since this attempt started */
} attache_fetch_event;

/*
 * How to fetch.  Fill with attache_fetch_options_init(), then change what
 * you need; the strings are borrowed and must outlive the call.
 */
typedef struct attache_fetch_options {
    const char *cacert;          /* CA certificates (PEM) for a private CA; NULL:
                                    the system's.  TLS is always verified. */
    const char *token;           /* bearer token, sent as "Authorization: Bearer"
                                    to the URL's origin only; NULL: none.  It never
                                    appears in a message. */
    const char *const *headers;  /* extra request headers, "Name: value" */
    size_t n_headers;
    bool allow_http;             /* plain http to hosts other than loopback */
    unsigned timeout;            /* seconds for the whole fetch, retries included (60) */
    unsigned connect_timeout;    /* seconds to connect (10) */
    unsigned low_speed_limit;    /* abort an attempt slower than this many bytes/s ... */
    unsigned low_speed_time;     /* ... for this many seconds (1024, 15) */
    size_t max_size;             /* body bytes after decompression (64 MiB) */
    unsigned retries;            /* retries after connection failures, 429 and 5xx (3) */
    double retry_delay;          /* seconds before the first retry, doubled each time,
                                    with jitter (1.0) */
    double max_wait;             /* longest single wait, Retry-After included (30) */
    unsigned max_redirects;      /* (5) */
    const char *cache_dir;       /* keep validated bodies here, revalidate with
                                    ETag/Last-Modified; NULL: no cache */
    bool offline;                /* use the cache only; never connect */
    void (*on_event)(void *ctx, const attache_fetch_event *ev);   /* may be NULL */
    void *ctx;
} attache_fetch_options;

/* Set `o` to the defaults shown above (no token, no cache, no callback). */
void attache_fetch_options_init(attache_fetch_options *o);

/* What happened, for the caller's summary. */
typedef struct attache_fetch_info {
    long status;                 /* the last HTTP status (0: none, e.g. offline) */
    char content_type[128];      /* of the body used, "" if none was given */
    bool from_cache;             /* the body is the cached copy (304 or offline) */
    unsigned retries;            /* retries made */
    unsigned redirects;          /* redirects followed in the last attempt */
} attache_fetch_info;

/*
 * Download `url` (http or https only; plain http only to loopback unless
 * allow_http), following at most max_redirects redirects to http(s) URLs
 * (none to another origin when a token, extra headers or URL credentials
 * are sent), retrying connection failures, 429 and 5xx with backoff and
 * Retry-After, and validate the body as attache data with `dopts` (may be
 * NULL; its name defaults to the URL without credentials, and every error
 * found goes to its on_error).  Only a 2xx body that validates is returned
 * and cached.  On success *body (free()) and *size hold it; `info` (may be
 * NULL) is filled either way.
 *
 * Errors, with err->file the URL without credentials:
 *   ATTACHE_ERR_UNAVAILABLE  any remote failure: HTTP status, refused or
 *                            too many redirects, timeout, too slow, larger
 *                            than max_size, TLS, not in the cache (offline)
 *   ATTACHE_ERR_DATA         the body is not valid attache data: "not attache
 *                            data (Content-Type T): line N: <first error>"
 *   ATTACHE_ERR_USAGE        a malformed URL or option (header, token)
 */
attache_status attache_fetch(const char *url, const attache_fetch_options *o,
                             const attache_data_options *dopts, unsigned char **body,
                             size_t *size, attache_fetch_info *info, attache_error *err);

/*
 * Like attache_fetch() but returns the loaded data (free with
 * attache_data_free()), validated once; NULL on failure.  Image paths in
 * remote data resolve against dopts->base_dir only; with NULL they are
 * refused when used, never fetched and never read from the current folder.
 */
attache_data *attache_fetch_data(const char *url, const attache_fetch_options *o,
                                 const attache_data_options *dopts, attache_fetch_info *info,
                                 attache_error *err);

/* One batch of a loaded file, for summaries. */
typedef struct attache_batch_info {
    const char *id;
    const char *programme_id;
    const char *programme_title;
    unsigned number;
    const char *start, *end;          /* YYYY-MM-DD */
    unsigned officers;
    unsigned selected, attached, graduated, withdrawn;
    unsigned sessions;                /* induction sessions */
    const char *ordinal;              /* the number as documents print it: "1st", "16th" */
} attache_batch_info;

size_t attache_data_batch_count(const attache_data *data);
const attache_batch_info *attache_data_batch(const attache_data *data, size_t i);
const char *attache_data_name(const attache_data *data);

/* ---- officers from a spreadsheet ---------------------------------------- */

typedef struct attache_import_options {
    const char *batch_id;         /* the batch whose officers the rows become */
    const char *csv_name;         /* how messages name the spreadsheet */
    const char *data_name;        /* ... the data the officers go into */
    const char *output_name;      /* ... the result */
    const char *base_dir;         /* where src= paths resolve when checking; NULL: none */
    unsigned max_errors;          /* stop after this many errors; 0: 50 */
    attache_error_fn *on_error;   /* called for every error found; may be NULL */
    void *on_error_ctx;
} attache_import_options;

/*
 * Make batch o->batch_id's officers the rows of a spreadsheet saved as CSV
 * (`csv`, UTF-8 with or without a byte-order mark, comma or semicolon
 * separated, CRLF or LF, RFC 4180 quoting; a header row names the columns:
 * id, status, honorific, name, name:LANG, country, ministry, position,
 * department, division, supervisor, email, photo, in any order).  The data
 * (`data`, attache data) is copied with that batch's officers replaced and
 * the copy is validated as a whole.  On success *out (free()) holds the new
 * data file and *out_size its length.
 *
 * Every error found goes to o->on_error, `err` receives the first; an error
 * in a row names the spreadsheet, its line (the header is line 1) and the
 * column: "column 'country': 'Cambodia' is not a two-letter country code".
 * Errors: ATTACHE_ERR_DATA for a bad spreadsheet or data, ATTACHE_ERR_USAGE
 * when the data has no such batch.  Nothing is returned unless all is right.
 */
attache_status attache_import(const unsigned char *csv, size_t csv_size,
                              const unsigned char *data, size_t data_size,
                              const attache_import_options *o, char **out, size_t *out_size,
                              attache_error *err);

/* ---- keys and verification ------------------------------------------------ */

/*
 * Make an Ed25519 key pair: NAME.key (secret, mode 0600) and NAME.pub
 * (docs/token.md), for documents issued by `issuer` (an id of the data's
 * issuer).  `not_before`/`not_after` (YYYY-MM-DD, may be NULL) bound the
 * issue dates the key accepts: written into both files, so verifiers refuse
 * documents issued outside them and attache_generate() refuses to make them.  Neither file may exist already:
 * a key is never overwritten (ATTACHE_ERR_CANTCREAT).
 */
attache_status attache_keygen(const char *name, const char *issuer, const char *not_before,
                              const char *not_after, attache_error *err);

typedef enum attache_verdict {
    ATTACHE_VALID,
    ATTACHE_INVALID,          /* malformed, bad signature, issued outside the key's window */
    ATTACHE_REVOKED,          /* valid, but on the revocation list */
    ATTACHE_UNKNOWN_KEY       /* signed with a key the verifier does not have */
} attache_verdict;

/* What verification says of one QR text.  Fields other than `verdict` and
 * `reason` are only trustworthy for VALID and REVOKED; they are sanitised
 * (control and bidi characters escaped) so they can be printed. */
typedef struct attache_verification {
    attache_verdict verdict;
    char reason[200];          /* why it is not VALID; the revocation's reason */
    char kind[40], document_id[80], officer_name[400], batch_id[80], issue_date[11];
    char kid[17];              /* hex */
    char revoked_on[11];       /* REVOKED: the date */
} attache_verification;

typedef struct attache_verifier attache_verifier;

attache_verifier *attache_verifier_new(attache_error *err);
void attache_verifier_free(attache_verifier *v);

/* Trust a public key (.pub file).  Two keys with one kid are refused (ATTACHE_ERR_USAGE).
 * Not at the same time as any other call on the same verifier. */
attache_status attache_verifier_add_key(attache_verifier *v, const char *path, attache_error *err);

/* Use a revocation list (docs/token.md).  ATTACHE_ERR_DATA if it is malformed.
 * Not at the same time as any other call on the same verifier. */
attache_status attache_verifier_add_revocations(attache_verifier *v, const char *path,
                                                attache_error *err);

/* Learn what the issuer calls the ids a token signs, from its data: the
 * issuer's name, its programmes' titles and its batches (ordinal and days),
 * for the verification site to show beside them.  An id named already keeps
 * its first name.  Not at the same time as any other call on the verifier. */
attache_status attache_verifier_add_names(attache_verifier *v, const attache_data *data,
                                          attache_error *err);

/* Verify a QR text: a token "ATT1:..." or a URL that ends in one.  May run
 * in many threads at once on one verifier (nothing is added meanwhile). */
attache_verdict attache_verify_text(const attache_verifier *v, const char *text,
                                    attache_verification *out);

/*
 * Find the QR codes in a PNG or JPEG picture (a scan or a photo) and verify
 * each.  *out (free()) receives *n results; none found is not an error
 * (*n == 0).  ATTACHE_ERR_NOINPUT/DATA when the picture cannot be read.
 */
attache_status attache_verify_image(const attache_verifier *v, const char *path,
                                    attache_verification **out, size_t *n, attache_error *err);

/*
 * Verify the signed tokens a PDF attache made keeps in its metadata: one
 * for a document, one per document of a print file (--merge), in order.
 * *out (free()) receives *n results; a PDF without a token gives *n == 0.
 * Only PDFs as attache wrote them are read: one another program saved
 * again may not be (ATTACHE_ERR_DATA, saying why).  ATTACHE_ERR_NOINPUT
 * when the file cannot be opened or read.
 */
attache_status attache_verify_pdf(const attache_verifier *v, const char *path,
                                  attache_verification **out, size_t *n, attache_error *err);

/*
 * Add document `document_id` to the revocation list at `path` (created if
 * missing), revoked on `date` (YYYY-MM-DD) for `reason`; the file is
 * replaced atomically.  A document already on the list is refused.  Two
 * calls on one list at the same time may lose one of the two additions.
 */
attache_status attache_revoke(const char *path, const char *document_id, const char *reason,
                              const char *date, attache_error *err);

/* ---- the verification site ------------------------------------------------ */

/*
 * Write the static verification site into the folder `dir` (created if
 * missing; files of the same names are replaced atomically): index.html and
 * 404.html (the same page, for the paths static hosts lack, such as
 * /v/ATT1:...), the page's script and style, and trust.json with the keys
 * and revocation lists given to `v`.  The page's verdict for any QR text is
 * the one attache_verify_text() gives with `v` (docs/verify.md).
 *
 * `base` is the path at which `dir` is served on its host, "/" (also for
 * NULL) when it is the site's root, like "/verify/" otherwise: 404.html
 * loads its files from there.  `published` (YYYY-MM-DD) is the day the
 * revocation list is published, shown on the page.  ATTACHE_ERR_USAGE for
 * a base or day that is not one; ATTACHE_ERR_CANTCREAT/IO when the folder
 * cannot be written.
 */
attache_status attache_site_write(const attache_verifier *v, const char *dir, const char *base,
                                  const char *published, attache_error *err);

/* ---- templates ---------------------------------------------------------- */

/* A built-in template, as `attache templates` lists it. */
typedef struct attache_template_info {
    const char *name;          /* "certificate": what `render` and --template name */
    const char *kind;          /* the document kind: certificate, letter, induction */
    const char *description;   /* one line */
    const char *source;        /* the template's XML, to copy and change */
    size_t source_size;        /* its length in bytes */
} attache_template_info;

/*
 * Check that `name_or_path` is a template that loads and makes documents of
 * `kind` (e.g. a file given with --template to `attache certificates`).
 */
attache_status attache_template_check_kind(const char *name_or_path, const char *kind,
                                           attache_error *err);

/* The built-in templates, compiled into the library, in name order. */
size_t attache_template_builtin_count(void);
const attache_template_info *attache_template_builtin(size_t i);

/* ---- generating documents ---------------------------------------------- */

/* How far a run has got. */
typedef struct attache_progress {
    size_t done;          /* documents written or found up to date */
    size_t failed;        /* documents that could not be made */
    size_t total;         /* documents the run will make, as far as known */
    double seconds;       /* since the run started */
} attache_progress;

typedef struct attache_generate_options {
    const char *template_name;    /* a built-in template's name, or a template file */
    const char *output_dir;       /* created if missing; locked while the run writes */
    const char *key_path;         /* the signing key (see attache keygen) */
    const char *const *officer_ids;   /* only these officers (NULL: all) */
    size_t n_officer_ids;
    const char *const *batch_ids;     /* only these batches (NULL: all) */
    size_t n_batch_ids;
    const char *merge_path;       /* also write one print file here (NULL: none) */
    unsigned jobs;                /* worker threads; 0: the number of CPUs */
    unsigned shard, shards;       /* make only shard `shard` (1-based) of `shards`; 0: all */
    int64_t issued_at;            /* when the documents are issued: its UTC day is the
                                     issue date, one value per document: printed
                                     ($issue-date), signed (token iat = that day's
                                     00:00 UTC), the PDFs' dates */
    bool force;                   /* rewrite documents that are already up to date */
    /* Called from worker threads, one at a time. */
    void (*on_progress)(void *ctx, const attache_progress *p);
    void (*on_error)(void *ctx, const attache_error *err);   /* a document that failed */
    void *ctx;
} attache_generate_options;

typedef struct attache_generate_result {
    size_t written;       /* documents (re)written */
    size_t reused;        /* documents already up to date, left as they were */
    size_t failed;
    size_t skipped;       /* officers the template does not apply to (status, filters) */
    double seconds;
    size_t bytes;         /* of the documents written */
    bool stopped;         /* the run stopped early; the error says why */
} attache_generate_result;

/*
 * Make the template's documents for `data` into options->output_dir:
 * DIR/<batch-id>/<officer-id>-<kind>.pdf and DIR/manifest.csv, each written
 * atomically.  The manifest lists every document in the folder: the rows of
 * the documents this run makes are replaced or added, the others kept.  A
 * document that fails (an image missing, text no font can draw) is reported
 * through on_error and the others go on; the result is then the first
 * failure's status.  Documents whose inputs (the officer's data, the
 * template and its fonts, the images shown, the key, the issue date) have
 * not changed since they were written are kept (unless `force`).  Errors
 * that stop the run before anything is written: a template or key that
 * cannot be loaded, a key whose issuer is not the data's or whose validity
 * window does not hold the issue date, an unknown officer or batch id
 * (ATTACHE_ERR_USAGE), a folder manifest that cannot be read
 * (ATTACHE_ERR_DATA), an output folder that cannot be used.
 */
attache_status attache_generate(const attache_data *data, const attache_generate_options *o,
                                attache_generate_result *result, attache_error *err);

/*
 * Combine the manifests of shard runs (npaths files) into one: rows in the
 * data's order when `data` is given (else by file name), each document once.
 * *out (free()) receives the CSV text.  ATTACHE_ERR_DATA for a file that is
 * not a manifest or a document listed twice with different contents.
 */
attache_status attache_manifest_merge(const char *const *paths, size_t npaths,
                                      const attache_data *data, char **out, size_t *outlen,
                                      attache_error *err);

/* ---- mailing documents ---------------------------------------------------- */

/* What happens to one document of a mailing, through attache_mail_options.on_event. */
typedef enum attache_mail_event_kind {
    ATTACHE_MAIL_SENT,          /* the server accepted the message */
    ATTACHE_MAIL_PLANNED,       /* dry run: the message would be sent */
    ATTACHE_MAIL_ALREADY_SENT,  /* an earlier run's message was accepted: skipped */
    ATTACHE_MAIL_NO_ADDRESS,    /* the officer has no usable <email>: not sent */
    ATTACHE_MAIL_NOT_SENT,      /* the document cannot be sent (not in the data, file
                                   missing or changed since the manifest): `message` */
    ATTACHE_MAIL_REFUSED,       /* the server refused it for good (5xx): `message` */
    ATTACHE_MAIL_FAILED         /* it did not get through this time (4xx, the
                                   connection dropped): `message`; a re-run retries */
} attache_mail_event_kind;

typedef struct attache_mail_event {
    attache_mail_event_kind kind;
    const char *document_id;
    const char *file;           /* as the manifest names it, relative to the folder */
    const char *officer_id;
    const char *name;           /* the officer's name */
    const char *address;        /* the officer's address; "" when none */
    const char *subject;        /* SENT, PLANNED: the message's subject */
    const char *message;        /* NOT_SENT, REFUSED, FAILED: why, e.g. the server's
                                   reply "550 5.1.1 mailbox unavailable" */
    size_t bytes;               /* SENT, PLANNED: the message's size */
} attache_mail_event;

/* How to mail.  Zero it, then set what you need; strings are borrowed. */
typedef struct attache_mail_options {
    const char *url;            /* smtps://host[:port], or smtp://host[:port] with
                                   STARTTLS required (plain only to loopback) */
    const char *from;           /* "addr@example.org" or "Name <addr@example.org>" */
    const char *user;           /* login, or NULL for none; never in a message */
    const char *password;
    const char *cacert;         /* CA certificates (PEM) for a private CA; NULL: the
                                   system's.  TLS is always verified. */
    const char *body_file;      /* the body template, instead of the built-in one for
                                   the document's kind (templates/mail-KIND.txt) */
    bool dry_run;               /* say what would be sent; connect to nothing */
    double per_minute;          /* at most this many messages a minute; 0: no limit */
    unsigned timeout;           /* seconds for one message (0: 120) */
    void (*on_event)(void *ctx, const attache_mail_event *ev);   /* may be NULL */
    void *ctx;
} attache_mail_options;

/* Counts of a mailing, by event kind. */
typedef struct attache_mail_result {
    size_t sent, planned, already_sent, no_address, not_sent, refused, failed;
} attache_mail_result;

/*
 * E-mail each document listed in `dir`'s manifest.csv to its officer's
 * <email> in `data`: one MIME message per document, a plain-text body made
 * from the body template (its first line "Subject: ..."; {name},
 * {honorific}, {programme}, {batch}, {batch-id}, {issuer}, {signatory},
 * {signatory-title}, {file} are filled in) and the PDF attached.  What the
 * server accepts is appended to dir/mail-log.csv as it happens, so a second
 * run sends only what was not accepted yet.  Every document's fate goes to
 * o->on_event; `result` (may be NULL) counts them.
 *
 * Returns ATTACHE_OK when the mailing ran, even if some documents could not
 * be sent (see `result`).  Errors that stop it: ATTACHE_ERR_USAGE (a bad
 * URL, address or option; plain smtp to a host that is not loopback),
 * ATTACHE_ERR_NOINPUT/DATA (no manifest, a bad manifest or body template),
 * ATTACHE_ERR_UNAVAILABLE (cannot connect, TLS, login refused, the server
 * failing message after message), ATTACHE_ERR_IO (the log cannot be written).
 */
attache_status attache_mail(const char *dir, const attache_data *data,
                            const attache_mail_options *o, attache_mail_result *result,
                            attache_error *err);

/* Write a file atomically: a temporary file beside it, synced, renamed. */
attache_status attache_write_file(const char *path, const void *data, size_t len,
                                  attache_error *err);

#ifdef __cplusplus
}
#endif
#endif /* ATTACHE_H */

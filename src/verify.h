/*
 * verify.h: what the verifier holds, for the modules that publish it (the
 * verification site, site.c).  The verifier itself is attache.h's
 * attache_verifier; verify.c owns the revocation list format.
 */
#ifndef ATTACHE_VERIFY_H
#define ATTACHE_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "attache.h"
#include "keys.h"

/* The trusted keys, in the order they were added; *n receives how many. */
const struct public_key *verifier_keys(const attache_verifier *v, size_t *n);

/* Whether a revocation list was added (it may list no document). */
bool verifier_has_revocations(const attache_verifier *v);

/* One revoked document: its id, the day (YYYY-MM-DD) and the reason, sanitised. */
struct revoked_document {
    const char *document_id, *date, *reason;
};

/*
 * The revoked documents sorted by id: *out (free() the array; the strings
 * belong to the verifier) receives *n entries.  ATTACHE_ERR_INTERNAL when
 * out of memory.
 */
attache_status verifier_revoked(const attache_verifier *v, struct revoked_document **out,
                                size_t *n, attache_error *err);

/*
 * What the issuer calls its ids (attache_verifier_add_names): kind is
 * "issuers", "programmes" or "batches"; a batch has its days too.
 */
struct verifier_name {
    const char *kind, *id, *title, *start, *end;
};

/* The names added, in the order they came; *n receives how many. */
const struct verifier_name *verifier_names(const attache_verifier *v, size_t *n);

#endif

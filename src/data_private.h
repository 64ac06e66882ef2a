/*
 * data_private.h: what the files that load a data file share, and nothing
 * else includes.
 *
 *   data.c          loading: screening, the validating pass, what the schema
 *                   cannot say, the index of officers, the generating pass
 *   data_message.c  libxml2's messages rewritten in the data format's words
 */
#ifndef ATTACHE_DATA_PRIVATE_H
#define ATTACHE_DATA_PRIVATE_H

#include <stddef.h>

#include <libxml/xmlerror.h>

/*
 * One schema-validity message, e.g.
 *   Element 'officer', attribute 'statuss': The attribute 'statuss' is not allowed.
 * rewritten into `out` (`size` bytes), e.g. "<officer> has an unknown attribute 'statuss'".
 */
void data_rewrite_schema_message(const char *in, char *out, size_t size);

/* A well-formedness message, rewritten into `out`: first line, lower case. */
void data_rewrite_parser_message(const xmlError *e, char *out, size_t size);

/*
 * The element a schema message is about when it holds officers or batches
 * ("attache", "programme", "batch": a static string), or NULL.
 */
const char *data_message_container(const char *msg);

#endif

/*
 * template_check.h: checking a template's expressions against the data
 * format when the template loads, so that a misspelt field ({minstry}) is
 * an error at the template's line instead of an empty space in every
 * document.
 */
#ifndef ATTACHE_TEMPLATE_CHECK_H
#define ATTACHE_TEMPLATE_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/xpath.h>

/*
 * Check the names in the XPath expression `expr` (one that compiles): every
 * element and attribute it names must be one the data format has (from the
 * compiled-in schema), every function one `xp` knows, every variable one
 * the document maker sets.  False, with what is wrong in `why` (`size`
 * bytes, one line, e.g. "the data has no <minstry> (did you mean
 * <ministry>?)"), when one is not.
 */
bool template_check_names(xmlXPathContextPtr xp, const char *expr, char *why, size_t size);

#endif

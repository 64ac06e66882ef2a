/*
 * country.h: ISO 3166-1 alpha-2 codes and the short names the host uses.
 */
#ifndef ATTACHE_COUNTRY_H
#define ATTACHE_COUNTRY_H

/* The display name of `code` ("VN" -> "Viet Nam"), or NULL if it is not an ISO code. */
const char *country_name(const char *code);

#endif

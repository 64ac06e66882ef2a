/*
 * data_arg.c: reading the DATA argument of the commands that take one.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void print_error(void *ctx, const attache_error *err)
{
    (void)ctx;
    cli_report(err);
}

attache_data *cli_load_data(const char *arg, const struct data_args *a, int *status)
{
    attache_data_options o = {0};
    attache_error err;
    attache_data *d;
    unsigned char *bytes = NULL;
    size_t size = 0;
    char *copy = NULL;
    const char *name = strcmp(arg, "-") ? arg : "<stdin>";

    attache_error_clear(&err);
    if (attache_read_input(arg, a->max_size ? a->max_size : ATTACHE_DEFAULT_MAX_SIZE,
                           &bytes, &size, &err) != ATTACHE_OK) {
        *status = cli_report(&err);
        return NULL;
    }
    o.name = name;
    if (a->assets)
        o.base_dir = a->assets;
    else if (strcmp(arg, "-")) {
        copy = strdup(arg);
        o.base_dir = copy ? dirname(copy) : ".";
    } else
        o.base_dir = ".";
    o.max_errors = a->max_errors;
    o.on_error = print_error;
    d = attache_data_adopt(bytes, size, &o, &err);
    free(copy);
    if (!d) {
        if (err.code != ATTACHE_ERR_DATA)
            cli_report(&err);
        *status = err.code ? (int)err.code : 70;
    }
    return d;
}

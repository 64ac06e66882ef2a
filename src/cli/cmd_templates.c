/*
 * cmd_templates.c: attache templates.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_templates(int argc, char **argv)
{
    size_t i, n = attache_template_builtin_count();

    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
        return cli_usage("templates", false);
    if (argc > 1) {
        cli_error("templates takes no arguments");
        return cli_bad_option("templates");
    }
    for (i = 0; i < n; i++) {
        const attache_template_info *t = attache_template_builtin(i);
        printf("%-12s %-12s %s\n", t->name, t->kind, t->description);
    }
    return 0;
}

/*
 * cmd_templates.c: attache templates [--show NAME].
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Print the built-in template `name` as it is, to copy and change. */
static int show(const char *name)
{
    size_t i, n = attache_template_builtin_count();

    for (i = 0; i < n; i++) {
        const attache_template_info *t = attache_template_builtin(i);

        if (strcmp(t->name, name))
            continue;
        if (fwrite(t->source, 1, t->source_size, stdout) != t->source_size ||
            fflush(stdout)) {
            cli_error("cannot write the template: %s", strerror(errno));
            return 74;
        }
        return 0;
    }
    cli_error("no built-in template '%s'; 'attache templates' lists them", name);
    return 64;
}

const char templates_usage[] =
    "usage: attache templates [--show NAME]\n"
    "\n"
    "List the built-in templates: name, kind of document, page set-up.\n"
    "\n"
    "  --show NAME         print the built-in template NAME, to copy and change:\n"
    "                      attache templates --show certificate > mine.xml\n"
    "                      attache certificates DATA -o DIR --template mine.xml\n"
    "  -h, --help          show this help\n";

int cmd_templates(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"show", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *name = NULL;
    size_t i, n;
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            name = optarg;
            break;
        case 'h':
            return cli_usage("templates", false);
        default:
            return cli_unknown_option("templates", argv[optind - 1]);
        }
    }
    if (optind < argc) {
        cli_error("templates takes no arguments");
        return cli_bad_option("templates");
    }
    if (name)
        return show(name);
    n = attache_template_builtin_count();
    for (i = 0; i < n; i++) {
        const attache_template_info *t = attache_template_builtin(i);
        printf("%-12s %-12s %s\n", t->name, t->kind, t->description);
    }
    return 0;
}

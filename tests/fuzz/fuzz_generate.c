/*
 * fuzz_generate.c: making documents, end to end (template, data, layout,
 * fonts, QR, PDF), over small inputs: a template and a data file separated
 * by a line "=====".  Without the separator the input is the data, made
 * with the built-in certificate template.  Images named by either resolve
 * in a folder holding a copy of the sample logo and photo as assets/logo.png
 * and photos/p.jpg (when the sources are at hand: run from the source tree).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "attache.h"
#include "fuzz.h"

static char key_path[600], out_dir[600], base_dir[600];

static void copy_in(const char *from, const char *to)
{
    unsigned char *bytes;
    size_t size;
    attache_error err;

    if (attache_read_input(from, 1u << 20, &bytes, &size, &err) != ATTACHE_OK)
        return;
    fuzz_write(to, bytes, size, 0644);
    free(bytes);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    attache_error err;
    char name[600];

    (void)argc;
    (void)argv;
    snprintf(name, sizeof name, "%s/g", fuzz_dir());
    if (attache_keygen(name, "asec", NULL, NULL, &err) != ATTACHE_OK)
        abort();
    snprintf(key_path, sizeof key_path, "%s.key", name);
    snprintf(out_dir, sizeof out_dir, "%s/out", fuzz_dir());
    snprintf(base_dir, sizeof base_dir, "%s/in", fuzz_dir());
    mkdir(base_dir, 0755);
    snprintf(name, sizeof name, "%s/in/assets", fuzz_dir());
    mkdir(name, 0755);
    snprintf(name, sizeof name, "%s/in/photos", fuzz_dir());
    mkdir(name, 0755);
    copy_in("samples/assets/logo.png", "in/assets/logo.png");
    copy_in("samples/photos/kh-2015-01.jpg", "in/photos/p.jpg");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *part[2];
    size_t len[2], n;
    attache_data_options dopts = {.name = "fuzz.xml", .max_errors = 1};
    attache_generate_options g = {0};
    attache_generate_result r;
    attache_error err;
    attache_data *d;
    char template_path[600] = "certificate";

    n = fuzz_split(data, size, "=====\n", part, len, 2);
    if (n == 2)
        snprintf(template_path, sizeof template_path, "%s",
                 fuzz_write("in/t.xml", part[0], len[0], 0644));
    dopts.base_dir = base_dir;
    d = attache_data_load(part[n - 1], len[n - 1], &dopts, &err);
    if (!d)
        return 0;
    g.template_name = template_path;
    g.output_dir = out_dir;
    g.key_path = key_path;
    g.jobs = 1;
    g.issued_at = 1500000000;
    g.force = true;
    attache_generate(d, &g, &r, &err);
    attache_data_free(d);
    return 0;
}

/*
 * A program that uses libattache as an outside user would: built by
 * tests/install-check.sh with `pkg-config --cflags --libs attache` alone.
 * It loads the sample data, makes a key and one certificate, and checks the
 * certificate's QR text with a verifier.
 *
 * usage: prog DATA WORKDIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <attache.h>

static int fail(const attache_error *err)
{
    char line[1024];

    fprintf(stderr, "prog: %s\n", attache_error_format(err, line, sizeof line));
    return 1;
}

int main(int argc, char **argv)
{
    static const char *const officer[] = {"kh-2015-01"};
    attache_data_options dopts = {0};
    attache_generate_options gopts = {0};
    attache_generate_result res;
    attache_verifier *v = NULL;
    attache_verification out;
    attache_data *data;
    attache_error err;
    unsigned char *bytes, *csv;
    size_t size, csv_size;
    char key[512], pub[512], outdir[512], manifest[600], dir[512], *qr, *slash;
    int64_t day;

    if (argc != 3)
        return 2;
    attache_error_clear(&err);
    if (!attache_date_parse("2016-02-05", &day) || day != 1454630400 ||
        attache_date_parse("2016-02-30", &day)) {
        fprintf(stderr, "prog: attache_date_parse is wrong\n");
        return 1;
    }
    if (attache_read_input(argv[1], ATTACHE_DEFAULT_MAX_SIZE, &bytes, &size, &err) != ATTACHE_OK)
        return fail(&err);
    /* images in the data resolve against its folder */
    snprintf(dir, sizeof dir, "%s", argv[1]);
    slash = strrchr(dir, '/');
    snprintf(slash ? slash : dir, sizeof dir - (size_t)(slash ? slash - dir : 0), "%s",
             slash ? "" : ".");
    dopts.name = argv[1];
    dopts.base_dir = dir;
    if (!(data = attache_data_adopt(bytes, size, &dopts, &err)))
        return fail(&err);
    snprintf(key, sizeof key, "%s/k", argv[2]);
    if (attache_keygen(key, "asec", NULL, NULL, &err) != ATTACHE_OK)
        return fail(&err);
    snprintf(key, sizeof key, "%s/k.key", argv[2]);
    snprintf(pub, sizeof pub, "%s/k.pub", argv[2]);
    snprintf(outdir, sizeof outdir, "%s/out", argv[2]);
    gopts.template_name = "certificate";
    gopts.output_dir = outdir;
    gopts.key_path = key;
    gopts.officer_ids = officer;
    gopts.n_officer_ids = 1;
    gopts.jobs = 1;
    gopts.issued_at = day;
    if (attache_generate(data, &gopts, &res, &err) != ATTACHE_OK)
        return fail(&err);
    if (res.written != 1) {
        fprintf(stderr, "prog: %zu documents written, not 1\n", res.written);
        return 1;
    }
    /* the QR text is the manifest row's last cell */
    snprintf(manifest, sizeof manifest, "%s/manifest.csv", outdir);
    if (attache_read_input(manifest, 1 << 20, &csv, &csv_size, &err) != ATTACHE_OK)
        return fail(&err);
    csv[csv_size - 1] = '\0';
    qr = strrchr((char *)csv, ',') + 1;
    if (!(v = attache_verifier_new(&err)) || attache_verifier_add_key(v, pub, &err) != ATTACHE_OK)
        return fail(&err);
    if (attache_verify_text(v, qr, &out) != ATTACHE_VALID) {
        fprintf(stderr, "prog: the certificate's QR code is not valid: %s\n", out.reason);
        return 1;
    }
    printf("attache %s: %s %s %s %s\n", attache_version(), out.kind, out.officer_name,
           out.batch_id, out.issue_date);
    free(csv);
    attache_verifier_free(v);
    attache_data_free(data);
    return 0;
}

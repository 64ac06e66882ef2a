/*
 * test_oom.c: memory running out anywhere in the library.
 *
 * The test is linked with the library's calls to malloc, calloc, realloc,
 * strdup, strndup and asprintf redirected to the wrappers below
 * (-Wl,--wrap=..., see the Makefile), which count them and can make one of
 * them fail.  A first pass counts the allocations that loading data,
 * generating a certificate and a letter, importing a spreadsheet,
 * planning a mailing of the documents (a dry run) and verifying a token make
 * (about a thousand); then each is made to fail in turn and the pass is
 * run again.  Each time:
 *
 *   - every call either succeeds or fails with ATTACHE_ERR_INTERNAL and a
 *     message that says memory ran out (never another error, never a crash);
 *   - the output folder holds only whole documents: each PDF there is
 *     complete (ends with %%EOF), and no temporary file is left;
 *   - what was allocated is freed (the suite runs this test under
 *     AddressSanitizer's leak checker and valgrind too).
 *
 * Libraries the library uses (libxml2, libharu, HarfBuzz) allocate with
 * their own calls, which are not redirected: this is about attache's code.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attache.h"
#include "check.h"
#include "fixture.h"

/* ---- the allocation wrappers ---------------------------------------------- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);


static atomic_long calls;          /* allocations made since the pass began */
static long oom_at = -1;          /* the one that fails (1-based), or -1 */
static atomic_int failed;          /* it has failed */

static int fail_now(void)
{
    long n = atomic_fetch_add(&calls, 1) + 1;

    if (n != oom_at)
        return 0;
    atomic_store(&failed, 1);
    return 1;
}

void *__wrap_malloc(size_t n);
void *__wrap_malloc(size_t n)
{
    return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size)
{
    return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n)
{
    return fail_now() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s);
char *__wrap_strdup(const char *s)
{
    return fail_now() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n);
char *__wrap_strndup(const char *s, size_t n)
{
    return fail_now() ? NULL : __real_strndup(s, n);
}

int __wrap_asprintf(char **out, const char *fmt, ...);
int __wrap_asprintf(char **out, const char *fmt, ...)
{
    va_list ap;
    int r;

    if (fail_now()) {
        *out = NULL;
        return -1;
    }
    va_start(ap, fmt);
    r = vasprintf(out, fmt, ap);
    va_end(ap);
    return r;
}

/* ---- the pass --------------------------------------------------------------- */

static const char data_xml[] = FIXTURE_DATA(
    "      <officer id=\"kh-01\" status=\"graduated\">\n"
    "        <name>Chhy Ratha</name><name lang=\"km\">ឈី រដ្ឋា</name>\n"
    "        <country code=\"KH\"/><ministry>Ministry of Commerce</ministry>\n"
    "        <placement department=\"ASCC\"/><email>ratha@example.org</email>\n"
    "      </officer>\n");

static const char csv[] =
    "id,status,name,name:km,country,ministry,department,email\r\n"
    "kh-02,attached,Sok Dara,\"សុខ ដារា\",KH,Ministry of Planning,ASCC,dara@example.org\r\n"
    "vn-03,selected,\"Nguyễn Thị Lan\",,VN,\"Ministry of Foreign Affairs\",AEC,\r\n";

/* in memory where there is a tmpfs: a thousand passes, each syncing its PDFs */
static char shm_dir[] = "/dev/shm/attache-oom-XXXXXX", tmp_dir[] = "/tmp/attache-oom-XXXXXX";
static char *dir;
static char key[600], pub[600];

/* A call's outcome is fine: it worked, or it says memory ran out. */
static void check_outcome(const char *what, attache_status rc, const attache_error *err)
{
    if (rc == ATTACHE_OK)
        return;
    if (!CHECK(rc == ATTACHE_ERR_INTERNAL && strstr(err->message, "out of memory")))
        fprintf(stderr, "    %s, allocation %ld failing: status %d: %s\n", what, oom_at,
                (int)rc, err->message);
}

/* Every file in `path` (recursively) is a whole PDF or the manifest. */
static void check_folder(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        char p[1200];
        struct stat st;
        size_t n = strlen(e->d_name);

        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        if (lstat(p, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            check_folder(p);
        } else if (n > 4 && !strcmp(e->d_name + n - 4, ".pdf")) {
            char tail[8] = {0};
            FILE *f = fopen(p, "rb");
            if (f && st.st_size > 6 && !fseek(f, -6, SEEK_END))
                (void)!fread(tail, 1, 6, f);
            if (f)
                fclose(f);
            if (!CHECK(strstr(tail, "%%EOF") != NULL))
                fprintf(stderr, "    allocation %ld failing left a partial %s\n", oom_at, p);
        } else if (!CHECK(!strcmp(e->d_name, "manifest.csv") || !strcmp(e->d_name, ".attache.lock"))) {
            fprintf(stderr, "    allocation %ld failing left %s\n", oom_at, p);
        }
    }
    closedir(d);
}

/* Load, generate a certificate and a letter into a new folder, verify. */
static void pass(void)
{
    attache_error err;
    attache_data *d;
    attache_generate_options g = {0};
    attache_generate_result r;
    attache_verifier *v;
    attache_verification out;
    char outdir[700];
    static const char *const kinds[] = {"certificate", "letter"};
    size_t k;

    snprintf(outdir, sizeof outdir, "%s/out", dir);
    fixture_remove_tree(outdir);
    attache_error_clear(&err);
    d = attache_data_load((const unsigned char *)data_xml, strlen(data_xml), NULL, &err);
    if (!d) {
        check_outcome("loading data", err.code, &err);
        return;
    }
    for (k = 0; k < 2; k++) {
        memset(&g, 0, sizeof g);
        g.template_name = kinds[k];
        g.output_dir = outdir;
        g.key_path = key;
        g.jobs = 1;
        g.issued_at = 1454630400;
        attache_error_clear(&err);
        check_outcome(kinds[k], attache_generate(d, &g, &r, &err), &err);
        check_folder(outdir);
    }
    {
        attache_mail_options mo = {0};
        attache_mail_result mr;

        mo.url = "smtp://127.0.0.1:9";
        mo.from = "Programme Office <office@example.org>";
        mo.dry_run = true;
        attache_error_clear(&err);
        check_outcome("planning a mailing", attache_mail(outdir, d, &mo, &mr, &err), &err);
    }
    attache_data_free(d);
    {
        attache_import_options io = {0};
        char *xml = NULL;
        size_t out_size = 0;

        io.batch_id = "b1";
        io.csv_name = "officers.csv";
        io.data_name = "data.xml";
        io.output_name = "new.xml";
        attache_error_clear(&err);
        check_outcome("importing", attache_import((const unsigned char *)csv, strlen(csv),
                                                  (const unsigned char *)data_xml,
                                                  strlen(data_xml), &io, &xml, &out_size, &err),
                      &err);
        free(xml);
    }

    v = attache_verifier_new(&err);
    if (!v) {
        check_outcome("making a verifier", err.code, &err);
        return;
    }
    if (attache_verifier_add_key(v, pub, &err) == ATTACHE_OK)
        (void)attache_verify_text(v, "ATT1:AAAA", &out);
    else
        check_outcome("adding a key", err.code, &err);
    attache_verifier_free(v);
}

int main(void)
{
    long total, i, only, runs = 0;

    dir = mkdtemp(shm_dir);
    if (!dir)
        dir = mkdtemp(tmp_dir);
    if (!dir) {
        perror("mkdtemp");
        return 1;
    }
    CHECK(fixture_key(dir, key, sizeof key, pub));

    /* count: nothing fails, everything works */
    oom_at = -1;
    atomic_store(&calls, 0);
    pass();
    total = atomic_load(&calls);
    CHECK(total > 100);

    /* each allocation in turn; to look into one, OOM_AT=N runs only the
     * pass where allocation N fails (OOM_VERBOSE=1 names each pass) */
    only = getenv("OOM_AT") ? atol(getenv("OOM_AT")) : 0;
    for (i = only ? only : 1; i <= total; i++) {
        if (getenv("OOM_VERBOSE"))
            fprintf(stderr, "allocation %ld fails\n", i);
        oom_at = i;
        atomic_store(&calls, 0);
        atomic_store(&failed, 0);
        pass();
        runs++;
        if (only)
            break;
    }
    printf("    %ld allocations in a pass; %ld passes, each with one failing\n", total, runs);
    fixture_remove_tree(dir);
    return check_done();
}

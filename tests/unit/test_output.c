/* Unit tests of src/output.c: atomic writes, the output folder's lock, its
 * sub-folders, and the leftovers of interrupted runs. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "check.h"
#include "output.h"

static char root[64];

static const char *at(const char *rel)
{
    static char path[256];

    snprintf(path, sizeof path, "%s/%s", root, rel);
    return path;
}

static void put(const char *rel, const char *text)
{
    FILE *f = fopen(at(rel), "w");

    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static int exists(const char *rel)
{
    struct stat st;

    return lstat(at(rel), &st) == 0;
}

static mode_t mode_of(const char *rel)
{
    struct stat st;

    return stat(at(rel), &st) == 0 ? st.st_mode & 07777 : 0;
}

/* The text of a file under root ("" if missing), in a static buffer. */
static const char *text_of(const char *rel)
{
    static char buf[256];
    FILE *f = fopen(at(rel), "r");
    size_t n = 0;

    if (f) {
        n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
    return buf;
}

/* How many names in folder `rel` end in the temporary suffix. */
static int temps_in(const char *rel)
{
    char cmd[300];
    FILE *p;
    int n = -1;

    snprintf(cmd, sizeof cmd, "ls -A '%s' | grep -c 'attache-tmp$'", at(rel));
    p = popen(cmd, "r");
    if (p) {
        if (fscanf(p, "%d", &n) != 1)
            n = -1;
        pclose(p);
    }
    return n;
}

static void test_make_folders(void)
{
    attache_error err;
    char longpath[5000];

    attache_error_clear(&err);
    CHECK_INT(make_folders(at("a/b/c"), 0777, &err), ATTACHE_OK);
    CHECK(exists("a/b/c"));
    CHECK_INT(make_folders(at("a/b/c"), 0777, &err), ATTACHE_OK);     /* already there */
    put("file", "x");
    CHECK_INT(make_folders(at("file/sub"), 0777, &err), ATTACHE_ERR_CANTCREAT);
    CHECK(strstr(err.message, "cannot create folder: Not a directory") != NULL);
    CHECK_INT(make_folders(at("file/sub/deeper"), 0777, &err), ATTACHE_ERR_CANTCREAT);
    CHECK(strstr(err.file, "/file/sub") && !strstr(err.file, "deeper"));  /* the part that failed */
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = '\0';
    CHECK_INT(make_folders(longpath, 0777, &err), ATTACHE_ERR_CANTCREAT);
    CHECK_STR(err.message, "path is too long");
}

static void test_lock_and_leftovers(void)
{
    attache_error err;
    struct outdir *o, *other;

    attache_error_clear(&err);
    CHECK_INT(make_folders(at("out/b1"), 0777, &err), ATTACHE_OK);
    put("out/.doc.pdf.123.4.attache-tmp", "half");
    put("out/b1/.x.pdf.9.9.attache-tmp", "half");
    put("out/b1/kept.attache-tmp", "not hidden: not ours");
    put("out/b1/doc.pdf", "whole");

    o = outdir_open(at("out"), &err);
    CHECK(o != NULL);
    if (!o)
        return;
    CHECK(!exists("out/.doc.pdf.123.4.attache-tmp"));
    CHECK(exists("out/b1/.x.pdf.9.9.attache-tmp"));    /* sub-folders when first opened */

    /* a second run on the same folder waits for nobody: it is refused */
    other = outdir_open(at("out"), &err);
    CHECK(other == NULL);
    CHECK_INT(err.code, ATTACHE_ERR_CANTCREAT);
    CHECK(strstr(err.message, "another attache run is writing to this folder") != NULL);
    outdir_close(other, NULL);

    CHECK(outdir_subdir(o, "b1", NULL, &err) >= 0);
    CHECK(!exists("out/b1/.x.pdf.9.9.attache-tmp"));
    CHECK(exists("out/b1/kept.attache-tmp"));
    CHECK_STR(text_of("out/b1/doc.pdf"), "whole");
    CHECK_INT(outdir_close(o, &err), ATTACHE_OK);

    /* the lock goes with the run */
    o = outdir_open(at("out"), &err);
    CHECK(o != NULL);
    outdir_close(o, NULL);
    CHECK_INT(outdir_close(NULL, NULL), ATTACHE_OK);

    put("plain", "x");
    CHECK(outdir_open(at("plain/out"), &err) == NULL);
    CHECK_INT(err.code, ATTACHE_ERR_CANTCREAT);

    /* a lock file that is a symbolic link is not followed */
    CHECK_INT(make_folders(at("linked"), 0777, &err), ATTACHE_OK);
    CHECK(symlink("/tmp/elsewhere.lock", at("linked/.attache.lock")) == 0);
    CHECK(outdir_open(at("linked"), &err) == NULL);
    CHECK(strstr(err.message, "cannot create the lock file") != NULL);
}

static void test_subdirs(void)
{
    static const char *const bad[] = {"", "a/b", ".", "..", "/etc"};
    attache_error err;
    struct outdir *o;
    int fd, fd2;
    bool made = false;
    size_t i;

    attache_error_clear(&err);
    o = outdir_open(at("subs"), &err);
    CHECK(o != NULL);
    if (!o)
        return;
    CHECK(outdir_fd(o) >= 0);
    fd = outdir_subdir(o, "batch-1", &made, &err);
    CHECK(fd >= 0);
    CHECK(exists("subs/batch-1"));
    CHECK(made);                                  /* new: nothing in it is older */
    made = false;
    fd2 = outdir_subdir(o, "batch-1", &made, &err);
    CHECK_INT(fd2, fd);                           /* opened once */
    CHECK(made);
    CHECK_INT(outdir_close(o, &err), ATTACHE_OK);
    o = outdir_open(at("subs"), &err);            /* the next run finds it there */
    if (!CHECK(o != NULL))
        return;
    made = true;
    CHECK(outdir_subdir(o, "batch-1", &made, &err) >= 0);
    CHECK(!made);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        attache_error_clear(&err);
        if (!CHECK(outdir_subdir(o, bad[i], NULL, &err) < 0))
            fprintf(stderr, "    took '%s'\n", bad[i]);
        CHECK(strstr(err.message, "is not a folder name") != NULL);
    }
    /* a symbolic link cannot lead a write elsewhere */
    CHECK(symlink(root, at("subs/link")) == 0);
    CHECK(outdir_subdir(o, "link", NULL, &err) < 0);
    CHECK(strstr(err.message, "'link' is a file or a link, not a folder") != NULL);
    {
        char longname[300];
        memset(longname, 'n', sizeof longname - 1);
        longname[sizeof longname - 1] = '\0';
        CHECK(outdir_subdir(o, longname, NULL, &err) < 0);
        CHECK(strstr(err.message, "cannot create folder 'nnn") != NULL);
        CHECK(strstr(err.message, "File name too long") != NULL);
    }
    put("subs/taken", "a file");
    CHECK(outdir_subdir(o, "taken", NULL, &err) < 0);
    CHECK_INT(err.code, ATTACHE_ERR_CANTCREAT);
    CHECK_INT(outdir_close(o, &err), ATTACHE_OK);
}

static void test_writes(void)
{
    const struct part parts[] = {{"one ", 4}, {"", 0}, {"two", 3}};
    struct pending_file pf, group[2];
    struct statfs fs;
    bool synced, unnamed_here;
    int named;
    dev_t dev = 0;
    attache_error err;
    unsigned char *data;
    size_t len;
    int dir;
    mode_t old = umask(022);

    attache_error_clear(&err);
    CHECK_INT(make_folders(at("w"), 0777, &err), ATTACHE_OK);
    dir = open(at("w"), O_RDONLY | O_DIRECTORY);
    CHECK_INT(write_at(dir, "a.txt", "first", 5, "a.txt", &err), ATTACHE_OK);
    CHECK_STR(text_of("w/a.txt"), "first");
    CHECK_INT(mode_of("w/a.txt"), 0644);
    CHECK_INT(write_at(dir, "a.txt", "second", 6, "a.txt", &err), ATTACHE_OK);   /* replaced */
    CHECK_STR(text_of("w/a.txt"), "second");
    CHECK_INT(write_parts_at(dir, "b.txt", parts, 3, 0600, "b.txt", &err), ATTACHE_OK);
    CHECK_STR(text_of("w/b.txt"), "one two");
    CHECK_INT(mode_of("w/b.txt"), 0600);
    CHECK_INT(temps_in("w"), 0);

    /* a pending file is invisible until put in place, and gone when abandoned: unnamed
       where the filesystem has such files (ext4 and tmpfs do), else under a hidden name */
    CHECK(fstatfs(dir, &fs) == 0);
    unnamed_here = (fs.f_type == EXT4_SUPER_MAGIC || fs.f_type == TMPFS_MAGIC) &&
                   access("/proc/self/fd", X_OK) == 0;
    for (named = 0; named < 2; named++) {
        file_use_named_temporaries(named);
        CHECK_INT(file_write_pending(dir, "c.txt", parts, 3, 0644, "c.txt", &pf, &err),
                  ATTACHE_OK);
        CHECK(named ? !pf.unnamed : pf.unnamed || !unnamed_here);  /* others may have them too */
        CHECK(named ? !strcmp(text_of("w/c.txt"), "one ") : !exists("w/c.txt"));  /* as was */
        CHECK_INT(temps_in("w"), pf.unnamed ? 0 : 1);
        file_abandon(&pf);
        CHECK(named ? !strcmp(text_of("w/c.txt"), "one ") : !exists("w/c.txt"));
        CHECK_INT(temps_in("w"), 0);
        file_abandon(&pf);                        /* twice is harmless */
        CHECK_INT(file_write_pending(dir, "c.txt", parts, 1 + 2 * named, 0600, "c.txt", &pf,
                                     &err), ATTACHE_OK);
        CHECK_INT(file_put_in_place(&pf, "c.txt", &err), ATTACHE_OK);  /* new, then replacing */
        CHECK_STR(text_of("w/c.txt"), named ? "one two" : "one ");
        CHECK_INT(mode_of("w/c.txt"), 0600);
        CHECK_INT(temps_in("w"), 0);
        /* a folder in the way of the final name: the file is not left behind */
        CHECK_INT(make_folders(at("w/d.txt/x"), 0777, &err), ATTACHE_OK);
        CHECK_INT(write_at(dir, "d.txt", "x", 1, "shown/d.txt", &err), ATTACHE_ERR_IO);
        CHECK_STR(err.file, "shown/d.txt");
        CHECK(strstr(err.message, "cannot put the file in place") != NULL);
        CHECK_INT(temps_in("w"), 0);
    }
    file_use_named_temporaries(false);

    /* a group made durable at once, by one syncfs() where that covers every file, then
       only renamed; or each file synced on its own */
    CHECK_INT(file_write_pending(dir, "f.txt", parts, 3, 0644, "f.txt", &group[0], &err),
              ATTACHE_OK);
    CHECK_INT(file_write_pending(dir, "g.txt", parts, 1, 0644, "g.txt", &group[1], &err),
              ATTACHE_OK);
    CHECK(!group[0].synced && !group[1].synced);
    synced = file_sync_filesystem(&group[0], &dev);
    if (fs.f_type == EXT4_SUPER_MAGIC || fs.f_type == TMPFS_MAGIC)
        CHECK(synced);
    CHECK(!synced || (file_on_filesystem(&group[0], dev) && file_on_filesystem(&group[1], dev)));
    CHECK(!file_on_filesystem(&group[1], dev + 1));
    group[0].synced = group[1].synced = synced;
    CHECK_INT(file_put_in_place(&group[0], "f.txt", &err), ATTACHE_OK);
    CHECK_INT(file_put_in_place(&group[1], "g.txt", &err), ATTACHE_OK);
    CHECK_STR(text_of("w/f.txt"), "one two");
    CHECK_STR(text_of("w/g.txt"), "one ");
    CHECK_INT(temps_in("w"), 0);
    CHECK(!file_sync_filesystem(&group[0], &dev));      /* put in place: no file any more */
    CHECK(!file_on_filesystem(&group[0], dev));

    CHECK_INT(write_at(-1, "e.txt", "x", 1, "e.txt", &err), ATTACHE_ERR_CANTCREAT);
    CHECK(strstr(err.message, "cannot create: Bad file descriptor") != NULL);

    /* reading back: whole, capped, never through a link */
    CHECK_INT(read_at(dir, "a.txt", 100, &data, &len), ATTACHE_OK);
    CHECK_INT(len, 6);
    CHECK(data && !memcmp(data, "second", 6));
    free(data);
    CHECK_INT(read_at(dir, "a.txt", 5, &data, &len), ATTACHE_ERR_NOINPUT);
    CHECK(data == NULL);
    CHECK_INT(read_at(dir, "missing", 100, &data, &len), ATTACHE_ERR_NOINPUT);
    CHECK(symlink("a.txt", at("w/link.txt")) == 0);
    CHECK_INT(read_at(dir, "link.txt", 100, &data, &len), ATTACHE_ERR_NOINPUT);
    close(dir);

    CHECK_INT(write_file_atomic(at("w/whole.txt"), "all", 3, &err), ATTACHE_OK);
    CHECK_STR(text_of("w/whole.txt"), "all");
    CHECK_INT(attache_write_file(at("w/whole.txt"), "again", 5, &err), ATTACHE_OK);
    CHECK_STR(text_of("w/whole.txt"), "again");
    CHECK_INT(write_file_atomic(at("nowhere/x.txt"), "x", 1, &err), ATTACHE_ERR_CANTCREAT);
    CHECK(strstr(err.message, "cannot open its folder") != NULL);
    umask(old);
}

int main(void)
{
    char cmd[100];
    int rc;

    snprintf(root, sizeof root, "/tmp/attache-test-output-XXXXXX");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    test_make_folders();
    test_lock_and_leftovers();
    test_subdirs();
    test_writes();
    rc = check_done();
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", root);
    return rc;
}

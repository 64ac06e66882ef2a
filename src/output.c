/*
 * output.c: atomic writes into a locked output folder.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "error.h"
#include "output.h"
#include "text.h"
#include "util.h"

#define TMP_SUFFIX ".attache-tmp"
#define MAX_SUBDIRS 4096

struct subdir {
    char *name;
    int fd;
    bool made;                   /* by this run: nothing in it is older */
};

struct outdir {
    char *path;
    bool made;                   /* by this run */
    int fd, lock;
    pthread_mutex_t mu;
    struct subdir *subs;
    size_t nsubs;
};

static unsigned long tmp_counter;

/*
 * Pending files are unnamed (O_TMPFILE) where the system allows: nothing
 * shows in the folder until the file is whole, durable and linked under its
 * name, a run killed midway leaves nothing behind, and workers writing into
 * one folder do not queue on its lock to create and later remove names
 * there (at -j2 one worker spent a twentieth of its time waiting so).
 * Naming such a file takes /proc (linkat() through /proc/self/fd, which
 * needs no privilege).  Where either is missing, and on filesystems
 * without unnamed files, a hidden temporary file is renamed into place.
 */
static bool named_only;

void file_use_named_temporaries(bool yes)
{
    named_only = yes;
}

static bool unnamed_files_work(void)
{
    static int proc = -1;   /* threads that race here only look twice */
    int p = __atomic_load_n(&proc, __ATOMIC_RELAXED);

    if (named_only)
        return false;
    if (p < 0) {
        p = access("/proc/self/fd", X_OK) == 0;
        __atomic_store_n(&proc, p, __ATOMIC_RELAXED);
    }
    return p;
}

/* Give the unnamed file pf's `name` in its folder; false with errno set if not. */
static bool link_unnamed(const struct pending_file *pf, const char *name)
{
    char self[64];

    snprintf(self, sizeof self, "/proc/self/fd/%d", pf->fd);
    return linkat(AT_FDCWD, self, pf->dirfd, name, AT_SYMLINK_FOLLOW) == 0;
}

attache_status make_folders(const char *path, mode_t mode, attache_error *err)
{
    char buf[PATH_MAX], *p;

    if (!*path)
        return err_set(err, ATTACHE_ERR_CANTCREAT, NULL, 0, "an output folder needs a name "
                       "('' given)");
    if (strlen(path) >= sizeof buf)
        return err_set(err, ATTACHE_ERR_CANTCREAT, path, 0, "path is too long");
    strcpy(buf, path);
    for (p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
            return err_set(err, ATTACHE_ERR_CANTCREAT, buf, 0, "cannot create folder: %s",
                           strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, mode) < 0 && errno != EEXIST)
        return err_set(err, ATTACHE_ERR_CANTCREAT, path, 0, "cannot create folder: %s",
                       strerror(errno));
    return ATTACHE_OK;
}

/* Remove temporary files an interrupted run left in `fd`. */
static void clean_temps(int fd)
{
    int dup_fd = dup(fd);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    struct dirent *e;
    size_t sl = strlen(TMP_SUFFIX);

    if (!d) {
        if (dup_fd >= 0)
            close(dup_fd);
        return;
    }
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.' && n > sl && !strcmp(e->d_name + n - sl, TMP_SUFFIX))
            unlinkat(fd, e->d_name, 0);
    }
    closedir(d);
}

struct outdir *outdir_open(const char *path, attache_error *err)
{
    struct outdir *o = calloc(1, sizeof *o);

    if (!o) {
        err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        return NULL;
    }
    o->fd = o->lock = -1;
    pthread_mutex_init(&o->mu, NULL);
    o->path = strdup(path);
    if (!o->path) {
        err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        goto fail;
    }
    {
        struct stat st;

        o->made = lstat(path, &st) != 0 && errno == ENOENT;
    }
    if (make_folders(path, 0777, err) != ATTACHE_OK)
        goto fail;
    o->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (o->fd < 0) {
        err_set(err, ATTACHE_ERR_CANTCREAT, path, 0, "cannot open folder: %s", strerror(errno));
        goto fail;
    }
    o->lock = openat(o->fd, ".attache.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (o->lock < 0) {
        err_set(err, ATTACHE_ERR_CANTCREAT, path, 0, "cannot create the lock file: %s",
                strerror(errno));
        goto fail;
    }
    if (flock(o->lock, LOCK_EX | LOCK_NB) < 0) {
        err_set(err, ATTACHE_ERR_CANTCREAT, path, 0,
                "another attache run is writing to this folder; wait for it to finish");
        goto fail;
    }
    clean_temps(o->fd);
    return o;
fail:
    outdir_close(o, NULL);
    return NULL;
}

void outdir_tidy(struct outdir *o, bool nothing_written, const char *new_manifest)
{
    size_t i;

    for (i = 0; i < o->nsubs; i++)
        if (o->subs[i].made)
            unlinkat(o->fd, o->subs[i].name, AT_REMOVEDIR);     /* only when empty */
    if (!nothing_written)
        return;
    if (new_manifest)
        unlinkat(o->fd, new_manifest, 0);
    if (!o->made)
        return;
    unlinkat(o->fd, ".attache.lock", 0);
    rmdir(o->path);                                             /* only when empty */
}

attache_status outdir_close(struct outdir *o, attache_error *err)
{
    attache_status rc = ATTACHE_OK;
    size_t i;

    if (!o)
        return ATTACHE_OK;
    for (i = 0; i < o->nsubs; i++) {
        if (fsync(o->subs[i].fd) < 0 && rc == ATTACHE_OK)
            rc = err_set(err, ATTACHE_ERR_IO, o->path, 0, "cannot sync folder '%s': %s",
                         o->subs[i].name, strerror(errno));
        close(o->subs[i].fd);
        free(o->subs[i].name);
    }
    free(o->subs);
    if (o->fd >= 0) {
        if (fsync(o->fd) < 0 && rc == ATTACHE_OK)
            rc = err_set(err, ATTACHE_ERR_IO, o->path, 0, "cannot sync folder: %s",
                         strerror(errno));
        close(o->fd);
    }
    if (o->lock >= 0)
        close(o->lock);        /* releases the lock */
    pthread_mutex_destroy(&o->mu);
    free(o->path);
    free(o);
    return rc;
}

int outdir_fd(const struct outdir *o)
{
    return o->fd;
}

int outdir_subdir(struct outdir *o, const char *name, bool *made, attache_error *err)
{
    size_t i;
    int fd = -1;
    bool new_folder;
    char clip[80];

    pthread_mutex_lock(&o->mu);
    for (i = 0; i < o->nsubs; i++)
        if (!strcmp(o->subs[i].name, name)) {
            fd = o->subs[i].fd;
            if (made)
                *made = o->subs[i].made;
            goto done;
        }
    if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")) {
        err_set(err, ATTACHE_ERR_CANTCREAT, o->path, 0, "'%s' is not a folder name",
                text_clip(clip, sizeof clip, name, 64));
        goto done;
    }
    if (o->nsubs == MAX_SUBDIRS) {
        err_set(err, ATTACHE_ERR_CANTCREAT, o->path, 0, "more than %d batch folders",
                MAX_SUBDIRS);
        goto done;
    }
    new_folder = mkdirat(o->fd, name, 0777) == 0;
    if (!new_folder && errno != EEXIST) {
        err_set(err, ATTACHE_ERR_CANTCREAT, o->path, 0, "cannot create folder '%s': %s",
                text_clip(clip, sizeof clip, name, 64), strerror(errno));
        goto done;
    }
    fd = openat(o->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && (errno == ENOTDIR || errno == ELOOP)) {
        err_set(err, ATTACHE_ERR_CANTCREAT, o->path, 0, "'%s' is a file or a link, not a folder: "
                "the batch's documents go in a folder of that name; move it away",
                text_clip(clip, sizeof clip, name, 64));
        goto done;
    }
    if (fd < 0) {
        err_set(err, ATTACHE_ERR_CANTCREAT, o->path, 0, "cannot open folder '%s': %s",
                text_clip(clip, sizeof clip, name, 64), strerror(errno));
        goto done;
    }
    if (o->nsubs % 64 == 0) {
        struct subdir *s = realloc(o->subs, (o->nsubs + 64) * sizeof *s);
        if (!s) {
            close(fd);
            fd = -1;
            err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
            goto done;
        }
        o->subs = s;
    }
    o->subs[o->nsubs].name = strdup(name);
    o->subs[o->nsubs].fd = fd;
    o->subs[o->nsubs].made = new_folder;
    o->nsubs++;
    if (made)
        *made = new_folder;
    if (!new_folder)
        clean_temps(fd);
done:
    pthread_mutex_unlock(&o->mu);
    return fd;
}

attache_status write_at(int dirfd, const char *name, const void *data, size_t len,
                        const char *shown, attache_error *err)
{
    struct part whole = {data, len};

    return write_parts_at(dirfd, name, &whole, 1, 0644, shown, err);
}

attache_status write_parts_at(int dirfd, const char *name, const struct part *parts, size_t n,
                              mode_t mode, const char *shown, attache_error *err)
{
    struct pending_file pf;
    attache_status rc = file_write_pending(dirfd, name, parts, n, mode, shown, &pf, err);

    return rc == ATTACHE_OK ? file_put_in_place(&pf, shown, err) : rc;
}

void file_abandon(struct pending_file *pf)
{
    if (pf->fd >= 0)
        close(pf->fd);
    pf->fd = -1;
    if (pf->made)
        unlinkat(pf->dirfd, pf->tmp, 0);
    pf->made = false;
    free(pf->tmp);
    free(pf->name);
    pf->tmp = pf->name = NULL;
}

attache_status file_write_pending(int dirfd, const char *name, const struct part *parts,
                                  size_t n, mode_t mode, const char *shown,
                                  struct pending_file *pf, attache_error *err)
{
    size_t i;

    memset(pf, 0, sizeof *pf);
    pf->dirfd = dirfd;
    pf->fd = -1;
    pf->name = strdup(name);
    if (!pf->name || asprintf(&pf->tmp, ".%s.%d.%lu" TMP_SUFFIX, name, (int)getpid(),
                              __atomic_add_fetch(&tmp_counter, 1, __ATOMIC_RELAXED)) < 0) {
        pf->tmp = NULL;
        file_abandon(pf);
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    }
    if (unnamed_files_work()) {
        pf->fd = openat(dirfd, ".", O_WRONLY | O_TMPFILE | O_CLOEXEC, mode);
        pf->unnamed = pf->fd >= 0;
    }
    if (pf->fd < 0) {   /* no unnamed files here (a network filesystem, say) */
        pf->fd = openat(dirfd, pf->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        mode);
        if (pf->fd < 0) {
            int e = errno;
            file_abandon(pf);
            return err_set(err, ATTACHE_ERR_CANTCREAT, shown, 0, "cannot create: %s",
                           strerror(e));
        }
        pf->made = true;
    }
    for (i = 0; i < n; i++) {
        const char *p = parts[i].data;
        size_t len = parts[i].len;

        while (len > 0) {
            ssize_t w = write(pf->fd, p, len);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                attache_status rc = err_set(err, ATTACHE_ERR_IO, shown, 0, "cannot write: %s",
                                            w < 0 ? strerror(errno) : "nothing written");
                file_abandon(pf);
                return rc;
            }
            p += w;
            len -= (size_t)w;
        }
    }
    return ATTACHE_OK;
}

void file_start_sync(const struct pending_file *pf)
{
    if (pf->fd >= 0)
        sync_file_range(pf->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
}

/* Whether syncfs() on this filesystem leaves every file on it durable, as fsync() would. */
static bool syncfs_covers_files(int fd)
{
    struct statfs fs;

    if (fstatfs(fd, &fs) < 0)
        return false;
    switch ((unsigned long)fs.f_type) {
    case EXT4_SUPER_MAGIC:       /* also ext2 and ext3 */
    case XFS_SUPER_MAGIC:
    case BTRFS_SUPER_MAGIC:
    case TMPFS_MAGIC:
    case OVERLAYFS_SUPER_MAGIC:  /* its syncfs() syncs the filesystem it writes to */
        return true;
    default:                     /* network and FUSE filesystems may sync less */
        return false;
    }
}

bool file_sync_filesystem(const struct pending_file *pf, dev_t *dev)
{
    struct stat st;

    if (pf->fd < 0 || !syncfs_covers_files(pf->fd) || fstat(pf->fd, &st) < 0 ||
        syncfs(pf->fd) < 0)
        return false;
    *dev = st.st_dev;
    return true;
}

bool file_on_filesystem(const struct pending_file *pf, dev_t dev)
{
    struct stat st;

    return pf->fd >= 0 && fstat(pf->fd, &st) == 0 && st.st_dev == dev;
}

/* Close a pending file's descriptor: what close() says, and the file is closed either way. */
static int close_pending(struct pending_file *pf)
{
    int fd = pf->fd;

    pf->fd = -1;
    return close(fd);
}

/* Put a synced pending file under its name: 0, or the errno that stopped it. */
static int place(struct pending_file *pf)
{
    if (pf->unnamed) {
        if (link_unnamed(pf, pf->name))
            return 0;
        /* the name is taken already: a temporary one, renamed over it */
        if (errno != EEXIST || !link_unnamed(pf, pf->tmp))
            return errno;
        pf->made = true;
    }
    if (renameat(pf->dirfd, pf->tmp, pf->dirfd, pf->name) < 0)
        return errno;
    pf->made = false;           /* in place: nothing to remove */
    return 0;
}

attache_status file_put_in_place(struct pending_file *pf, const char *shown,
                                 attache_error *err)
{
    attache_status rc = ATTACHE_OK;
    int e;

    /* a named file is closed before its rename, so that a failed close()
       (a write the disk refused late) leaves nothing under the name; an
       unnamed one is closed by file_abandon(), once linked: being synced,
       nothing is left for close() to report */
    if ((!pf->synced && fsync(pf->fd) < 0) || (!pf->unnamed && close_pending(pf) < 0))
        rc = err_set(err, ATTACHE_ERR_IO, shown, 0, "cannot write: %s", strerror(errno));
    else if ((e = place(pf)) != 0)
        rc = err_set(err, ATTACHE_ERR_IO, shown, 0, "cannot put the file in place: %s",
                     strerror(e));
    file_abandon(pf);
    return rc;
}

attache_status read_at(int dirfd, const char *name, size_t max, unsigned char **data,
                       size_t *len)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct buf b = {0};

    *data = NULL;
    *len = 0;
    if (fd < 0)
        return ATTACHE_ERR_NOINPUT;
    for (;;) {
        ssize_t n;
        if (!buf_grow(&b, 65536))
            break;
        n = read(fd, b.data + b.len, 65536);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        b.len += (size_t)n;
        if (b.len > max)
            break;
    }
    close(fd);
    if (b.len > max || !b.data) {
        buf_release(&b);
        return ATTACHE_ERR_NOINPUT;
    }
    *data = (unsigned char *)buf_detach(&b, len);
    return ATTACHE_OK;
}

attache_status write_file_atomic(const char *path, const void *data, size_t len,
                                 attache_error *err)
{
    char *a = strdup(path), *b = strdup(path);
    const char *dir, *base;
    struct stat st;
    int fd;
    attache_status rc;

    if (!a || !b) {
        free(a);
        free(b);
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    }
    dir = dirname(a);
    base = basename(b);
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (!*path) {
        if (fd >= 0)
            close(fd);
        rc = err_set(err, ATTACHE_ERR_CANTCREAT, NULL, 0, "an output file needs a name");
    } else if (fd >= 0 && (path[strlen(path) - 1] == '/' ||
                           (fstatat(fd, base, &st, 0) == 0 && S_ISDIR(st.st_mode)))) {
        close(fd);
        rc = err_set(err, ATTACHE_ERR_CANTCREAT, path, 0, "cannot be written: it is a folder");
    } else if (fd < 0) {
        rc = err_set(err, ATTACHE_ERR_CANTCREAT, path, 0, "cannot open its folder: %s",
                     strerror(errno));
    } else {
        rc = write_at(fd, base, data, len, path, err);
        if (rc == ATTACHE_OK && fsync(fd) < 0)
            rc = err_set(err, ATTACHE_ERR_IO, path, 0, "cannot sync its folder: %s",
                         strerror(errno));
        close(fd);
    }
    free(a);
    free(b);
    return rc;
}

attache_status attache_write_file(const char *path, const void *data, size_t len,
                                  attache_error *err)
{
    return write_file_atomic(path, data, len, err);
}

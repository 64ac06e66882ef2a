/*
 * output.h: writing files so that nothing half-written ever appears under a
 * final name, and nothing is written outside the output folder.
 *
 * Every file is written unnamed in the folder of its final name (O_TMPFILE),
 * synced, then linked under that name; or, where the system has no unnamed
 * files, written to a hidden temporary file beside its final name (created
 * with O_EXCL|O_NOFOLLOW), synced, then renamed into place.  Folders
 * below the output folder are opened with O_NOFOLLOW, relative to it, so a
 * symbolic link cannot lead a write elsewhere.  A lock file keeps two runs
 * from writing into one folder at once.
 */
#ifndef ATTACHE_OUTPUT_H
#define ATTACHE_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "attache.h"

struct outdir;

/*
 * Create `path` (and its parents) if missing, open it and take its lock.
 * ATTACHE_ERR_CANTCREAT when it cannot be made or is locked by another run.
 */
struct outdir *outdir_open(const char *path, attache_error *err);

/* Sync the folders written to, release the lock, free.  NULL is fine. */
/*
 * After a run that failed: the batch folders it made that are still empty
 * go; when it wrote nothing, the manifest it wrote where there was none
 * (new_manifest, its name, or NULL), and when it also made the output
 * folder itself, that folder with its lock: a refused run leaves nothing.
 */
void outdir_tidy(struct outdir *o, bool nothing_written, const char *new_manifest);
attache_status outdir_close(struct outdir *o, attache_error *err);

/*
 * The descriptor of the folder `name` (one path component) under the output
 * folder, created if missing; leftovers of an interrupted run are removed
 * the first time it is opened.  *made (may be NULL): whether this run
 * created it, so that no file in it is older than the run.  Thread-safe.
 * -1 on error.
 */
int outdir_subdir(struct outdir *o, const char *name, bool *made, attache_error *err);

/* The output folder's own descriptor. */
int outdir_fd(const struct outdir *o);

/* Create the folder `path` and its missing parents, new ones with `mode` (less umask). */
attache_status make_folders(const char *path, mode_t mode, attache_error *err);

/* Write `len` bytes to `name` in folder `dirfd` atomically (see above), mode 0644. */
attache_status write_at(int dirfd, const char *name, const void *data, size_t len,
                        const char *shown, attache_error *err);

/* One piece of a file for write_parts_at(). */
struct part {
    const void *data;
    size_t len;
};

/*
 * Write the `n` parts one after the other as `name` in folder `dirfd`,
 * atomically like write_at(), with file mode `mode` (e.g. 0600 for a cache).
 * `shown` names the file in messages.
 */
attache_status write_parts_at(int dirfd, const char *name, const struct part *parts, size_t n,
                              mode_t mode, const char *shown, attache_error *err);

/*
 * The same in two steps, so that waiting for the disk need not hold up the
 * caller: file_write_pending() creates the file (unnamed, or under its
 * temporary name) and writes it, file_put_in_place() syncs it (unless it
 * is `synced` already) and links or renames it into place (or removes it
 * on failure), file_abandon() removes it.  Either of the last two ends it.
 */
struct pending_file {
    int dirfd, fd;
    char *tmp, *name;
    bool unnamed;                /* O_TMPFILE: in the folder only once in place */
    bool made;                   /* the temporary name exists, ours to remove */
    bool synced;                 /* on disk already (file_sync_filesystem) */
};
attache_status file_write_pending(int dirfd, const char *name, const struct part *parts,
                                  size_t n, mode_t mode, const char *shown,
                                  struct pending_file *pf, attache_error *err);
attache_status file_put_in_place(struct pending_file *pf, const char *shown,
                                 attache_error *err);
/*
 * Have the disk start writing a pending file without waiting for it, so
 * that a group of files started together is synced by one journal commit
 * rather than one each.  A hint: file_put_in_place() still syncs the file.
 */
void file_start_sync(const struct pending_file *pf);

/*
 * Make every file written so far on pf's filesystem durable with one
 * syncfs(), where that does for each file what fsync() would: on a local
 * filesystem (ext4, XFS, Btrfs, and overlays and tmpfs).  True then: the
 * caller marks the pending files it wrote on that filesystem, *dev
 * (file_on_filesystem), `synced`, and file_put_in_place() only links or
 * renames them, the disk's cache flushed once for them all rather than once a
 * file.  False anywhere else, or when syncfs() fails (each file's own
 * fsync() then says which failed).
 */
bool file_sync_filesystem(const struct pending_file *pf, dev_t *dev);

/* Whether a pending file is on the filesystem `dev` (false when it is not open). */
bool file_on_filesystem(const struct pending_file *pf, dev_t dev);
void file_abandon(struct pending_file *pf);

/*
 * Pending files are unnamed (O_TMPFILE) where the system allows, and
 * linked in place; with `yes`, always hidden named files renamed into
 * place, as where it does not (for tests of that way).
 */
void file_use_named_temporaries(bool yes);

/* Read `name` in `dirfd` (at most max bytes); ATTACHE_ERR_NOINPUT if missing. */
attache_status read_at(int dirfd, const char *name, size_t max, unsigned char **data,
                       size_t *len);

/* Write a whole file at `path` atomically (temporary file in its folder). */
attache_status write_file_atomic(const char *path, const void *data, size_t len,
                                 attache_error *err);

#endif

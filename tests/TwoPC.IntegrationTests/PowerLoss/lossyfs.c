/*
 * lossyfs: a passthrough FUSE filesystem that behaves like a disk with a volatile write cache and nothing else.
 *
 *   lossyfs [--ignore-fsync | --early-writeback] BACKING MOUNTPOINT
 *
 * Every write and truncate is kept in the daemon's memory, per inode, and reaches BACKING only when that inode is
 * fsync'ed or fdatasync'ed (through any descriptor of it, including a read-only one). Reads see the pending writes,
 * as they would see a page cache. A file or directory created through the mount is listed in BACKING/.lossyfs-undo
 * until its parent directory is fsync'ed; when the daemon starts, it first deletes every entry still listed there.
 * So killing the daemon with SIGKILL is a power loss: everything since the last flush is gone, as on a disk whose
 * cache is lost, and nothing else is (a fsync that returned is kept whole).
 *
 * Simplifications, all on the lucky side for the programs under test: unlink, rename, chmod, chown and utimens
 * reach BACKING at once (a real power loss may undo them until the directory is synced); without --early-writeback,
 * pages are never written back on their own between flushes (a real disk may write some of them early, in any order).
 *
 * --ignore-fsync makes fsync and fdatasync succeed without making anything durable: a lying disk, to show that a
 * test depends on its flushes.
 *
 * --early-writeback also writes back, after one write in four, one dirty 4 KiB page of that file chosen at random,
 * as a kernel may do between flushes: a power cut then leaves some unflushed pages on disk, in no particular order
 * (a database page larger than 4 KiB can be torn).
 *
 * The kernel is told to cache nothing (direct_io, zero attribute and entry timeouts), so every read and write of
 * the programs reaches the daemon, and nothing outlives it in the kernel. Single-threaded (-s): no locking.
 */
#define FUSE_USE_VERSION 31
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <unistd.h>

#define PAGE 4096
#define UNDO_NAME ".lossyfs-undo"

static int root_fd = -1;
static int ignore_fsync;
static int early_writeback;

/* One inode that is open or has writes not yet flushed. */
struct node {
    ino_t ino;
    int fd;           /* O_RDWR descriptor of the backing file, owned by the node */
    int opens;        /* open handles */
    int unlinked;     /* its last name was removed: drop it when the last handle closes */
    int loaded;       /* data holds the whole current content */
    uint8_t *data;
    size_t size, cap;
    uint8_t *dirty;   /* one byte per page: written since the last flush */
    size_t dirty_pages;
    int size_dirty;   /* size changed since the last flush */
    struct node *next;
};

/* An open file (node set) or directory (dir set). */
struct handle {
    int fd;
    struct node *node;
    DIR *dir;
    char *dir_path; /* the directory's path relative to BACKING (FUSE may pass no path with a handle) */
};

static struct handle *handle_of(struct fuse_file_info *fi) { return fi ? (struct handle *)(uintptr_t)fi->fh : NULL; }

static struct node *nodes;

/* Relative paths created since their parent directory was last synced. */
static char **undo;
static size_t undo_count, undo_cap;

static const char *rel(const char *path)
{
    while (*path == '/') path++;
    return *path ? path : ".";
}

static int is_undo_file(const char *path) { return strcmp(rel(path), UNDO_NAME) == 0; }

static struct node *find_node(ino_t ino)
{
    for (struct node *n = nodes; n; n = n->next)
        if (n->ino == ino) return n;
    return NULL;
}

static void free_node(struct node *node)
{
    for (struct node **p = &nodes; *p; p = &(*p)->next)
        if (*p == node) {
            *p = node->next;
            break;
        }
    close(node->fd);
    free(node->data);
    free(node->dirty);
    free(node);
}

static int is_dirty(const struct node *n) { return n->size_dirty || n->dirty_pages > 0; }

static void maybe_free(struct node *node)
{
    if (node->opens == 0 && (node->unlinked || !is_dirty(node))) free_node(node);
}

/* The node of the inode behind fd, created with its own descriptor if needed. */
static struct node *node_for_fd(int fd, int *err)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        *err = -errno;
        return NULL;
    }
    struct node *n = find_node(st.st_ino);
    if (n) return n;
    n = calloc(1, sizeof *n);
    if (!n) {
        *err = -ENOMEM;
        return NULL;
    }
    n->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (n->fd < 0) {
        *err = -errno;
        free(n);
        return NULL;
    }
    n->ino = st.st_ino;
    n->next = nodes;
    nodes = n;
    return n;
}

static int reserve(struct node *n, size_t size)
{
    if (size > n->cap) {
        size_t cap = n->cap ? n->cap : 65536;
        while (cap < size) cap *= 2;
        uint8_t *data = realloc(n->data, cap);
        if (!data) return -ENOMEM;
        memset(data + n->cap, 0, cap - n->cap);
        n->data = data;
        size_t pages = cap / PAGE + 1, old = n->cap ? n->cap / PAGE + 1 : 0;
        uint8_t *dirty = realloc(n->dirty, pages);
        if (!dirty) return -ENOMEM;
        memset(dirty + old, 0, pages - old);
        n->dirty = dirty;
        n->cap = cap;
    }
    return 0;
}

/* Reads the durable content once, before the first change. */
static int load(struct node *n)
{
    if (n->loaded) return 0;
    struct stat st;
    if (fstat(n->fd, &st) != 0) return -errno;
    int rc = reserve(n, (size_t)st.st_size);
    if (rc) return rc;
    size_t done = 0;
    while (done < (size_t)st.st_size) {
        ssize_t r = pread(n->fd, n->data + done, (size_t)st.st_size - done, (off_t)done);
        if (r < 0) return -errno;
        if (r == 0) break;
        done += (size_t)r;
    }
    n->size = done;
    n->loaded = 1;
    return 0;
}

static void mark(struct node *n, size_t from, size_t to)
{
    for (size_t p = from / PAGE; p * PAGE < to; p++)
        if (!n->dirty[p]) {
            n->dirty[p] = 1;
            n->dirty_pages++;
        }
}

static int set_size(struct node *n, size_t size)
{
    int rc = load(n);
    if (rc) return rc;
    if ((rc = reserve(n, size))) return rc;
    if (size < n->size) memset(n->data + size, 0, n->size - size);
    else mark(n, n->size, size);
    n->size = size;
    n->size_dirty = 1;
    return 0;
}

/* Makes the node's pending writes durable (the backing directory survives the daemon). */
static int apply(struct node *n)
{
    if (!n->loaded || !is_dirty(n)) return 0;
    size_t pages = (n->size + PAGE - 1) / PAGE;
    for (size_t p = 0; p < pages;) {
        if (!n->dirty[p]) {
            p++;
            continue;
        }
        size_t q = p;
        while (q < pages && n->dirty[q]) q++;
        size_t from = p * PAGE, to = q * PAGE < n->size ? q * PAGE : n->size;
        for (size_t done = from; done < to;) {
            ssize_t w = pwrite(n->fd, n->data + done, to - done, (off_t)done);
            if (w < 0) return -errno;
            done += (size_t)w;
        }
        p = q;
    }
    if (ftruncate(n->fd, (off_t)n->size) != 0) return -errno;
    memset(n->dirty, 0, n->cap / PAGE + 1);
    n->dirty_pages = 0;
    n->size_dirty = 0;
    return 0;
}

/* Writes one dirty page chosen at random to the backing file (a writeback the program did not ask for). */
static void write_back_one(struct node *n)
{
    size_t pages = (n->size + PAGE - 1) / PAGE;
    if (n->dirty_pages == 0 || pages == 0) return;
    size_t p = (size_t)rand() % pages;
    for (size_t tries = 0; tries < pages && !n->dirty[p]; tries++) p = (p + 1) % pages;
    if (!n->dirty[p]) return;
    size_t from = p * PAGE, to = from + PAGE < n->size ? from + PAGE : n->size;
    if (pwrite(n->fd, n->data + from, to - from, (off_t)from) != (ssize_t)(to - from)) return;
    n->dirty[p] = 0;
    n->dirty_pages--;
}

/* ---- the undo list of directory entries that are not durable yet ---- */

static int save_undo(void)
{
    if (undo_count == 0) {
        if (unlinkat(root_fd, UNDO_NAME, 0) != 0 && errno != ENOENT) return -errno;
        return 0;
    }
    int fd = openat(root_fd, UNDO_NAME ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return -errno;
    FILE *f = fdopen(fd, "w");
    for (size_t i = 0; i < undo_count; i++) fprintf(f, "%s\n", undo[i]);
    if (fclose(f) != 0) return -errno;
    if (renameat(root_fd, UNDO_NAME ".tmp", root_fd, UNDO_NAME) != 0) return -errno;
    return 0;
}

static int add_undo(const char *path)
{
    if (undo_count == undo_cap) {
        size_t cap = undo_cap ? undo_cap * 2 : 16;
        char **list = realloc(undo, cap * sizeof *list);
        if (!list) return -ENOMEM;
        undo = list;
        undo_cap = cap;
    }
    undo[undo_count] = strdup(path);
    if (!undo[undo_count]) return -ENOMEM;
    undo_count++;
    return save_undo();
}

static int parent_is(const char *path, const char *dir)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strcmp(dir, ".") == 0;
    size_t len = (size_t)(slash - path);
    return strlen(dir) == len && strncmp(path, dir, len) == 0;
}

static int sync_dir(const char *dir)
{
    size_t kept = 0;
    for (size_t i = 0; i < undo_count; i++) {
        if (parent_is(undo[i], dir)) free(undo[i]);
        else undo[kept++] = undo[i];
    }
    if (kept == undo_count) return 0;
    undo_count = kept;
    return save_undo();
}

static void rename_undo(const char *from, const char *to)
{
    for (size_t i = 0; i < undo_count; i++)
        if (strcmp(undo[i], from) == 0) {
            char *copy = strdup(to);
            if (copy) {
                free(undo[i]);
                undo[i] = copy;
            }
        }
    save_undo();
}

static void remove_tree(int dirfd, const char *name)
{
    if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT) return;
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return;
    DIR *d = fdopendir(fd);
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) remove_tree(fd, e->d_name);
    closedir(d);
    unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* At start: the power came back; entries whose directory was never synced are gone. */
static int recover(void)
{
    FILE *f = NULL;
    int fd = openat(root_fd, UNDO_NAME, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) f = fdopen(fd, "r");
    int removed = 0;
    if (f) {
        char line[PATH_MAX + 2];
        char **list = NULL;
        size_t count = 0;
        while (fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = 0;
            if (!*line) continue;
            list = realloc(list, (count + 1) * sizeof *list);
            list[count++] = strdup(line);
        }
        fclose(f);
        for (size_t i = count; i-- > 0;) {
            struct stat st;
            if (fstatat(root_fd, list[i], &st, AT_SYMLINK_NOFOLLOW) == 0) {
                remove_tree(root_fd, list[i]);
                removed++;
            }
            free(list[i]);
        }
        free(list);
        if (unlinkat(root_fd, UNDO_NAME, 0) != 0) return -errno;
    }
    fprintf(stderr, "lossyfs: recovered; %d entr%s created but never synced removed\n", removed, removed == 1 ? "y" : "ies");
    return 0;
}

/* ---- FUSE operations ---- */

static void *lfs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
    (void)conn;
    cfg->use_ino = 1;
    cfg->direct_io = 1;
    cfg->kernel_cache = 0;
    cfg->attr_timeout = 0;
    cfg->entry_timeout = 0;
    cfg->negative_timeout = 0;
    cfg->hard_remove = 1;
    cfg->nullpath_ok = 1;
    return NULL;
}

static int lfs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
    if (handle_of(fi)) {
        if (fstat(handle_of(fi)->fd, st) != 0) return -errno;
    } else {
        if (!path || is_undo_file(path)) return -ENOENT;
        if (fstatat(root_fd, rel(path), st, AT_SYMLINK_NOFOLLOW) != 0) return -errno;
    }
    struct node *n = S_ISREG(st->st_mode) ? find_node(st->st_ino) : NULL;
    if (n && n->loaded) {
        st->st_size = (off_t)n->size;
        st->st_blocks = (blkcnt_t)((n->size + 511) / 512);
    }
    return 0;
}

static int open_handle(int fd, struct fuse_file_info *fi)
{
    int err = 0;
    struct node *n = node_for_fd(fd, &err);
    struct handle *h = n ? calloc(1, sizeof *h) : NULL;
    int rc = h ? 0 : err ? err : -ENOMEM;
    if (!rc && (fi->flags & O_TRUNC)) rc = set_size(n, 0);
    if (rc) {
        free(h);
        close(fd);
        if (n) maybe_free(n);
        return rc;
    }
    h->fd = fd;
    h->node = n;
    n->opens++;
    fi->fh = (uint64_t)(uintptr_t)h;
    fi->direct_io = 1;
    return 0;
}

static int lfs_open(const char *path, struct fuse_file_info *fi)
{
    if (is_undo_file(path)) return -ENOENT;
    int fd = openat(root_fd, rel(path), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return -errno;
    return open_handle(fd, fi);
}

static int lfs_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
    if (is_undo_file(path)) return -EACCES;
    struct stat st;
    int existed = fstatat(root_fd, rel(path), &st, AT_SYMLINK_NOFOLLOW) == 0;
    int fd = openat(root_fd, rel(path), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (fi->flags & O_EXCL), mode);
    if (fd < 0) return -errno;
    if (!existed) {
        int rc = add_undo(rel(path));
        if (rc) {
            close(fd);
            return rc;
        }
    }
    return open_handle(fd, fi);
}

static int lfs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
    (void)path;
    struct handle *h = handle_of(fi);
    struct node *n = h->node;
    if (!n->loaded) {
        ssize_t r = pread(h->fd, buf, size, off);
        return r < 0 ? -errno : (int)r;
    }
    if ((size_t)off >= n->size) return 0;
    if (size > n->size - (size_t)off) size = n->size - (size_t)off;
    memcpy(buf, n->data + off, size);
    return (int)size;
}

static int lfs_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
    (void)path;
    struct node *n = handle_of(fi)->node;
    int rc = load(n);
    if (rc) return rc;
    size_t end = (size_t)off + size;
    if ((rc = reserve(n, end))) return rc;
    memcpy(n->data + off, buf, size);
    if (end > n->size) {
        mark(n, n->size, end);
        n->size = end;
        n->size_dirty = 1;
    }
    mark(n, (size_t)off, end);
    if (early_writeback && rand() % 4 == 0) write_back_one(n);
    return (int)size;
}

static int lfs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
    if (handle_of(fi) && handle_of(fi)->node) return set_size(handle_of(fi)->node, (size_t)size);
    if (!path || is_undo_file(path)) return -ENOENT;
    int fd = openat(root_fd, rel(path), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return -errno;
    int err = 0;
    struct node *n = node_for_fd(fd, &err);
    close(fd);
    if (!n) return err;
    int rc = set_size(n, (size_t)size);
    maybe_free(n);
    return rc;
}

static int lfs_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
    (void)path;
    (void)datasync;
    if (ignore_fsync) return 0;
    return apply(handle_of(fi)->node);
}

static int lfs_flush(const char *path, struct fuse_file_info *fi)
{
    (void)path;
    (void)fi;
    return 0;
}

static int lfs_release(const char *path, struct fuse_file_info *fi)
{
    (void)path;
    struct handle *h = handle_of(fi);
    struct node *n = h->node;
    close(h->fd);
    free(h);
    n->opens--;
    maybe_free(n);
    return 0;
}

static int lfs_unlink(const char *path)
{
    if (is_undo_file(path)) return -ENOENT;
    struct stat st;
    if (fstatat(root_fd, rel(path), &st, AT_SYMLINK_NOFOLLOW) != 0) return -errno;
    struct node *n = S_ISREG(st.st_mode) && st.st_nlink == 1 ? find_node(st.st_ino) : NULL;
    if (unlinkat(root_fd, rel(path), 0) != 0) return -errno;
    if (n) {
        n->unlinked = 1;
        maybe_free(n);
    }
    return 0;
}

static int lfs_mkdir(const char *path, mode_t mode)
{
    if (mkdirat(root_fd, rel(path), mode) != 0) return -errno;
    return add_undo(rel(path));
}

static int lfs_rmdir(const char *path)
{
    return unlinkat(root_fd, rel(path), AT_REMOVEDIR) == 0 ? 0 : -errno;
}

static int lfs_rename(const char *from, const char *to, unsigned int flags)
{
    if (is_undo_file(from) || is_undo_file(to)) return -EACCES;
    if (flags & ~RENAME_NOREPLACE) return -EINVAL;
    struct stat st;
    int replaces = fstatat(root_fd, rel(to), &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (replaces && (flags & RENAME_NOREPLACE)) return -EEXIST;
    struct node *n = replaces && S_ISREG(st.st_mode) && st.st_nlink == 1 ? find_node(st.st_ino) : NULL;
    if (renameat(root_fd, rel(from), root_fd, rel(to)) != 0) return -errno;
    if (n) {
        n->unlinked = 1;
        maybe_free(n);
    }
    rename_undo(rel(from), rel(to));
    return 0;
}

static int lfs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
    if (handle_of(fi)) return fchmod(handle_of(fi)->fd, mode) == 0 ? 0 : -errno;
    return fchmodat(root_fd, rel(path), mode, 0) == 0 ? 0 : -errno;
}

static int lfs_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
    if (handle_of(fi)) return fchown(handle_of(fi)->fd, uid, gid) == 0 ? 0 : -errno;
    return fchownat(root_fd, rel(path), uid, gid, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
}

static int lfs_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
    if (handle_of(fi)) return futimens(handle_of(fi)->fd, tv) == 0 ? 0 : -errno;
    return utimensat(root_fd, rel(path), tv, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
}

static int lfs_opendir(const char *path, struct fuse_file_info *fi)
{
    int fd = openat(root_fd, rel(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -errno;
    struct handle *h = calloc(1, sizeof *h);
    DIR *d = h ? fdopendir(fd) : NULL;
    if (!d) {
        int rc = h ? -errno : -ENOMEM;
        free(h);
        close(fd);
        return rc;
    }
    h->fd = fd;
    h->dir = d;
    h->dir_path = strdup(rel(path));
    if (!h->dir_path) {
        closedir(d);
        free(h);
        return -ENOMEM;
    }
    fi->fh = (uint64_t)(uintptr_t)h;
    return 0;
}

static int lfs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off, struct fuse_file_info *fi,
                       enum fuse_readdir_flags flags)
{
    (void)off;
    (void)flags;
    (void)path;
    DIR *d = handle_of(fi)->dir;
    int root = strcmp(handle_of(fi)->dir_path, ".") == 0;
    rewinddir(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (root && (strcmp(e->d_name, UNDO_NAME) == 0 || strcmp(e->d_name, UNDO_NAME ".tmp") == 0)) continue;
        struct stat st = {.st_ino = e->d_ino, .st_mode = (mode_t)(e->d_type << 12)};
        if (fill(buf, e->d_name, &st, 0, 0)) break;
    }
    return 0;
}

static int lfs_releasedir(const char *path, struct fuse_file_info *fi)
{
    (void)path;
    struct handle *h = handle_of(fi);
    closedir(h->dir);
    free(h->dir_path);
    free(h);
    return 0;
}

static int lfs_fsyncdir(const char *path, int datasync, struct fuse_file_info *fi)
{
    (void)path;
    (void)datasync;
    if (ignore_fsync) return 0;
    return sync_dir(handle_of(fi)->dir_path);
}

static int lfs_statfs(const char *path, struct statvfs *st)
{
    (void)path;
    return fstatvfs(root_fd, st) == 0 ? 0 : -errno;
}

static const struct fuse_operations ops = {
    .init = lfs_init,
    .getattr = lfs_getattr,
    .open = lfs_open,
    .create = lfs_create,
    .read = lfs_read,
    .write = lfs_write,
    .truncate = lfs_truncate,
    .fsync = lfs_fsync,
    .flush = lfs_flush,
    .release = lfs_release,
    .unlink = lfs_unlink,
    .mkdir = lfs_mkdir,
    .rmdir = lfs_rmdir,
    .rename = lfs_rename,
    .chmod = lfs_chmod,
    .chown = lfs_chown,
    .utimens = lfs_utimens,
    .opendir = lfs_opendir,
    .readdir = lfs_readdir,
    .releasedir = lfs_releasedir,
    .fsyncdir = lfs_fsyncdir,
    .statfs = lfs_statfs,
};

int main(int argc, char *argv[])
{
    int i = 1;
    if (i < argc && strcmp(argv[i], "--ignore-fsync") == 0) {
        ignore_fsync = 1;
        i++;
    } else if (i < argc && strcmp(argv[i], "--early-writeback") == 0) {
        early_writeback = 1;
        srand((unsigned)getpid());
        i++;
    }
    if (argc - i != 2) {
        fprintf(stderr, "usage: %s [--ignore-fsync | --early-writeback] BACKING MOUNTPOINT\n", argv[0]);
        return 2;
    }
    root_fd = open(argv[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0) {
        perror(argv[i]);
        return 1;
    }
    if (recover() != 0) {
        perror("lossyfs: recovery");
        return 1;
    }
    char *fargv[] = {argv[0], "-f", "-s", "-o", "fsname=lossyfs,subtype=lossyfs", argv[i + 1], NULL};
    return fuse_main(6, fargv, &ops, NULL);
}

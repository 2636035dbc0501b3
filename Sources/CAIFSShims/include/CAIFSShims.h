#ifndef CAIFS_SHIMS_H
#define CAIFS_SHIMS_H

// Declarations that Glibc's Swift module does not export. Each is a thin inline
// wrapper so Swift sees a plain, non-variadic C function.

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __linux__
#include <sys/syscall.h>
#include <unistd.h>

/// getdents64(2): read directory entries from `fd` into `buffer`.
/// Returns the number of bytes read, 0 at the end, or -1 with errno set.
static inline ssize_t caifs_getdents64(int fd, void *buffer, size_t count) {
    return (ssize_t)syscall(SYS_getdents64, fd, buffer, count);
}
#endif

#ifdef __linux__
#include <fcntl.h>
#include <linux/stat.h>

/// A file's times in nanoseconds since the epoch, following symbolic links, through
/// statx(2) called by number (Glibc's Swift module does not export statx). `created`
/// is set only when the file system records a birth time; `has_created` says so.
/// Returns 0, or -1 with errno set.
static inline int caifs_file_times(const char *path, int64_t *modified, int64_t *accessed,
                                   int64_t *created, int *has_created) {
    struct statx buffer;
    long result = syscall(SYS_statx, AT_FDCWD, path, 0,
                          STATX_MTIME | STATX_ATIME | STATX_BTIME, &buffer);
    if (result != 0) return -1;
    *modified = (int64_t)buffer.stx_mtime.tv_sec * 1000000000 + buffer.stx_mtime.tv_nsec;
    *accessed = (int64_t)buffer.stx_atime.tv_sec * 1000000000 + buffer.stx_atime.tv_nsec;
    *has_created = (buffer.stx_mask & STATX_BTIME) != 0;
    *created = *has_created
        ? (int64_t)buffer.stx_btime.tv_sec * 1000000000 + buffer.stx_btime.tv_nsec : 0;
    return 0;
}
#endif

/// The layout of one record that getdents64 writes (struct linux_dirent64).
typedef struct caifs_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
} caifs_dirent64;

/// memmem(3), a GNU extension.
void *caifs_memmem(const void *haystack, size_t haystacklen, const void *needle, size_t needlelen);

/// memrchr(3), a GNU extension.
void *caifs_memrchr(const void *s, int c, size_t n);

/// Names the calling thread (shown by top, perf and gdb); longer names are cut to 15 bytes.
void caifs_set_thread_name(const char *name);

/// malloc_trim(3): returns free heap memory to the system; 1 if any was released.
int caifs_malloc_trim(size_t pad);

/// mallopt(3) with M_ARENA_MAX and M_MMAP_THRESHOLD: at most `arenas` heaps (0 leaves
/// the default), and allocations of `mmap_threshold` bytes or more mapped on their own
/// (and unmapped when freed; 0 leaves the default, which grows with freed blocks).
/// 1 when both were set; 0 where the C library has no mallopt (not glibc).
int caifs_malloc_limit(int arenas, int mmap_threshold);

/// The processors this process may run on (its affinity mask), at least 1.
int caifs_available_processors(void);

/// The first position i in [start, last] where (haystack[i + offset1] | mask1) == byte1
/// and (haystack[i + offset2] | mask2) == byte2, or -1. The caller guarantees that
/// haystack[last + max(offset1, offset2)] is readable. AVX2 when the CPU has it.
ptrdiff_t caifs_find_pair(const uint8_t *haystack, size_t start, size_t last,
                          uint8_t byte1, uint8_t mask1, size_t offset1,
                          uint8_t byte2, uint8_t mask2, size_t offset2);

// --- AIFSWatch: inotify and the stop pipe (Glibc's Swift module lacks sys/inotify.h
// and sys/vfs.h, and pipe2 needs _GNU_SOURCE). ---
#ifdef __linux__
#include <sys/inotify.h>
#include <sys/vfs.h>

/// inotify_init1(2).
static inline int caifs_inotify_init1(int flags) { return inotify_init1(flags); }

/// inotify_add_watch(2).
static inline int caifs_inotify_add_watch(int fd, const char *path, uint32_t mask) {
    return inotify_add_watch(fd, path, mask);
}

/// inotify_rm_watch(2).
static inline int caifs_inotify_rm_watch(int fd, int wd) { return inotify_rm_watch(fd, wd); }

/// pipe2(2) with O_CLOEXEC | O_NONBLOCK on both ends (defined in shims.c, which has
/// _GNU_SOURCE).
int caifs_pipe_nonblocking(int fds[2]);

/// statfs(2), reduced to the file-system type (`f_type`): Glibc's Swift module does
/// not export sys/vfs.h.
static inline int caifs_statfs_type(const char *path, long long *type) {
    struct statfs buffer;
    int result = statfs(path, &buffer);
    if (result == 0) *type = (long long)buffer.f_type;
    return result;
}

static const int CAIFS_IN_CLOEXEC = IN_CLOEXEC;
#endif
// --- end AIFSWatch ---

/// Installs SIGINT and SIGTERM handlers that write one byte per signal to a pipe, and
/// returns the pipe's read end (or -1).
int caifs_install_termination_pipe(void);

#endif

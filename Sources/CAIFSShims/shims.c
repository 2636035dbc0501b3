#define _GNU_SOURCE
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include "CAIFSShims.h"

void *caifs_memmem(const void *haystack, size_t haystacklen, const void *needle, size_t needlelen) {
    return memmem(haystack, haystacklen, needle, needlelen);
}

void *caifs_memrchr(const void *s, int c, size_t n) {
    return memrchr(s, c, n);
}

#ifdef __linux__
#include <fcntl.h>

int caifs_pipe_nonblocking(int fds[2]) {
    return pipe2(fds, O_CLOEXEC | O_NONBLOCK);
}
#endif

#if defined(__GLIBC__)
#include <malloc.h>
#endif

int caifs_malloc_trim(size_t pad) {
#if defined(__GLIBC__)
    return malloc_trim(pad);
#else
    (void)pad;
    return 0;
#endif
}

int caifs_malloc_limit(int arenas, int mmap_threshold) {
#if defined(__GLIBC__)
    int ok = 1;
    if (arenas > 0 && mallopt(M_ARENA_MAX, arenas) != 1) ok = 0;
    if (mmap_threshold > 0 && mallopt(M_MMAP_THRESHOLD, mmap_threshold) != 1) ok = 0;
    return ok;
#else
    (void)arenas;
    (void)mmap_threshold;
    return 0;
#endif
}

#include <pthread.h>

void caifs_set_thread_name(const char *name) {
    // Linux keeps 15 bytes of a thread name plus the NUL.
    char shortened[16];
    strncpy(shortened, name, sizeof shortened - 1);
    shortened[sizeof shortened - 1] = '\0';
    pthread_setname_np(pthread_self(), shortened);
}

#include <sched.h>
#include <unistd.h>

int caifs_available_processors(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int count = CPU_COUNT(&set);
        if (count > 0) return count;
    }
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (int)online : 1;
}

// The "packed pair" scan for literal search: find the first position i in
// [start, last] where (h[i + off1] | mask1) == byte1 and (h[i + off2] | mask2) == byte2,
// 32 (AVX2) or 16 (SSE2) positions at a time. Written in C because Swift's SIMD types
// do not reach AVX2 without compiling the whole module for it; the AVX2 path is chosen
// at run time, so the binary still runs on any x86-64.
#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2")))
static ptrdiff_t caifs_pair_avx2(const uint8_t *h, size_t start, size_t last,
                                 uint8_t b1, uint8_t m1, size_t o1,
                                 uint8_t b2, uint8_t m2, size_t o2) {
    const __m256i v1 = _mm256_set1_epi8((char)b1), k1 = _mm256_set1_epi8((char)m1);
    const __m256i v2 = _mm256_set1_epi8((char)b2), k2 = _mm256_set1_epi8((char)m2);
    size_t i = start;
    while (i + 32 <= last + 1) {
        __m256i c1 = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(h + i + o1)), k1);
        __m256i c2 = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(h + i + o2)), k2);
        unsigned mask = (unsigned)_mm256_movemask_epi8(
            _mm256_and_si256(_mm256_cmpeq_epi8(c1, v1), _mm256_cmpeq_epi8(c2, v2)));
        if (mask) return (ptrdiff_t)(i + (size_t)__builtin_ctz(mask));
        i += 32;
    }
    for (; i <= last; i++) {
        if ((h[i + o1] | m1) == b1 && (h[i + o2] | m2) == b2) return (ptrdiff_t)i;
    }
    return -1;
}

static ptrdiff_t caifs_pair_sse2(const uint8_t *h, size_t start, size_t last,
                                 uint8_t b1, uint8_t m1, size_t o1,
                                 uint8_t b2, uint8_t m2, size_t o2) {
    const __m128i v1 = _mm_set1_epi8((char)b1), k1 = _mm_set1_epi8((char)m1);
    const __m128i v2 = _mm_set1_epi8((char)b2), k2 = _mm_set1_epi8((char)m2);
    size_t i = start;
    while (i + 16 <= last + 1) {
        __m128i c1 = _mm_or_si128(_mm_loadu_si128((const __m128i *)(h + i + o1)), k1);
        __m128i c2 = _mm_or_si128(_mm_loadu_si128((const __m128i *)(h + i + o2)), k2);
        unsigned mask = (unsigned)_mm_movemask_epi8(
            _mm_and_si128(_mm_cmpeq_epi8(c1, v1), _mm_cmpeq_epi8(c2, v2)));
        if (mask) return (ptrdiff_t)(i + (size_t)__builtin_ctz(mask));
        i += 16;
    }
    for (; i <= last; i++) {
        if ((h[i + o1] | m1) == b1 && (h[i + o2] | m2) == b2) return (ptrdiff_t)i;
    }
    return -1;
}
#endif

ptrdiff_t caifs_find_pair(const uint8_t *haystack, size_t start, size_t last,
                          uint8_t byte1, uint8_t mask1, size_t offset1,
                          uint8_t byte2, uint8_t mask2, size_t offset2) {
    if (start > last) return -1;
#if defined(__x86_64__)
    static int avx2 = -1;
    int supported = __atomic_load_n(&avx2, __ATOMIC_RELAXED);
    if (supported < 0) {
        supported = __builtin_cpu_supports("avx2") ? 1 : 0;
        __atomic_store_n(&avx2, supported, __ATOMIC_RELAXED);
    }
    if (supported) return caifs_pair_avx2(haystack, start, last, byte1, mask1, offset1, byte2, mask2, offset2);
    return caifs_pair_sse2(haystack, start, last, byte1, mask1, offset1, byte2, mask2, offset2);
#else
    for (size_t i = start; i <= last; i++) {
        if ((haystack[i + offset1] | mask1) == byte1 && (haystack[i + offset2] | mask2) == byte2) return (ptrdiff_t)i;
    }
    return -1;
#endif
}

#include <signal.h>
#include <fcntl.h>

// SIGINT and SIGTERM become a byte on a pipe, so that a normal thread can react to them
// (a signal handler may do almost nothing itself). Whichever thread the kernel picks
// to deliver the signal to, the byte arrives.
static int caifs_termination_pipe[2] = {-1, -1};

static void caifs_termination_handler(int signal) {
    int saved = errno;
    unsigned char byte = (unsigned char)signal;
    ssize_t ignored = write(caifs_termination_pipe[1], &byte, 1);
    (void)ignored;
    errno = saved;
}

int caifs_install_termination_pipe(void) {
    if (pipe2(caifs_termination_pipe, O_CLOEXEC) != 0) return -1;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = caifs_termination_handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    if (sigaction(SIGINT, &action, NULL) != 0 || sigaction(SIGTERM, &action, NULL) != 0) return -1;
    return caifs_termination_pipe[0];
}

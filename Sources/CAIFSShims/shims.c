#define _GNU_SOURCE
#include <string.h>
#include "CAIFSShims.h"

void *caifs_memmem(const void *haystack, size_t haystacklen, const void *needle, size_t needlelen) {
    return memmem(haystack, haystacklen, needle, needlelen);
}

void *caifs_memrchr(const void *s, int c, size_t n) {
    return memrchr(s, c, n);
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

/*
 * The C library as the embeddable modules see it: POSIX and libc headers only,
 * no Glibc/Darwin overlay (Embedded Swift has none), so the same Swift code
 * builds for the host and for a cross target that points at that target's libc.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* errno is a macro over a thread-local location: Swift cannot import it. */
static inline int tessera_errno(void) { return errno; }

/* open is variadic (the mode only with O_CREAT): Swift cannot call it directly. */
static inline int tessera_open(const char *path, int flags, mode_t mode) { return open(path, flags, mode); }

/* A detached thread running body(argument): pthread_t differs between C libraries
   (an integer in glibc, a pointer in Darwin), and no caller needs to join. */
static inline int tessera_thread_start(void *(*body)(void *), void *argument) {
    pthread_t thread;
    int status = pthread_create(&thread, NULL, body, argument);
    if (status == 0) {
        pthread_detach(thread);
    }
    return status;
}

/* The modification time in nanoseconds: struct stat names it st_mtim in glibc, st_mtimespec in Darwin. */
static inline int64_t tessera_mtime_ns(const struct stat *info) {
#ifdef __APPLE__
    return (int64_t)info->st_mtimespec.tv_sec * 1000000000 + info->st_mtimespec.tv_nsec;
#else
    return (int64_t)info->st_mtim.tv_sec * 1000000000 + info->st_mtim.tv_nsec;
#endif
}

/* MAP_FAILED is a cast macro ((void *)-1): Swift cannot import it either. */
static inline void *tessera_map_failed(void) { return MAP_FAILED; }

/* sa_handler is a macro over a union member whose name differs between C libraries,
   and SIG_IGN is a cast macro: both reached through functions. */
static inline void tessera_sigaction_set_handler(struct sigaction *action, void (*handler)(int)) {
    action->sa_handler = handler;
}
static inline int tessera_sigaction_is_ignored(const struct sigaction *action) { return action->sa_handler == SIG_IGN; }

/* Writes message (length bytes) to stderr and executes a trap instruction: the end of a
   guard that must hold in every build (TesseraCore's guaranteeFailure). No Swift optimiser
   removes this call; Embedded Swift's fatalError goes with -Ounchecked. */
__attribute__((noreturn, cold)) static inline void tessera_trap(const char *message, size_t length) {
    (void)write(2, message, length);
    __builtin_trap();
}

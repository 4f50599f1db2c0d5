// The floor for a closure: its file system calls alone. Reads the units bench/strace_ops.py
// wrote from a traced `ocitools closure` (lstat, stat and readlink of a path; an open file's
// fstat, preads, reads, maps and directory reads, from open to close), then, timed, makes the
// same calls on THREADS threads, each taking the next unit, with nothing computed between them:
// no parsing, no lookups, no allocation. Mapped files are mapped and unmapped, not touched.
// Prints the seconds taken (process start not counted).
// Usage: closure_floor OPS THREADS. Built by bench/bundle.sh.
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static char** units;  // one line each, tab-separated fields, as strace_ops.py wrote them
static size_t n_units;
static size_t buffer_size = 1 << 16;
static atomic_size_t next_unit;

static void replay(char* unit, char* buffer) {
    char* save = NULL;
    const char* kind = strtok_r(unit, "\t", &save);
    const char* path = strtok_r(NULL, "\t", &save);
    if (!kind || !path) return;
    struct stat st;
    char target[4096];
    if (kind[0] == 'S') {
        lstat(path, &st);
        return;
    }
    if (kind[0] == 'T') {
        stat(path, &st);
        return;
    }
    if (kind[0] == 'K') {
        readlink(path, target, sizeof target);
        return;
    }
    const int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return;
    for (const char* f; (f = strtok_r(NULL, "\t", &save));) {
        if (f[0] == 'F') {
            fstat(fd, &st);
        } else if (f[0] == 'P') {
            const size_t size = strtoull(strtok_r(NULL, "\t", &save), NULL, 10);
            const off_t offset = strtoll(strtok_r(NULL, "\t", &save), NULL, 10);
            if (pread(fd, buffer, size, offset) < 0) break;
        } else if (f[0] == 'R') {
            const size_t size = strtoull(strtok_r(NULL, "\t", &save), NULL, 10);
            if (read(fd, buffer, size) < 0) break;
        } else if (f[0] == 'M') {
            const size_t size = strtoull(strtok_r(NULL, "\t", &save), NULL, 10);
            void* p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
            if (p != MAP_FAILED) munmap(p, size);
        } else if (f[0] == 'G') {
            while (syscall(SYS_getdents64, fd, buffer, buffer_size) > 0) {
            }
        }
    }
    close(fd);
}

static void* work(void* unused) {
    (void)unused;
    char* buffer = malloc(buffer_size);
    memset(buffer, 0, buffer_size);  // faulted in before the clock starts
    return buffer;
}

static void* run(void* buffer) {
    for (size_t u; (u = atomic_fetch_add(&next_unit, 1)) < n_units;) replay(units[u], buffer);
    return NULL;
}

int main(int argc, char** argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: closure_floor OPS THREADS\n");
        return 2;
    }
    const int threads = atoi(argv[2]) > 0 ? atoi(argv[2]) : 1;
    // The whole file at once, split into units in place.
    const int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        perror(argv[1]);
        return 1;
    }
    char* text = calloc((size_t)st.st_size + 1, 1);
    if (read(fd, text, (size_t)st.st_size) != st.st_size) return 1;
    close(fd);
    units = malloc(((size_t)st.st_size / 2 + 1) * sizeof *units);
    for (char* unit = text; *unit;) {
        char* end = strchr(unit, '\n');
        if (end) *end = '\0';
        if (*unit) units[n_units++] = unit;
        // The largest read sizes the buffers: a size follows each P and R field.
        for (const char* p = unit; (p = strchr(p, '\t'));)
            if ((p[1] == 'P' || p[1] == 'R') && p[2] == '\t') {
                const size_t size = strtoull(p + 3, NULL, 10);
                if (size > buffer_size) buffer_size = size;
                p += 3;
            } else {
                ++p;
            }
        unit = end ? end + 1 : unit + strlen(unit);
    }
    if (threads > 64) return 2;
    void* buffers[64] = {0};
    for (int t = 0; t < threads; ++t) buffers[t] = work(NULL);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_t others[64];
    int started = 0;
    for (int t = 1; t < threads; ++t)
        if (pthread_create(&others[started], NULL, run, buffers[t]) == 0) ++started;
    run(buffers[0]);
    for (int t = 0; t < started; ++t) pthread_join(others[t], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%.6f\n", (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}

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
    FILE* ops = fopen(argv[1], "r");
    const int threads = atoi(argv[2]) > 0 ? atoi(argv[2]) : 1;
    if (!ops) {
        perror(argv[1]);
        return 1;
    }
    size_t cap = 1024;
    units = malloc(cap * sizeof *units);
    char* line = NULL;
    size_t line_cap = 0;
    ssize_t len;
    while ((len = getline(&line, &line_cap, ops)) > 0) {
        if (line[len - 1] == '\n') line[--len] = '\0';
        if (!line[0]) continue;
        if (n_units == cap) units = realloc(units, (cap *= 2) * sizeof *units);
        units[n_units++] = strdup(line);
        // The largest read sizes the buffers.
        for (char* p = strstr(line, "\tP\t"); p; p = strstr(p + 1, "\tP\t")) {
            const size_t size = strtoull(p + 3, NULL, 10);
            if (size > buffer_size) buffer_size = size;
        }
        for (char* p = strstr(line, "\tR\t"); p; p = strstr(p + 1, "\tR\t")) {
            const size_t size = strtoull(p + 3, NULL, 10);
            if (size > buffer_size) buffer_size = size;
        }
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

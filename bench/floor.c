// The floor for writing a rootfs, hard-linked or copied: the system calls alone. Reads host paths (one per
// line, without the leading "/", as `ocitools closure | sed 's|^/||'` gives them), then, timed,
// makes each directory and recreates each symlink under ROOT in list order on one thread, then
// hard-links the regular files on THREADS threads (one directory at a time per thread, the
// largest first, as ocitools does), or with `copy` copies them (open, copy_file_range(2) to the
// end, close, as ocitools' copy does), with no checks, no modes and no times. Prints the seconds
// taken.
// Usage: floor LIST ROOT THREADS [copy] (ROOT an existing empty directory). Built by
// bench/bundle.sh.
//
// The entries are kept small and in one block: on a VM whose page faults cost 10 to 15 us each
// (the one docs/benchmarks.md was measured on), a 4 KiB buffer per entry doubled the time this
// program took, which would have been counted as the floor.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct entry {
    char* path;
    char* target;  // symlinks only
    mode_t mode;
    size_t next;  // regular files: the next file of the same directory, or SIZE_MAX
};

static struct entry* entries;
static size_t n_entries;
static size_t* groups;  // the first file of each directory
static size_t n_groups;
static atomic_size_t next_group;
static int root, host;
static int copy;

static void copy_file(const char* path) {
    const int in = openat(host, path, O_RDONLY | O_CLOEXEC);
    const int out = openat(root, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (in >= 0 && out >= 0)
        while (copy_file_range(in, NULL, out, NULL, (size_t)1 << 30, 0) > 0) {
        }
    if (in >= 0) close(in);
    if (out >= 0) close(out);
}

static void* link_files(void* unused) {
    (void)unused;
    for (size_t g; (g = atomic_fetch_add(&next_group, 1)) < n_groups;)
        for (size_t i = groups[g]; i != SIZE_MAX; i = entries[i].next)
            if (copy)
                copy_file(entries[i].path);
            else
                linkat(host, entries[i].path, root, entries[i].path, 0);
    return NULL;
}

static size_t* group_size;  // files in each group, by first file

static int larger_first(const void* a, const void* b) {
    const size_t x = group_size[*(const size_t*)a], y = group_size[*(const size_t*)b];
    return x > y ? -1 : x < y ? 1 : 0;
}

static size_t dir_length(const char* path) {
    const char* slash = strrchr(path, '/');
    return slash ? (size_t)(slash - path) : 0;
}

int main(int argc, char** argv) {
    if (argc != 4 && !(argc == 5 && strcmp(argv[4], "copy") == 0)) {
        fprintf(stderr, "usage: floor LIST ROOT THREADS [copy]\n");
        return 2;
    }
    copy = argc == 5;
    FILE* list = fopen(argv[1], "r");
    root = open(argv[2], O_PATH | O_DIRECTORY);
    host = open("/", O_PATH | O_DIRECTORY);
    const int threads = atoi(argv[3]) > 0 ? atoi(argv[3]) : 1;
    if (!list || root < 0 || host < 0) {
        perror("floor");
        return 1;
    }
    size_t cap = 1024;
    entries = malloc(cap * sizeof *entries);
    char* line = NULL;
    size_t line_cap = 0;
    ssize_t len;
    while ((len = getline(&line, &line_cap, list)) > 0) {
        if (line[len - 1] == '\n') line[len - 1] = '\0';
        if (!line[0]) continue;
        if (n_entries == cap) entries = realloc(entries, (cap *= 2) * sizeof *entries);
        struct entry* e = &entries[n_entries++];
        e->path = strdup(line);
        e->target = NULL;
        char abs[4097];
        snprintf(abs, sizeof abs, "/%s", line);
        struct stat st;
        if (lstat(abs, &st) != 0) {
            perror(abs);
            return 1;
        }
        e->mode = st.st_mode;
        if (S_ISLNK(st.st_mode)) {
            char target[4096];
            const ssize_t t = readlink(abs, target, sizeof target - 1);
            target[t > 0 ? t : 0] = '\0';
            e->target = strdup(target);
        }
    }
    // Group the files by directory, each group a list through `next`.
    groups = malloc((n_entries + 1) * sizeof *groups);
    size_t* last = malloc((n_entries + 1) * sizeof *last);  // the group's last file so far
    group_size = calloc(n_entries + 1, sizeof *group_size);
    for (size_t i = 0; i < n_entries; ++i) {
        struct entry* e = &entries[i];
        if (!S_ISREG(e->mode)) continue;
        e->next = SIZE_MAX;
        const size_t dir = dir_length(e->path);
        size_t g = 0;
        for (; g < n_groups; ++g) {
            const char* first = entries[groups[g]].path;
            if (dir_length(first) == dir && strncmp(first, e->path, dir) == 0) break;
        }
        if (g == n_groups) groups[n_groups++] = i;
        else entries[last[g]].next = i;
        last[g] = i;
        ++group_size[groups[g]];
    }
    // The largest directories first, as ocitools takes them, so no thread is left with a long
    // one at the end.
    qsort(groups, n_groups, sizeof *groups, larger_first);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t i = 0; i < n_entries; ++i) {
        const struct entry* e = &entries[i];
        if (S_ISDIR(e->mode))
            mkdirat(root, e->path, 0755);
        else if (S_ISLNK(e->mode))
            symlinkat(e->target, root, e->path);
    }
    pthread_t others[64];
    int started = 0;
    for (int t = 1; t < threads && t < 64; ++t)
        if (pthread_create(&others[started], NULL, link_files, NULL) == 0) ++started;
    link_files(NULL);
    for (int t = 0; t < started; ++t) pthread_join(others[t], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%.6f\n", (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}

// The floor for writing a hard-linked rootfs: the system calls alone. Reads host paths (one per
// line, without the leading "/", as `ocitools closure | sed 's|^/||'` gives them), then, timed,
// makes each directory, hard-links each regular file and recreates each symlink under ROOT, in
// list order, on one thread, with no checks, no modes and no times. Prints the seconds taken.
// Usage: floor LIST ROOT (ROOT an existing empty directory). Built by bench/bundle.sh.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct entry {
    char* path;
    struct stat st;
    char target[4096];
};

int main(int argc, char** argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: floor LIST ROOT\n");
        return 2;
    }
    FILE* list = fopen(argv[1], "r");
    int root = open(argv[2], O_PATH | O_DIRECTORY);
    if (!list || root < 0) {
        perror("floor");
        return 1;
    }
    size_t n = 0, cap = 1024;
    struct entry* entries = malloc(cap * sizeof *entries);
    char* line = NULL;
    size_t line_cap = 0;
    ssize_t len;
    while ((len = getline(&line, &line_cap, list)) > 0) {
        if (line[len - 1] == '\n') line[len - 1] = '\0';
        if (!line[0]) continue;
        if (n == cap) entries = realloc(entries, (cap *= 2) * sizeof *entries);
        struct entry* e = &entries[n];
        e->path = strdup(line);
        char abs[4097];
        snprintf(abs, sizeof abs, "/%s", line);
        if (lstat(abs, &e->st) != 0) {
            perror(abs);
            return 1;
        }
        e->target[0] = '\0';
        if (S_ISLNK(e->st.st_mode)) {
            ssize_t t = readlink(abs, e->target, sizeof e->target - 1);
            e->target[t > 0 ? t : 0] = '\0';
        }
        ++n;
    }
    int host = open("/", O_PATH | O_DIRECTORY);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t i = 0; i < n; ++i) {
        const struct entry* e = &entries[i];
        if (S_ISDIR(e->st.st_mode))
            mkdirat(root, e->path, 0755);
        else if (S_ISLNK(e->st.st_mode))
            symlinkat(e->target, root, e->path);
        else if (S_ISREG(e->st.st_mode))
            linkat(host, e->path, root, e->path, 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%.6f\n", (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}
